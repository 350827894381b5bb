"""Staff pages of the reservations app: the day list, booking on behalf, walk-ins and the office calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from certificates import rules as certificate_rules
from certificates import selectors as cert_selectors
from certificates import services as cert_services
from certificates.forms import CertificateIssueForm
from certificates.models import AccessLog, Resident
from reservations import (
    booking,
    calendar,
    day_rows,
    invitations,
    local_cache,
    offices,
    review,
    rules,
    selectors,
    walk_ins,
)
from reservations.forms import (
    AcknowledgementForm,
    CalendarDayForm,
    CapacityOverrideForm,
    OpeningHoursForm,
    ReviewCancelForm,
    StaffBookingForm,
    WalkInForm,
)
from reservations.models import (
    CalendarDay,
    CapacityOverride,
    Invitation,
    Office,
    OpeningHours,
    Procedure,
    Reservation,
    Slot,
    WalkIn,
    display_code,
    normalize_code,
)
from reservations.slots import slots_generate_all
from staff.roles import StaffRequest, staff_required, supervisor_required
from staff.shortcuts import CsvResponse, apply_errors
from staff.templatetags.madoguchi import jdate


@staff_required
def day(request: StaffRequest, day: date | None = None) -> HttpResponse:
    if day is None and request.GET.get("d"):
        try:
            return redirect("reservations:day_date", day=date.fromisoformat(request.GET["d"]))
        except ValueError:
            messages.error(request, "日付は、年-月-日の形で入力してください（例：2026-12-03）。")
    day = day or timezone.localdate()
    office_list = _offices()
    office = _office_filter(request, office_list)
    rows = selectors.day_list_rows(day=day, office=office)
    counts = {status: 0 for status in Reservation.Status.values}
    for _slot, reservations in rows:
        for r in reservations:
            counts[r.status] += 1
    day_walk_ins = list(
        WalkIn.objects.filter(day=day, **({"procedure__office": office} if office else {}))
        .select_related("procedure")
        .order_by("at")
    )
    cert_services.access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        detail=f"予約一覧 {day.isoformat()}" + (f" {office.name}" if office else ""),
    )
    around = calendar.around(day, office=office)
    context = {
        "day": day,
        "rows_html": day_rows.ROWS_HERE,
        "counts": counts,
        "walk_ins": len(day_walk_ins),
        "walk_in_rows": day_walk_ins,
        "previous_day": around.previous_day,
        "next_day": around.next_day,
        "is_office_day": around.is_office_day,
        "closed_reason": around.closed_reason,
        "statuses": Reservation.Status,
        "offices": office_list,
        "office": office,
        "office_counts": selectors.day_counts_by_office(day=day) if len(office_list) > 1 else [],
    }
    response = render(request, "reservations/staff/day.html", context)
    rows_html = day_rows.rows_html(
        rows,
        csrf_token=get_token(request),
        # The whole city's list names each appointment's office.
        show_office=office is None and len(office_list) > 1,
        photo_rule=_photo_rule_for,
    )
    return day_rows.with_rows(response, rows_html)


def _offices() -> list[Office]:
    """The offices, kept for a minute in each process (reservations/local_cache.py)."""
    return local_cache.get_or_set("offices", lambda: list(Office.objects.order_by("id")))


def _office_filter(request: StaffRequest, offices: list[Office]) -> Office | None:
    """The office chosen in ?office=<id>; None (the whole city) when absent or unknown."""
    wanted = request.GET.get("office", "")
    return next((o for o in offices if str(o.pk) == wanted), None)


def _photo_rule_for(slot: Slot | selectors.DaySlot) -> date | None:
    kind = slot.procedure.certificate_kind
    if kind is None or not kind.photo_required:
        return None
    return certificate_rules.earliest_photo_date(slot.day, kind.photo_max_age_months)


@staff_required
def day_csv(request: StaffRequest, day: date) -> HttpResponse:
    slots = selectors.day_list(day=day, office=_office_filter(request, _offices()))
    response = CsvResponse(
        f"reservations-{day.isoformat()}.csv",
        [
            "時間",
            "予約番号",
            "氏名",
            "フリガナ",
            "手続き",
            "窓口",
            "状態",
            "受付方法",
            "電話番号",
            "ケース番号",
            "証明書の有効期限",
            "写真の撮影期限",
            "メモ",
        ],
    )
    count = 0
    for slot in slots:
        photo = _photo_rule_for(slot)
        for r in slot.reservations.all():
            count += 1
            response.writerow(
                [
                    f"{slot.start:%H:%M}",
                    r.display_number,
                    r.full_name,
                    r.full_kana,
                    slot.procedure.name,
                    slot.procedure.office.name if slot.procedure.office else "",
                    r.get_status_display(),
                    r.get_channel_display(),
                    r.phone,
                    r.resident.case_number if r.resident else "",
                    r.certificate.expires_on.isoformat() if r.certificate else "",
                    photo.isoformat() if photo else "",
                    r.notes.replace("\n", " "),
                ]
            )
    cert_services.access_log_record(
        user=request.user, action=AccessLog.Action.EXPORT, detail=f"予約一覧CSV {day.isoformat()} {count}件"
    )
    return response


@staff_required
def reservation_find(request: StaffRequest) -> HttpResponse:
    """A caller gives their reservation number: open the day list at their booking. The number is read the way
    it is shown (ACDE-FG34), with or without the hyphen, in full- or half-width."""
    number = normalize_code(request.GET.get("number", ""))[:10]
    if len(number) != 8:
        messages.error(request, "予約番号は英数字8文字です（例：ACDE-FG34）。")
        return redirect("reservations:day")
    reservation = (
        Reservation.objects.select_related("slot", "resident").filter(number=number, anonymised_at__isnull=True).first()
    )
    cert_services.access_log_record(
        user=request.user,
        action=AccessLog.Action.SEARCH,
        resident=reservation.resident if reservation else None,
        detail=f"予約番号で検索 {display_code(number)}" + ("" if reservation else "（見つからず）"),
    )
    if reservation is None:
        messages.error(
            request, f"予約番号 {display_code(number)} の予約は見つかりませんでした。番号を確かめてください。"
        )
        return redirect("reservations:day")
    messages.info(
        request,
        f"予約 {reservation.display_number} は {jdate(reservation.slot.day)} {reservation.slot.start:%-H:%M} の予約です"
        f"（{reservation.get_status_display()}）。",
    )
    return redirect(f"{reverse('reservations:day_date', args=[reservation.slot.day])}#r-{reservation.pk}")


@staff_required
@require_POST
def reservation_status(request: StaffRequest, pk: int) -> HttpResponse:
    reservation = get_object_or_404(Reservation.objects.select_related("slot"), pk=pk)
    status = request.POST.get("status", "")
    if status not in Reservation.Status.values:
        messages.error(request, "変更先の状態が正しくありません。")
    else:
        try:
            booking.reservation_set_status(
                reservation=reservation, status=status, user=request.user, expected=request.POST.get("expected") or None
            )
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(
                request, f"予約 {reservation.display_number} を「{Reservation.Status(status).label}」にしました。"
            )
    return redirect("reservations:day_date", day=reservation.slot.day)


@staff_required
@require_http_methods(["GET", "POST"])
def reservation_issue(request: StaffRequest, pk: int) -> HttpResponse:
    """Issue (or renew) the certificate from an appointment, with the form pre-filled."""
    reservation = get_object_or_404(
        Reservation.objects.select_related("slot", "procedure__certificate_kind", "resident", "certificate"), pk=pk
    )
    if reservation.issued_certificate is not None:
        messages.info(request, "この予約ではすでに証明書を交付しています。")
        return redirect("certificates:resident_detail", pk=reservation.issued_certificate.resident_id)
    resident = reservation.resident
    if resident is None and request.GET.get("resident", "").isdigit():
        resident = Resident.objects.filter(pk=int(request.GET["resident"])).first()
    if resident is None:
        candidates = cert_selectors.resident_search(reservation.phone)[:10]
        by_kana = cert_selectors.resident_search(f"{reservation.family_name_kana} {reservation.given_name_kana}")[:10]
        found = {r.pk: r for r in list(candidates) + list(by_kana)}
        cert_services.access_log_record(
            user=request.user,
            action=AccessLog.Action.SEARCH,
            detail=f"予約 {reservation.number} の本人確認 {len(found)}件",
        )
        # The page lists each candidate's name and birth date: a view of each of their records.
        for candidate in found.values():
            cert_services.access_log_record(
                user=request.user,
                action=AccessLog.Action.VIEW,
                resident=candidate,
                detail=f"予約 {reservation.number} の本人確認の候補",
            )
        return render(
            request,
            "reservations/staff/choose_resident.html",
            {"reservation": reservation, "candidates": found.values()},
        )
    previous = selectors.previous_certificate(reservation=reservation, resident=resident)
    initial = {
        "kind": reservation.procedure.certificate_kind,
        "issued_on": timezone.localdate(),
        "route_from": previous.route_from if previous else "",
        "route_to": previous.route_to if previous else "",
    }
    previous_photo = cert_selectors.latest_photo_certificate(resident)
    form = CertificateIssueForm(request.POST or None, initial=initial, previous=previous_photo)
    if request.method == "POST" and form.is_valid():
        try:
            certificate = booking.reservation_issue_certificate(
                reservation=reservation,
                resident=resident,
                user=request.user,
                photo_reuse_confirmed=form.photo_reuse_confirmed,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            if _photo_too_old(exc):
                # Counted in the outcome report: a visit refused (or delayed) for an old photo.
                booking.reservation_photo_refused(reservation=reservation)
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                f"証明書 {certificate.number} を交付しました（有効期限 {certificate.expires_on:%Y年%-m月%-d日}）。",
            )
            return redirect("reservations:day_date", day=reservation.slot.day)
    # Shown again after a refused POST too: each showing of the resident's name is a logged view.
    cert_services.access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        resident=resident,
        detail=f"予約 {reservation.number} から交付",
    )
    return render(
        request,
        "certificates/certificate_form.html",
        {
            "form": form,
            "resident": resident,
            "certificate": previous,
            "previous_photo": previous_photo,
            "reservation": reservation,
            "title": "証明書の交付（予約から）",
        },
    )


def _photo_too_old(exc: ValidationError) -> bool:
    """Refused for the photo alone: a form refused for the day too is not a visit turned away for its photo."""
    errors = getattr(exc, "error_dict", {})
    if any(error.code == "other_day" for error in errors.get("issued_on", [])):
        return False
    return any(error.code == "photo_too_old" for error in errors.get("photo_taken_on", []))


@staff_required
@require_POST
def reservation_called(request: StaffRequest, pk: int) -> HttpResponse:
    reservation = get_object_or_404(Reservation.objects.select_related("slot"), pk=pk)
    try:
        booking.reservation_mark_called(reservation=reservation, user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"予約 {reservation.display_number} の方を呼び出しました。")
    return redirect("reservations:day_date", day=reservation.slot.day)


@staff_required
@require_POST
def walk_in_step(request: StaffRequest, pk: int) -> HttpResponse:
    walk_in = get_object_or_404(WalkIn, pk=pk)
    step = request.POST.get("step", "")
    if step not in ("called", "done"):
        messages.error(request, "記録する内容が正しくありません。")
    else:
        try:
            walk_ins.walk_in_mark(walk_in=walk_in, step=step, user=request.user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            label = "呼出" if step == "called" else "完了"
            messages.success(
                request, f"予約なしの来庁（{timezone.localtime(walk_in.at):%H:%M}受付）を「{label}」にしました。"
            )
    return redirect("reservations:day_date", day=walk_in.day)


@dataclass
class _CodeLookup:
    """The letter's booking code a caller read out, and what the staff booking screen makes of it."""

    code: str = ""
    invitation: Invitation | None = None
    error: str = ""


