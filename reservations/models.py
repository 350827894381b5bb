from __future__ import annotations

import secrets
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from certificates.models import Certificate, CertificateKind, Resident
from staff import wording
from staff.names import staff_name

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a number read out over the phone or copied from paper stays unambiguous.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def random_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalize_code(value: str) -> str:
    import unicodedata

    value = unicodedata.normalize("NFKC", value or "").upper()
    return "".join(ch for ch in value if ch.isalnum())


def display_code(value: str) -> str:
    """A code or reservation number in groups of four (ACDE-FG34), the way the look-up forms ask for it."""
    # Stored codes are normalised already; only what a person typed needs the Unicode normalisation.
    code = value if value and value.isascii() and value.isalnum() and value.isupper() else normalize_code(value)
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


class Office(models.Model):
    name = models.CharField("名称", max_length=100)
    department = models.CharField("課名", max_length=100, blank=True)
    postal_code = models.CharField("郵便番号", max_length=8, blank=True)
    address = models.CharField("所在地", max_length=200)
    phone = models.CharField("電話番号", max_length=20)
    # For residents who cannot use the phone (hearing or speech): letters and pages print both next to the phone.
    fax = models.CharField("FAX番号", max_length=20, blank=True)
    email = models.EmailField(
        "問い合わせ用メールアドレス", blank=True, help_text="お知らせ・予約ページ・メールに載せる窓口の連絡先"
    )
    hours_text = models.CharField("受付時間", max_length=200, default="平日 8時45分〜17時15分")
    # The English pages show these; empty, they show the Japanese.
    name_en = models.CharField("名称（英語）", max_length=100, blank=True)
    address_en = models.CharField("所在地（英語）", max_length=200, blank=True)
    hours_text_en = models.CharField(
        "受付時間（英語）", max_length=200, blank=True, help_text="例：Weekdays 8:45–17:15"
    )
    email_sender = models.EmailField("送信元メールアドレス", blank=True)

    class Meta:
        verbose_name = "窓口"
        verbose_name_plural = "窓口"

    def __str__(self) -> str:
        return self.name

    def in_language(self, language: str) -> dict[str, str]:
        """Name, address and hours as the page's language shows them (Japanese where no English is set)."""
        english = language == "en"
        return {
            "name": (english and self.name_en) or self.name,
            "address": (english and self.address_en) or self.address,
            "hours": (english and self.hours_text_en) or self.hours_text,
        }

    @classmethod
    def main(cls) -> Office | None:
        """The first office (本庁): where a resident with no office of their own belongs."""
        return cls.objects.order_by("id").first()


class ResidentOffice(models.Model):
    """The office (本庁, a 支所 …) a resident belongs to: their letter carries its contact and invites them there.

    Kept here beside Office rather than on Resident: certificates knows nothing of the counters. A resident
    without a row belongs to the main office (the first one).
    """

    resident = models.OneToOneField(Resident, on_delete=models.CASCADE, related_name="office_link", verbose_name="市民")
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="resident_links", verbose_name="担当の窓口"
    )
    updated_at = models.DateTimeField(default=timezone.now, verbose_name="更新日時")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="更新した職員",
    )

    class Meta:
        verbose_name = "市民の担当窓口"
        verbose_name_plural = "市民の担当窓口"

    def __str__(self) -> str:
        return f"{self.resident_id} → {self.office}"


