"""Who is on the other end: the one place that reads the client's address.

Behind the reverse proxy that docs/deploy.md sets up, REMOTE_ADDR is the proxy. Each trusted proxy appends the
address it received the request from to X-Forwarded-For, so with N trusted proxies the client is the N-th entry
from the right; everything left of it was written by the client and proves nothing. With fewer entries than
trusted proxies the request did not come through them, and the peer address is all we know (the rule of
werkzeug's ProxyFix).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _parse(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.9:51234
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The client's IP address as this server can trust it; every per-client limit keys on this."""
    peer = _parse(request.META.get("REMOTE_ADDR", "")) or "unknown"
    if not settings.BEHIND_PROXY:
        return peer
    trusted = max(settings.TRUSTED_PROXY_COUNT, 1)
    entries = [e for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
    if len(entries) < trusted:
        return peer
    return _parse(entries[-trusted]) or peer


def limit_key(address: str) -> str:
    """The part of an address one client controls: the address itself for IPv4, the /64 network for IPv6
    (one household or phone is given a whole /64, and could otherwise take a fresh address per attempt)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
