from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from certificates.models import Certificate, Resident
from reservations.models import Invitation, Office, Reservation
from staff import wording

PLACEHOLDERS = {
    "name": "宛名（氏名）",
    "expires_on": "有効期限（和暦）",
    "code": "予約コード",
    "url": "予約ページのアドレス",
    "valid_until": "予約コードの有効期限（和暦）",
    "photo_months": "写真の撮影期限（月数）",
    "photo_size": "写真のサイズ",
    "office_phone": "窓口の電話番号",
    "office_hours": "窓口の受付時間",
    "days_ahead": "何日先まで予約できるか",
}


class LetterTemplate(models.Model):
    """The wording of the advance-notice letter; the supervisor edits it, one row is used."""

    title = models.CharField("表題", max_length=100, default="JR定期券割引の証明書の更新について（お知らせ）")
    greeting = models.TextField(
        "前文",
        default="日頃から市政にご理解とご協力をいただき、ありがとうございます。\n"
        "お持ちのJR定期券割引の証明書は、{expires_on}で有効期限を迎えます。"
        "引き続き割引をご利用になる場合は、更新のお手続きをお願いいたします。",
    )
    message_book = models.TextField(
        "予約のお願い",
        default="ご来庁の前に、必ず予約をしてください。予約は、インターネットまたはお電話でできます。",
    )
    message_no_booking = models.TextField(
        "予約がない場合",
        default="この手続きを担当できる職員が限られているため、予約なしでお越しの場合は、"
        "当日お手続きができないことがあります。",
    )
    message_photo = models.TextField(
        "写真について",
        help_text="写真が必要な種類の証明書のときだけ印刷します。",
        default="ご来庁日の前{photo_months}か月以内に撮影した写真（{photo_size}、正面・上半身・無帽・無背景）が"
        "必要です。撮影から{photo_months}か月を過ぎた写真では、証明書を発行できません。",
    )
    message_in_person = models.TextField(
        "ご本人の来庁", default="定期券を使う方ご本人がお越しください（写真とご本人を確認します）。"
    )
    message_commute = models.TextField(
        "通勤定期券だけ", default="この証明書で割引になるのは、通勤定期券だけです（通学定期券は対象外です）。"
    )
    message_issued_today = models.TextField(
        "当日に交付する場合",
        help_text="証明書の種類の「来庁した日に交付する」がオンのときに印刷します。",
        default="証明書は、お手続きの当日にお渡しします。",
    )
    message_issued_later = models.TextField(
        "後日に交付する場合",
        help_text="証明書の種類の「来庁した日に交付する」がオフのときに印刷します。",
        default="証明書は、お手続きの当日にはお渡しできません。お渡しの日は、窓口でご案内します。",
    )
    booking_text = models.TextField(
        "予約の方法",
        default="スマートフォンのカメラで左のQRコードを読み取るか、上のアドレスを入力してください。"
        "ご来庁日の{days_ahead}日前から予約できます。この予約コードは{valid_until}まで使えます。"
        "ご本人専用のコードですので、ほかの方に教えないでください。",
    )
    phone_text = models.TextField(
        "電話での予約",
        default="インターネットでの予約が難しい方は、お電話でも予約できます。"
        "電話 {office_phone}（{office_hours}）。お電話の際は、上の予約コードをお伝えください。",
    )
    closing = models.TextField("結び", default="このお知らせと行き違いでお手続きがお済みの場合は、ご容赦ください。")
    address_top_mm = models.DecimalField("宛名の位置（上から mm）", max_digits=5, decimal_places=1, default=22)
    address_left_mm = models.DecimalField("宛名の位置（左から mm）", max_digits=5, decimal_places=1, default=25)
    address_width_mm = models.DecimalField("宛名の幅（mm）", max_digits=5, decimal_places=1, default=90)
    address_height_mm = models.DecimalField("宛名の高さ（mm）", max_digits=5, decimal_places=1, default=40)
    updated_at = models.DateTimeField(default=timezone.now, verbose_name="更新日時")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="更新した職員",
    )

    # The texts with {placeholder} slots, and how long each may be: the letter is one A4 page, and a bounded text
    # keeps the preview and the monthly batch bounded in time.
    WORDING_FIELDS = (
        "greeting",
        "message_book",
        "message_no_booking",
        "message_photo",
        "message_in_person",
        "message_commute",
        "message_issued_today",
        "message_issued_later",
        "booking_text",
        "phone_text",
        "closing",
    )
    WORDING_MAX_CHARS = 1000

    class Meta:
        verbose_name = "お知らせの文面"
        verbose_name_plural = "お知らせの文面"

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for name in self.WORDING_FIELDS:
            text = getattr(self, name) or ""
            if len(text) > self.WORDING_MAX_CHARS:
                errors[name] = f"{self.WORDING_MAX_CHARS}文字以内で入力してください（いま{len(text)}文字です）。"
                continue
            bad = wording.problems(text, PLACEHOLDERS)
            if bad:
                errors[name] = (
                    f"使えない差し込みがあります：{'、'.join(bad)}。差し込みは {{name}} のように名前だけを書きます。"
                    "記号の { と } をそのまま書くときは {{ と }} と書いてください。"
                )
        if errors:
            raise ValidationError(errors)

    def fill(self, name: str, values: dict[str, object]) -> str:
        return wording.fill(getattr(self, name), values)


