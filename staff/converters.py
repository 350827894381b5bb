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
