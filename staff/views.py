"""Supervisor pages about staff accounts: lifting a login lock-out, enrolment links, the security record."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from staff import auth, otp
from staff.models import SecurityEvent
from staff.roles import CLERK, SUPERVISOR, has_second_factor, role_label, supervisor_required


def _staff_users():
    return (
        get_user_model()
        ._default_manager.filter(is_active=True)
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
    return render(request, "staff/accounts.html", {"rows": rows, **extra})


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
    response = _accounts_page(
        request,
        link=request.build_absolute_uri(path),
        link_user=user,
        link_hours=settings.OTP_ENROLMENT_LINK_HOURS,
    )
    response["Cache-Control"] = "no-store"
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
