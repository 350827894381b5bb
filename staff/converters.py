"""URL converters shared by every app's URLs (registered in staff.apps)."""

from __future__ import annotations

from datetime import date


class IsoDateConverter:
    """A calendar day in a URL as YYYY-MM-DD; an impossible date such as 2026-02-30 is a 404."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        return date.fromisoformat(value)

    def to_url(self, value: date) -> str:
        return value.isoformat()


class TokenConverter:
    """A secret link's token as Madoguchi makes it (URL-safe base64); anything else, a NUL byte included, is a 404
    before it reaches a view or the database."""

    regex = r"[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
