"""Staff pages for who serves whom: the duty rota, qualifications, the supervisor's list of bookings without a
clerk, "my appointments", serving an appointment with the counter guide, the guide editor and walk-ins."""

from __future__ import annotations

import calendar as pycal
from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from certificates import services as cert_services
from certificates.models import AccessLog
from reservations import booking, calendar, rota, rules, staffing
from reservations import walk_ins as walk_in_services
from reservations.forms import DutyExceptionForm, DutyPatternForm, GuideForm, WalkInForm
from reservations.models import (
    DutyException,
    DutyPattern,
    GuideVersion,
    Office,
    OpeningHours,
    Procedure,
    Qualification,
    Reservation,
    RotaLog,
    Slot,
    UnstaffedBooking,
    WalkIn,
)
from staff.roles import StaffRequest, is_supervisor, staff_required, supervisor_required
from staff.shortcuts import apply_errors

WEEKDAY_LABELS = dict(OpeningHours.WEEKDAYS)


def _staff_members() -> list:
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=["clerk", "supervisor"])
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def _period(request: StaffRequest) -> tuple[str, date, date, date, date]:
    """(span, first, last, previous start, next start) for ?span=week|month&start=YYYY-MM-DD."""
    span = "month" if request.GET.get("span") == "month" else "week"
    try:
        anchor = date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        anchor = timezone.localdate()
    if span == "month":
        first = anchor.replace(day=1)
        last = first.replace(day=pycal.monthrange(first.year, first.month)[1])
        previous = (first - timedelta(days=1)).replace(day=1)
        following = last + timedelta(days=1)
    else:
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=6)
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
    return span, first, last, previous, following


def _fmt(intervals: list[rota.Interval]) -> str:
    return "、".join(f"{s:%-H:%M}–{e:%-H:%M}" for s, e in intervals)


@supervisor_required
@require_http_methods(["GET", "POST"])
def rota_page(request: StaffRequest) -> HttpResponse:
    """The duty rota of a week or a month on one screen: the weekly pattern per clerk and the exceptions."""
    pattern_form = DutyPatternForm(prefix="pattern")
    exception_form = DutyExceptionForm(prefix="exc")
    query = request.GET.urlencode()
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "pattern":
            pattern_form = DutyPatternForm(request.POST, prefix="pattern")
            if pattern_form.is_valid():
                data = pattern_form.cleaned_data
                intervals = [] if data["off"] else [(data["start"], data["end"])]
                try:
                    result = staffing.Restaffed()
                    for weekday in data["weekdays"]:
                        result.add(
                            staffing.duty_pattern_set(
                                user=data["user"], weekday=weekday, intervals=intervals, actor=request.user
                            )
                        )
                except ValidationError as exc:
                    apply_errors(pattern_form, exc)
                else:
                    messages.success(request, f"{staffing.staff_name(data['user'])}さんの毎週の勤務を保存しました。")
                    _report(request, result)
                    return redirect(f"{request.path}?{query}")
        elif action == "exception":
            exception_form = DutyExceptionForm(request.POST, prefix="exc")
            if exception_form.is_valid():
                data = exception_form.cleaned_data
                try:
                    outcome = staffing.duty_exception_add(actor=request.user, **data)
                except ValidationError as exc:
                    apply_errors(exception_form, exc)
                else:
                    return redirect("reservations:duty_exception", pk=outcome.exception.pk)
        elif action == "delete-exception":
            exception = DutyException.objects.filter(pk=request.POST.get("pk") or 0).first()
            if exception is None:
                messages.error(request, "その勤務の例外はすでに削除されています。")
            else:
                result = staffing.duty_exception_remove(exception=exception, actor=request.user)
                messages.success(request, "勤務の例外を削除しました。")
                _report(request, result)
            return redirect(f"{request.path}?{query}")
    span, first, last, previous, following = _period(request)
    members = _staff_members()
    ids = [m.pk for m in members]
    duty = rota.duty_for(start=first, end=last, user_ids=ids)
    open_days = set(calendar.office_days(first, last))
    exceptions: dict[tuple[int, date], list[DutyException]] = {}
    for e in DutyException.objects.filter(day__gte=first, day__lte=last, user_id__in=ids):
        exceptions.setdefault((e.user_id, e.day), []).append(e)
    patterns: dict[int, list[DutyPattern]] = {}
    for p in DutyPattern.objects.filter(user_id__in=ids):
        patterns.setdefault(p.user_id, []).append(p)
    qualifications: dict[int, list[str]] = {}
    several_offices = Office.objects.count() > 1
    for q in (
        Qualification.objects.filter(user_id__in=ids)
        .select_related("procedure__office")
        .order_by("procedure__office_id", "procedure_id")
    ):
        # With several offices the same procedure is named once per office: say which.
        office = q.procedure.office
        name = f"{q.procedure.name}（{office.name}）" if several_offices and office else q.procedure.name
        qualifications.setdefault(q.user_id, []).append(name)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    rows = []
    for member in members:
        cells = []
        for day in days:
            found = exceptions.get((member.pk, day), [])
            cells.append(
                {
                    "day": day,
                    "open": day in open_days,
                    "hours": _fmt(duty.day_intervals(member.pk, day)),
                    "exceptions": found,
                }
            )
        weekly: dict[int, list[rota.Interval]] = {}
        for p in patterns.get(member.pk, []):
            weekly.setdefault(p.weekday, []).append((p.start, p.end))
        rows.append(
            {
                "member": member,
                "name": staffing.staff_name(member),
                "qualified": qualifications.get(member.pk, []),
                "weekly": [(WEEKDAY_LABELS[w], _fmt(sorted(v))) for w, v in sorted(weekly.items())],
                "cells": cells,
            }
        )
    listed = UnstaffedBooking.objects.filter(resolved_at__isnull=True).count()
    context = {
        "span": span,
        "first": first,
        "last": last,
        "previous": previous,
        "following": following,
        "days": days,
        "rows": rows,
        "pattern_form": pattern_form,
        "exception_form": exception_form,
        "period_exceptions": DutyException.objects.filter(day__gte=first, day__lte=last)
        .select_related("user")
        .order_by("day", "start"),
        "listed": listed,
        "staff_name": staffing.staff_name,
    }
    return render(request, "reservations/staff/rota.html", context)


