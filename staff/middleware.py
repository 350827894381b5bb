"""Middleware for every page: the staff idle timeout and the content security policy."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

TOUCH_EVERY = 60


class StaffIdleTimeout:
    """Keep a signed-in user's session alive while they work: it then ends SESSION_COOKIE_AGE after the last
    request. The session is written at most once a minute, not on every request, and never for anonymous
    visitors, whose pages stay free of session writes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            if now - request.session.get("_seen", 0) >= TOUCH_EVERY:
                request.session["_seen"] = now
        return self.get_response(request)


class ContentSecurityPolicy:
    """No inline script or style, nothing from another origin: the pages ship their CSS and need no script."""

    POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.POLICY)
        return response
