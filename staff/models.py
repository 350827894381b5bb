from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from staff.names import staff_name


class Counter(models.Model):
    """A number several processes change at once: a rate-limit window, login failures, a version.

    Changed only by one conditional UPDATE at a time (staff.counters), never read-then-written. A window counter
    starts again once `resets_at` has passed; a counter without `resets_at` (a version number) never resets."""

    key = models.CharField(max_length=100, unique=True, verbose_name="キー")
    count = models.BigIntegerField(default=0, verbose_name="値")
    resets_at = models.DateTimeField(null=True, blank=True, db_index=True, verbose_name="リセットする日時")

    class Meta:
        verbose_name = "カウンター"
        verbose_name_plural = "カウンター"

    def __str__(self) -> str:
        return f"{self.key}={self.count}"


class SecurityEvent(models.Model):
    """Logins, failures, lock-outs and two-factor events: who, from where, when. Never a password or a code."""

    class Kind(models.TextChoices):
        LOGIN = "login", "ログイン"
        LOGIN_FAILED = "login_failed", "ログイン失敗"
        LOCKED = "locked", "ログインの一時停止"
        THROTTLED = "throttled", "停止中のログイン試行"
        UNLOCKED = "unlocked", "一時停止の解除"
        LOGOUT = "logout", "ログアウト"
        OTP_PASSED = "otp_passed", "二段階認証の成功"
        OTP_FAILED = "otp_failed", "確認コードの誤り"
        OTP_ENROLLED = "otp_enrolled", "認証アプリの登録"
        ENROLMENT_LINK = "enrol_link", "登録用リンクの発行"
        ADMIN_LOGIN = "admin_login", "管理サイトへのログイン"
        ACCOUNT_CREATED = "account_created", "アカウントの作成"
        PASSWORD_LINK = "password_link", "パスワード設定用リンクの発行"
        PASSWORD_SET = "password_set", "パスワードの設定"
        DEACTIVATED = "deactivated", "アカウントの無効化"
        OTP_RESET = "otp_reset", "二段階認証のリセット"

    at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name="日時")
    kind = models.CharField("種類", max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="対象"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作した人",
    )
    address = models.CharField("接続元", max_length=45, blank=True)
    detail = models.CharField("内容", max_length=200, blank=True)

    class Meta:
        verbose_name = "セキュリティの記録"
        verbose_name_plural = "セキュリティの記録"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"


class EnrolmentLink(models.Model):
    """A one-time link with which a staff member registers an authenticator app for the first time.

    Only the SHA-256 of the secret in the link is stored, so the table itself lets nobody enrol."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="職員")
    token_hash = models.CharField(max_length=64, unique=True, verbose_name="リンクのハッシュ")
    created_at = models.DateTimeField(default=timezone.now, verbose_name="発行日時")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="発行した人",
    )
    expires_at = models.DateTimeField(verbose_name="有効期限")
    used_at = models.DateTimeField(null=True, blank=True, verbose_name="使った日時")

    class Meta:
        verbose_name = "認証アプリの登録用リンク"
        verbose_name_plural = "認証アプリの登録用リンク"

    def __str__(self) -> str:
        return f"{staff_name(self.user)} {self.created_at:%Y-%m-%d %H:%M}"