def _report(request: StaffRequest, result: staffing.Restaffed) -> None:
    for sentence in result.moved_sentences():
        messages.info(request, sentence)
    if result.unstaffed:
        messages.warning(request, result.unstaffed_sentence())


@supervisor_required
def duty_exception(request: StaffRequest, pk: int) -> HttpResponse:
    """What an absence did, at once: each booking it touched, moved to a colleague or listed for the supervisor."""
    exception = get_object_or_404(DutyException.objects.select_related("user"), pk=pk)
    entries = (
        RotaLog.objects.filter(cause=exception, action__in=[RotaLog.Action.REASSIGNED, RotaLog.Action.UNSTAFFED])
        .select_related("reservation__slot", "clerk")
        .order_by("at", "id")
    )
    return render(
        request,
        "reservations/staff/duty_exception.html",
        {"exception": exception, "entries": entries, "name": staffing.staff_name(exception.user)},
    )


@supervisor_required
@require_http_methods(["GET", "POST"])
def qualifications(request: StaffRequest) -> HttpResponse:
    procedures = list(Procedure.objects.filter(is_active=True))
    members = _staff_members()
    if request.method == "POST":
        member = next((m for m in members if str(m.pk) == request.POST.get("user")), None)
        if member is None:
            messages.error(request, "職員が見つかりません。")
        else:
            wanted = [int(p) for p in request.POST.getlist("procedure") if p.isdigit()]
            # Procedures not shown here (inactive ones) keep their qualifications.
            hidden = Qualification.objects.filter(user=member).exclude(procedure__in=procedures)
            wanted += [q.procedure_id for q in hidden]
            try:
                result = staffing.qualifications_set(user=member, procedure_ids=wanted, actor=request.user)
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
            else:
                messages.success(request, f"{staffing.staff_name(member)}さんの担当資格を保存しました。")
                _report(request, result)
            return redirect("reservations:qualifications")
    held = set(Qualification.objects.values_list("user_id", "procedure_id"))
    rows = [
        {
            "member": m,
            "name": staffing.staff_name(m),
            "cells": [(p, (m.pk, p.pk) in held) for p in procedures],
        }
        for m in members
    ]
    return render(request, "reservations/staff/qualifications.html", {"procedures": procedures, "rows": rows})