class NoticeBatch(models.Model):
    class Status(models.TextChoices):
        PREPARING = "preparing", "作成中"
        PREPARED = "prepared", "作成済み"
        MAILED = "mailed", "発送済み"

    month = models.DateField("対象月（有効期限の月）")
    # Set when the city prepares one batch per office (settings.NOTICE_BATCH_PER_OFFICE); empty for the whole city.
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, null=True, blank=True, related_name="notice_batches", verbose_name="窓口"
    )
    sequence = models.PositiveSmallIntegerField("追加分の番号", default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREPARING, verbose_name="状態")
    created_at = models.DateTimeField(default=timezone.now, verbose_name="作成日時")
    prepared_at = models.DateTimeField(null=True, blank=True, verbose_name="準備した日時")
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="準備した職員",
    )
    letter_count = models.PositiveIntegerField(default=0, verbose_name="お知らせの数")
    pdf_path = models.CharField(max_length=200, blank=True, verbose_name="PDFの保存先")
    pdf_sha256 = models.CharField(max_length=64, blank=True, verbose_name="PDFのハッシュ")
    pdf_bytes = models.PositiveBigIntegerField(default=0, verbose_name="PDFの大きさ（バイト）")
    render_claimed_at = models.DateTimeField(null=True, blank=True, verbose_name="PDF作成の開始日時")
    pdf_deleted_at = models.DateTimeField("PDFを削除した日時", null=True, blank=True)
    mailed_on = models.DateField(null=True, blank=True, verbose_name="発送日")
    mailed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="発送した職員",
    )
    # The recipients were checked against the benefits system before mailing (see notices/eligibility.py).
    eligibility_checked_at = models.DateTimeField("資格を確認した日時", null=True, blank=True)
    eligibility_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="資格を確認した職員",
    )

    class Meta:
        verbose_name = "お知らせの一括作成"
        verbose_name_plural = "お知らせの一括作成"
        ordering = ["-month", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "sequence"], condition=Q(office__isnull=True), name="batch_unique_month_sequence"
            ),
            models.UniqueConstraint(
                fields=["office", "month", "sequence"],
                condition=Q(office__isnull=False),
                name="batch_unique_office_month_sequence",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["preparing", "prepared", "mailed"]), name="batch_status_known"
            ),
        ]

    def __str__(self) -> str:
        suffix = f" 追加{self.sequence}" if self.sequence else ""
        office = f"{self.office.name} " if self.office is not None else ""
        return f"{office}{self.month:%Y年%-m月}{suffix}"

    @property
    def label(self) -> str:
        return str(self)


