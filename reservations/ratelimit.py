"""Fixed-window rate limits kept in the shared cache, so they hold across processes and servers."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/15m' -> (10, 900); units s, m, h."""
    count, _, period = rate.partition("/")
    unit = period[-1]
    amount = int(period[:-1] or 1)
    seconds = amount * {"s": 1, "m": 60, "h": 3600}[unit]
    return int(count), seconds


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hit(scope: str, key: str, rate: str) -> bool:
    """Count one attempt; False once the limit for this window is exceeded."""
    limit, period = parse_rate(rate)
    window = int(time.time() // period)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"rl:{scope}:{window}:{digest}"
    cache.add(cache_key, 0, timeout=period + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        cache.set(cache_key, 1, timeout=period + 5)
        count = 1
    return count <= limit