class Procedure(models.Model):
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="procedures", verbose_name="窓口")
    name = models.CharField("手続き", max_length=100)
    name_en = models.CharField("手続き（英語）", max_length=100, blank=True)
    slug = models.SlugField(unique=True, verbose_name="URL用の名前")
    description = models.TextField("説明", blank=True)
    duration_minutes = models.PositiveSmallIntegerField("所要時間（分）", default=15)
    places_per_slot = models.PositiveSmallIntegerField(
        "1枠の定員の上限",
        default=2,
        help_text="受付時間や定員の変更で決めた定員も、1枠でこの人数を超えません（担当できる職員の数に合わせます）。",
    )
    days_ahead = models.PositiveSmallIntegerField("何日先まで予約できるか", default=60)
    cutoff_hour = models.PositiveSmallIntegerField("前開庁日の締切時刻（時）", default=17)
    certificate_kind = models.ForeignKey(
        CertificateKind,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="procedures",
        verbose_name="証明書の種類",
    )
    walk_ins_accepted = models.BooleanField(
        "予約なしの来庁を受け付ける",
        default=False,
        help_text="窓口の記録画面と市民向けの案内に表示されます。受け付けない場合は、予約をお願いする案内になります。",
    )
    what_to_bring = models.TextField("持ち物（1行に1つ）", blank=True)
    what_to_bring_en = models.TextField(
        "持ち物（英語、1行に1つ）",
        blank=True,
        help_text="英語のページとメールに出ます。空欄なら日本語の持ち物を出します",
    )
    is_active = models.BooleanField("受付中", default=True)

    class Meta:
        verbose_name = "手続き"
        verbose_name_plural = "手続き"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(cutoff_hour__lte=23), name="procedure_cutoff_hour"),
            models.CheckConstraint(condition=Q(duration_minutes__gte=5), name="procedure_duration_min"),
        ]

    def __str__(self) -> str:
        return self.name

    def acknowledgements_to_agree(self) -> models.QuerySet[Acknowledgement]:
        """The statements a resident reads and ticks for this procedure: the active ones, without the photo rule
        when the procedure's certificate kind needs no photo."""
        acknowledgements = self.acknowledgements.filter(active=True).select_related("procedure__certificate_kind")
        kind = self.certificate_kind
        if kind is not None and not kind.photo_required:
            acknowledgements = acknowledgements.exclude(is_photo_rule=True)
        return acknowledgements

    @property
    def public_name(self) -> str:
        """What a resident or a household member may see outside the booking pages (e-mails, calendar files,
        letters): the certificate kind's short name, which never mentions welfare or the allowance."""
        kind = self.certificate_kind
        return kind.short_name if kind is not None and kind.short_name else self.name

    @property
    def bring_list(self) -> list[str]:
        return [line.strip() for line in self.what_to_bring.splitlines() if line.strip()]

    def bring_list_in(self, language: str) -> list[str]:
        """The checklist in the page's language: the English list when there is one."""
        if language == "en" and self.what_to_bring_en.strip():
            return [line.strip() for line in self.what_to_bring_en.splitlines() if line.strip()]
        return self.bring_list


class Acknowledgement(models.Model):
    """A statement the resident must read and tick before booking; the text and version agreed are kept."""

    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="acknowledgements", verbose_name="手続き"
    )
    text = models.TextField(
        "文言", help_text="{photo_months}（写真の期限の月数）と {photo_size}（写真のサイズ）が使えます"
    )
    text_en = models.TextField("文言（英語）", blank=True)
    version = models.PositiveIntegerField("版", default=1)
    required = models.BooleanField("必須", default=True)
    is_photo_rule = models.BooleanField(
        "写真の規則", default=False, help_text="写真が不要な種類の証明書の手続きでは、この確認事項を表示しません。"
    )
    order = models.PositiveSmallIntegerField(default=0, verbose_name="表示順")
    active = models.BooleanField(default=True, verbose_name="使用中")

    class Meta:
        verbose_name = "確認事項"
        verbose_name_plural = "確認事項"
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.text[:30]} (v{self.version})"

    PLACEHOLDERS = ("photo_months", "photo_size")

    def clean(self) -> None:
        errors = {}
        for name in ("text", "text_en"):
            bad = wording.problems(getattr(self, name), self.PLACEHOLDERS)
            if bad:
                allowed = "、".join(f"{{{n}}}" for n in self.PLACEHOLDERS)
                errors[name] = f"使えない差し込みがあります：{'、'.join(bad)}。使えるのは {allowed} です。"
        if errors:
            raise ValidationError(errors)

    def render(self, language: str = "ja") -> str:
        return self.render_text(self.text, self.text_en, self.procedure.certificate_kind, language)

    @staticmethod
    def render_text(text: str, text_en: str, kind: CertificateKind | None, language: str = "ja") -> str:
        """The statement in `language`, its placeholders filled from the procedure's certificate kind (`render`,
        for a statement read as plain values)."""
        text = text_en if language == "en" and text_en else text
        return wording.fill(
            text,
            {
                "photo_months": kind.photo_max_age_months if kind else 6,
                "photo_size": kind.photo_size_in(language) if kind else "縦4cm×横3cm",
            },
        )


