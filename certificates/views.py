from __future__ import annotations

from datetime import date
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from certificates import selectors, services
from certificates.forms import (
    CertificateIssueForm,
    CertificateRenewForm,
    CertificateRevokeForm,
    ExpiringMonthForm,
    ResidentForm,
    ResidentSearchForm,
)
from certificates.models import AccessLog, Certificate, CertificateKind, Resident
from staff.names import staff_name
from staff.roles import StaffRequest, staff_required, supervisor_required
from staff.shortcuts import CsvResponse, apply_errors

# The birth date is typed as year, month and day; its error shows on the year.
RESIDENT_FORM_ALIASES = {"birth_date": "birth_year"}


def resident_for_user(request: StaffRequest, pk: int) -> Resident:
    """The resident record, if this user may see it (every staff member may; the view is logged)."""
    return get_object_or_404(Resident, pk=pk)


@staff_required
@require_http_methods(["GET", "POST"])
def resident_search(request: StaffRequest) -> HttpResponse:
    # A POST, so names and phone numbers typed here never end up in URLs, proxies' or servers' access logs.
    form = ResidentSearchForm(request.POST or None)
    results = None
    if request.method == "POST" and form.is_valid() and form.cleaned_data["q"]:
        query = form.cleaned_data["q"]
        results = Paginator(selectors.resident_search(query), 50).get_page(request.POST.get("page"))
        # The query itself may be a name; the log keeps that it was a search, not what was typed.
        services.access_log_record(
            user=request.user, action=AccessLog.Action.SEARCH, detail=f"{results.paginator.count}件"
        )
    return render(request, "certificates/resident_search.html", {"form": form, "results": results})