def _code_lookup(request: StaffRequest, code: str, *, today: date) -> _CodeLookup:
    """Find the letter's invitation for a code typed by a clerk; every look-up is in the access log, with the
    resident when one is shown. The messages are for the clerk, who may know more than a resident is told."""
    shown = display_code(code)
    booked_resident = None
    try:
        invitation = invitations.invitation_find(code, today=today)
    except ValidationError as exc:
        found = (
            Invitation.objects.select_related("resident").filter(code=normalize_code(code)).first()
            if exc.code != "unknown"
            else None
        )
        if exc.code == "used" and found is not None:
            used_by = (
                found.reservations.exclude(status=Reservation.Status.CANCELLED)
                .select_related("slot")
                .order_by("-created_at")
                .first()
            )
            where = (
                f"（予約番号 {used_by.display_number}、{jdate(used_by.slot.day)} {used_by.slot.start:%-H:%M}）"
                if used_by
                else ""
            )
            error = (
                f"予約コード {shown} はすでに予約に使われています{where}。"
                "日時を変えるときは、その日の予約一覧で今の予約を取り消してから、もう一度このコードで予約してください。"
            )
        elif exc.code == "expired" and found is not None:
            error = (
                f"予約コード {shown} は有効期限（{jdate(found.valid_until)}）が過ぎています。"
                "コードを使わずに、氏名と電話番号を入力して予約してください。"
            )
        else:
            booked = (
                Reservation.objects.select_related("slot", "resident")
                .filter(number=normalize_code(code), anonymised_at__isnull=True)
                .first()
            )
            if booked is not None:
                # Residents mix up the letter's 予約コード and the 予約番号 they were given after booking.
                booked_resident = booked.resident
                error = (
                    f"{shown} は予約コードではなく、すでにある予約の予約番号です（{jdate(booked.slot.day)} "
                    f"{booked.slot.start:%-H:%M}、{booked.get_status_display()}）。"
                    "日時の変更や取消は、その日の予約一覧で行ってください。"
                )
            else:
                error = (
                    f"予約コード {shown} は見つかりませんでした。お知らせに書かれた8文字を、もう一度確かめてください"
                    "（0・1・2・5・8 と O・I・L・Z・S・B は使っていません）。"
                )
        cert_services.access_log_record(
            user=request.user,
            action=AccessLog.Action.SEARCH,
            resident=found.resident if found is not None else booked_resident,
            detail=f"電話・窓口の予約で予約コードを照会（{exc.code}）",
        )
        return _CodeLookup(code=shown, error=error)
    # Each showing of the resident's name and birth date on this screen is a logged view of their record.
    cert_services.access_log_record(
        user=request.user,
        action=AccessLog.Action.VIEW,
        resident=invitation.resident,
        detail=f"電話・窓口の予約で{invitation}を照会",
    )
    return _CodeLookup(code=shown, invitation=invitation)


