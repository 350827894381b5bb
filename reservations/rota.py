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
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from reservations import plain_sql
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
            intervals = day_duty(patterns.get((uid, day.weekday()), ()), exceptions.get((uid, day), ()))
            if intervals:
                duty.intervals[(uid, day)] = intervals
        day += timedelta(days=1)
    return duty


def day_duty(weekly: Iterable[Interval], exceptions: Iterable[tuple[time | None, time | None, bool]]) -> list[Interval]:
    """A clerk's duty intervals on one day: the weekly pattern of its weekday with the extra turns added and the
    absences cut out. `exceptions` are the day's (start, end, is_absence); an absence without times takes the day."""
    intervals = list(weekly)
    intervals += [(e_start, e_end) for e_start, e_end, absent in exceptions if not absent and e_start and e_end]
    intervals = merge(intervals)
    for e_start, e_end, absent in exceptions:
        if not absent:
            continue
        if e_start is None or e_end is None:
            return []
        intervals = subtract(intervals, (e_start, e_end))
    return intervals


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
        if called_at is not None:
            busy.spans.setdefault((clerk_id, day), []).append(walk_in_span(called_at, minutes))
    return busy


def walk_in_span(called_at: datetime, minutes: int) -> Span:
    """The time a walk-in occupies its clerk: from the call, for the procedure's appointment length, within the day."""
    called = timezone.localtime(called_at)
    until = called + timedelta(minutes=minutes)
    if until.date() != called.date():
        until = called.replace(hour=23, minute=59, second=59)
    return Span(called.time(), until.time())


@dataclass
class SlotClerks:
    """The clerks qualified for one procedure (active accounts), as the choice of a booking's clerk on one day
    needs them: their duty that day, whom they serve that day, and every active procedure each is qualified for."""

    qualified: set[int]
    duty: Duty
    busy: Busy
    procedures: dict[int, set[int]] = field(default_factory=dict)


# One round trip for what qualified_ids, duty_for and busy_for read for one procedure and one day, restricted to
# the clerks qualified for it: the booking's hottest read, where the ORM took as long to write the five queries as
# the database to answer them. Each row says what it is in its first column; the first branch gives every column
# its type, which PostgreSQL settles two branches at a time.
_SLOT_CLERKS_SQL = """
WITH clerk AS (
    SELECT q.user_id FROM reservations_qualification q JOIN auth_user u ON u.id = q.user_id
    WHERE q.procedure_id = %s AND u.is_active
)
SELECT 'pattern', p.user_id, p.start, p."end", CAST(NULL AS integer), CAST(NULL AS varchar(10)),
       CAST(NULL AS timestamptz)
  FROM reservations_dutypattern p
 WHERE p.user_id IN (SELECT user_id FROM clerk) AND p.weekday = %s
UNION ALL
SELECT 'exception', e.user_id, e.start, e."end", NULL, e.kind, NULL
  FROM reservations_dutyexception e
 WHERE e.user_id IN (SELECT user_id FROM clerk) AND e.day = %s
UNION ALL
SELECT 'qualified', q.user_id, NULL, NULL, q.procedure_id, NULL, NULL
  FROM reservations_qualification q JOIN reservations_procedure pr ON pr.id = q.procedure_id
 WHERE q.user_id IN (SELECT user_id FROM clerk) AND (pr.is_active OR q.procedure_id = %s)
UNION ALL
SELECT 'booking', r.clerk_id, s.start, s."end", r.procedure_id, NULL, NULL
  FROM reservations_reservation r JOIN reservations_slot s ON s.id = r.slot_id
 WHERE r.clerk_id IN (SELECT user_id FROM clerk) AND s.day = %s AND r.status IN (%s, %s)
UNION ALL
SELECT 'walk-in', w.clerk_id, NULL, NULL, pr.duration_minutes, NULL, w.called_at
  FROM reservations_walkin w JOIN reservations_procedure pr ON pr.id = w.procedure_id
 WHERE w.clerk_id IN (SELECT user_id FROM clerk) AND w.day = %s AND w.served
   AND w.called_at IS NOT NULL AND w.done_at IS NULL
"""


def _time(value: time | str) -> time:
    # SQLite gives the text it stores where it cannot tell a column's type (the branches of a UNION).
    return time.fromisoformat(value) if isinstance(value, str) else value


def _time_or_none(value: time | str | None) -> time | None:
    return None if value is None else _time(value)


def _moment(value: datetime | str) -> datetime:
    if isinstance(value, str):
        moment = datetime.fromisoformat(value)
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment, connection.timezone)
    return value


def slot_clerks_statement(*, procedure_id: int, day: date) -> plain_sql.Statement:
    """The one query of `slot_clerks`, for a caller that runs it with others in one round trip."""
    ops = connection.ops
    return (
        _SLOT_CLERKS_SQL,
        [
            procedure_id,
            day.weekday(),
            ops.adapt_datefield_value(day),
            procedure_id,
            ops.adapt_datefield_value(day),
            *Reservation.ACTIVE,
            ops.adapt_datefield_value(day),
        ],
    )


def slot_clerks(*, procedure_id: int, day: date, rows: list[tuple[Any, ...]] | None = None) -> SlotClerks:
    """The qualified clerks of the procedure on `day`, in one query: the same answer as `qualified_ids`, `duty_for`
    and `busy_for` give for them (busy_for's rules for bookings and walk-ins), and each one's active procedures.
    `rows`: what `slot_clerks_statement` returned, when the caller ran it."""
    weekly: dict[int, list[Interval]] = defaultdict(list)
    exceptions: dict[int, list[tuple[time | None, time | None, bool]]] = defaultdict(list)
    result = SlotClerks(set(), Duty(day, day), Busy())
    absences = frozenset(DutyException.ABSENCES)
    if rows is None:
        rows = plain_sql.fetch(*slot_clerks_statement(procedure_id=procedure_id, day=day))
    for what, uid, start, end, number, kind, called_at in rows:
        if what == "pattern":
            weekly[uid].append((_time(start), _time(end)))
        elif what == "exception":
            exceptions[uid].append((_time_or_none(start), _time_or_none(end), kind in absences))
        elif what == "qualified":
            result.procedures.setdefault(uid, set()).add(number)
            if number == procedure_id:
                result.qualified.add(uid)
        elif what == "booking":
            start = _time(start)
            result.busy.spans.setdefault((uid, day), []).append(Span(start, _time(end), number, start))
        else:
            result.busy.spans.setdefault((uid, day), []).append(walk_in_span(_moment(called_at), number))
    for uid in weekly.keys() | exceptions.keys():
        intervals = day_duty(weekly.get(uid, ()), exceptions.get(uid, ()))
        if intervals:
            result.duty.intervals[(uid, day)] = intervals
    return result
