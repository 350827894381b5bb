"""Two-factor login for staff: a TOTP authenticator app (django-otp), required for supervisors.

A code is checked with the device row locked (select_for_update; SQLite's IMMEDIATE transactions take the write
lock at BEGIN), so one code posted by several sessions at the same moment is accepted once: django-otp reads the
last used time step, compares and saves, and without the lock every session read the same old step. The session
key changes when the second factor is passed, like at the password login.

Only staff may register an app. A supervisor who has none needs a one-time enrolment link issued by another
supervisor (staff accounts page) or by `manage.py staff_enrolment_link`: otherwise whoever learnt the password
first would bind their own phone to the account.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import segno
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff import form_messages
from staff.events import security_event_record
from staff.models import EnrolmentLink, SecurityEvent
from staff.roles import NOT_STAFF, has_second_factor, is_staff_member, is_supervisor, is_verified

ENROLMENT_SESSION_KEY = "otp_enrolment_link"


class TokenForm(form_messages.Form):
    token = forms.CharField(
        label="確認コード（6桁）",
        max_length=6,
        min_length=6,
        help_text="認証アプリに表示されている6桁の数字",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "class": "w-8"}),
    )


def _next(request: HttpRequest) -> str:
    default = resolve_url(settings.LOGIN_REDIRECT_URL)
    target = request.GET.get("next") or request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return default
    return target


def _with_next(name: str, request: HttpRequest) -> str:
    return f"{reverse(name)}?next={quote(_next(request))}"


def token_verify(device: TOTPDevice, token: str) -> bool:
    """Check a code with the device row locked, so that a code is accepted once however many post it at once."""
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        return locked.verify_token(token)


def _passed(request: HttpRequest, device: TOTPDevice) -> None:
    otp_login(request, device)
    # A new session key for the session that now carries the second factor (as Django does at login).
    request.session.cycle_key()


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    devices = list(TOTPDevice.objects.devices_for_user(request.user, confirmed=True))
    if not devices:
        return redirect(_with_next("otp_setup", request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in devices:
            if token_verify(device, form.cleaned_data["token"]):
                _passed(request, device)
                security_event_record(kind=SecurityEvent.Kind.OTP_PASSED, request=request, user=request.user)
                return redirect(_next(request))
        security_event_record(kind=SecurityEvent.Kind.OTP_FAILED, request=request, user=request.user)
        form.add_error("token", "確認コードが違うか、時間が過ぎています。アプリに表示中のコードを入力してください。")
    return render(request, "registration/otp_verify.html", {"form": form, "next": _next(request)})


# --- enrolment links -------------------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def enrolment_link_issue(*, user: Any, by: Any | None, request: HttpRequest | None = None) -> str:
    """A one-time link for `user` to register an authenticator app; returns its path (shown once, never stored).

    Earlier unused links for the same user stop working. A supervisor cannot issue one for themself."""
    if not is_staff_member(user):
        raise PermissionDenied("職員の役割のないアカウントには発行できません。")
    if by is not None and by.pk == user.pk:
        raise PermissionDenied("自分あての登録用リンクは発行できません。別の係長に依頼してください。")
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        EnrolmentLink.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
        EnrolmentLink.objects.create(
            user=user,
            token_hash=_hash(token),
            created_by=by,
            expires_at=now + timedelta(hours=settings.OTP_ENROLMENT_LINK_HOURS),
        )
        security_event_record(
            kind=SecurityEvent.Kind.ENROLMENT_LINK,
            request=request,
            user=user,
            by=by,
            detail="" if by else "管理コマンドで発行",
        )
    return reverse("otp_enrol", args=[token])


def _usable_link(user: Any, pk: Any, now: datetime) -> EnrolmentLink | None:
    if not isinstance(pk, int):
        return None
    return EnrolmentLink.objects.filter(pk=pk, user=user, used_at__isnull=True, expires_at__gt=now).first()


@login_required
@require_http_methods(["GET"])
def otp_enrol(request: HttpRequest, token: str) -> HttpResponse:
    """Open an enrolment link: it must be unused, unexpired and for the account that is logged in."""
    link = EnrolmentLink.objects.filter(token_hash=_hash(token)).first()
    if link is None or link.user_id != request.user.pk or link.used_at or link.expires_at <= timezone.now():
        return render(request, "registration/otp_enrolment_required.html", {"bad_link": True}, status=404)
    request.session[ENROLMENT_SESSION_KEY] = link.pk
    return redirect(reverse("otp_setup"))


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Register an authenticator app: scan the QR code, then prove it works with one code."""
    user = request.user
    if not is_staff_member(user):
        raise PermissionDenied(NOT_STAFF)
    has_device = has_second_factor(user)
    if has_device and not is_verified(user):
        return redirect(_with_next("otp_verify", request))
    now = timezone.now()
    link = None
    if not has_device and is_supervisor(user):
        link = _usable_link(user, request.session.get(ENROLMENT_SESSION_KEY), now)
        if link is None:
            return render(request, "registration/otp_enrolment_required.html", {"bad_link": False}, status=403)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="認証アプリ", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if token_verify(device, form.cleaned_data["token"]) and (
                link is None or EnrolmentLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now) == 1
            ):
                TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
                device.confirmed = True
                enrolled = True
            else:
                enrolled = False
        if enrolled:
            request.session.pop(ENROLMENT_SESSION_KEY, None)
            _passed(request, device)
            security_event_record(kind=SecurityEvent.Kind.OTP_ENROLLED, request=request, user=user)
            return redirect(_next(request))
        security_event_record(kind=SecurityEvent.Kind.OTP_FAILED, request=request, user=user, detail="登録時")
        form.add_error("token", "確認コードが違います。アプリに表示中のコードを入力してください。")
    qr = mark_safe(segno.make(device.config_url, error="m").svg_inline(scale=4))  # generated SVG
    # Typed by hand when the QR code cannot be read: in groups of four, as authenticator apps show and accept it.
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    secret = " ".join(key[i : i + 4] for i in range(0, len(key), 4))
    return render(
        request, "registration/otp_setup.html", {"form": form, "qr": qr, "secret": secret, "next": _next(request)}
    )
