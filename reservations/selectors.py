"""Reads for the booking pages and the day list."""

from __future__ import annotations

import calendar as pycal
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch, Sum
from django.utils import timezone

from reservations import calendar
from reservations.models import CalendarDay, Procedure, Reservation, Slot
from reservations.services import bookable_range


@dataclass
class DayCell:
    day: date
    in_month: bool
    state: str  # "open", "full", "closed", "outside"
    left: int
    reason: str


def month_availability(*, procedure: Procedure, year: int, month: int, now: datetime) -> list[list[DayCell]]:
    """Weeks (Monday first) of the month with each day's state; a fixed number of queries."""
    first = date(year, month, 1)
    last = date(year, month, pycal.monthrange(year, month)[1])
    grid_start = first - timedelta(days=first.weekday())
    grid_end = last + timedelta(days=6 - last.weekday())
    # Office days from well before the month, to find each day's previous office day for the cut-off.
    open_days = calendar.office_days(grid_start - timedelta(days=20), grid_end)
    open_set = set(open_days)
    exceptions = {c.day: c for c in CalendarDay.objects.filter(day__gte=grid_start, day__lte=grid_end)}
    totals = {
        row["day"]: (row["places"] or 0) - (row["booked"] or 0)
        for row in Slot.objects.filter(procedure=procedure, day__gte=grid_start, day__lte=grid_end)
        .values("day")
        .annotate(places=Sum("places"), booked=Sum("booked"))
    }
    first_bookable, last_bookable = bookable_range(procedure=procedure, now=now)
    weeks: list[list[DayCell]] = []
    day = grid_start
    previous_open: date | None = None
    for d in open_days:
        if d < grid_start:
            previous_open = d
    while day <= grid_end:
        week = []
        for _ in range(7):
            in_month = day.month == month
            if day not in open_set:
                state, reason = "closed", calendar.closed_reason(day, exceptions.get(day))
            elif not first_bookable <= day <= last_bookable:
                state, reason = "outside", ""
            else:
                deadline_day = previous_open or day - timedelta(days=1)
                deadline = timezone.make_aware(datetime.combine(deadline_day, time(procedure.cutoff_hour)))
                if now >= deadline:
                    state, reason = "outside", ""
                elif totals.get(day, 0) > 0:
                    state, reason = "open", ""
                else:
                    state, reason = "full", ""
            week.append(DayCell(day, in_month, state, max(totals.get(day, 0), 0), reason))
            if day in open_set:
                previous_open = day
            day += timedelta(days=1)
        weeks.append(week)
    return weeks


def day_slots(*, procedure: Procedure, day: date) -> list[Slot]:
    return list(Slot.objects.filter(procedure=procedure, day=day).order_by("start"))


def day_list(*, day: date) -> list[Slot]:
    """Every slot of the day with its reservations, linked resident and certificate: three queries."""
    reservations = Reservation.objects.select_related(
        "resident", "certificate__kind", "procedure__certificate_kind", "issued_certificate", "invitation"
    ).order_by("created_at", "id")
    return list(
        Slot.objects.filter(day=day)
        .select_related("procedure__certificate_kind")
        .prefetch_related(Prefetch("reservations", queryset=reservations))
        .order_by("start", "procedure_id")
    )
