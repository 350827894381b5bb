from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from certificates import jp
from staff.names import staff_name


class ResidentCategory(models.Model):
    """Why a household may hold the certificate (生活保護, 児童扶養手当 …): staff-only, never printed or e-mailed."""

    name = models.CharField("名称", max_length=50, unique=True)
    order = models.PositiveSmallIntegerField("表示順", default=0)
    active = models.BooleanField("使用中", default=True)

    class Meta:
        verbose_name = "区分"
        verbose_name_plural = "区分"
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class Resident(models.Model):
    family_name = models.CharField("姓", max_length=50)
    given_name = models.CharField("名", max_length=50)
    family_name_kana = models.CharField("セイ", max_length=50)
    given_name_kana = models.CharField("メイ", max_length=50)
    birth_date = models.DateField("生年月日")
    postal_code = models.CharField("郵便番号", max_length=8)
    address = models.CharField(
        "住所",
        max_length=200,
        help_text="お知らせの宛名は空白の位置でだけ改行します。長い住所は、区切りたい所に空白を入れてください。",
    )
    # The building line (建物名・部屋番号) printed on its own line of the address block.
    address_building = models.CharField("方書", max_length=100, blank=True, help_text="建物名・部屋番号など")
    phone = models.CharField("電話番号", max_length=20)
    # Digits only, so "06-1234-5678" and "０６１２３４５６７８" find the same resident.
    phone_digits = models.CharField(max_length=20, editable=False, db_index=True, verbose_name="電話番号（数字のみ）")
    email = models.EmailField("メールアドレス", blank=True)
    case_number = models.CharField("ケース番号", max_length=20, unique=True)
    letter_opt_out = models.BooleanField("お知らせを送らない", default=False)
    # How the advance-notice letter is printed for this resident (notices/letters.py).
    letter_large_print = models.BooleanField(
        "お知らせを大きな文字で送る", default=False, help_text="本文を16ポイント以上の文字で、2枚で印刷します"
    )
    letter_furigana = models.BooleanField(
        "お知らせにふりがなを付ける", default=False, help_text="漢字にふりがな（ルビ）を付けて、2枚で印刷します"
    )
    # Eligibility: kept for staff only; nothing here is ever printed on a letter or written in an e-mail.
    category = models.ForeignKey(
        ResidentCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="区分"
    )
    eligibility_confirmed_on = models.DateField("資格を最後に確認した日", null=True, blank=True)
    eligibility_ended_on = models.DateField(
        "資格がなくなった日", null=True, blank=True, help_text="記録すると、お知らせは送られません"
    )
    eligibility_end_reason = models.CharField("資格がなくなった理由", max_length=200, blank=True)
    notes = models.TextField("メモ", blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name="登録日時")
    updated_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name="更新日時")

    class Meta:
        verbose_name = "市民"
        verbose_name_plural = "市民"
        ordering = ["family_name_kana", "given_name_kana", "id"]
        indexes = [models.Index(fields=["family_name_kana", "given_name_kana"])]

    def __str__(self) -> str:
        return f"{self.family_name} {self.given_name}"

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}"

    @property
    def full_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}"

    @property
    def birth_date_wareki(self) -> str:
        """The birth date as the counter hears it: 昭和35年(1960年)5月13日."""
        return jp.wareki(self.birth_date) if self.birth_date else ""

    @property
    def is_eligible(self) -> bool:
        return self.eligibility_ended_on is None


