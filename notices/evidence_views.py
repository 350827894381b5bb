"""Staff pages of the evidence: the outcome report (page, CSV of each table, monthly PDF), the complaint log,
the survey's results and its card for the counter."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from notices import evidence, feedback, pdf, report, selectors
from notices.feedback_forms import CategoryForm, ComplaintForm
from notices.models import Complaint, ComplaintCategory
from reservations.models import Office
from staff.roles import StaffRequest, staff_required, supervisor_required
from staff.shortcuts import CsvResponse, apply_errors


def _month(value: str | None) -> date | None:
    try:
        return date.fromisoformat(f"{value}-01") if value else None
    except ValueError:
        return None


def _month_choices(today: date, count: int = 24) -> list[date]:
    months = []
    month = report.month_start(today)
    for _ in range(count):
        months.append(month)
        month = report.month_start(month - timedelta(days=1))
    return months


class UnknownOffice(Exception):
    pass


def _office(request: HttpRequest) -> Office | None:
    """The office asked for with ?office=<id>, None for the whole city; UnknownOffice for anything else."""
    value = request.GET.get("office", "")
    if not value:
        return None
    office = Office.objects.filter(pk=int(value)).first() if value.isdigit() else None
    if office is None:
        raise UnknownOffice(value)
    return office


@supervisor_required
def outcomes(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    requested = request.GET.get("month")
    month = _month(requested)
    if requested and month is None:
        messages.error(request, "月は YYYY-MM の形で指定してください（例：2027-01）。")
        return redirect("notices:outcomes")
    try:
        office = _office(request)
    except UnknownOffice:
        messages.error(request, "指定された窓口が見つかりません。一覧から選んでください。")
        return redirect("notices:outcomes")
    # In the first days of a month there is little to show yet: open on the month just ended.
    month = month or report.month_start(today if today.day >= 10 else today - timedelta(days=10))
    month_report, tables = evidence.month_tables(month, office)
    wanted = request.GET.get("table")
    if wanted:
        table = next((t for t in tables if t.ident == wanted), None)
        if table is None:
            raise Http404("no such table")
        place = f"-office{office.pk}" if office is not None else ""
        response = CsvResponse(f"outcome-{month:%Y-%m}{place}-{table.ident}.csv", table.headers)
        for row in table.rows:
            response.writerow(["" if value is None else value for value in row])
        return response
    context = {
        "month": month,
        "report": month_report,
        "tables": tables,
        "months": _month_choices(today),
        "office": office,
        "offices": Office.objects.order_by("id"),
        "forecast": selectors.forecast(today, office=office),
    }
    return render(request, "notices/outcomes.html", context)


@supervisor_required
def outcomes_pdf(request: HttpRequest, month: str) -> HttpResponse:
    parsed = _month(month)
    if parsed is None:
        raise Http404("bad month")
    try:
        office = _office(request)
    except UnknownOffice as exc:
        raise Http404("no such office") from exc
    month_report, tables = evidence.month_tables(parsed, office)
    by_ident = {t.ident: t for t in tables}
    html = render_to_string(
        "notices/outcome_report_pdf.html",
        {
            "report": month_report,
            "figures": month_report.as_dict(),
            "t": by_ident,
            "made_at": timezone.localtime(),
            "user": request.user,
        },
    )
    response = HttpResponse(pdf.html_to_pdf(html), content_type="application/pdf")
    place = f"-office{office.pk}" if office is not None else ""
    response["Content-Disposition"] = f'inline; filename="outcome-{parsed:%Y-%m}{place}.pdf"'
    return response


# --- complaints and opinions ---------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def complaints(request: StaffRequest) -> HttpResponse:
    """Record a complaint or opinion in a few seconds; see this month's counts and the latest entries."""
    form = ComplaintForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = feedback.complaint_record(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"「{complaint.category}」を記録しました（{complaint.received_on:%-m月%-d日}）。")
            return redirect("notices:complaints")
    today = timezone.localdate()
    month = report.month_start(today)
    context = {
        "form": form,
        "month": month,
        "counts": report.complaints_for_month(month),
        "recent": Complaint.objects.select_related("category", "recorded_by")[:20],
    }
    return render(request, "notices/complaints.html", context)


@supervisor_required
@require_http_methods(["GET", "POST"])
def complaint_categories(request: HttpRequest) -> HttpResponse:
    form = CategoryForm(request.POST if request.POST.get("action") == "add" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add" and form.is_valid():
                category = feedback.complaint_category_add(name=form.cleaned_data["name"])
                messages.success(request, f"区分「{category.name}」を追加しました。")
                return redirect("notices:complaint_categories")
            if action == "update":
                category = get_object_or_404(ComplaintCategory, pk=request.POST.get("pk") or 0)
                order = request.POST.get("order", "")
                feedback.complaint_category_update(
                    category=category,
                    name=request.POST.get("name", ""),
                    order=int(order) if order.isdigit() else category.order,
                    active=request.POST.get("active") == "on",
                )
                messages.success(request, "区分を保存しました。")
                return redirect("notices:complaint_categories")
        except ValidationError as exc:
            if action == "add":
                apply_errors(form, exc)
            else:
                messages.error(request, " ".join(exc.messages))
    categories = ComplaintCategory.objects.annotate(used=Count("complaints"))
    return render(request, "notices/complaint_categories.html", {"form": form, "categories": categories})


# --- the survey: results for the supervisor, the card for the counter ----------------------------------


@supervisor_required
def survey_results(request: HttpRequest) -> HttpResponse:
    month = _month(request.GET.get("month")) or report.month_start(timezone.localdate())
    survey = report.survey_for_month(month)
    tables = evidence.survey_tables(survey, report.month_label(month))
    return render(
        request,
        "notices/survey_results.html",
        {"month": month, "survey": survey, "tables": tables, "months": _month_choices(timezone.localdate())},
    )


@staff_required
def survey_card_print(request: HttpRequest) -> HttpResponse:
    """A card for the counter with the survey's QR code and address, to print and put out."""
    import segno

    url = f"{settings.SITE_URL.rstrip('/')}/survey/"
    qr = segno.make(url, error="m", micro=False).svg_inline(scale=6, border=2, omitsize=False)
    return render(
        request,
        "notices/survey_card.html",
        {"url": url, "qr": mark_safe(qr)},
    )
