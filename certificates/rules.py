"""Date rules of the certificates, as plain functions that every other part of Madoguchi calls.

DOMAIN.md, "Dates": the civil code (民法 第140条・第143条) does not count the issue day; a period of N months
ends on the day before the day that corresponds, N months later, to the first counted day, or on the last day
of that month when it has no such day.
"""

import calendar
from datetime import date, timedelta


def add_months(day: date, months: int) -> date | None:
    """The day with the same day-of-month `months` later, or None when that month has no such day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if day.day > calendar.monthrange(year, month)[1]:
        return None
    return date(year, month, day.day)


def last_day_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _month_shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    y, m = divmod(index, 12)
    return y, m + 1


def expiry_date(issued_on: date, months: int, *, count_issue_day: bool = False) -> date:
    """Last day on which a certificate issued on `issued_on`, valid `months` months, is still valid."""
    if months < 1:
        raise ValueError("months must be at least 1")
    first_counted = issued_on if count_issue_day else issued_on + timedelta(days=1)
    corresponding = add_months(first_counted, months)
    if corresponding is None:
        year, month = _month_shift(first_counted.year, first_counted.month, months)
        return last_day_of_month(year, month)
    return corresponding - timedelta(days=1)


def months_before(day: date, months: int) -> date:
    """The same day-of-month `months` earlier, or that month's last day where the day does not exist."""
    same_day = add_months(day, -months)
    if same_day is None:
        year, month = _month_shift(day.year, day.month, -months)
        return last_day_of_month(year, month)
    return same_day


def earliest_photo_date(visit_day: date, months: int) -> date:
    """Oldest photo date acceptable for a visit on `visit_day`: same day-of-month `months` earlier, clamped."""
    if months < 1:
        raise ValueError("months must be at least 1")
    return months_before(visit_day, months)


def photo_is_acceptable(photo_taken_on: date, visit_day: date, months: int) -> bool:
    return earliest_photo_date(visit_day, months) <= photo_taken_on <= visit_day


def photo_may_be_reused(
    photo_taken_on: date, *, previous_photo_taken_on: date | None, previous_issued_on: date, issued_on: date
) -> bool:
    """Whether a photo looks like the one shown for the previous certificate: the same date as that photo, or
    taken on or before that certificate was issued. A certificate issued the same day (another kind at the same
    visit) does not count as a previous one."""
    if previous_issued_on >= issued_on:
        return False
    if previous_photo_taken_on is not None and photo_taken_on == previous_photo_taken_on:
        return True
    return photo_taken_on <= previous_issued_on
