"""The calendar page served from the cache before most of the middleware runs (reservations.availability keeps
the pages; this serves and stores them)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from reservations import availability, public_views

CALENDAR_PREFIX = "/book/p/"


class CalendarPageMiddleware:
    """Serves a stored calendar page before the session, CSRF, authentication, OTP and message layers run, and
    stores the page the view made once every layer below has added its headers.

    Only for a GET of the calendar by a visitor who carries no staff session and no waiting message (neither
    cookie is there) and whose booking in progress is already for this procedure: anyone else goes through the
    view, which decides on the same rules (`public_views.calendar_from_store`, `public_views._page_variant`).
    It sits below the security and content-security-policy middleware, so a stored page carries their headers
    like any other page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and request.path_info.startswith(CALENDAR_PREFIX):
            found = public_views.calendar_from_store(request)
            if found is not None:
                return found
        response = self.get_response(request)
        store: tuple[int, str, int] | None = getattr(request, availability.STORE_ATTR, None)
        if store is not None and response.status_code == 200:
            procedure_id, variant, current = store
            availability.keep_page(procedure_id, variant, current, response)
        return response
