"""Two-factor login for staff: a TOTP authenticator app (django-otp), required for supervisors."""

from __future__ import annotations

import base64
from urllib.parse import quote

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.roles import is_verified


class TokenForm(forms.Form):
    token = forms.CharField(
        label="確認コード（6桁）",
        max_length=6,
        min_length=6,
        help_text="認証アプリに表示されている6桁の数字",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "class": "w-8"}),
    )


def _next(request: HttpRequest) -> str:
    target = request.GET.get("next") or request.POST.get("next") or "/staff/day/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return "/staff/day/"
    return target


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    devices = list(TOTPDevice.objects.devices_for_user(request.user, confirmed=True))
    if not devices:
        return redirect(f"{reverse('otp_setup')}?next={quote(_next(request))}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in devices:
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                return redirect(_next(request))
        form.add_error("token", "確認コードが違うか、時間が過ぎています。アプリに表示中のコードを入力してください。")
    return render(request, "registration/otp_verify.html", {"form": form, "next": _next(request)})


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Register an authenticator app: scan the QR code, then prove it works with one code."""
    if TOTPDevice.objects.devices_for_user(request.user, confirmed=True).exists() and not is_verified(request.user):
        return redirect(f"{reverse('otp_verify')}?next={quote(_next(request))}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="認証アプリ", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(_next(request))
        form.add_error("token", "確認コードが違います。アプリに表示中のコードを入力してください。")
    qr = mark_safe(segno.make(device.config_url, error="m").svg_inline(scale=4))  # generated SVG
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request, "registration/otp_setup.html", {"form": form, "qr": qr, "secret": secret, "next": _next(request)}
    )
