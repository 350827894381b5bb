"""Counters shared by every process: atomic on both databases, never evicted by the cache."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from staff import counters
from staff.models import Counter


def run_at_once(count: int, attempt) -> list:
    """Run `attempt(i)` in `count` threads released together, each on its own database connection."""
    barrier = threading.Barrier(count)
    results: list = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcome = attempt(index)
        except Exception as exc:
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db
def test_a_window_lets_the_limit_through_then_refuses_until_it_ends() -> None:
    now = timezone.now()
    assert [counters.hit("k", limit=3, period=60, now=now).allowed for _ in range(4)] == [True, True, True, False]
    refused = counters.hit("k", limit=3, period=60, now=now + timedelta(seconds=30))
    assert not refused.allowed and refused.resets_at == now + timedelta(seconds=60)
    assert counters.blocked_until("k", limit=3, now=now) == now + timedelta(seconds=60)
    assert counters.hit("k", limit=3, period=60, now=now + timedelta(seconds=61)).allowed
    assert counters.blocked_until("k", limit=3, now=now + timedelta(seconds=61)) is None


@pytest.mark.django_db
def test_an_attempt_given_back_frees_its_place() -> None:
    now = timezone.now()
    assert counters.hit("k", limit=1, period=60, now=now).allowed
    counters.give_back("k")
    assert counters.hit("k", limit=1, period=60, now=now).allowed
    assert not counters.hit("k", limit=1, period=60, now=now).allowed
    counters.reset("k")
    assert counters.hit("k", limit=1, period=60, now=now).allowed


@pytest.mark.django_db
def test_a_version_starts_at_one_and_only_grows() -> None:
    assert counters.value("v") == 1
    assert counters.increase("v") == 2
    assert counters.increase("v") == 3
    assert counters.value("v") == 3


@pytest.mark.django_db
def test_purge_deletes_only_windows_long_over_and_never_a_version() -> None:
    now = timezone.now()
    counters.hit("old", limit=5, period=60, now=now - timedelta(days=2))
    counters.hit("fresh", limit=5, period=60, now=now)
    counters.increase("v")
    assert counters.purge(now=now) == 1
    assert set(Counter.objects.values_list("key", flat=True)) == {"fresh", "v"}


@pytest.mark.django_db(transaction=True)
def test_forty_attempts_at_once_let_exactly_the_limit_through() -> None:
    results = run_at_once(40, lambda i: counters.hit("race", limit=10, period=900).allowed)
    assert [r for r in results if isinstance(r, Exception)] == []
    assert results.count(True) == 10
    assert Counter.objects.get(key="race").count == 10


@pytest.mark.django_db(transaction=True)
def test_thirty_increases_at_once_are_all_counted() -> None:
    results = run_at_once(30, lambda i: counters.increase("version"))
    assert [r for r in results if isinstance(r, Exception)] == []
    assert counters.value("version") == 31