def _contact_initial(invitation: Invitation | None) -> dict[str, str]:
    if invitation is None:
        return {}
    resident = invitation.resident
    return {
        "family_name": resident.family_name,
        "given_name": resident.given_name,
        "family_name_kana": resident.family_name_kana,
        "given_name_kana": resident.given_name_kana,
        "phone": resident.phone,
        "email": resident.email,
    }


@staff_required
@require_http_methods(["GET", "POST"])
def staff_book(request: StaffRequest) -> HttpResponse:
    """Book for someone who phones or stands at the counter; with the letter's booking code when they have it,
    so the booking is tied to the resident, the certificate and the letter (and counted for it)."""
    procedures = list(Procedure.objects.filter(is_active=True).select_related("certificate_kind", "office"))
    if not procedures:
        messages.error(request, "予約できる手続きがありません。")
        return redirect("reservations:day")
    today = timezone.localdate()
    lookup = _CodeLookup()
    if request.GET.get("code", "").strip():
        lookup = _code_lookup(request, request.GET["code"][:20], today=today)
    invitation = lookup.invitation
    procedure = next((p for p in procedures if str(p.pk) == request.GET.get("procedure")), None)
    if invitation is not None and (
        procedure is None or procedure.certificate_kind_id != invitation.procedure.certificate_kind_id
    ):
        # The letter names its procedure; another office's counter for the same certificate is fine too.
        procedure = next((p for p in procedures if p.pk == invitation.procedure_id), None) or next(
            (p for p in procedures if p.certificate_kind_id == invitation.procedure.certificate_kind_id), None
        )
    procedure = procedure or procedures[0]
    try:
        chosen_day = date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        chosen_day = calendar.next_office_day(today, office=procedure.office) or today
    now = timezone.now()
    open_slots = [
        s
        for s in selectors.day_slots(procedure=procedure, day=chosen_day)
        if s.left > 0 and rules.staff_can_book(s, now=now)
    ]
    acknowledgements = list(procedure.acknowledgements_to_agree())
    form = StaffBookingForm(request.POST or None, initial=_contact_initial(invitation))
    ack_form = AcknowledgementForm(request.POST or None, acknowledgements=acknowledgements)
    slot_error = ""
    chosen_slot = request.POST.get("slot", "")
    if request.method == "POST":
        forms_ok = form.is_valid() & ack_form.is_valid()
        if not chosen_slot.isdigit():
            slot_error = "時間を選んでください。"
        elif lookup.error:
            # The code stopped working since the screen was shown: nothing is booked until the clerk decides.
            lookup.error += "このまま「予約する」を押すと、コードなしで予約します。"
        elif forms_ok:
            data = dict(form.cleaned_data)
            channel = data.pop("channel")
            notes = data.pop("notes")
            try:
                reservation = booking.reservation_book(
                    procedure=procedure,
                    slot_id=int(chosen_slot),
                    contact=booking.Contact(**data),
                    acknowledged=ack_form.agreed_ids(),
                    channel=channel,
                    invitation_code=invitation.code if invitation else None,
                    user=request.user,
                    notes=notes,
                )
            except ValidationError as exc:
                if getattr(exc, "code", None) == "invitation":
                    # Used or expired between the look-up and this click: say so; the next click books without it.
                    lookup = _CodeLookup(
                        code=lookup.code,
                        error=f"予約コード {lookup.code} は使えなくなりました"
                        "（ほかの予約に使われたか、期限が過ぎました）。このまま「予約する」を押すと、コードなしで予約します。",
                    )
                    invitation = None
                elif hasattr(exc, "error_dict"):
                    apply_errors(form, exc)
                else:
                    slot_error = exc.messages[0]
            else:
                messages.success(
                    request,
                    f"予約しました。予約番号 {reservation.display_number}"
                    f"（{reservation.slot.day:%-m月%-d日} {reservation.slot.start:%-H:%M}）を"
                    "お伝えください。" + ("お知らせの予約コードで予約しました。" if reservation.invitation_id else ""),
                )
                return redirect("reservations:day_date", day=reservation.slot.day)
    query: dict[str, str | int] = {"procedure": procedure.pk, "day": chosen_day.isoformat()}
    if invitation is not None:
        query["code"] = invitation.code
    context = {
        "procedures": procedures,
        "procedure": procedure,
        "day": chosen_day,
        "slots": open_slots,
        "chosen_slot": chosen_slot,
        "form": form,
        "ack_form": ack_form,
        "slot_error": slot_error,
        "lookup": lookup,
        "invitation": invitation,
        # The booking form posts to the screen as shown: this procedure, this day and, while it can be used, the code.
        "form_action": f"{reverse('reservations:staff_book')}?{urlencode(query)}",
        # The walk-in switch: the form says whether this procedure takes residents without a booking, and
        # "served" starts from that answer.
        "walk_in_form": WalkInForm(initial={"procedure": procedure, "served": procedure.walk_ins_accepted}),
        "earliest_photo": certificate_rules.earliest_photo_date(
            chosen_day, procedure.certificate_kind.photo_max_age_months
        )
        if procedure.certificate_kind and procedure.certificate_kind.photo_required
        else None,
    }
    return render(request, "reservations/staff/book.html", context)