class OpeningHours(models.Model):
    WEEKDAYS = [(0, "月"), (1, "火"), (2, "水"), (3, "木"), (4, "金"), (5, "土"), (6, "日")]

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="hours", verbose_name="手続き")
    weekday = models.PositiveSmallIntegerField("曜日", choices=WEEKDAYS)
    start = models.TimeField("開始")
    end = models.TimeField("終了")
    slot_minutes = models.PositiveSmallIntegerField("1枠の長さ（分）", default=30)
    places = models.PositiveSmallIntegerField("1枠の定員", default=2)

    class Meta:
        verbose_name = "受付時間"
        verbose_name_plural = "受付時間"
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="hours_end_after_start"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="hours_slot_min"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="hours_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class CalendarDay(models.Model):
    """A date the offices are closed although they would be open, or open although they would be closed: at every
    office (office empty) or at one. An office's own row for a day beats the one for every office."""

    class Kind(models.TextChoices):
        CLOSED = "closed", "休業"
        OPEN = "open", "臨時開庁"

    day = models.DateField("日付")
    office = models.ForeignKey(
        Office,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calendar_days",
        verbose_name="窓口",
        help_text="空欄のときは、すべての窓口",
    )
    kind = models.CharField("種別", max_length=10, choices=Kind.choices)
    hours_like = models.PositiveSmallIntegerField(
        "受付時間（この曜日と同じ）",
        choices=OpeningHours.WEEKDAYS,
        default=0,
        help_text="臨時開庁日に使う受付時間の曜日",
    )
    note = models.CharField("メモ", max_length=100, blank=True)

    class Meta:
        verbose_name = "休業日・臨時開庁日"
        verbose_name_plural = "休業日・臨時開庁日"
        ordering = ["day"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["closed", "open"]), name="calday_kind_known"),
            models.UniqueConstraint(
                fields=["day"],
                condition=Q(office__isnull=True),
                name="calday_unique_day_all_offices",
                violation_error_message="この日は、すべての窓口の休業日・臨時開庁日としてすでに登録されています。",
            ),
            models.UniqueConstraint(
                fields=["day", "office"],
                condition=Q(office__isnull=False),
                name="calday_unique_day_per_office",
                violation_error_message="この日は、この窓口の休業日・臨時開庁日としてすでに登録されています。",
            ),
        ]

    def __str__(self) -> str:
        where = self.office.name if self.office_id and self.office else "すべての窓口"
        return f"{self.day} {self.get_kind_display()}（{where}）"


