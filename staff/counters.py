"""Counters that hold across processes and servers: rate limits, login failures, version numbers.

Every change is one UPDATE whose WHERE clause carries the condition ("still below the limit", "this window is
over"), so two processes can never both take the last allowed attempt: PostgreSQL re-checks the condition on the
row after the other writer commits, and SQLite has one writer at a time. The counters live in a table of their own,
not in the cache, because a cache may evict them (Django's database cache culls a third of its rows when full).

Counters that may live in memory (`in_memory=True`: the public rate limits and the calendar's version numbers)
are kept in Redis when the cache is Redis (config.cache.RedisCache), each change one Lua script, atomic on the
server: a booking step then costs one round trip to Redis instead of a write to the database. What Redis may lose
is harmless there: a rate-limit window lost with a restart starts again, and a lost version number starts again
from the current time in microseconds, above every number handed out before, so no page stored under an old
number is ever asked for again. The login throttle stays in the database.

Version numbers in Redis are also heard by every process as they change (config.cache.CounterWatch): reading one
the process has heard costs no round trip.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from staff.models import Counter

logger = logging.getLogger(__name__)

# A loser of the race to create a counter's row tries again; three rounds settle any interleaving.
ROUNDS = 3


@dataclass(frozen=True)
class Hit:
    allowed: bool
    # When the window ends: the moment a refused client may try again.
    resets_at: datetime | None = None


def memory() -> Any:
    """The shared cache when it keeps counters atomically (Redis), else None."""
    return cache if hasattr(cache, "window_hit") else None


def hit(key: str, *, limit: int, period: int, now: datetime | None = None, in_memory: bool = False) -> Hit:
    """Count one attempt in a fixed window of `period` seconds that starts with the first attempt.

    Allowed while the window holds fewer than `limit` attempts; a refused attempt is not counted."""
    now = now or timezone.now()
    if limit <= 0:
        return Hit(False, now + timedelta(seconds=period))
    shared = memory() if in_memory else None
    if shared is not None:
        try:
            allowed, wait_ms = shared.window_hit(key, limit=limit, period=period)
        except Exception:  # Redis unreachable: the database counts this attempt instead
            logger.warning("counter %s: Redis unavailable, counted in the database", key, exc_info=True)
        else:
            return Hit(True) if allowed else Hit(False, now + timedelta(milliseconds=wait_ms))
    for _ in range(ROUNDS):
        if Counter.objects.filter(key=key, resets_at__gt=now, count__lt=limit).update(count=F("count") + 1):
            return Hit(True)
        # The previous window is over: this attempt opens the next one.
        if Counter.objects.filter(key=key, resets_at__lte=now).update(
            count=1, resets_at=now + timedelta(seconds=period)
        ):
            return Hit(True)
        row = Counter.objects.filter(key=key).values_list("count", "resets_at").first()
        if row is None:
            try:
                with transaction.atomic():
                    Counter.objects.create(key=key, count=1, resets_at=now + timedelta(seconds=period))
            except IntegrityError:
                continue  # another process created it a moment ago: count against its row
            return Hit(True)
        count, resets_at = row
        if resets_at is not None and resets_at > now and count >= limit:
            return Hit(False, resets_at)
    # Only reachable when other writers keep resetting the row under us; refusing is the safe answer.
    return Hit(False, now + timedelta(seconds=period))


def blocked_until(key: str, *, limit: int, now: datetime | None = None) -> datetime | None:
    """When a window counter at its limit opens again, or None if it is open now."""
    now = now or timezone.now()
    row = Counter.objects.filter(key=key, resets_at__gt=now, count__gte=limit).values_list("resets_at").first()
    return row[0] if row else None


def give_back(key: str) -> None:
    """Return one counted attempt (a login that turned out to be right does not count as a failure)."""
    Counter.objects.filter(key=key, count__gt=0).update(count=F("count") - 1)


def reset(key: str) -> None:
    Counter.objects.filter(key=key).delete()


def _start() -> int:
    return time.time_ns() // 1000


def value(key: str, *, in_memory: bool = False) -> int:
    """A never-resetting counter (a version number); 1 until it is first increased (in memory: the time)."""
    shared = memory() if in_memory else None
    if shared is not None:
        return int(shared.counter_value(key, start=_start()))
    row = Counter.objects.filter(key=key).values_list("count").first()
    return row[0] if row else 1


def known_value(key: str) -> int | None:
    """A never-resetting counter in memory as this process has heard it, without a round trip; None when it has
    not (or the counters are not in Redis): then `value` or `value_and_cached` reads it."""
    shared = memory()
    return None if shared is None else shared.known_counter(key)


def value_and_cached(key: str, cache_key: str, *, in_memory: bool = False) -> tuple[int, Any]:
    """A never-resetting counter and the value cached under `cache_key`, read together (one round trip in
    Redis), so that the cached value is at least as new as the counter it is compared with."""
    shared = memory() if in_memory else None
    if shared is not None:
        number, cached = shared.read_with_counter(key, cache_key, start=_start())
        return number, cached
    return value(key), cache.get(cache_key)


def increase(key: str, *, in_memory: bool = False) -> int:
    """Add one to a never-resetting counter and return the new value."""
    shared = memory() if in_memory else None
    if shared is not None:
        return int(shared.counter_increase(key, start=_start()))
    for _ in range(ROUNDS):
        if Counter.objects.filter(key=key).update(count=F("count") + 1):
            break
        try:
            with transaction.atomic():
                Counter.objects.create(key=key, count=2)
        except IntegrityError:
            continue
        break
    return value(key)


def purge(*, now: datetime | None = None) -> int:
    """Delete window counters that ended more than a day ago (they would start again at zero anyway)."""
    now = now or timezone.now()
    deleted, _ = Counter.objects.filter(resets_at__lt=now - timedelta(days=1)).delete()
    return deleted
