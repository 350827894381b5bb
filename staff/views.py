"""Supervisor pages about staff accounts: creating one, switching one off, lifting a login lock-out, resetting the
second factor with an enrolment link, and the security record; and the page where a new member sets a password."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from staff import accounts as account_services
from staff import auth, otp
from staff.events import security_event_record
from staff.form_messages import ClearMessages
from staff.forms import AccountForm
from staff.models import SecurityEvent
from staff.roles import CLERK, SUPERVISOR, StaffRequest, has_second_factor, role_label, supervisor_required
from staff.shortcuts import apply_errors


def _staff_users(*, active: bool = True):
    return (
        get_user_model()
        ._default_manager.filter(is_active=active)
        .filter(Q(groups__name__in=[CLERK, SUPERVISOR]) | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )


def _accounts_page(request: HttpRequest, **extra: object) -> HttpResponse:
    rows = [
        {
            "user": user,
            "role": role_label(user),
            "enrolled": has_second_factor(user),
            "locked_until": auth.account_locked_until(user),
        }
        for user in _staff_users()
    ]
    inactive = [{"user": user, "role": role_label(user)} for user in _staff_users(active=False)]
    return render(request, "staff/accounts.html", {"rows": rows, "inactive": inactive, **extra})


def _no_store(response: HttpResponse) -> HttpResponse:
    # The page shows a one-time link: no copy in the browser's cache or the back button.
    response["Cache-Control"] = "no-store"
    return response


@supervisor_required
def accounts(request: HttpRequest) -> HttpResponse:
    return _accounts_page(request)


@supervisor_required
@require_POST
def account_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(_staff_users(), pk=pk)
    if auth.account_unlock(user=user, by=request.user, request=request):
        messages.success(request, f"{user.username} さんのログインの一時停止を解除しました。")
    else:
        messages.info(request, f"{user.username} さんのログインは一時停止されていません。")
    return redirect("staff:accounts")


@supervisor_required
@require_POST
def enrolment_link(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(_staff_users(), pk=pk)
    try:
        path = otp.enrolment_link_issue(user=user, by=request.user, request=request)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("staff:accounts")
    return _no_store(
        _accounts_page(
            request,
            link=request.build_absolute_uri(path),
            link_user=user,
            link_hours=settings.OTP_ENROLMENT_LINK_HOURS,
        )
    )


@supervisor_required
@require_http_methods(["GET", "POST"])
def account_new(request: StaffRequest) -> HttpResponse:
    """A new staff account: name (family name first), user name, role, and a first password or a set-password
    link for the new member."""
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = account_services.account_create(
                username=data["username"],
                family_name=data["family_name"],
                given_name=data["given_name"],
                role=data["role"],
                password=data["password"],
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            name = f"{created.user.last_name} {created.user.first_name}".strip()
            messages.success(request, f"{name}さんのアカウント（{created.user.username}）を作成しました。")
            return _no_store(
                render(
                    request,
                    "staff/account_created.html",
                    {
                        "member": created.user,
                        "name": name,
                        "link": request.build_absolute_uri(created.link) if created.link else "",
                        "link_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
                    },
                )
            )
    return render(request, "staff/account_new.html", {"form": form})


@supervisor_required
@require_http_methods(["GET", "POST"])
def account_deactivate(request: StaffRequest, pk: int) -> HttpResponse:
    """Switch an account off, after a confirmation that says what happens to the member's bookings."""
    user = get_object_or_404(_staff_users(), pk=pk)
    if request.method == "POST":
        try:
            result = account_services.account_deactivate(user=user, by=request.user, request=request)
        except (PermissionDenied, ValidationError) as exc:
            messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, f"{user.username} さんのアカウントを無効にしました。もうログインできません。")
            for sentence in result.report:
                messages.info(request, sentence)
        return redirect("staff:accounts")
    return render(
        request,
        "staff/account_deactivate.html",
        {"member": user, "name": f"{user.last_name} {user.first_name}".strip() or user.username},
    )


@supervisor_required
@require_POST
def second_factor_reset(request: StaffRequest, pk: int) -> HttpResponse:
    """The member lost or changed their phone: remove the registered app and hand them a new enrolment link."""
    user = get_object_or_404(_staff_users(), pk=pk)
    try:
        path = account_services.second_factor_reset(user=user, by=request.user, request=request)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("staff:accounts")
    messages.success(request, f"{user.username} さんの認証アプリの登録を削除しました。")
    return _no_store(
        _accounts_page(
            request,
            link=request.build_absolute_uri(path),
            link_user=user,
            link_hours=settings.OTP_ENROLMENT_LINK_HOURS,
        )
    )


class _PasswordSetForm(ClearMessages, SetPasswordForm):
    """Django's set-password form with the design system's messages."""


class PasswordSetView(PasswordResetConfirmView):
    """A new member opens the link from the supervisor and chooses their password; the link then stops working."""

    form_class = _PasswordSetForm
    template_name = "registration/password_set.html"
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        security_event_record(
            kind=SecurityEvent.Kind.PASSWORD_SET, request=self.request, user=form.user, detail="設定用リンクから"
        )
        messages.success(self.request, "パスワードを設定しました。ユーザー名と新しいパスワードでログインしてください。")
        return response


@supervisor_required
def security_log(request: HttpRequest) -> HttpResponse:
    events = SecurityEvent.objects.select_related("user", "by").order_by("-at", "-id")
    filters = {key: request.GET.get(key, "").strip()[:150] for key in ("user", "address", "day", "kind")}
    if filters["user"]:
        events = events.filter(user__username__icontains=filters["user"]) | events.filter(
            by__username__icontains=filters["user"]
        )
    if filters["address"]:
        events = events.filter(address__startswith=filters["address"])
    if filters["day"]:
        try:
            events = events.filter(at__date=date.fromisoformat(filters["day"]))
        except ValueError:
            messages.error(request, "日付は YYYY-MM-DD の形で入力してください。")
    if filters["kind"] in SecurityEvent.Kind.values:
        events = events.filter(kind=filters["kind"])
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "staff/security_log.html",
        {"page": page, "kinds": SecurityEvent.Kind.choices, "filters": filters, "query": f"{query}&" if query else ""},
    )
