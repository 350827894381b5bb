"""Fixed-window rate limits on the shared counters (staff.counters): one atomic change per attempt (a Lua script in
Redis where the cache is Redis, else a conditional UPDATE), so they hold across processes and servers and under
concurrent requests. In Redis the windows live in memory: a restart of Redis starts them again."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from staff import counters
from staff.net import client_address, limit_key


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/15m' -> (10, 900); units s, m, h."""
    count, _, period = rate.partition("/")
    unit = period[-1]
    amount = int(period[:-1] or 1)
    seconds = amount * {"s": 1, "m": 60, "h": 3600}[unit]
    return int(count), seconds


def hit(scope: str, key: str, rate: str) -> bool:
    """Count one attempt; False once the limit for this window is reached.

    The key (an address, a reservation number) is stored as a keyed hash: the counters table holds no phone
    number or address in the clear, and the hash cannot be reversed by trying every number."""
    limit, period = parse_rate(rate)
    digest = salted_hmac("ratelimit", f"{scope}:{key}").hexdigest()[:40]
    return counters.hit(f"rl:{scope}:{digest}", limit=limit, period=period, in_memory=True).allowed


def client_hit(scope: str, request: HttpRequest, rate: str) -> bool:
    """Count one attempt by the client of this request (behind the proxy: the real client; IPv6 by /64)."""
    return hit(scope, limit_key(client_address(request)), rate)
