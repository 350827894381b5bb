"""The office calendar: which days the counter is open.

Closed on Saturdays, Sundays, national holidays (祝日, 振替休日 and 国民の休日, from jpholiday) and the
year-end closure 12/29–1/3, which no holiday library knows; the CalendarDay rows close or open single days on
top of that, at every office or at one (本庁, a 支所): an office's calendar is the standing rules, the days for
every office, and its own days, its own winning.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import jpholiday
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from reservations import local_cache
from reservations.models import CalendarDay, Office
from staff import counters

logger = logging.getLogger(__name__)

# The closures and openings change a few times a year and are read on every step of every booking: each process
# keeps those of the last year and after (local_cache), under a version number that every change raises once it
# commits (in Redis where Redis is the cache, one round trip to read; else a row in the database). A change is
# seen by every process on its next read; in the process that made it, at once.
VERSION_KEY = "office-calendar-version"
KEPT_DAYS_BACK = 366


def is_year_end_closure(day: date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


@functools.lru_cache(maxsize=4096)
def is_national_holiday(day: date) -> bool:
    # jpholiday's rules are fixed in the installed version: a day's answer never changes in a process.
    return jpholiday.is_holiday(day)


def is_default_office_day(day: date) -> bool:
    """Open by the standing rules alone, before the office's own closures and openings."""
    return day.weekday() < 5 and not is_national_holiday(day) and not is_year_end_closure(day)


def closed_reason(day: date, exception: CalendarDay | None = None) -> str:
    if exception is not None and exception.kind == CalendarDay.Kind.CLOSED:
        return exception.note or "休業日"
    if exception is not None and exception.kind == CalendarDay.Kind.OPEN:
        return ""
    if is_year_end_closure(day):
        return "年末年始"
    name = jpholiday.is_holiday_name(day)
    if name:
        return name
    if day.weekday() >= 5:
        return "土曜日" if day.weekday() == 5 else "日曜日"
    return ""


def exceptions(start: date, end: date, office: Office | None = None) -> dict[date, CalendarDay]:
    """The closures and openings from start to end that apply at `office`: its own, and those for every office,
    its own winning on the same day. Without an office, only those for every office. At most one query."""
    found = _kept(start)
    return _exceptions(start, end, office, found[1] if found is not None else None)


def _exceptions(
    start: date, end: date, office: Office | None, kept: list[CalendarDay] | None
) -> dict[date, CalendarDay]:
    if kept is None:
        rows = CalendarDay.objects.filter(day__gte=start, day__lte=end)
        if office is None:
            return {c.day: c for c in rows.filter(office__isnull=True)}
        kept = list(rows.filter(Q(office__isnull=True) | Q(office=office)))
    office_id = office.pk if office is not None else None
    found: dict[date, CalendarDay] = {}
    for c in kept:
        if not start <= c.day <= end or c.office_id not in (None, office_id):
            continue
        if c.day not in found or c.office_id is not None:
            found[c.day] = c
    return found


_from_table: contextvars.ContextVar[bool] = contextvars.ContextVar("office_calendar_from_table", default=False)


@contextlib.contextmanager
def from_table() -> Iterator[None]:
    """Within this block, read the closures from the table, not from this process's copy: for the code that
    writes places from the calendar (slot rebuilds), so that nothing kept in memory ends up in the database."""
    token = _from_table.set(True)
    try:
        yield
    finally:
        _from_table.reset(token)


# Within a request the calendar is read under one version: the request's first read asks for the number, the
# later ones (a calendar page asks three times) reuse it. Opened and closed by the request_started and
# request_finished signals; outside a request every read asks.
_request_version: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "office_calendar_request_version", default=None
)


def request_started(**kwargs: object) -> None:
    _request_version.set([])


def request_finished(**kwargs: object) -> None:
    _request_version.set(None)


