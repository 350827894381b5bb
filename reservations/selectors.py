"""Reads for the booking pages and the day list."""

from __future__ import annotations

import calendar as pycal
import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, QuerySet, TextField
from django.db.models.functions import Cast

from certificates.models import Certificate, CertificateKind, Resident
from reservations import calendar, local_cache, plain_sql, rules
from reservations.models import Acknowledgement, Office, Procedure, Reservation, Slot, UnstaffedBooking, WalkIn


@dataclass
class DayCell:
    day: date
    in_month: bool
    state: str  # "open", "full", "closed", "outside"
    left: int
    reason: str


def _grid(year: int, month: int) -> tuple[date, date]:
    """The Monday before the month's first day and the Sunday after its last: the weeks the calendar shows."""
    first = date(year, month, 1)
    last = date(year, month, pycal.monthrange(year, month)[1])
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


def _places_left_statement(procedure: Procedure, start: date, end: date) -> plain_sql.Statement:
    return (
        "SELECT day, SUM(places) - SUM(booked) FROM reservations_slot"
        " WHERE procedure_id = %s AND day >= %s AND day <= %s GROUP BY day",
        [procedure.pk, start, end],
    )


def _free_days_statement(procedure: Procedure, start: date, end: date) -> plain_sql.Statement:
    return (
        "SELECT DISTINCT day FROM reservations_slot"
        " WHERE procedure_id = %s AND day >= %s AND day <= %s AND booked < places ORDER BY day",
        [procedure.pk, start, end],
    )


def _places_left(rows: list[tuple[Any, ...]]) -> dict[date, int]:
    return {plain_sql.as_date(day): (left or 0) for day, left in rows}


def month_availability(
    *, procedure: Procedure, year: int, month: int, now: datetime, places_left: dict[date, int] | None = None
) -> list[list[DayCell]]:
    """Weeks (Monday first) of the month with each day's state; a fixed number of queries. `places_left`: the
    places left on each day of the month's weeks, when the caller has read them (`opening_month`)."""
    grid_start, grid_end = _grid(year, month)
    states = rules.day_states(procedure=procedure, start=grid_start, end=grid_end, now=now)
    exceptions = calendar.exceptions(grid_start, grid_end, procedure.office)
    totals = (
        places_left
        if places_left is not None
        else _places_left(plain_sql.fetch(*_places_left_statement(procedure, grid_start, grid_end)))
    )
    weeks: list[list[DayCell]] = []
    day = grid_start
    while day <= grid_end:
        week = []
        for _ in range(7):
            left = totals.get(day, 0)
            if states[day] == rules.CLOSED:
                state, reason = "closed", calendar.closed_reason(day, exceptions.get(day))
            elif states[day] == rules.OUTSIDE:
                state, reason = "outside", ""
            else:
                state, reason = ("open" if left > 0 else "full"), ""
            week.append(DayCell(day, day.month == month, state, max(left, 0), reason))
            day += timedelta(days=1)
        weeks.append(week)
    return weeks


def _first_bookable(procedure: Procedure, days: list[date], now: datetime) -> date | None:
    if not days:
        return None
    states = rules.day_states(procedure=procedure, start=days[0], end=days[-1], now=now)
    return next((day for day in days if states[day] == rules.BOOKABLE), None)


def opening_month(*, procedure: Procedure, now: datetime) -> tuple[tuple[int, int], dict[date, int]]:
    """The month the calendar opens on, that of the first day a resident can book online now with a place still
    free (or of the booking window's first day when there is none), and the places left on each day of its weeks.
    Both are read in one round trip: the days with a free place, and the places left on every day of the weeks of
    the months the booking window touches."""
    first, last = rules.bookable_range(procedure=procedure, now=now)
    free, left = plain_sql.run_together(
        [
            _free_days_statement(procedure, first, last),
            _places_left_statement(procedure, _grid(first.year, first.month)[0], _grid(last.year, last.month)[1]),
        ]
    )
    opens = _first_bookable(procedure, [plain_sql.as_date(day) for (day,) in free], now) or first
    return (opens.year, opens.month), _places_left(left)


SLOT_FIELDS = ("id", "procedure", "day", "start", "end", "places", "booked", "rota_places")