class CapacityOverride(models.Model):
    """Fewer (or more) places on a day, or on one slot of that day, e.g. when fewer qualified clerks work."""

    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="capacity_overrides", verbose_name="手続き"
    )
    day = models.DateField("日付")
    start = models.TimeField("枠の開始（空欄で終日）", null=True, blank=True)
    places = models.PositiveSmallIntegerField("定員")
    note = models.CharField("メモ", max_length=100, blank=True)

    class Meta:
        verbose_name = "定員の変更"
        verbose_name_plural = "定員の変更"
        ordering = ["day", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "day", "start"],
                name="override_unique_slot",
                violation_error_message="この枠の定員の変更はすでに登録されています。",
            ),
            models.UniqueConstraint(
                fields=["procedure", "day"],
                condition=Q(start__isnull=True),
                name="override_unique_day",
                violation_error_message="この日の定員の変更（終日）はすでに登録されています。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.start or '終日'} {self.places}"


class Slot(models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="slots", verbose_name="手続き")
    day = models.DateField(verbose_name="日付")
    start = models.TimeField(verbose_name="開始")
    end = models.TimeField(verbose_name="終了")
    places = models.PositiveSmallIntegerField(verbose_name="定員")
    booked = models.PositiveSmallIntegerField(default=0, verbose_name="予約数")
    # What the rota alone gives: min(cap, qualified clerks on duty). `places` is never below `booked`, so a
    # booking made before an absence keeps its place; when it leaves, `places` falls back to this.
    rota_places = models.PositiveSmallIntegerField(default=0, verbose_name="勤務表による定員")

    class Meta:
        verbose_name = "予約枠"
        verbose_name_plural = "予約枠"
        ordering = ["day", "start"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "day", "start"], name="slot_unique_time"),
            # The last line of defence against overbooking: whatever the code does, the row cannot hold more.
            models.CheckConstraint(condition=Q(booked__gte=0) & Q(booked__lte=F("places")), name="slot_capacity"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.start:%H:%M}"

    @property
    def left(self) -> int:
        return max(self.places - self.booked, 0)

    @property
    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.day, self.start))

    @property
    def ends_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.day, self.end))


class Invitation(models.Model):
    """A one-time booking code from a letter, tied to a resident and the certificate that is about to expire."""

    code = models.CharField(max_length=12, unique=True, verbose_name="コード")
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="invitations", verbose_name="市民")
    certificate = models.ForeignKey(
        Certificate, on_delete=models.CASCADE, related_name="invitations", verbose_name="証明書"
    )
    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="invitations", verbose_name="手続き"
    )
    valid_until = models.DateField(verbose_name="使える期限")
    used_at = models.DateTimeField(null=True, blank=True, verbose_name="使った日時")
    created_at = models.DateTimeField(default=timezone.now, verbose_name="作成日時")

    class Meta:
        verbose_name = "予約コード"
        verbose_name_plural = "予約コード"

    def __str__(self) -> str:
        # Not the code: it starts a booking in the resident's name, and __str__ ends up in admin pages and logs.
        return f"予約コード #{self.pk}"

    @property
    def display_code(self) -> str:
        return display_code(self.code)

    def is_open(self, today: date) -> bool:
        return self.used_at is None and today <= self.valid_until


