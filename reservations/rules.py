"""The booking rules, one implementation each: when booking closes, which days can be booked, and which places
a slot has on a day.

Slot generation, the public calendar, the booking service, the staff booking screen and the letters' forecast
all ask these functions; none of them decides a rule of its own. Each function reads the office calendar once,
whatever the range it is asked about.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from reservations import calendar, rota
from reservations.models import CalendarDay, CapacityOverride, Office, OpeningHours, Procedure, Reservation, Slot

# How far back the previous office day is looked for; after a closure longer than this, the cut-off falls on the
# calendar day before.
LOOK_BACK_DAYS = 40

CLOSED = "closed"
OUTSIDE = "outside"
BOOKABLE = "bookable"


# --- the booking window ----------------------------------------------------------------------------------


def bookable_range(*, procedure: Procedure, now: datetime) -> tuple[date, date]:
    """The first and last day a resident may book online: from tomorrow to `days_ahead` days from today."""
    today = timezone.localdate(now)
    return today + timedelta(days=1), today + timedelta(days=procedure.days_ahead)


def _cutoff(procedure: Procedure, previous_office_day: date) -> datetime:
    return timezone.make_aware(datetime.combine(previous_office_day, time(procedure.cutoff_hour, 0)))


def _office_days_and_previous(start: date, end: date, office: Office | None) -> tuple[set[date], dict[date, date]]:
    """The office's days from start to end, and for every day from start to end the office day before it."""
    days = calendar.office_days(start - timedelta(days=LOOK_BACK_DAYS), end, office)
    previous: dict[date, date] = {}
    earlier = iter(days)
    pending = next(earlier, None)
    last: date | None = None
    day = start
    while day <= end:
        while pending is not None and pending < day:
            last, pending = pending, next(earlier, None)
        within = last is not None and (day - last).days <= LOOK_BACK_DAYS
        previous[day] = last if within and last is not None else day - timedelta(days=1)
        day += timedelta(days=1)
    return {d for d in days if d >= start}, previous


def booking_deadline(*, procedure: Procedure, day: date) -> datetime:
    """Bookings, changes and cancellations for `day` close at the cut-off hour of the previous office day."""
    _, previous = _office_days_and_previous(day, day, procedure.office)
    return _cutoff(procedure, previous[day])


def day_states(*, procedure: Procedure, start: date, end: date, now: datetime) -> dict[date, str]:
    """Each day from start to end: CLOSED (not an office day), OUTSIDE (outside the bookable range or past its
    cut-off) or BOOKABLE online at `now`."""
    first, last = bookable_range(procedure=procedure, now=now)
    open_days, previous = _office_days_and_previous(start, end, procedure.office)
    states: dict[date, str] = {}
    # Only the days whose cut-off could still be ahead need it worked out: the cut-off falls before the day.
    today = timezone.localdate(now)
    for day in previous:
        if day not in open_days:
            states[day] = CLOSED
        elif first <= day <= last and (previous[day] > today or now < _cutoff(procedure, previous[day])):
            states[day] = BOOKABLE
        else:
            states[day] = OUTSIDE
    return states


def day_is_bookable(*, procedure: Procedure, day: date, now: datetime) -> bool:
    first, last = bookable_range(procedure=procedure, now=now)
    if not first <= day <= last:
        return False
    return day_states(procedure=procedure, start=day, end=day, now=now)[day] == BOOKABLE


def can_change_online(reservation: Reservation, *, now: datetime, deadline: datetime | None = None) -> bool:
    """A resident changes or cancels online until the booking cut-off of the appointment's day (`deadline`, when
    the caller has already asked booking_deadline for it)."""
    if deadline is None:
        deadline = booking_deadline(procedure=reservation.procedure, day=reservation.slot.day)
    return reservation.status == Reservation.Status.BOOKED and now < deadline


def staff_can_book(slot: Slot, *, now: datetime) -> bool:
    """Staff book for someone on the phone or at the counter until the appointment's duration has run out,
    so a slot that has just begun can still take the person standing at the counter."""
    return now < slot.starts_at + timedelta(minutes=slot.procedure.duration_minutes)


