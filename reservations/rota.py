"""Who is at the counter when: the weekly duty pattern with its single-day exceptions, the qualified clerks, and
whom each clerk is already serving.

Reads only; the changes (and what they do to bookings) are in `reservations.staffing`. A clerk is on duty for a
slot only when one of their duty intervals covers the whole slot; an absence for some hours cuts the interval.
Inactive accounts are never on duty.

A clerk qualified for several procedures (or at several offices) is one person: while they hold a booking of one
procedure, or serve a walk-in, they are busy for every other slot of the same time (`Busy`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from reservations.models import DutyException, DutyPattern, Procedure, Qualification, Reservation, WalkIn

Interval = tuple[time, time]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(intervals: list[Interval], cut: Interval) -> list[Interval]:
    result: list[Interval] = []
    for start, end in intervals:
        if cut[1] <= start or end <= cut[0]:
            result.append((start, end))
            continue
        if start < cut[0]:
            result.append((start, cut[0]))
        if cut[1] < end:
            result.append((cut[1], end))
    return result


def covers(intervals: Iterable[Interval], start: time, end: time) -> bool:
    return any(s <= start and end <= e for s, e in intervals)


@dataclass
class Duty:
    """The duty intervals of every active staff member over a range of days."""

    first: date
    last: date
    intervals: dict[tuple[int, date], list[Interval]] = field(default_factory=dict)

    def on_duty(self, user_id: int, day: date, start: time, end: time) -> bool:
        return covers(self.intervals.get((user_id, day), ()), start, end)

    def staff(self, day: date, start: time, end: time, among: Iterable[int]) -> list[int]:
        """Those of `among` at the counter for the whole of [start, end) on day, in a stable order."""
        return sorted(uid for uid in among if self.on_duty(uid, day, start, end))

    def day_intervals(self, user_id: int, day: date) -> list[Interval]:
        return self.intervals.get((user_id, day), [])


def duty_for(*, start: date, end: date, user_ids: Iterable[int] | None = None, known_active: bool = False) -> Duty:
    """The rota of [start, end], both included: three queries whatever the range, two when `user_ids` are known
    to be active accounts (`known_active`, as `qualified_ids` gives them)."""
    if user_ids is not None and known_active:
        active_ids = set(user_ids)
    else:
        active = get_user_model().objects.filter(is_active=True)
        if user_ids is not None:
            active = active.filter(pk__in=list(user_ids))
        active_ids = set(active.values_list("pk", flat=True))
    # Plain values, not model instances: a booking reads the rota of its day for every clerk.
    weekdays = {(start + timedelta(days=n)).weekday() for n in range(min((end - start).days + 1, 7))}
    patterns: dict[tuple[int, int], list[Interval]] = defaultdict(list)
    for user_id, weekday, p_start, p_end in DutyPattern.objects.filter(
        user_id__in=active_ids, weekday__in=weekdays
    ).values_list("user_id", "weekday", "start", "end"):
        patterns[(user_id, weekday)].append((p_start, p_end))
    absences = frozenset(DutyException.ABSENCES)
    # (start, end, is_absence) of each exception, by clerk and day
    exceptions: dict[tuple[int, date], list[tuple[time | None, time | None, bool]]] = defaultdict(list)
    for user_id, day, e_start, e_end, kind in DutyException.objects.filter(
        user_id__in=active_ids, day__gte=start, day__lte=end
    ).values_list("user_id", "day", "start", "end", "kind"):
        exceptions[(user_id, day)].append((e_start, e_end, kind in absences))
    duty = Duty(start, end)
    day = start
    while day <= end:
        for uid in active_ids:
            intervals = list(patterns.get((uid, day.weekday()), ()))
            found = exceptions.get((uid, day), ())
            intervals += [(e_start, e_end) for e_start, e_end, absent in found if not absent and e_start and e_end]
            intervals = merge(intervals)
            for e_start, e_end, absent in found:
                if not absent:
                    continue
                if e_start is None or e_end is None:
                    intervals = []
                    break
                intervals = subtract(intervals, (e_start, e_end))
            if intervals:
                duty.intervals[(uid, day)] = intervals
        day += timedelta(days=1)
    return duty


def qualified_ids(procedure: Procedure | int) -> set[int]:
    """The active staff qualified for the procedure."""
    procedure_id = procedure if isinstance(procedure, int) else procedure.pk
    return set(
        Qualification.objects.filter(procedure_id=procedure_id, user__is_active=True).values_list("user_id", flat=True)
    )


def qualified_by_procedure() -> dict[int, set[int]]:
    result: dict[int, set[int]] = defaultdict(set)
    for procedure_id, user_id in Qualification.objects.filter(user__is_active=True).values_list(
        "procedure_id", "user_id"
    ):
        result[procedure_id].add(user_id)
    return result


def absences_touching(*, user_id: int, day: date, start: time | None, end: time | None) -> Q:
    """A filter on Reservation for the bookings of this clerk that an absence on day [start, end) touches."""
    query = Q(clerk_id=user_id, slot__day=day)
    if start is not None and end is not None:
        query &= Q(slot__start__lt=end, slot__end__gt=start)
    return query


@dataclass(frozen=True)
class Span:
    """A time a clerk is serving someone: a booking (its procedure and slot start) or a walk-in (procedure None)."""

    start: time
    end: time
    procedure_id: int | None = None
    slot_start: time | None = None

    def overlaps(self, start: time, end: time) -> bool:
        return self.start < end and start < self.end

    def is_slot(self, procedure_id: int, slot_start: time) -> bool:
        return self.procedure_id == procedure_id and self.slot_start == slot_start


@dataclass
class Busy:
    """Whom each clerk is serving, per day: their active bookings of every procedure and the walk-ins they serve."""

    spans: dict[tuple[int, date], list[Span]] = field(default_factory=dict)

    def counts_for(self, user_id: int, day: date, start: time, end: time, procedure_id: int) -> bool:
        """Whether the clerk counts as a place of this procedure's slot [start, end): they serve a booking of
        this very slot, or they serve nobody else during it."""
        spans = [s for s in self.spans.get((user_id, day), ()) if s.overlaps(start, end)]
        return not spans or any(s.is_slot(procedure_id, start) for s in spans)

    def serving(self, user_id: int, day: date, start: time, end: time) -> bool:
        """Whether the clerk serves anyone (a booking of any procedure, or a walk-in) during [start, end)."""
        return any(s.overlaps(start, end) for s in self.spans.get((user_id, day), ()))

    def bookings(self, user_id: int, day: date) -> int:
        return sum(1 for s in self.spans.get((user_id, day), ()) if s.procedure_id is not None)


def busy_for(*, start: date, end: date) -> Busy:
    """Every clerk's active bookings and served walk-ins of [start, end]: two queries whatever the range.

    A walk-in occupies its clerk from the call to the counter until it is marked done, for at most the
    procedure's appointment length (a walk-in nobody marked done stops counting then)."""
    busy = Busy()
    rows = Reservation.objects.filter(
        slot__day__gte=start, slot__day__lte=end, status__in=Reservation.ACTIVE, clerk__isnull=False
    ).values_list("clerk_id", "slot__day", "slot__start", "slot__end", "procedure_id")
    for clerk_id, day, slot_start, slot_end, procedure_id in rows:
        busy.spans.setdefault((clerk_id, day), []).append(Span(slot_start, slot_end, procedure_id, slot_start))
    walk_ins = WalkIn.objects.filter(
        day__gte=start,
        day__lte=end,
        served=True,
        clerk__isnull=False,
        called_at__isnull=False,
        done_at__isnull=True,
    ).values_list("clerk_id", "day", "called_at", "procedure__duration_minutes")
    for clerk_id, day, called_at, minutes in walk_ins:
        called = timezone.localtime(called_at)
        until = called + timedelta(minutes=minutes)
        if until.date() != called.date():
            until = called.replace(hour=23, minute=59, second=59)
        busy.spans.setdefault((clerk_id, day), []).append(Span(called.time(), until.time()))
    return busy