class Reservation(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "予約"
        ARRIVED = "arrived", "来庁"
        DONE = "done", "完了"
        NO_SHOW = "no_show", "来庁なし"
        CANCELLED = "cancelled", "取消"

    class Need(models.TextChoices):
        """Help at the counter a resident may ask for when booking (合理的配慮)."""

        WHEELCHAIR = "wheelchair", _("車いす")
        WRITING = "writing", _("筆談")
        SIGN_LANGUAGE = "sign", _("手話通訳")
        COMPANION = "companion", _("同行者がいる")

    class Channel(models.TextChoices):
        WEB = "web", "インターネット"
        PHONE = "phone", "電話"
        COUNTER = "counter", "窓口"

    ACTIVE = (Status.BOOKED, Status.ARRIVED)

    number = models.CharField(max_length=10, unique=True, verbose_name="予約番号")
    token = models.CharField(max_length=43, unique=True, verbose_name="管理用リンクの鍵")
    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="reservations", verbose_name="手続き"
    )
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="reservations", verbose_name="予約枠")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED, verbose_name="状態")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB, verbose_name="受付方法")
    family_name = models.CharField("姓", max_length=50)
    given_name = models.CharField("名", max_length=50)
    family_name_kana = models.CharField("セイ", max_length=50)
    given_name_kana = models.CharField("メイ", max_length=50)
    phone = models.CharField("電話番号", max_length=20)
    phone_digits = models.CharField(max_length=20, db_index=True, verbose_name="電話番号（数字のみ）")
    email = models.EmailField("メールアドレス", blank=True)
    pass_user_name = models.CharField("定期券を使う方の氏名", max_length=100, blank=True)
    language = models.CharField(max_length=5, default="ja", verbose_name="言語")
    notes = models.TextField("メモ（職員用）", blank=True)
    # Needs at the counter: shown to staff on the day list, never in e-mails, removed with the other personal data.
    needs = models.JSONField("来庁時の配慮", default=list, blank=True)
    needs_other = models.CharField("来庁時の配慮（その他）", max_length=200, blank=True)
    invitation = models.ForeignKey(
        Invitation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reservations",
        verbose_name="予約コード",
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.SET_NULL, null=True, blank=True, related_name="reservations", verbose_name="市民"
    )
    certificate = models.ForeignKey(
        Certificate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reservations",
        verbose_name="証明書",
    )
    issued_certificate = models.ForeignKey(
        Certificate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="issued_from_reservations",
        verbose_name="交付した証明書",
    )
    # Whether a certificate was issued from this booking, kept when retention cuts issued_certificate, so the outcome
    # report's photo figures (refused, or issued after a new photo) count the same afterwards.
    issued_kept = models.BooleanField("交付した（保存期間の処理で記録）", default=False)
    created_at = models.DateTimeField(default=timezone.now, verbose_name="予約日時")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="予約を受けた職員",
    )
    status_changed_at = models.DateTimeField(null=True, blank=True, verbose_name="状態を変えた日時")
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="状態を変えた職員",
    )
    cancel_reason = models.CharField(max_length=200, blank=True, verbose_name="取消の理由")
    # Which client a web booking came from: a keyed hash of its address (reservations.review.client_key), never
    # the address itself; blank for staff bookings and after retention.
    client_key = models.CharField(max_length=16, blank=True, db_index=True, verbose_name="端末の識別子")
    reminder_sent_at = models.DateTimeField(null=True, blank=True, verbose_name="前日のお知らせメールの送信日時")
    # Set when the confirmation e-mail went out; empty means a job will (re)try it.
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, verbose_name="確認メールの送信日時")
    anonymised_at = models.DateTimeField(null=True, blank=True, verbose_name="個人情報を消した日時")
    # The counter's clock, one click each on the day list: waiting is called - arrived, service is done - called.
    arrived_at = models.DateTimeField("来庁した時刻", null=True, blank=True)
    called_at = models.DateTimeField("呼び出した時刻", null=True, blank=True)
    done_at = models.DateTimeField("終わった時刻", null=True, blank=True)
    # Set when issuance was refused because the photo was too old; an issue later the same visit means "delayed".
    photo_refused_at = models.DateTimeField("写真が古く交付できなかった時刻", null=True, blank=True)
    # 担当者: chosen at booking time among the qualified clerks on duty in the slot.
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_reservations",
        verbose_name="担当者",
    )

    class Meta:
        verbose_name = "予約"
        verbose_name_plural = "予約"
        ordering = ["slot__day", "slot__start", "id"]
        constraints = [
            # One clerk serves one resident at a time: never two active bookings of one clerk in one slot.
            models.UniqueConstraint(
                fields=["slot", "clerk"],
                condition=Q(status__in=["booked", "arrived"]),
                name="reservation_one_per_clerk_and_slot",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["booked", "arrived", "done", "no_show", "cancelled"]),
                name="reservation_status_known",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["web", "phone", "counter"]), name="reservation_channel_known"
            ),
        ]
        indexes = [models.Index(fields=["phone_digits", "procedure", "status"])]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return display_code(self.number)

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}"

    @property
    def full_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def needs_text(self) -> str:
        return self.describe_needs(self.needs, self.needs_other)

    @classmethod
    def describe_needs(cls, needs: list[str], other: str) -> str:
        """The needs at the counter in one line: 車いす、筆談、その他：…"""
        labels = dict(cls.Need.choices)
        parts = [str(labels[code]) for code in needs if code in labels]
        if other:
            parts.append(f"{_('その他')}：{other}")
        return "、".join(parts)

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)


