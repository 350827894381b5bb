"""Middleware for every page: the staff session's lifetime and caching, and the content security policy."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

TOUCH_EVERY = 60
# Pages that may show personal data or a login form: never kept by a browser or a proxy, whoever asks.
PRIVATE_PREFIXES = ("/staff/", "/accounts/", "/admin/")


class StaffIdleTimeout:
    """Keep a signed-in user's session alive while they work: it then ends SESSION_COOKIE_AGE after the last
    request, and in any case STAFF_SESSION_MAX_AGE after the login. The session is written at most once a minute,
    not on every request, and never for anonymous visitors, whose pages stay free of session writes.

    Every answer to a signed-in user, and every staff, login and admin page (CSV and PDF downloads included),
    carries Cache-Control: no-store, so nothing personal stays in the disk or back-forward cache of a shared
    counter PC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in:
            now = int(time.time())
            started = request.session.setdefault("_login_at", now)
            if now - started >= settings.STAFF_SESSION_MAX_AGE:
                logout(request)
                expired = redirect_to_login(request.get_full_path())
                patch_cache_control(expired, no_store=True)
                return expired
            if now - request.session.get("_seen", 0) >= TOUCH_EVERY:
                request.session["_seen"] = now
        response = self.get_response(request)
        if signed_in or request.path.startswith(PRIVATE_PREFIXES):
            patch_cache_control(response, no_store=True)
        return response


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