@supervisor_required
@require_http_methods(["GET", "POST"])
def unstaffed(request: StaffRequest) -> HttpResponse:
    """Bookings whose clerk is absent with no colleague free: offer another time by e-mail or by phone."""
    if request.method == "POST":
        item = get_object_or_404(
            UnstaffedBooking.objects.select_related("reservation__slot", "reservation__procedure"),
            pk=request.POST.get("pk") or 0,
        )
        action = request.POST.get("action", "")
        try:
            if action in ("mail", "phone"):
                staffing.unstaffed_offer(unstaffed=item, channel=action, actor=request.user)
                messages.success(
                    request,
                    f"予約 {item.reservation.display_number}: "
                    + (
                        "変更のご案内をメールで送りました。"
                        if action == "mail"
                        else "電話でご案内したことを記録しました。"
                    ),
                )
            elif action == "reassign":
                clerk_id = request.POST.get("clerk", "")
                if not clerk_id.isdigit():
                    raise ValidationError("担当者を選んでください。")
                staffing.reservation_reassign(reservation=item.reservation, clerk_id=int(clerk_id), actor=request.user)
                messages.success(request, f"予約 {item.reservation.display_number} の担当者を変更しました。")
            elif action == "move":
                slot_id = request.POST.get("slot", "")
                if not slot_id.isdigit():
                    raise ValidationError("変更先の時間を選んでください。")
                booking.reservation_change(reservation=item.reservation, new_slot_id=int(slot_id), user=request.user)
                messages.success(request, f"予約 {item.reservation.display_number} の日時を変更しました。")
            else:
                raise ValidationError("操作が正しくありません。")
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        return redirect("reservations:unstaffed")
    now = timezone.now()
    items = list(
        UnstaffedBooking.objects.filter(resolved_at__isnull=True, reservation__status=Reservation.Status.BOOKED)
        .select_related("reservation__slot", "reservation__procedure", "absent_clerk", "offered_by", "cause")
        .order_by("reservation__slot__day", "reservation__slot__start")
    )
    rows = []
    for item in items:
        r = item.reservation
        rows.append(
            {
                "item": item,
                "r": r,
                "can_mail": bool(r.email) and rules.can_change_online(r, now=now),
                "clerks": _free_clerks(r),
                "slots": _other_slots(r, now=now),
            }
        )
    cert_services.access_log_record(
        user=request.user, action=AccessLog.Action.VIEW, detail=f"担当者が不在の予約 {len(rows)}件"
    )
    return render(
        request,
        "reservations/staff/unstaffed.html",
        {
            "rows": rows,
            "call_list": [row for row in rows if not row["can_mail"]],
            "staff_name": staffing.staff_name,
        },
    )


def _free_clerks(reservation: Reservation) -> list:
    slot = reservation.slot
    ids = staffing.clerks_free(procedure_id=reservation.procedure_id, day=slot.day, start=slot.start, end=slot.end)
    return list(get_user_model().objects.filter(pk__in=ids).order_by("last_name", "first_name"))


def _other_slots(reservation: Reservation, *, now: datetime) -> list[Slot]:
    today = timezone.localdate(now)
    slots = Slot.objects.filter(
        procedure=reservation.procedure, day__gte=today, day__lte=today + timedelta(days=21)
    ).order_by("day", "start")
    return [s for s in slots if s.left > 0 and s.starts_at > now and s.pk != reservation.slot_id][:40]


@staff_required
def my_appointments(request: StaffRequest) -> HttpResponse:
    """The bookings this clerk is responsible for, from today on."""
    today = timezone.localdate()
    reservations = list(
        Reservation.objects.filter(clerk=request.user, slot__day__gte=today, slot__day__lte=today + timedelta(days=30))
        .exclude(status=Reservation.Status.CANCELLED)
        .select_related("slot", "procedure", "resident", "certificate")
        .prefetch_related(Prefetch("unstaffed", UnstaffedBooking.objects.filter(resolved_at__isnull=True)))
        .order_by("slot__day", "slot__start")
    )
    days: dict[date, list[Reservation]] = {}
    for r in reservations:
        days.setdefault(r.slot.day, []).append(r)
    cert_services.access_log_record(
        user=request.user, action=AccessLog.Action.VIEW, detail=f"担当の予約 {len(reservations)}件"
    )
    return render(request, "reservations/staff/mine.html", {"days": sorted(days.items()), "today": today})