def _kept(start: date) -> tuple[int, list[CalendarDay]] | None:
    """The current version and every closure and opening from a year ago on, as this process keeps them for it;
    None when `start` is earlier (a report of a past year reads the table), the version cannot be read, or the
    caller asked for the table (`from_table`)."""
    since = timezone.localdate() - timedelta(days=KEPT_DAYS_BACK)
    if start < since or _from_table.get():
        return None
    memo = _request_version.get()
    if memo:
        version = memo[0]
    else:
        try:
            version = counters.value(VERSION_KEY, in_memory=True)
        except Exception:
            logger.warning("office calendar version unavailable", exc_info=True)
            return None
        if memo is not None:
            memo.append(version)
    rows = local_cache.get_or_set(
        f"calendar-days:{version}:{since}", lambda: list(CalendarDay.objects.filter(day__gte=since))
    )
    return version, rows


def changed(**kwargs: object) -> None:
    """A closure or opening was saved or deleted (a signal receiver): this process forgets its copy at once, and
    every process once the change commits."""
    local_cache.clear()
    memo = _request_version.get()
    if memo:
        memo.clear()
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        counters.increase(VERSION_KEY, in_memory=True)
    except Exception:
        logger.exception("office calendar version not raised")


def is_office_day(day: date, office: Office | None = None) -> bool:
    exception = exceptions(day, day, office).get(day)
    if exception is not None:
        return exception.kind == CalendarDay.Kind.OPEN
    return is_default_office_day(day)


def office_days(start: date, end: date, office: Office | None = None) -> list[date]:
    """Every office day (of `office`, or of every office) from start to end, both included; one query whatever
    the range. Each process keeps the answer for a range under the version of the closures it was worked out
    from (local_cache): every booking step asks about the same few ranges (the forty days before a day, for its
    cut-off)."""
    kept = _kept(start)
    if kept is None:
        return _office_days(start, end, _exceptions(start, end, office, None))
    version, rows = kept
    office_id = office.pk if office is not None else None
    days = local_cache.get_or_set(
        f"office-days:{version}:{office_id}:{start}:{end}",
        lambda: tuple(_office_days(start, end, _exceptions(start, end, office, rows))),
    )
    return list(days)


def _office_days(start: date, end: date, found: dict[date, CalendarDay]) -> list[date]:
    days = []
    day = start
    while day <= end:
        exception = found.get(day)
        if exception is not None:
            if exception.kind == CalendarDay.Kind.OPEN:
                days.append(day)
        elif is_default_office_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def previous_office_day(day: date, *, limit: int = 40, office: Office | None = None) -> date:
    candidates = office_days(day - timedelta(days=limit), day - timedelta(days=1), office)
    return candidates[-1] if candidates else day - timedelta(days=1)


def next_office_day(day: date, *, limit: int = 40, office: Office | None = None) -> date | None:
    candidates = office_days(day + timedelta(days=1), day + timedelta(days=limit), office)
    return candidates[0] if candidates else None


@dataclass(frozen=True)
class Around:
    previous_day: date
    next_day: date | None
    is_office_day: bool
    closed_reason: str


def around(day: date, *, limit: int = 40, office: Office | None = None) -> Around:
    """What the day list says about a day: the office day before it and after it (as previous_office_day and
    next_office_day), whether it is an office day itself and if not why (as is_office_day and closed_reason).
    One read of the closures and openings for the three."""
    found = exceptions(day - timedelta(days=limit), day + timedelta(days=limit), office)

    def open_on(other: date) -> bool:
        exception = found.get(other)
        if exception is not None:
            return exception.kind == CalendarDay.Kind.OPEN
        return is_default_office_day(other)

    before = (day - timedelta(days=n) for n in range(1, limit + 1))
    after = (day + timedelta(days=n) for n in range(1, limit + 1))
    return Around(
        previous_day=next((d for d in before if open_on(d)), day - timedelta(days=1)),
        next_day=next((d for d in after if open_on(d)), None),
        is_office_day=open_on(day),
        closed_reason=closed_reason(day, found.get(day)),
    )
