"""The booking in progress, kept in the resident's browser as one encrypted cookie.

A resident books without an account: the procedure, the slot, the acknowledgements, the contact details, the
letter's code, and after the booking the reservation's link travel in a cookie encrypted and authenticated with a
key derived from SECRET_KEY (Fernet: AES-128-CBC and HMAC-SHA256, with its time of writing). Nothing of it is
stored on the server until the booking is made, so:

- each step of the booking writes nothing to the database or the cache (the steps are as light as page views);
- a booking in progress survives a restart of Redis, of PostgreSQL or of every web server, and works across
  servers without shared session storage;
- the contact details never sit in a server-side session table waiting to be purged;
- the browser cannot read or alter what is in the cookie, and the cookie is refused after SESSION_COOKIE_AGE
  since it was last written, like an idle session.

Staff sessions are Django sessions as before; this is only the resident's booking.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

COOKIE = "booking"
_ATTR = "_booking_flow"
_DIRTY = "_booking_flow_dirty"


def _key(secret: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"madoguchi booking flow").derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


@functools.lru_cache(maxsize=4)
def _fernet(secret: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    """Writes with SECRET_KEY; reads what any of SECRET_KEY_FALLBACKS wrote, so rotating the key loses nothing."""
    return MultiFernet([_key(secret), *(_key(old) for old in fallbacks)])


def _cipher() -> MultiFernet:
    return _fernet(settings.SECRET_KEY, tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ())))


def encode(data: dict[str, Any]) -> str:
    token = _cipher().encrypt(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
    return token.decode().rstrip("=")  # the padding would make Django quote the cookie value


def decode(value: str) -> dict[str, Any]:
    """The data, or {} when the cookie is missing, altered, written with another key or too old."""
    if not value:
        return {}
    try:
        raw = _cipher().decrypt((value + "=" * (-len(value) % 4)).encode(), ttl=settings.SESSION_COOKIE_AGE)
        data = json.loads(raw)
    except (InvalidToken, ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def data(request: HttpRequest) -> dict[str, Any]:
    """This request's booking data (read once from the cookie); change it through put() and pop()."""
    found = getattr(request, _ATTR, None)
    if found is None:
        found = decode(request.COOKIES.get(COOKIE, ""))
        setattr(request, _ATTR, found)
    return found


def get(request: HttpRequest, key: str, default: Any = None) -> Any:
    return data(request).get(key, default)


def put(request: HttpRequest, key: str, value: Any) -> None:
    data(request)[key] = value
    setattr(request, _DIRTY, True)


def pop(request: HttpRequest, key: str, default: Any = None) -> Any:
    found = data(request)
    if key not in found:
        return default
    setattr(request, _DIRTY, True)
    return found.pop(key)


class BookingFlowMiddleware:
    """Writes the cookie back on the response when a view changed the booking data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if hasattr(request, _ATTR):
            patch_vary_headers(response, ("Cookie",))
        if getattr(request, _DIRTY, False):
            found = data(request)
            if found:
                response.set_cookie(
                    COOKIE,
                    encode(found),
                    max_age=settings.SESSION_COOKIE_AGE,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
            else:
                response.delete_cookie(COOKIE, samesite="Lax")
            # A page that wrote the booking data must never be stored by a shared cache.
            response["Cache-Control"] = "no-store"
        return response