@staff_required
@require_http_methods(["GET", "POST"])
def serve(request: StaffRequest, pk: int) -> HttpResponse:
    """One appointment with the counter guide beside it; the clerk ticks the steps while serving."""
    reservation = get_object_or_404(
        Reservation.objects.select_related("slot", "procedure__certificate_kind", "clerk", "resident", "certificate"),
        pk=pk,
    )
    guide = staffing.guide_for_reservation(reservation)
    if request.method == "POST":
        posted = request.POST.get("guide", "")
        guide_posted = GuideVersion.objects.filter(pk=posted or 0, procedure=reservation.procedure).first()
        if guide_posted is None:
            messages.error(request, "窓口案内が見つかりません。画面を読み込み直してください。")
        else:
            steps = [int(s) for s in request.POST.getlist("step") if s.isdigit()]
            try:
                count = staffing.guide_ticks_save(
                    reservation=reservation, guide=guide_posted, done_steps=steps, actor=request.user
                )
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
            else:
                messages.success(request, f"確認した項目を記録しました（{count}項目）。")
        return redirect("reservations:serve", pk=reservation.pk)
    lines = staffing.guide_lines(guide, reservation=reservation) if guide else []
    ticked = [line for line in lines if not line.heading]
    context = {
        "r": reservation,
        "guide": guide,
        "lines": lines,
        "done": sum(1 for line in ticked if line.done),
        "total": len(ticked),
        "clerk_name": staffing.staff_name(reservation.clerk),
        "open_unstaffed": reservation.unstaffed.filter(resolved_at__isnull=True).exists(),
        "clerks": _free_clerks(reservation) if is_supervisor(request.user) and reservation.is_active else [],
        "current": staffing.guide_current(reservation.procedure),
    }
    cert_services.access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        resident=reservation.resident,
        detail=f"予約 {reservation.number} の対応",
    )
    return render(request, "reservations/staff/serve.html", context)


@supervisor_required
@require_POST
def reassign(request: StaffRequest, pk: int) -> HttpResponse:
    reservation = get_object_or_404(Reservation, pk=pk)
    clerk_id = request.POST.get("clerk", "")
    if not clerk_id.isdigit():
        messages.error(request, "担当者を選んでください。")
    else:
        try:
            staffing.reservation_reassign(reservation=reservation, clerk_id=int(clerk_id), actor=request.user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, f"予約 {reservation.display_number} の担当者を変更しました。")
    return redirect("reservations:serve", pk=reservation.pk)


@staff_required
def guide_print(request: StaffRequest, pk: int) -> HttpResponse:
    """The current guide of a procedure as a printable checklist."""
    procedure = get_object_or_404(Procedure, pk=pk)
    guide = staffing.guide_current(procedure)
    lines = staffing.guide_lines(guide) if guide else []
    return render(
        request, "reservations/staff/guide_print.html", {"procedure": procedure, "guide": guide, "lines": lines}
    )


@supervisor_required
def guide_index(request: StaffRequest) -> HttpResponse:
    procedure = Procedure.objects.filter(is_active=True).order_by("id").first()
    if procedure is None:
        messages.error(request, "受付中の手続きがありません。")
        return redirect("reservations:day")
    return redirect("reservations:guide_edit", pk=procedure.pk)


@supervisor_required
@require_http_methods(["GET", "POST"])
def guide_edit(request: StaffRequest, pk: int) -> HttpResponse:
    procedure = get_object_or_404(Procedure, pk=pk)
    current = staffing.guide_current(procedure)
    form = GuideForm(request.POST or None, initial={"steps": current.steps if current else ""})
    if request.method == "POST" and form.is_valid():
        try:
            guide = staffing.guide_publish(procedure=procedure, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"窓口案内の第{guide.version}版を公開しました。")
            return redirect("reservations:guide_edit", pk=procedure.pk)
    versions = GuideVersion.objects.filter(procedure=procedure).select_related("published_by").order_by("-version")
    return render(
        request,
        "reservations/staff/guide_edit.html",
        {
            "procedure": procedure,
            "form": form,
            "current": current,
            "versions": versions,
            "procedures": Procedure.objects.filter(is_active=True),
            "staff_name": staffing.staff_name,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def walk_ins_page(request: StaffRequest) -> HttpResponse:
    """Can a walk-in be served now? Then record that they were served or turned away."""
    now = timezone.now()
    form = WalkInForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            walk_in_services.walk_in_record(user=request.user, now=now, **form.cleaned_data)
            served = form.cleaned_data["served"]
            messages.success(
                request, "対応した来庁を記録しました。" if served else "対応できなかった来庁を記録しました。"
            )
            return redirect("reservations:walk_ins")
        messages.error(request, "来庁の記録に失敗しました。手続きを選んでください。")
    statuses = [staffing.walk_in_status(procedure=p, now=now) for p in Procedure.objects.filter(is_active=True)]
    today = timezone.localdate(now)
    recent = WalkIn.objects.filter(day=today).select_related("procedure", "recorded_by")[:20]
    return render(
        request,
        "reservations/staff/walk_ins.html",
        {"statuses": statuses, "form": form, "recent": recent, "now": now, "staff_name": staffing.staff_name},
    )