@staff_required
def resident_detail(request: StaffRequest, pk: int) -> HttpResponse:
    resident = resident_for_user(request, pk)
    services.access_log_record(user=request.user, action=AccessLog.Action.VIEW, resident=resident)
    today = timezone.localdate()
    soon = settings.CERTIFICATE_EXPIRING_SOON_DAYS
    renewed = Certificate.objects.filter(renews=OuterRef("pk"))
    certificates = (
        resident.certificates.select_related("kind", "issued_by", "revoked_by")
        .annotate(is_renewed=Exists(renewed))
        .order_by("-issued_on", "-id")
    )
    rows = [(c, c.state_on(today, soon)) for c in certificates]
    # Other apps add their sections (reservations, letters) through this hook without a reverse import.
    extra: list[dict[str, Any]] = []
    for config in apps.get_app_configs():
        hook = getattr(config, "resident_sections", None)
        if hook:
            extra.extend(hook(resident))
    context = {"resident": resident, "rows": rows, "today": today, "extra": extra}
    return render(request, "certificates/resident_detail.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def resident_create(request: StaffRequest) -> HttpResponse:
    form = ResidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resident = services.resident_register(user=request.user, **form.service_data())
        except ValidationError as exc:
            apply_errors(form, exc, aliases=RESIDENT_FORM_ALIASES)
        else:
            messages.success(request, "市民を登録しました。")
            return redirect("certificates:resident_detail", pk=resident.pk)
    return render(request, "certificates/resident_form.html", {"form": form, "resident": None})


@staff_required
@require_http_methods(["GET", "POST"])
def resident_edit(request: StaffRequest, pk: int) -> HttpResponse:
    resident = resident_for_user(request, pk)
    form = ResidentForm(request.POST or None, instance=resident)
    if request.method == "POST" and form.is_valid():
        try:
            # Re-read so a failed validation does not leave the form's half-applied values on the instance.
            services.resident_update(resident=Resident.objects.get(pk=pk), user=request.user, **form.service_data())
        except ValidationError as exc:
            apply_errors(form, exc, aliases=RESIDENT_FORM_ALIASES)
        else:
            messages.success(request, "登録内容を変更しました。")
            return redirect("certificates:resident_detail", pk=pk)
    else:
        services.access_log_record(
            user=request.user, action=AccessLog.Action.VIEW, resident=resident, detail="変更画面"
        )
    return render(request, "certificates/resident_form.html", {"form": form, "resident": resident})


def _log_view(request: StaffRequest, resident: Resident, detail: str) -> None:
    """A page that shows a resident's name is a view of their record: logged each time it is shown."""
    services.access_log_record(user=request.user, action=AccessLog.Action.VIEW, resident=resident, detail=detail)


@staff_required
@require_http_methods(["GET", "POST"])
def certificate_issue(request: StaffRequest, pk: int) -> HttpResponse:
    resident = resident_for_user(request, pk)
    initial: dict[str, Any] = {
        "issued_on": timezone.localdate(),
        "kind": CertificateKind.objects.filter(is_letter_kind=True).first(),
    }
    for key in ("route_from", "route_to"):
        if request.GET.get(key):
            initial[key] = request.GET[key][:50]
    previous = selectors.latest_photo_certificate(resident)
    form = CertificateIssueForm(request.POST or None, initial=initial, previous=previous)
    if request.method == "POST" and form.is_valid():
        try:
            certificate = services.certificate_issue(
                resident=resident,
                user=request.user,
                photo_reuse_confirmed=form.photo_reuse_confirmed,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            apply_errors(form, exc, aliases=RESIDENT_FORM_ALIASES)
        else:
            messages.success(
                request,
                f"証明書 {certificate.number} を交付しました（有効期限 {certificate.expires_on:%Y年%-m月%-d日}）。",
            )
            return redirect("certificates:resident_detail", pk=resident.pk)
    _log_view(request, resident, "交付画面")
    return render(
        request,
        "certificates/certificate_form.html",
        {"form": form, "resident": resident, "previous_photo": previous, "title": "証明書の交付"},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def certificate_renew(request: StaffRequest, pk: int) -> HttpResponse:
    certificate = get_object_or_404(Certificate.objects.select_related("resident", "kind"), pk=pk)
    previous = selectors.latest_photo_certificate(certificate.resident)
    form = CertificateRenewForm(
        request.POST or None,
        initial={
            "issued_on": timezone.localdate(),
            "route_from": certificate.route_from,
            "route_to": certificate.route_to,
        },
        kind=certificate.kind,
        previous=previous,
    )
    if request.method == "POST" and form.is_valid():
        try:
            new = services.certificate_renew(
                certificate=certificate,
                user=request.user,
                photo_reuse_confirmed=form.photo_reuse_confirmed,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            apply_errors(form, exc, aliases=RESIDENT_FORM_ALIASES)
        else:
            messages.success(
                request, f"証明書 {new.number} を交付しました（有効期限 {new.expires_on:%Y年%-m月%-d日}）。"
            )
            return redirect("certificates:resident_detail", pk=certificate.resident_id)
    _log_view(request, certificate.resident, f"証明書 {certificate.number} 更新画面")
    return render(
        request,
        "certificates/certificate_form.html",
        {
            "form": form,
            "resident": certificate.resident,
            "certificate": certificate,
            "previous_photo": previous,
            "title": f"証明書 {certificate.number} の更新",
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def certificate_revoke(request: StaffRequest, pk: int) -> HttpResponse:
    certificate = get_object_or_404(Certificate.objects.select_related("resident", "kind"), pk=pk)
    form = CertificateRevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.certificate_revoke(certificate=certificate, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc, aliases=RESIDENT_FORM_ALIASES)
        else:
            messages.success(request, f"証明書 {certificate.number} を取り消しました。")
            return redirect("certificates:resident_detail", pk=certificate.resident_id)
    _log_view(request, certificate.resident, f"証明書 {certificate.number} 取消画面")
    return render(
        request,
        "certificates/certificate_revoke.html",
        {"form": form, "resident": certificate.resident, "certificate": certificate},
    )


@staff_required
def certificates_expiring(request: StaffRequest) -> HttpResponse:
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("month", f"{today:%Y-%m}")
    form = ExpiringMonthForm(data)
    rows = []
    if form.is_valid():
        year, month = form.cleaned_data["month"]
        kind = form.cleaned_data.get("kind")
        renewed = Certificate.objects.filter(renews=OuterRef("pk"))
        rows = list(
            selectors.certificates_expiring_in(year, month, kind.pk if kind else None).annotate(
                is_renewed=Exists(renewed)
            )
        )
        services.access_log_record(
            user=request.user, action=AccessLog.Action.SEARCH, detail=f"有効期限 {year}-{month:02d} 一覧 {len(rows)}件"
        )
    return render(request, "certificates/expiring.html", {"form": form, "rows": rows})


@supervisor_required
def access_log(request: StaffRequest) -> HttpResponse:
    logs = AccessLog.objects.select_related("user", "resident").order_by("-at", "-id")
    user_q = request.GET.get("user", "").strip()[:150]
    if user_q:
        logs = logs.filter(user__username__icontains=user_q)
    resident_q = request.GET.get("resident", "").strip()
    if resident_q.isdigit():
        logs = logs.filter(resident_id=int(resident_q))
    day = request.GET.get("day", "")
    try:
        if day:
            logs = logs.filter(at__date=date.fromisoformat(day))
    except ValueError:
        messages.error(request, "日付は、年-月-日の形で入力してください（例：2026-12-03）。")
    action = request.GET.get("action", "")
    if action in AccessLog.Action.values:
        logs = logs.filter(action=action)
    if request.GET.get("format") == "csv":
        response = CsvResponse("access-log.csv", ["日時", "職員", "ユーザー名", "操作", "市民ID", "内容"])
        for log in logs.iterator():
            response.writerow(
                [
                    timezone.localtime(log.at).strftime("%Y-%m-%d %H:%M:%S"),
                    staff_name(log.user),
                    log.user.username,
                    log.get_action_display(),
                    log.resident_id or "",
                    log.detail,
                ]
            )
        services.access_log_record(user=request.user, action=AccessLog.Action.EXPORT, detail="閲覧記録CSV")
        return response
    page = Paginator(logs, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "certificates/access_log.html",
        {"page": page, "actions": AccessLog.Action.choices, "filters": request.GET},
    )