class Letter(models.Model):
    class Status(models.TextChoices):
        PREPARED = "prepared", "作成済み"
        MAILED = "mailed", "発送済み"
        RETURNED = "returned", "返送"
        CANCELLED = "cancelled", "取りやめ"
        # Not sent: the household was found no longer eligible when the batch was checked before mailing.
        WITHDRAWN = "withdrawn", "取り下げ（資格の確認）"
        # Not printed: the resident already held a booking for the procedure when the batch was prepared.
        ALREADY_BOOKED = "booked", "予約済みのため送付なし"

    batch = models.ForeignKey(NoticeBatch, on_delete=models.PROTECT, related_name="letters", verbose_name="一括作成")
    # One letter per certificate, ever: however often or concurrently the monthly job runs. The links are emptied
    # only when the letter is anonymised after its retention period (notices.services.letters_anonymise).
    certificate = models.OneToOneField(
        Certificate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notice_letter",
        verbose_name="証明書",
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="notice_letters", verbose_name="市民"
    )
    invitation = models.OneToOneField(
        Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="letter", verbose_name="予約コード"
    )
    # The office whose contact the letter carries and where it invites the resident; kept after retention cuts the
    # invitation, so the outcome report can still be read per office.
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, null=True, blank=True, related_name="notice_letters", verbose_name="窓口"
    )
    postal_code = models.CharField(max_length=8, verbose_name="郵便番号")
    address = models.CharField(max_length=200, verbose_name="住所")
    building = models.CharField(max_length=100, blank=True, verbose_name="方書")
    name = models.CharField(max_length=101, verbose_name="宛名")
    expires_on = models.DateField(verbose_name="有効期限")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREPARED, verbose_name="状態")
    status_reason = models.CharField(max_length=200, blank=True, verbose_name="理由")
    status_changed_at = models.DateTimeField(null=True, blank=True, verbose_name="状態を変えた日時")
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="状態を変えた職員",
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name="作成日時")
    anonymised_at = models.DateTimeField(null=True, blank=True, verbose_name="個人情報を消した日時")
    # What became of the letter, kept when its links to the bookings and certificates are cut (retention), so the
    # outcome report counts the same afterwards. Empty (outcome_kept_at null) while the live links answer.
    outcome_kept_at = models.DateTimeField(null=True, blank=True, verbose_name="結果を記録した日時")
    outcome_booked = models.BooleanField(default=False, verbose_name="予約あり")
    outcome_visited = models.BooleanField(default=False, verbose_name="来庁あり")
    outcome_no_show = models.BooleanField(default=False, verbose_name="来庁なし")
    outcome_issued = models.BooleanField(default=False, verbose_name="交付あり")
    # How the booking that speaks for the letter was made (internet, phone, counter; empty when none or unknown)
    # and whether it used the letter's code, so the channel figures also survive retention.
    outcome_channel = models.CharField(max_length=10, blank=True, verbose_name="予約の受付方法")
    outcome_with_code = models.BooleanField(default=False, verbose_name="予約コードで予約")

    class Meta:
        verbose_name = "お知らせ"
        verbose_name_plural = "お知らせ"
        ordering = ["postal_code", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["prepared", "mailed", "returned", "cancelled", "withdrawn", "booked"]),
                name="letter_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["prepared", "mailed"]) | ~Q(status_reason=""), name="letter_reason_required"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch} #{self.pk}"


class ReadingCorrection(models.Model):
    """A reading the office sets for the letters' furigana, where the dictionary's guess is wrong (方 read かた,
    a place name …). Used by notices/furigana.py for every furigana letter printed after the change."""

    word = models.CharField("語", max_length=30, unique=True, help_text="漢字を含む語（例：使う方）")
    reading = models.CharField("読み", max_length=60, help_text="ひらがなで、語全体の読み（例：つかうかた）")
    updated_at = models.DateTimeField("更新日時", default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="更新した職員",
    )

    class Meta:
        verbose_name = "ふりがなの読みの修正"
        verbose_name_plural = "ふりがなの読みの修正"
        ordering = ["word"]

    def __str__(self) -> str:
        return f"{self.word}（{self.reading}）"


class LetterRetentionRun(models.Model):
    """What the retention job removed, and when: letters of batches past their period, and the batch PDFs."""

    at = models.DateTimeField(default=timezone.now, verbose_name="日時")
    cutoff = models.DateField("この月より前のお知らせ")
    letters = models.PositiveIntegerField("個人情報を消したお知らせの数")
    pdfs = models.PositiveIntegerField("削除したPDFの数")

    class Meta:
        verbose_name = "お知らせの保存期間の処理"
        verbose_name_plural = "お知らせの保存期間の処理"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.letters}"


class BatchEvent(models.Model):
    """What was done to a batch, by whom: preparation, regeneration, mailing."""

    batch = models.ForeignKey(NoticeBatch, on_delete=models.CASCADE, related_name="events", verbose_name="一括作成")
    at = models.DateTimeField(default=timezone.now, verbose_name="日時")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="職員"
    )
    action = models.CharField(max_length=40, verbose_name="操作")
    detail = models.CharField(max_length=200, blank=True, verbose_name="内容")

    class Meta:
        verbose_name = "一括作成の記録"
        verbose_name_plural = "一括作成の記録"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


# --- evidence: complaints and the resident survey -------------------------------------------------------


