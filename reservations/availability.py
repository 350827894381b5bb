"""The month calendar of availability: the resident calendar's one cache, kept until the next booking,
cancellation or calendar change.

Every change to a slot's places or bookings bumps a version number after its transaction commits; the rendered
month is stored under that version (and the current hour, since the booking cut-off falls on a full hour). A
reader that computed a month just before a commit stores it under the old version, which nobody asks for again,
so a stale month is never served after the change is visible. The page around the month is rendered on every
request: it depends on the visitor's session.

The version is a counter in the database (staff.counters: one atomic UPDATE, never evicted), not a cache entry:
a cache that culls or loses it would hand out a version that older pages are stored under. It is read and bumped
only through `version()` and `bump()`.
"""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from reservations import selectors
from reservations.models import Procedure
from staff import counters

TIMEOUT = 300


def _version_key(procedure_id: int) -> str:
    return f"avail-version:{procedure_id}"


def version(procedure_id: int) -> int:
    return counters.value(_version_key(procedure_id))


def bump(procedure_id: int) -> None:
    transaction.on_commit(lambda: counters.increase(_version_key(procedure_id)))


def month_table(*, procedure: Procedure, year: int, month: int, now: datetime, language: str) -> MonthTable:
    local = timezone.localtime(now)
    key = f"avail-month:{procedure.pk}:{version(procedure.pk)}:{year}-{month:02d}:{local:%Y%m%d%H}:{language}"
    html = cache.get(key)
    if html is not None:
        return MonthTable(html, cached=True)
    weeks = selectors.month_availability(procedure=procedure, year=year, month=month, now=now)
    html = render_to_string(
        "reservations/public/calendar_table.html",
        {"procedure": procedure, "weeks": weeks, "lang": language, "month_year": year, "month_month": month},
    )
    cache.set(key, html, timeout=TIMEOUT)
    return MonthTable(html, cached=False)


class MonthTable(str):
    """The rendered month, and whether it came from the cache: the page says so in its Server-Timing header
    (`calendar;desc=hit` or `miss`), which is how the load benchmark measures the cache's hit rate."""

    cached: bool

    def __new__(cls, html: str, *, cached: bool) -> MonthTable:
        table = super().__new__(cls, html)
        table.cached = cached
        return table

    def server_timing(self) -> str:
        return f"calendar;desc={'hit' if self.cached else 'miss'}"
