"""The office calendar: which days the counter is open.

Closed on Saturdays, Sundays, national holidays (祝日, 振替休日 and 国民の休日, from jpholiday) and the
year-end closure 12/29–1/3, which no holiday library knows; the office's own CalendarDay rows close or open
single days on top of that.
"""

from __future__ import annotations

from datetime import date, timedelta

import jpholiday

from reservations.models import CalendarDay


def is_year_end_closure(day: date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_national_holiday(day: date) -> bool:
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


def _exceptions(start: date, end: date) -> dict[date, CalendarDay]:
    return {c.day: c for c in CalendarDay.objects.filter(day__gte=start, day__lte=end)}


def is_office_day(day: date) -> bool:
    exception = CalendarDay.objects.filter(day=day).first()
    if exception is not None:
        return exception.kind == CalendarDay.Kind.OPEN
    return is_default_office_day(day)


def office_days(start: date, end: date) -> list[date]:
    """Every office day from start to end, both included; one query whatever the range."""
    exceptions = _exceptions(start, end)
    days = []
    day = start
    while day <= end:
        exception = exceptions.get(day)
        if exception is not None:
            if exception.kind == CalendarDay.Kind.OPEN:
                days.append(day)
        elif is_default_office_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def previous_office_day(day: date, *, limit: int = 40) -> date:
    candidates = office_days(day - timedelta(days=limit), day - timedelta(days=1))
    return candidates[-1] if candidates else day - timedelta(days=1)


def next_office_day(day: date, *, limit: int = 40) -> date | None:
    candidates = office_days(day + timedelta(days=1), day + timedelta(days=limit))
    return candidates[0] if candidates else None