# --- the places of a slot --------------------------------------------------------------------------------


def _slot_times(hours: OpeningHours) -> Iterator[tuple[time, time]]:
    start = datetime.combine(date(2000, 1, 1), hours.start)
    end = datetime.combine(date(2000, 1, 1), hours.end)
    step = timedelta(minutes=hours.slot_minutes)
    while start + step <= end:
        yield start.time(), (start + step).time()
        start += step


def places(*, cap: int, clerks_on_duty: int) -> int:
    """THE places rule: a slot offers places only while a qualified clerk is on duty, one resident per clerk,
    and never more than the cap. `clerks_on_duty` counts each clerk once across procedures: a clerk who serves
    someone else at the time (a booking of another procedure, a walk-in) is not a place here (`slot_places`)."""
    return max(0, min(cap, clerks_on_duty))


def slot_caps(*, procedure: Procedure, start: date, end: date) -> dict[tuple[date, time], tuple[time, int]]:
    """Every slot the opening hours give from start to end, as (day, start) -> (end, cap).

    A special opening day takes the hours of the weekday it is "like"; a capacity change for one time beats a
    change for the whole day, which beats the opening hours' places; none exceeds Procedure.places_per_slot."""
    hours_by_weekday: dict[int, list[OpeningHours]] = {}
    for hours in procedure.hours.all():
        hours_by_weekday.setdefault(hours.weekday, []).append(hours)
    exceptions = calendar.exceptions(start, end, procedure.office)
    overrides = {
        (o.day, o.start): o.places
        for o in CapacityOverride.objects.filter(procedure=procedure, day__gte=start, day__lte=end)
    }
    wanted: dict[tuple[date, time], tuple[time, int]] = {}
    for day in calendar.office_days(start, end, procedure.office):
        exception = exceptions.get(day)
        weekday = exception.hours_like if exception and exception.kind == CalendarDay.Kind.OPEN else day.weekday()
        for hours in hours_by_weekday.get(weekday, []):
            for slot_start, slot_end in _slot_times(hours):
                places = overrides.get((day, slot_start), overrides.get((day, None), hours.places))
                # The procedure's per-slot cap bounds every place count, whatever the hours or a change say.
                wanted[(day, slot_start)] = (slot_end, min(places, procedure.places_per_slot))
    return wanted


def slot_places(
    *,
    procedure: Procedure,
    start: date,
    end: date,
    duty: rota.Duty | None = None,
    busy: rota.Busy | None = None,
) -> dict[tuple[date, time], tuple[time, int]]:
    """Every slot the opening hours give from start to end, as (day, start) -> (end, places): the cap, lowered to
    the number of clerks qualified for the procedure who are on duty for the whole slot and not serving someone
    else then (a clerk qualified for two procedures is one place at a time, shared by both)."""
    duty = duty or rota.duty_for(start=start, end=end)
    busy = busy or rota.busy_for(start=start, end=end)
    qualified = rota.qualified_ids(procedure)
    plan = {}
    for (day, slot_start), (slot_end, cap) in slot_caps(procedure=procedure, start=start, end=end).items():
        staff = duty.staff(day, slot_start, slot_end, qualified)
        count = sum(1 for uid in staff if busy.counts_for(uid, day, slot_start, slot_end, procedure.pk))
        plan[(day, slot_start)] = (slot_end, places(cap=cap, clerks_on_duty=count))
    return plan


def pass_user_key(*, family_name: str, given_name: str, pass_user_name: str = "") -> str:
    """Who will use the pass, for BOOKINGS_PER_PHONE: the limit is per pass user, so household members who share
    one phone (a parent and a working child, an elderly couple with one landline) can each hold a booking. The
    pass user is the one named in "定期券を使う方の氏名", else the person booking; spaces and width do not count."""
    name = pass_user_name or f"{family_name}{given_name}"
    return "".join(unicodedata.normalize("NFKC", name).split())
