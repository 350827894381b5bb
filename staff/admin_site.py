"""The Django admin behind the same door as the staff pages.

It has no password form of its own: /admin/login/ sends to the staff login (throttled, recorded), then to the
second factor, which the admin always requires. Entering the admin is recorded in the security record once per
session."""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any
from urllib.parse import quote

from django.contrib.admin.sites import AdminSite
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from staff.events import security_event_record
from staff.models import SecurityEvent
from staff.roles import has_second_factor, is_verified

ADMIN_SESSION_KEY = "admin_entered"


class StaffAdminSite(AdminSite):
    site_header = "Madoguchi 管理サイト"
    site_title = "Madoguchi 管理サイト"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and is_verified(request.user)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        index = reverse("admin:index", current_app=self.name)
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or index
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = index
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url, reverse("login"))
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("管理サイトは、システム管理者の権限のあるアカウントだけが使えます。")
        if not is_verified(user):
            step = "otp_verify" if has_second_factor(user) else "otp_setup"
            return redirect(f"{reverse(step)}?next={quote(next_url)}")
        return redirect(next_url)

    def admin_view(  # type: ignore[override]  # returns a plain view, not the TypeVar the stubs declare
        self, view: Callable[..., HttpResponse], cacheable: bool = False
    ) -> Callable[..., HttpResponse]:
        inner = super().admin_view(view, cacheable)

        def entered(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.session.get(ADMIN_SESSION_KEY) and self.has_permission(request):
                request.session[ADMIN_SESSION_KEY] = True
                security_event_record(kind=SecurityEvent.Kind.ADMIN_LOGIN, request=request, user=request.user)
            return inner(request, *args, **kwargs)

        return update_wrapper(entered, inner)