@staff_required
@require_POST
def walk_in(request: StaffRequest) -> HttpResponse:
    form = WalkInForm(request.POST)
    if form.is_valid():
        try:
            walk_ins.walk_in_record(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            return redirect("reservations:staff_book")
        messages.success(request, "予約なしの来庁を記録しました。呼び出したら予約一覧の「呼出」を押してください。")
    else:
        messages.error(request, "来庁の記録に失敗しました。手続きを選んでください。")
    return redirect("reservations:day")


@supervisor_required
@require_http_methods(["GET", "POST"])
def calendar_settings(request: StaffRequest) -> HttpResponse:
    forms_by_name = {
        "hours": OpeningHoursForm(prefix="hours"),
        "day": CalendarDayForm(prefix="day"),
        "override": CapacityOverrideForm(prefix="override"),
    }
    if request.method == "POST":
        action = request.POST.get("action", "")
        model_by_action: dict[str, type[OpeningHours | CalendarDay | CapacityOverride]] = {
            "delete-hours": OpeningHours,
            "delete-day": CalendarDay,
            "delete-override": CapacityOverride,
        }
        if action in model_by_action:
            model_by_action[action].objects.filter(pk=request.POST.get("pk") or 0).delete()
            slots_generate_all()
            messages.success(request, "削除し、予約枠を作り直しました。")
            return redirect("reservations:calendar_settings")
        form_class = {"hours": OpeningHoursForm, "day": CalendarDayForm, "override": CapacityOverrideForm}.get(action)
        if form_class is not None:
            form = form_class(request.POST, prefix=action)
            if form.is_valid():
                try:
                    form.save()
                except IntegrityError:
                    form.add_error(None, "同じ内容がすでに登録されています。")
                else:
                    changed = slots_generate_all()
                    messages.success(request, f"保存し、予約枠を作り直しました（{changed}件）。")
                    return redirect("reservations:calendar_settings")
            forms_by_name[action] = form
    today = timezone.localdate()
    context = {
        "forms": forms_by_name,
        "hours": OpeningHours.objects.select_related("procedure__office").order_by("procedure_id", "weekday", "start"),
        "days": CalendarDay.objects.filter(day__gte=today - timedelta(days=7)).select_related("office"),
        "overrides": CapacityOverride.objects.filter(day__gte=today - timedelta(days=7)).select_related(
            "procedure__office"
        ),
    }
    return render(request, "reservations/staff/calendar.html", context)


@supervisor_required
@require_http_methods(["GET", "POST"])
def booking_review(request: StaffRequest) -> HttpResponse:
    """Upcoming web bookings the supervisor should look at: bursts from one client, and phone numbers with more
    bookings than allowed. Chosen ones are cancelled with a reason kept on each."""
    form = ReviewCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancelled = review.reservations_cancel_reviewed(
                reservation_ids=[int(pk) for pk in request.POST.getlist("reservation") if pk.isdigit()],
                reason=form.cleaned_data["reason"],
                user=request.user,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{len(cancelled)}件の予約を取り消しました。")
            return redirect("reservations:booking_review")
    groups = review.review_groups()
    cert_services.access_log_record(
        user=request.user, action=AccessLog.Action.VIEW, detail=f"確認が必要な予約 {len(groups)}組"
    )
    context = {"groups": groups, "form": form, "burst_review": settings.BOOKING_BURST_REVIEW}
    return render(request, "reservations/staff/review.html", context)


@staff_required
@require_POST
def resident_office(request: StaffRequest, pk: int) -> HttpResponse:
    resident = get_object_or_404(Resident, pk=pk)
    office = Office.objects.filter(pk=request.POST.get("office") or 0).first()
    if office is None:
        messages.error(request, "窓口を選んでください。")
    else:
        offices.resident_office_set(resident=resident, office=office, user=request.user)
        messages.success(request, f"担当の窓口を{office.name}にしました。")
    return redirect("certificates:resident_detail", pk=resident.pk)
