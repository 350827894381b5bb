"""Public rate limits: per real client behind the proxy, exact under concurrency, never evicted."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client

from reservations import availability, ratelimit
from staff.models import Counter
from tests import factories


def lookup(client: Client, number: str, **extra: str) -> int:
    return client.post("/reservation/", {"number": number, "phone": "090-0000-0000"}, **extra).status_code


@pytest.mark.django_db(transaction=True)
def test_forty_look_ups_at_once_from_one_address_let_exactly_the_limit_through(settings) -> None:
    settings.BOOKING_LOOKUP_RATE = "10/15m"
    factories.ensure_defaults()
    barrier = threading.Barrier(40)
    answers: list[int] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            # A different number each time, so only the per-address limit is in play.
            status = lookup(Client(), f"AAAAAA{index:02d}", REMOTE_ADDR="198.51.100.20")
            with lock:
                answers.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == 40
    assert answers.count(429) == 30
    assert sorted(set(answers)) == [404, 429]


def test_residents_behind_the_same_proxy_are_limited_one_by_one(client, settings, db) -> None:
    settings.BEHIND_PROXY = True
    settings.BOOKING_LOOKUP_RATE = "3/15m"
    factories.ensure_defaults()
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for i in range(3):
        assert lookup(client, f"AAAAAA{i:02d}", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy) == 404
    assert lookup(client, "AAAAAA09", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy) == 429
    # Writing another address in front of the proxy's entry does not help the first client...
    assert lookup(client, "AAAAAA10", HTTP_X_FORWARDED_FOR="192.0.2.77, 203.0.113.5", **proxy) == 429
    # ...and another resident behind the same proxy is not held up by the first.
    assert lookup(Client(), "AAAAAA11", HTTP_X_FORWARDED_FOR="198.51.100.6", **proxy) == 404


def test_a_thousand_rate_limit_keys_leave_the_availability_version_intact(
    db,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    # The production default: Django's database cache, which culls a third of its rows past MAX_ENTRIES.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "madoguchi_test_cache",
            "OPTIONS": {"MAX_ENTRIES": 300},
        }
    }
    call_command("createcachetable", verbosity=0)
    procedure = factories.procedure()
    before = availability.version(procedure.pk)
    with django_capture_on_commit_callbacks(execute=True):
        availability.bump(procedure.pk)
    bumped = availability.version(procedure.pk)
    assert bumped == before + 1
    for i in range(1000):
        assert ratelimit.hit("lookup-ip", f"198.51.{i // 250}.{i % 250}", "10/15m")
        cache.set(f"filler:{i}", "x" * 100)
    assert availability.version(procedure.pk) == bumped
    assert Counter.objects.filter(key__startswith="rl:").count() == 1000