def acknowledgements_to_agree(procedure: Procedure) -> list[Acknowledgement]:
    """What Procedure.acknowledgements_to_agree() gives (the active statements, without the photo rule when the
    certificate kind needs no photo), in its order: read on three pages of every booking. One plain query, with
    the certificate kind whose photo rule fills the statements in, read from the database as the booking reads it
    (booking._statements_to_agree), so the text a resident ticks is the text the booking records."""
    rows = plain_sql.fetch(
        "SELECT a.id, a.text, a.text_en, a.version, a.required, a.is_photo_rule, a.active,"
        " k.id, k.photo_required, k.photo_max_age_months, k.photo_size, k.photo_size_en"
        " FROM reservations_acknowledgement a"
        " JOIN reservations_procedure p ON p.id = a.procedure_id"
        " LEFT JOIN certificates_certificatekind k ON k.id = p.certificate_kind_id"
        f" WHERE a.procedure_id = %s AND a.active = %s ORDER BY a.{connection.ops.quote_name('order')}, a.id",
        [procedure.pk, True],
    )
    found = []
    # The procedure as these statements see it: only its certificate kind is read (Acknowledgement.render).
    seen_by = Procedure(pk=procedure.pk)
    kind = None
    for pk, text, text_en, version, required, is_photo_rule, active, *kind_columns in rows:
        kind_id, photo_required, months, size, size_en = kind_columns
        if kind is None and kind_id is not None:
            kind = CertificateKind(
                pk=kind_id,
                photo_required=bool(photo_required),
                photo_max_age_months=months,
                photo_size=size,
                photo_size_en=size_en,
            )
        seen_by.certificate_kind = kind
        if is_photo_rule and kind is not None and not kind.photo_required:
            continue
        found.append(
            Acknowledgement(
                pk=pk,
                procedure=seen_by,
                text=text,
                text_en=text_en,
                version=version,
                required=bool(required),
                is_photo_rule=bool(is_photo_rule),
                active=bool(active),
            )
        )
    return found


def day_slots(*, procedure: Procedure, day: date) -> list[Slot]:
    """The procedure's slots on the day, by time, each with `procedure` set to the one given."""
    found = plain_sql.rows(Slot, SLOT_FIELDS, "procedure_id = %s AND day = %s", [procedure.pk, day], "start")
    for slot in found:
        slot.procedure = procedure
    return found


def day_slot(*, procedure: Procedure, day: date, slot_id: int) -> Slot | None:
    """One of the procedure's slots on the day, or None."""
    found = plain_sql.rows(
        Slot, SLOT_FIELDS, "id = %s AND procedure_id = %s AND day = %s", [slot_id, procedure.pk, day], "id"
    )
    if not found:
        return None
    found[0].procedure = procedure
    return found[0]


def day_list(*, day: date, office: Office | None = None) -> list[Slot]:
    """Every slot of the day (at one office, or the whole city) with its reservations and their responsible clerk
    (and whether that clerk is absent with nobody to take over): three queries."""
    absent = UnstaffedBooking.objects.filter(reservation=OuterRef("pk"), resolved_at__isnull=True)
    reservations = (
        # Only what the list shows: the letter is named by its id, the procedure is the slot's.
        Reservation.objects.select_related("resident", "certificate", "issued_certificate", "clerk")
        .annotate(open_unstaffed=Exists(absent))
        .order_by("created_at", "id")
    )
    return list(
        Slot.objects.filter(day=day, **({"procedure__office": office} if office else {}))
        .select_related("procedure__certificate_kind", "procedure__office")
        .prefetch_related(Prefetch("reservations", queryset=reservations))
        .order_by("start", "procedure_id")
    )


# What one row of the day list shows of an appointment, read as plain values rather than model instances: on a
# busy day (two hundred appointments) building five model instances a row (the reservation, its resident, its two
# certificates, its clerk) cost more than the rest of the page.
DAY_ROW_FIELDS = (
    "id",
    "slot_id",
    "number",
    "status",
    "channel",
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "pass_user_name",
    "needs_other",
    "notes",
    "arrived_at",
    "called_at",
    "done_at",
    "invitation_id",
    "resident_id",
    "certificate_id",
    "issued_certificate_id",
    "clerk_id",
)
DAY_ROW_RELATED = {
    "clerk_last_name": F("clerk__last_name"),
    "clerk_first_name": F("clerk__first_name"),
    "case_number": F("resident__case_number"),
    "certificate_expires_on": F("certificate__expires_on"),
    "issued_number": F("issued_certificate__number"),
    # As the JSON text: decoding two hundred empty lists was a third of reading the rows; the few with needs
    # are decoded where they are shown.
    "needs_json": Cast("needs", TextField()),
}


class DaySlot(NamedTuple):
    """A slot of the day list, with its procedure (its certificate kind and office) as the process keeps it."""

    id: int
    day: date
    start: time
    booked: int
    places: int
    procedure: Procedure


