"""Staff accounts kept by the supervisor on staff pages: create, switch off, reset the second factor.

Each change is written to the security record with who made it. Switching an account off is one transaction with
what the apps above do about its work (`staff.signals.account_deactivated`: the duty rota gives its bookings to
colleagues or lists them for the supervisor), so nobody can book the clerk in between.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff import otp
from staff.events import security_event_record
from staff.models import EnrolmentLink, SecurityEvent
from staff.roles import CLERK, SUPERVISOR
from staff.signals import account_deactivated

ROLE_LABELS = {CLERK: "窓口職員", SUPERVISOR: "係長"}


def password_link(user: Any) -> str:
    """The path of a one-time link with which `user` sets their own password (Django's reset token: it stops
    working once a password is set, and after PASSWORD_RESET_TIMEOUT)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("password_set", args=[uid, default_token_generator.make_token(user)])


@dataclass
class Created:
    user: Any
    # The set-password link's path when no initial password was given; shown once, never stored.
    link: str = ""


@transaction.atomic
def account_create(
    *,
    username: str,
    family_name: str,
    given_name: str,
    role: str,
    password: str = "",
    by: Any,
    request: Any = None,
) -> Created:
    """A new staff account with one role. Without an initial password it gets a set-password link instead."""
    User = get_user_model()
    username = (username or "").strip()
    errors: dict[str, str] = {}
    if role not in ROLE_LABELS:
        errors["role"] = "役割を選んでください。"
    if not username:
        errors["username"] = "ユーザー名を入力してください。"
    elif User._default_manager.filter(username__iexact=username).exists():
        errors["username"] = "このユーザー名はすでに使われています。別のユーザー名にしてください。"
    if not (family_name or "").strip():
        errors["family_name"] = "姓を入力してください。"
    if errors:
        raise ValidationError(errors)
    user = User(username=username, last_name=family_name.strip(), first_name=(given_name or "").strip())
    user.full_clean(exclude=["password"])
    if password:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get(name=role))
    security_event_record(
        kind=SecurityEvent.Kind.ACCOUNT_CREATED,
        request=request,
        user=user,
        by=by,
        detail=f"{ROLE_LABELS[role]}・{'初期パスワード' if password else 'パスワード設定用リンク'}",
    )
    created = Created(user)
    if not password:
        created.link = password_link(user)
        security_event_record(kind=SecurityEvent.Kind.PASSWORD_LINK, request=request, user=user, by=by)
    return created


@dataclass
class Deactivated:
    user: Any
    # What the apps above did about the account's work, in sentences for the supervisor.
    report: list[str] = field(default_factory=list)


@transaction.atomic
def account_deactivate(*, user: Any, by: Any, request: Any = None, now: datetime | None = None) -> Deactivated:
    """Switch an account off: it can no longer log in (Django refuses inactive accounts, also for sessions already
    open), its unused enrolment links stop working, and its work goes to others at once."""
    now = now or timezone.now()
    if by is not None and by.pk == user.pk:
        raise PermissionDenied("自分のアカウントは無効にできません。別の係長に依頼してください。")
    User = get_user_model()
    # The conditional UPDATE makes two supervisors pressing the button at once switch it off (and log it) once.
    if not User._default_manager.filter(pk=user.pk, is_active=True).update(is_active=False):
        raise ValidationError("このアカウントはすでに無効です。")
    user.is_active = False
    EnrolmentLink.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    security_event_record(kind=SecurityEvent.Kind.DEACTIVATED, request=request, user=user, by=by)
    result = Deactivated(user)
    for _receiver, sentences in account_deactivated.send(sender=User, user=user, by=by, now=now):
        result.report += list(sentences or [])
    return result


@transaction.atomic
def second_factor_reset(*, user: Any, by: Any, request: Any = None) -> str:
    """Remove the account's authenticator apps (a lost or changed phone) and issue a new enrolment link.

    Returns the link's path. Until the link is used, a clerk logs in with the password only and a supervisor
    cannot open supervisor pages."""
    if by is not None and by.pk == user.pk:
        raise PermissionDenied("自分の二段階認証はリセットできません。別の係長に依頼してください。")
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    security_event_record(
        kind=SecurityEvent.Kind.OTP_RESET, request=request, user=user, by=by, detail=f"認証アプリ{removed}件を削除"
    )
    return otp.enrolment_link_issue(user=user, by=by, request=request)
