"""Who is at the counter when: the weekly duty pattern with its single-day exceptions, and the qualified clerks.

Reads only; the changes (and what they do to bookings) are in `reservations.staffing`. A clerk is on duty for a
slot only when one of their duty intervals covers the whole slot; an absence for some hours cuts the interval.
Inactive accounts are never on duty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q

from reservations.models import DutyException, DutyPattern, Procedure, Qualification

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


def duty_for(*, start: date, end: date, user_ids: Iterable[int] | None = None) -> Duty:
    """The rota of [start, end], both included: three queries whatever the range."""
    active = get_user_model().objects.filter(is_active=True)
    if user_ids is not None:
        active = active.filter(pk__in=list(user_ids))
    active_ids = set(active.values_list("pk", flat=True))
    patterns: dict[tuple[int, int], list[Interval]] = defaultdict(list)
    for p in DutyPattern.objects.filter(user_id__in=active_ids):
        patterns[(p.user_id, p.weekday)].append((p.start, p.end))
    exceptions: dict[tuple[int, date], list[DutyException]] = defaultdict(list)
    for e in DutyException.objects.filter(user_id__in=active_ids, day__gte=start, day__lte=end):
        exceptions[(e.user_id, e.day)].append(e)
    duty = Duty(start, end)
    day = start
    while day <= end:
        for uid in active_ids:
            intervals = list(patterns.get((uid, day.weekday()), ()))
            found = exceptions.get((uid, day), ())
            intervals += [(e.start, e.end) for e in found if not e.is_absence and e.start and e.end]
            intervals = merge(intervals)
            for e in found:
                if not e.is_absence:
                    continue
                if e.start is None or e.end is None:
                    intervals = []
                    break
                intervals = subtract(intervals, (e.start, e.end))
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
