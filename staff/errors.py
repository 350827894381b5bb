"""Refused requests explained: the CSRF failure page (a form kept open too long, or cookies off), in Japanese
(or English on an English public page).

The 403 page for a missing role is templates/403.html, rendered by Django's own handler with the exception's
message, which the role checks in staff.roles word for the person who meets it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent with a stale or missing security token: say how to go on (reload, then send again)."""
    referer = request.META.get("HTTP_REFERER", "")
    back = referer if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}) else ""
    return render(request, "403_csrf.html", {"back": back}, status=403)
