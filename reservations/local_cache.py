"""Rows that change rarely, kept for a minute in each process: the office, the active procedures, the office
calendar.

Every step of every booking reads them. From the shared cache each read cost a round trip to Redis and the
unpickling of a model instance; a copy in the process costs a dictionary look-up. An administrator's edit shows
within the minute, as it did with the shared cache (at once in the process that saved it: saving or deleting an
office, a procedure or a certificate kind empties this process's copies).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

TTL = 60.0
# Enough for every procedure of an office and the office days of every range the booking pages ask about;
# unknown slugs typed into a URL cannot make it grow without bound.
MAX_ENTRIES = 4096

_entries: dict[str, tuple[float, Any]] = {}


def get_or_set(key: str, load: Callable[[], Any], ttl: float = TTL) -> Any:
    now = time.monotonic()
    found = _entries.get(key)
    if found is not None and found[0] > now:
        return found[1]
    value = load()
    put(key, value, ttl)
    return value


def get(key: str) -> Any:
    """The value kept under `key`, or None when there is none or it has expired."""
    found = _entries.get(key)
    return found[1] if found is not None and found[0] > time.monotonic() else None


def put(key: str, value: Any, ttl: float = TTL) -> None:
    if len(_entries) >= MAX_ENTRIES:
        _entries.clear()
    _entries[key] = (time.monotonic() + ttl, value)


def clear(*args: Any, **kwargs: Any) -> None:
    """Forget every copy (also a signal receiver)."""
    _entries.clear()