class ReservationAcknowledgement(models.Model):
    reservation = models.ForeignKey(
        Reservation, on_delete=models.CASCADE, related_name="acknowledgements", verbose_name="予約"
    )
    acknowledgement = models.ForeignKey(
        Acknowledgement, on_delete=models.PROTECT, related_name="+", verbose_name="確認事項"
    )
    text = models.TextField(verbose_name="文言")
    version = models.PositiveIntegerField(verbose_name="版")
    agreed_at = models.DateTimeField(verbose_name="同意した日時")
    read_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="読み上げた職員",
    )

    class Meta:
        verbose_name = "予約時の確認事項"
        verbose_name_plural = "予約時の確認事項"
        constraints = [
            models.UniqueConstraint(fields=["reservation", "acknowledgement"], name="ack_once_per_reservation")
        ]

    def __str__(self) -> str:
        return f"{self.reservation_id} v{self.version}"


class WalkIn(models.Model):
    """A visit without a booking, recorded so walk-ins can be counted."""

    class HadLetter(models.TextChoices):
        YES = "yes", "受け取った"
        NO = "no", "受け取っていない"
        UNKNOWN = "unknown", "分からない"

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="walk_ins", verbose_name="手続き")
    day = models.DateField(verbose_name="日付")
    # When the walk-in was recorded, which is when the person arrived at the counter.
    at = models.DateTimeField(default=timezone.now, verbose_name="受付時刻")
    served = models.BooleanField("対応した", default=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="記録した職員"
    )
    note = models.CharField("メモ", max_length=200, blank=True)
    had_letter = models.CharField(
        "お知らせを受け取ったか", max_length=10, choices=HadLetter.choices, default=HadLetter.UNKNOWN
    )
    photo_too_old = models.BooleanField("写真が古かった", default=False)
    called_at = models.DateTimeField("呼び出した時刻", null=True, blank=True)
    done_at = models.DateTimeField("終わった時刻", null=True, blank=True)
    # Who called the walk-in to the counter and serves them: busy from the call until done (reservations.rota.Busy).
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="served_walk_ins",
        verbose_name="対応した職員",
    )

    class Meta:
        verbose_name = "予約なし来庁"
        verbose_name_plural = "予約なし来庁"
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(had_letter__in=["yes", "no", "unknown"]), name="walkin_had_letter_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.procedure}"

    @property
    def arrived_at(self) -> datetime:
        return self.at


class RetentionRun(models.Model):
    """What the retention job removed, and when: the personal data of reservations past their period."""

    at = models.DateTimeField(default=timezone.now, verbose_name="日時")
    cutoff = models.DateField("この日より前の予約")
    anonymised = models.PositiveIntegerField("個人情報を消した予約の数")

    class Meta:
        verbose_name = "保存期間の処理"
        verbose_name_plural = "保存期間の処理"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.anonymised}"


# --- who can serve, and when: qualifications, the duty rota, the counter guide ------------------------------


