"""The client's address, directly and behind the documented reverse proxy."""

from __future__ import annotations

from django.test import RequestFactory

from staff.net import client_address, limit_key


def request(remote: str = "10.0.0.5", forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_a_proxy_the_peer_is_the_client_and_the_header_is_ignored(settings) -> None:
    settings.BEHIND_PROXY = False
    assert client_address(request("203.0.113.9", forwarded="198.51.100.1")) == "203.0.113.9"


def test_behind_one_proxy_the_rightmost_forwarded_entry_is_the_client(settings) -> None:
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 1
    # The client wrote "1.2.3.4" itself; nginx appended the address it really saw.
    assert client_address(request(forwarded="1.2.3.4, 203.0.113.9")) == "203.0.113.9"
    assert client_address(request(forwarded="203.0.113.9")) == "203.0.113.9"


def test_behind_two_proxies_the_entry_the_outer_proxy_wrote_is_the_client(settings) -> None:
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(request(forwarded="1.2.3.4, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"


def test_fewer_entries_than_proxies_or_garbage_fall_back_to_the_peer(settings) -> None:
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(request(forwarded="203.0.113.9")) == "10.0.0.5"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request()) == "10.0.0.5"
    assert client_address(request(forwarded="evil, <script>")) == "10.0.0.5"
    assert client_address(request(forwarded="203.0.113.9:51234")) == "203.0.113.9"
    assert client_address(request(forwarded="[2001:db8::1]:443")) == "2001:db8::1"


def test_an_ipv6_client_is_limited_by_its_slash_64() -> None:
    assert limit_key("2001:db8:1:2:aaaa::1") == limit_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert limit_key("203.0.113.9") == "203.0.113.9"
    assert limit_key("::ffff:203.0.113.9") == "203.0.113.9"
