"""The month calendar of availability: the resident calendar's one cache, kept until a booking fills a day, or
until a cancellation or a change of the calendar or the rota.

Every change that can change what the month shows bumps a version number after its transaction commits: a booking
only when it takes its day's last place (reservations.booking._place_taken), since a day is shown open while it has
a place left. The calendar page is stored with the version it was made under (and the current hour, since the
booking cut-off falls on a full hour); a reader serves a stored page only when its version is the current one. A
reader that computed a page just before a commit stores it under the old version, which never matches again, so a
stale month is not served once the change is visible. Where Redis is the cache, the version and the stored page are
read together in one round trip (staff.counters.value_and_cached); elsewhere the version is a row in the database.
With Redis, each process also hears every change of a version as Redis delivers it (config.cache.CounterWatch:
another process's change a fraction of a millisecond after it on one machine or network), and serves the page it has
already served for the version it has heard again without a round trip.

One layer: the whole page, for visitors who carry nothing that changes it (no staff session, no message
waiting), served without rendering anything; for the others it is computed. The version is read and bumped only
through `version()`, `bump()` and `cached_page()`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

from reservations import local_cache, selectors
from reservations.models import Procedure
from staff import counters
from staff.templatetags.madoguchi import jmonth

logger = logging.getLogger(__name__)


def _version_key(procedure_id: int) -> str:
    return f"avail-version:{procedure_id}"


def version(procedure_id: int) -> int:
    return counters.value(_version_key(procedure_id), in_memory=True)


def bump(procedure_id: int) -> None:
    transaction.on_commit(lambda: _bump(procedure_id))


def _bump(procedure_id: int) -> None:
    try:
        counters.increase(_version_key(procedure_id), in_memory=True)
    except Exception:
        # The booking has committed; the resident is not shown an error for the calendar's sake. A stored page
        # may then be served until it expires (PAGE_TIMEOUT), while the times page and the booking itself always
        # read the slots.
        logger.exception("availability version of procedure %s not bumped", procedure_id)


def _page_key(procedure_id: int, variant: str) -> str:
    return f"avail-page:{procedure_id}:{variant}"


def cached_page(procedure_id: int, variant: str) -> tuple[int | None, Page | None]:
    """The current version and the page stored under `variant` for that version, if any; no version when the
    cache cannot be reached. A page this process has already served for the version it has heard is served
    again without a round trip (`_keep`)."""
    page_key = _page_key(procedure_id, variant)
    try:
        heard = counters.known_value(_version_key(procedure_id))
        if heard is not None:
            kept = local_cache.get(_copy_key(page_key))
            if kept is not None and kept[0] == heard:
                return heard, kept[1]
        current, stored = counters.value_and_cached(_version_key(procedure_id), page_key, in_memory=True)
    except Exception:
        # Redis unreachable: the page is made from the database, and not stored.
        logger.warning("calendar cache unavailable", exc_info=True)
        return None, None
    # (version, body, headers, expiry); a page stored by the release before has no expiry and is not copied.
    if isinstance(stored, tuple) and len(stored) in (3, 4) and stored[0] == current:
        page = Page(body=stored[1], headers=stored[2])
        if len(stored) == 4:
            _keep(page_key, current, stored[3], page)
        return current, page
    return current, None


def _keep(page_key: str, version: int, expires_at: float, page: Page) -> None:
    """Keep a copy of a stored page in this process (local_cache) until the stored page itself expires, so an edit
    of the office or the procedure shows as soon as without the copy (and at once in the process that saved it)."""
    left = min(expires_at - time.time(), PAGE_TIMEOUT)  # another server's clock may be ahead of this one's
    if left > 0:
        local_cache.put(_copy_key(page_key), (version, page), ttl=left)


def _copy_key(page_key: str) -> str:
    return f"calendar-page:{page_key}"


# After a booking changes the version, every visitor of the next moment would miss and make the same page. The
# first one makes it; the others wait for it a little (sleeping, not computing), polling the cache, and make it
# themselves only if it does not come: a page is never served under a version other than the current one.
MAKING_TIMEOUT = 2  # seconds a maker is trusted to store the page
WAIT_SECONDS = 0.25
POLL_SECONDS = 0.005


def page_or_wait(procedure_id: int, variant: str) -> tuple[int | None, Page | None]:
    """The current version and its stored page; on a miss, the page another request is making for this version,
    if it comes within WAIT_SECONDS. (version, None) means: make the page and store it under that version."""
    current, page = cached_page(procedure_id, variant)
    if page is not None or current is None:
        return current, page
    try:
        if cache.add(f"avail-making:{procedure_id}:{variant}:{current}", 1, timeout=MAKING_TIMEOUT):
            return current, None  # this request makes it
    except Exception:
        logger.warning("calendar cache unavailable", exc_info=True)
        return current, None
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        now, page = cached_page(procedure_id, variant)
        if page is not None:
            return now, page
        if now != current:
            break  # the availability changed again: make the page for the version it is now
    return cached_page(procedure_id, variant)[0], None


# The whole page also shows the office and the procedure, which each process keeps for a minute
# (local_cache): it is kept no longer, so an edit of either shows within a minute or two.
PAGE_TIMEOUT = 60


# Headers of the finished response that a stored page is served with; never Set-Cookie, which belongs to the
# visitor the page was first made for (Django keeps cookies apart from the headers anyway).
KEPT_HEADERS = ("Content-Type", "Content-Language", "Vary", "X-Frame-Options", "Cache-Control")


@dataclass(frozen=True)
class Page:
    body: bytes
    headers: tuple[tuple[str, str], ...]

    def response(self) -> HttpResponse:
        response = HttpResponse(self.body)
        for name, value in self.headers:
            response[name] = value
        response["Server-Timing"] = server_timing(cached=True)
        return response


def keep_page(procedure_id: int, variant: str, current: int, response: HttpResponse) -> None:
    headers = tuple((name, response[name]) for name in KEPT_HEADERS if response.has_header(name))
    expires_at = time.time() + PAGE_TIMEOUT
    page_key = _page_key(procedure_id, variant)
    try:
        cache.set(page_key, (current, response.content, headers, expires_at), timeout=PAGE_TIMEOUT)
    except Exception:
        logger.warning("calendar cache unavailable", exc_info=True)
        return
    _keep(page_key, current, expires_at, Page(body=response.content, headers=headers))


# What the calendar view leaves on the request for reservations.page_cache.CalendarPageMiddleware: the page to
# store once the response is finished, and the look-up the middleware already made (so the view does not make
# it again).
STORE_ATTR = "_calendar_page_store"
LOOKED_UP_ATTR = "_calendar_page_looked_up"


def month_table(
    *,
    procedure: Procedure,
    year: int,
    month: int,
    now: datetime,
    language: str,
    places_left: dict[date, int] | None = None,
) -> str:
    """The month's days and their states as an HTML table (computed each time: the page above is the cache).

    Written here rather than by the template engine: a month is 35 to 42 cells, each a branch and a translated
    word, and the engine spent more on them than the rest of the page."""
    weeks = selectors.month_availability(procedure=procedure, year=year, month=month, now=now, places_left=places_left)
    heads = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun") if language == "en" else tuple("月火水木金土日")
    marks = {"open": _("空きあり"), "full": _("満員"), "closed": _("休み"), "outside": _("受付外")}
    slug = escape(procedure.slug)
    rows = []
    for week in weeks:
        cells = []
        for c in week:
            if not c.in_month:
                cells.append("<td></td>")
            elif c.state == "open":
                cells.append(
                    f'<td><a href="/book/p/{slug}/{c.day.isoformat()}/">{c.day.day}'
                    f'<span class="mark">{escape(marks["open"])}</span></a></td>'
                )
            else:
                css = "full" if c.state == "full" else "closed"
                mark = marks[c.state] if c.state in marks else marks["outside"]
                cells.append(f'<td class="{css}"><span>{c.day.day}<span class="mark">{escape(mark)}</span></span></td>')
        rows.append("<tr>\n    " + "".join(cells) + "\n  </tr>")
    head = "".join(f'<th scope="col">{h}</th>' for h in heads)
    return (
        '<table class="month-calendar">\n'
        f"  <caption><h2>{escape(jmonth(date(year, month, 1)))}</h2></caption>\n"
        f"  <thead><tr>{head}</tr></thead>\n"
        "  <tbody>\n  " + "".join(rows) + "\n  </tbody>\n</table>\n"
    )


def server_timing(*, cached: bool) -> str:
    """The calendar page says whether it came from the cache in its Server-Timing header (`calendar;desc=hit` or
    `miss`), which is how the load benchmark measures the cache's hit rate."""
    return f"calendar;desc={'hit' if cached else 'miss'}"