class Qualification(models.Model):
    """A staff member who can handle a procedure at the counter without fetching a veteran."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qualifications", verbose_name="職員"
    )
    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="qualifications", verbose_name="手続き"
    )
    granted_at = models.DateTimeField(default=timezone.now, verbose_name="付与日時")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="付与した職員",
    )

    class Meta:
        verbose_name = "担当資格"
        verbose_name_plural = "担当資格"
        constraints = [models.UniqueConstraint(fields=["user", "procedure"], name="qualification_once")]

    def __str__(self) -> str:
        return f"{staff_name(self.user)} {self.procedure}"


class DutyPattern(models.Model):
    """The weekly pattern: this clerk is at the counter on this weekday from start to end."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="duty_patterns", verbose_name="職員"
    )
    weekday = models.PositiveSmallIntegerField("曜日", choices=OpeningHours.WEEKDAYS)
    start = models.TimeField("開始")
    end = models.TimeField("終了")

    class Meta:
        verbose_name = "勤務の型（毎週）"
        verbose_name_plural = "勤務の型（毎週）"
        ordering = ["user_id", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="duty_pattern_end_after_start"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="duty_pattern_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{staff_name(self.user)} {self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class DutyException(models.Model):
    """A single day (or hours of it) that differs from the pattern: an absence, or an extra turn at the counter."""

    class Kind(models.TextChoices):
        LEAVE = "leave", "休暇"
        TRAINING = "training", "研修"
        SICK = "sick", "病気休暇"
        OTHER = "other", "その他の不在"
        EXTRA = "extra", "臨時の勤務"

    ABSENCES = (Kind.LEAVE, Kind.TRAINING, Kind.SICK, Kind.OTHER)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="duty_exceptions", verbose_name="職員"
    )
    day = models.DateField("日付")
    start = models.TimeField("開始（空欄で終日）", null=True, blank=True)
    end = models.TimeField("終了（空欄で終日）", null=True, blank=True)
    kind = models.CharField("種別", max_length=10, choices=Kind.choices)
    note = models.CharField("メモ", max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name="登録日時")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="登録した職員",
    )

    class Meta:
        verbose_name = "勤務の例外（休暇・研修など）"
        verbose_name_plural = "勤務の例外（休暇・研修など）"
        ordering = ["day", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(start__isnull=True) & Q(end__isnull=True))
                | (Q(start__isnull=False) & Q(end__isnull=False) & Q(end__gt=F("start"))),
                name="duty_exception_hours",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["leave", "training", "sick", "other", "extra"]), name="duty_exception_kind"
            ),
            # An extra turn is always for given hours.
            models.CheckConstraint(
                condition=~Q(kind="extra") | Q(start__isnull=False), name="duty_exception_extra_has_hours"
            ),
        ]

    def __str__(self) -> str:
        hours = f"{self.start:%H:%M}-{self.end:%H:%M}" if self.start and self.end else "終日"
        return f"{staff_name(self.user)} {self.day} {hours} {self.get_kind_display()}"

    @property
    def is_absence(self) -> bool:
        return self.kind in self.ABSENCES

    @property
    def whole_day(self) -> bool:
        return self.start is None


class UnstaffedBooking(models.Model):
    """A booking whose responsible clerk became absent while no other qualified clerk was free in its slot.

    It stays on the supervisor's list until the resident has another time, another clerk took it, or it was
    cancelled; offering another time (by e-mail with the change link, or by phone) is recorded here."""

    class Channel(models.TextChoices):
        MAIL = "mail", "メール"
        PHONE = "phone", "電話"

    class Resolution(models.TextChoices):
        REASSIGNED = "reassigned", "別の担当者に変更"
        MOVED = "moved", "別の日時に変更"
        CANCELLED = "cancelled", "取消"
        COVERED = "covered", "担当者が勤務に戻った"

    reservation = models.ForeignKey(
        Reservation, on_delete=models.CASCADE, related_name="unstaffed", verbose_name="予約"
    )
    cause = models.ForeignKey(
        DutyException, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="原因"
    )
    absent_clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="不在の担当者",
    )
    found_at = models.DateTimeField(default=timezone.now, verbose_name="見つかった日時")
    offered_at = models.DateTimeField(null=True, blank=True, verbose_name="案内した日時")
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="案内した職員",
    )
    offer_channel = models.CharField(max_length=10, choices=Channel.choices, blank=True, verbose_name="案内の方法")
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name="解消した日時")
    resolution = models.CharField(max_length=12, choices=Resolution.choices, blank=True, verbose_name="解消の方法")

    class Meta:
        verbose_name = "担当者が不在の予約"
        verbose_name_plural = "担当者が不在の予約"
        ordering = ["found_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reservation"], condition=Q(resolved_at__isnull=True), name="unstaffed_open_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reservation_id} {self.found_at:%Y-%m-%d}"