class ComplaintCategory(models.Model):
    """A kind of complaint or opinion; the supervisor keeps the list. A used category is retired, never deleted."""

    name = models.CharField("区分", max_length=60, unique=True)
    order = models.PositiveSmallIntegerField("表示順", default=0)
    active = models.BooleanField("使用中", default=True)

    class Meta:
        verbose_name = "苦情・意見の区分"
        verbose_name_plural = "苦情・意見の区分"
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class Complaint(models.Model):
    """A complaint or opinion as staff heard it: what it was about, how it came in, when. No personal data."""

    class Channel(models.TextChoices):
        COUNTER = "counter", "窓口"
        PHONE = "phone", "電話"
        MAIL = "mail", "メール・手紙"
        SURVEY = "survey", "アンケート"
        OTHER = "other", "その他"

    category = models.ForeignKey(
        ComplaintCategory, on_delete=models.PROTECT, related_name="complaints", verbose_name="分類"
    )
    channel = models.CharField("受けた方法", max_length=10, choices=Channel.choices, default=Channel.COUNTER)
    received_on = models.DateField("受けた日")
    text = models.TextField("内容", blank=True, max_length=1000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="記録した職員"
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name="記録日時")

    class Meta:
        verbose_name = "苦情・意見"
        verbose_name_plural = "苦情・意見"
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["counter", "phone", "mail", "survey", "other"]), name="complaint_channel_known"
            ),
        ]
        indexes = [models.Index(fields=["received_on"])]

    def __str__(self) -> str:
        return f"{self.received_on} {self.category}"


class SurveyResponse(models.Model):
    """One anonymous answer to the resident survey.

    Nothing here names the resident or the reservation: an answer given through a reservation's link keeps only a
    keyed digest of its token, which is enough to refuse a second answer and not enough to find the booking.
    """

    class Source(models.TextChoices):
        DONE_PAGE = "done", "予約完了・予約確認の画面"
        EMAIL = "email", "来庁後のメール"
        CARD = "card", "窓口のQRカード"

    class HowBooked(models.TextChoices):
        INTERNET = "internet", "インターネット"
        PHONE = "phone", "電話"
        COUNTER = "counter", "窓口"
        NONE = "none", "予約しなかった"

    class LetterHelped(models.TextChoices):
        YES = "yes", "役に立った"
        NO = "no", "役に立たなかった"
        NO_LETTER = "no_letter", "お知らせを受け取っていない・読んでいない"

    class Wait(models.TextChoices):
        UNDER_5 = "under_5", "5分未満"
        FROM_5_TO_15 = "5_15", "5分〜15分"
        FROM_15_TO_30 = "15_30", "15分〜30分"
        OVER_30 = "over_30", "30分以上"
        NOT_YET = "not_yet", "まだ来庁していない"

    submitted_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name="回答日時")
    source = models.CharField(max_length=10, choices=Source.choices, verbose_name="回答の経路")
    token_digest = models.CharField(
        max_length=64, null=True, blank=True, unique=True, verbose_name="回答用リンクのハッシュ"
    )
    how_booked = models.CharField("予約の方法", max_length=10, choices=HowBooked.choices, blank=True)
    letter_helped = models.CharField("お知らせは役に立ったか", max_length=10, choices=LetterHelped.choices, blank=True)
    wait = models.CharField("窓口での待ち時間", max_length=10, choices=Wait.choices, blank=True)
    satisfaction = models.PositiveSmallIntegerField("満足度（1〜5）", null=True, blank=True)
    comment = models.TextField("ご意見", blank=True, max_length=1000)

    class Meta:
        verbose_name = "アンケートの回答"
        verbose_name_plural = "アンケートの回答"
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="survey_satisfaction_range",
            ),
            models.CheckConstraint(condition=Q(source__in=["done", "email", "card"]), name="survey_source_known"),
        ]

    def __str__(self) -> str:
        return f"{self.submitted_at:%Y-%m-%d} {self.get_source_display()}"


class SurveyMail(models.Model):
    """The survey invitation e-mailed after a visit: one per reservation, claimed by inserting this row."""

    reservation = models.OneToOneField(
        Reservation, on_delete=models.CASCADE, related_name="survey_mail", verbose_name="予約"
    )
    sent_at = models.DateTimeField(default=timezone.now, verbose_name="送信日時")

    class Meta:
        verbose_name = "アンケートのお願い（メール）"
        verbose_name_plural = "アンケートのお願い（メール）"

    def __str__(self) -> str:
        return f"{self.reservation_id} {self.sent_at:%Y-%m-%d}"