def _procedures() -> dict[int, Procedure]:
    """Every procedure with its certificate kind and office, kept for a minute in each process
    (reservations/local_cache.py; saving one empties this process's copy at once)."""
    return local_cache.get_or_set(
        "day-list-procedures",
        lambda: {p.pk: p for p in Procedure.objects.select_related("certificate_kind", "office")},
    )


@functools.cache
def _day_rows() -> QuerySet[Reservation, Any]:
    """The read of the day list's appointments, composed once per process: each page filters a copy of it
    (composing it anew took a third of the time of the read)."""
    absent = UnstaffedBooking.objects.filter(reservation=OuterRef("pk"), resolved_at__isnull=True)
    return (
        Reservation.objects.annotate(**DAY_ROW_RELATED, open_unstaffed=Exists(absent))
        .order_by("created_at", "id")
        .values_list(*DAY_ROW_FIELDS, *DAY_ROW_RELATED, "open_unstaffed", named=True)
    )


def day_list_rows(*, day: date, office: Office | None = None) -> list[tuple[DaySlot, list[Any]]]:
    """The day list's rows: every slot of the day (at one office, or the whole city) in order, each with its
    appointments in booking order as named tuples of DAY_ROW_FIELDS, the DAY_ROW_RELATED names (None where
    nothing is linked; `needs_json` is the needs as JSON text) and `open_unstaffed` (the responsible clerk is
    absent with nobody to take over). Two queries, whatever the number of appointments."""
    slots = list(
        Slot.objects.filter(day=day, **({"procedure__office": office} if office else {}))
        .order_by("start", "procedure_id")
        .values_list("id", "procedure_id", "start", "booked", "places")
    )
    if not slots:
        return []
    procedures = _procedures()
    if any(procedure_id not in procedures for _, procedure_id, *_ in slots):
        # A procedure added in another process within the minute.
        local_cache.clear()
        procedures = _procedures()
    by_slot: dict[int, list[Any]] = {slot_id: [] for slot_id, *_ in slots}
    for row in _day_rows().filter(slot_id__in=list(by_slot)):
        by_slot[row.slot_id].append(row)
    return [
        (DaySlot(slot_id, day, start, booked, places, procedures[procedure_id]), by_slot[slot_id])
        for slot_id, procedure_id, start, booked, places in slots
    ]


def previous_certificate(*, reservation: Reservation, resident: Resident) -> Certificate | None:
    """The certificate an appointment renews: the one its letter was about, else the resident's latest valid,
    not yet renewed certificate of the procedure's kind."""
    if reservation.certificate_id:
        return reservation.certificate
    kind = reservation.procedure.certificate_kind
    if kind is None:
        return None
    return (
        Certificate.objects.filter(
            resident=resident, kind=kind, status=Certificate.Status.VALID, renewed_by__isnull=True
        )
        .order_by("-expires_on")
        .first()
    )


def day_counts_by_office(*, day: date) -> list[tuple[str, int, int]]:
    """(office name, active bookings, walk-ins) for each office on `day`, then the city total."""
    bookings = dict(
        Reservation.objects.filter(slot__day=day, status__in=Reservation.ACTIVE + (Reservation.Status.DONE,))
        .values_list("procedure__office")
        .annotate(n=Count("id"))
    )
    walk_ins = dict(WalkIn.objects.filter(day=day).values_list("procedure__office").annotate(n=Count("id")))
    rows = [(o.name, bookings.get(o.pk, 0), walk_ins.get(o.pk, 0)) for o in Office.objects.order_by("id")]
    rows.append(("市全体", sum(r[1] for r in rows), sum(r[2] for r in rows)))
    return rows


def reservation_by_token(token: str) -> Reservation | None:
    """The reservation a resident's link names, with its slot (not anonymised): two plain reads in one round trip."""
    fields = tuple(field.name for field in Reservation._meta.concrete_fields)
    found, slots = plain_sql.rows_together(
        [
            (Reservation, fields, "token = %s AND anonymised_at IS NULL", [token]),
            (Slot, SLOT_FIELDS, "id = (SELECT slot_id FROM reservations_reservation WHERE token = %s)", [token]),
        ]
    )
    if not found:
        return None
    reservation = found[0]
    if not slots or slots[0].pk != reservation.slot_id:  # moved to another slot between the two reads
        slots = plain_sql.rows(Slot, SLOT_FIELDS, "id = %s", [reservation.slot_id])
    reservation.slot = slots[0]
    return reservation