class RotaLog(models.Model):
    """Every step about who serves whom: qualifications, the rota, assignments, absences and their handling."""

    class Action(models.TextChoices):
        QUALIFIED = "qualified", "資格を付与"
        UNQUALIFIED = "unqualified", "資格を取消"
        PATTERN = "pattern", "勤務の型を変更"
        EXCEPTION_ADDED = "exc_added", "勤務の例外を登録"
        EXCEPTION_REMOVED = "exc_removed", "勤務の例外を削除"
        ASSIGNED = "assigned", "担当者を割当"
        REASSIGNED = "reassigned", "担当者を変更"
        UNSTAFFED = "unstaffed", "担当者不在として一覧に追加"
        OFFERED = "offered", "別の日時を案内"
        RESOLVED = "resolved", "担当者不在を解消"
        PLACES = "places", "定員を再計算"
        GUIDE = "guide", "窓口案内を改版"
        DEACTIVATED = "deactivated", "職員を無効化"

    at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name="日時")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作した職員",
    )
    action = models.CharField(max_length=12, choices=Action.choices, verbose_name="操作")
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="担当者",
    )
    reservation = models.ForeignKey(
        Reservation, on_delete=models.SET_NULL, null=True, blank=True, related_name="rota_log", verbose_name="予約"
    )
    # The absence (or extra turn) that led to this step, so its page can show every booking it touched.
    cause = models.ForeignKey(
        "DutyException",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="log_entries",
        verbose_name="原因",
    )
    detail = models.CharField(max_length=300, blank=True, verbose_name="内容")

    class Meta:
        verbose_name = "担当・勤務の記録"
        verbose_name_plural = "担当・勤務の記録"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"


class GuideVersion(models.Model):
    """One version of a procedure's counter guide: the steps a clerk follows, one per line.

    A line starting with "#" is a heading; `{photo_date}` and `{photo_size}` are filled in per appointment."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="guides", verbose_name="手続き")
    version = models.PositiveIntegerField("版")
    steps = models.TextField("手順（1行に1項目、# で始まる行は見出し）")
    note = models.CharField("改版の理由", max_length=200, blank=True)
    published_at = models.DateTimeField(default=timezone.now, verbose_name="改版日時")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="改版した職員",
    )

    class Meta:
        verbose_name = "窓口案内"
        verbose_name_plural = "窓口案内"
        ordering = ["procedure_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["procedure", "version"], name="guide_version_once")]

    def __str__(self) -> str:
        return f"{self.procedure} 第{self.version}版"


class GuideTick(models.Model):
    """A step of the guide the clerk ticked while serving this appointment; all ticks of one booking share a
    version, so the record shows which version was followed."""

    reservation = models.ForeignKey(
        Reservation, on_delete=models.CASCADE, related_name="guide_ticks", verbose_name="予約"
    )
    guide = models.ForeignKey(GuideVersion, on_delete=models.PROTECT, related_name="ticks", verbose_name="窓口案内")
    step = models.PositiveSmallIntegerField(verbose_name="手順の番号")
    done = models.BooleanField(default=True, verbose_name="済み")
    at = models.DateTimeField(default=timezone.now, verbose_name="日時")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="職員")

    class Meta:
        verbose_name = "窓口案内の確認"
        verbose_name_plural = "窓口案内の確認"
        ordering = ["reservation_id", "step"]
        constraints = [models.UniqueConstraint(fields=["reservation", "step"], name="guide_tick_once")]

    def __str__(self) -> str:
        return f"{self.reservation_id} {self.step}"