class CertificateKind(models.Model):
    name = models.CharField("名称", max_length=100, unique=True)
    short_name = models.CharField(
        "封筒・メールでの表記",
        max_length=60,
        default="JR定期券割引の証明書",
        help_text="福祉・手当に触れない表記",
    )
    validity_months = models.PositiveSmallIntegerField("有効期間（月）")
    photo_required = models.BooleanField("写真が必要", default=True)
    photo_max_age_months = models.PositiveSmallIntegerField("写真の撮影期限（月）", default=6)
    photo_size = models.CharField("写真のサイズ", max_length=40, default="縦4cm×横3cm")
    photo_size_en = models.CharField(
        "写真のサイズ（英語）", max_length=40, default="4 cm high × 3 cm wide", help_text="英語のページとメールに出ます"
    )
    issued_on_the_day = models.BooleanField(
        "来庁した日に交付する",
        default=True,
        help_text="お知らせの文面が変わります（当日お渡しする／後日お渡しする）",
    )
    is_letter_kind = models.BooleanField("お知らせの対象", default=False)
    number_prefix = models.CharField("証明書番号の接頭辞", max_length=4, default="T")

    class Meta:
        verbose_name = "証明書の種類"
        verbose_name_plural = "証明書の種類"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(validity_months__gte=1), name="kind_validity_positive"),
            models.CheckConstraint(condition=Q(photo_max_age_months__gte=1), name="kind_photo_age_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def photo_size_in(self, language: str) -> str:
        """The photo's size in the page's language (English pages and e-mails: 4 cm high × 3 cm wide)."""
        return self.photo_size_en if language == "en" and self.photo_size_en else self.photo_size


class Certificate(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", "有効"
        REVOKED = "revoked", "取消"

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="certificates", verbose_name="市民")
    kind = models.ForeignKey(
        CertificateKind, on_delete=models.PROTECT, related_name="certificates", verbose_name="種類"
    )
    number = models.CharField("証明書番号", max_length=20, unique=True)
    issued_on = models.DateField("交付日")
    expires_on = models.DateField("有効期限", editable=False)
    photo_taken_on = models.DateField("写真の撮影日", null=True, blank=True)
    route_from = models.CharField("区間（から）", max_length=50, blank=True)
    route_to = models.CharField("区間（まで）", max_length=50, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name="交付した職員",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALID, verbose_name="状態")
    revoked_reason = models.CharField("取消の理由", max_length=200, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name="取り消した職員",
    )
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name="取消日時")
    renews = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewed_by",
        verbose_name="更新前の証明書",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name="登録日時")

    class Meta:
        verbose_name = "証明書"
        verbose_name_plural = "証明書"
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["kind", "expires_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(expires_on__gte=models.F("issued_on")), name="cert_expiry_after_issue"),
            models.CheckConstraint(condition=Q(status="valid") | ~Q(revoked_reason=""), name="cert_revoked_has_reason"),
            models.CheckConstraint(condition=Q(status__in=["valid", "revoked"]), name="cert_status_known"),
        ]

    def __str__(self) -> str:
        return f"{self.number}"

    def state_on(self, today: date, soon_days: int) -> str:
        """'revoked', 'expired', 'expiring' (within soon_days) or 'valid'."""
        if self.status == self.Status.REVOKED:
            return "revoked"
        if self.expires_on < today:
            return "expired"
        if (self.expires_on - today).days <= soon_days:
            return "expiring"
        return "valid"


class AccessLog(models.Model):
    """Who saw or changed which resident record, and when."""

    class Action(models.TextChoices):
        VIEW = "view", "閲覧"
        CREATE = "create", "登録"
        UPDATE = "update", "変更"
        ISSUE = "issue", "交付"
        REVOKE = "revoke", "取消"
        SEARCH = "search", "検索"
        EXPORT = "export", "出力"

    at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name="日時")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="職員")
    action = models.CharField(max_length=10, choices=Action.choices, verbose_name="操作")
    resident = models.ForeignKey(
        Resident, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="市民"
    )
    detail = models.CharField(max_length=200, blank=True, verbose_name="内容")

    class Meta:
        verbose_name = "閲覧・変更の記録"
        verbose_name_plural = "閲覧・変更の記録"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {staff_name(self.user)} {self.get_action_display()}"


class RegisterColumn(models.Model):
    """A column heading of an imported register and the field it was mapped to: remembered for the next import."""

    header = models.CharField("見出し", max_length=100, unique=True)
    field = models.CharField("項目", max_length=40, blank=True, help_text="空欄は「取り込まない」")
    updated_at = models.DateTimeField(default=timezone.now, verbose_name="更新日時")

    class Meta:
        verbose_name = "台帳の列の対応"
        verbose_name_plural = "台帳の列の対応"
        ordering = ["header"]

    def __str__(self) -> str:
        return f"{self.header} → {self.field or '—'}"


class RegisterImport(models.Model):
    """One import of a register file: who, when, which file (its digest), the dry run and what was applied."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "読み込み済み"
        CHECKED = "checked", "確認済み（ドライラン）"
        APPLIED = "applied", "反映済み"
        FAILED = "failed", "失敗"

    at = models.DateTimeField("日時", default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="職員"
    )
    actor = models.CharField(
        "実行者", max_length=150, blank=True, help_text="画面の職員、またはコマンドを実行したユーザー"
    )
    filename = models.CharField("ファイル名", max_length=200)
    sha256 = models.CharField("ファイルのダイジェスト（SHA-256）", max_length=64)
    sheet = models.CharField("シート", max_length=100, blank=True)
    # The uploaded file, kept only between the dry run and the apply; emptied once applied.
    content = models.BinaryField(default=b"", editable=False, verbose_name="内容")
    mapping = models.JSONField("列の対応", default=dict)
    accept_computed_expiry = models.BooleanField("有効期限が違う行は計算した日で取り込む", default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED, verbose_name="状態")
    dry_run = models.BooleanField("ドライランのみ", default=False)
    rows = models.PositiveIntegerField("行数", default=0)
    created = models.PositiveIntegerField("新規", default=0)
    updated = models.PositiveIntegerField("更新", default=0)
    unchanged = models.PositiveIntegerField("変更なし", default=0)
    errors = models.PositiveIntegerField("エラー", default=0)
    report = models.JSONField("行ごとの結果", default=list)
    applied_at = models.DateTimeField("反映日時", null=True, blank=True)

    class Meta:
        verbose_name = "台帳の取り込み"
        verbose_name_plural = "台帳の取り込み"
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["uploaded", "checked", "applied", "failed"]), name="register_import_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.filename}"

    @property
    def skipped(self) -> int:
        return self.unchanged + self.errors
