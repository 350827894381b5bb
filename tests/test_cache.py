"""config.cache.RedisCache against a real redis-server started for these tests."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from config.cache import RedisCache
from tests.redis_server import redis_url  # noqa: F401 (a fixture)


@pytest.fixture
def cache(redis_url):  # noqa: F811
    backend = RedisCache(redis_url, {"TIMEOUT": 300, "KEY_PREFIX": "t"})
    backend.clear()
    return backend


def test_values_of_every_type_come_back_as_they_were_stored(cache) -> None:
    values = {"int": 7, "bool": True, "str": "窓口", "none": None, "dict": {"a": [1, 2]}, "float": 1.5}
    for key, value in values.items():
        cache.set(key, value)
    for key, value in values.items():
        got = cache.get(key, default="missing")
        assert got == value and type(got) is type(value)
    assert cache.get_many(["int", "str", "absent"]) == {"int": 7, "str": "窓口"}
    assert cache.get("absent", "fallback") == "fallback"


def test_add_only_writes_a_missing_key_and_delete_reports_what_it_removed(cache) -> None:
    assert cache.add("k", 1) is True
    assert cache.add("k", 2) is False
    assert cache.get("k") == 1
    assert cache.has_key("k")
    assert cache.delete("k") is True
    assert cache.delete("k") is False
    assert not cache.has_key("k")


def test_a_zero_timeout_deletes_and_a_timeout_expires(cache) -> None:
    cache.set("gone", 1, timeout=0)
    assert cache.get("gone") is None
    cache.set("short", 1, timeout=1)
    assert cache.touch("short", timeout=None) is True
    cache.set_many({"a": 1, "b": 2}, timeout=1)
    assert cache.get_many(["a", "b"]) == {"a": 1, "b": 2}
    time.sleep(1.2)
    assert cache.get("short") == 1  # made persistent by touch
    assert cache.get_many(["a", "b"]) == {}
    cache.delete_many(["short"])
    assert cache.get("short") is None


def test_incr_is_atomic_across_threads_and_refuses_a_missing_key(cache) -> None:
    with pytest.raises(ValueError):
        cache.incr("counter")
    cache.set("counter", 0)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: cache.incr("counter"), range(200)))
    assert sorted(results) == list(range(1, 201))
    assert cache.get("counter") == 200


def test_one_redis_client_serves_every_call_of_the_process(cache) -> None:
    assert cache.client(write=True) is cache.client(write=True)
    assert cache.client(write=False) is cache.client(write=True)


def test_the_settings_use_this_backend_for_a_redis_cache_url() -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "DEBUG": "true", "CACHE_URL": "redis://127.0.0.1:6379/9"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    code = "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default'])"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "'BACKEND': 'config.cache.RedisCache'" in result.stdout


def test_a_window_counts_to_its_limit_refuses_without_counting_and_opens_again(cache) -> None:
    assert [cache.window_hit("w", limit=3, period=1)[0] for _ in range(5)] == [True, True, True, False, False]
    allowed, wait_ms = cache.window_hit("w", limit=3, period=1)
    assert not allowed and 0 < wait_ms <= 1000
    assert cache.get("w") == 3  # the refused attempts were not counted
    time.sleep(1.1)
    assert cache.window_hit("w", limit=3, period=1) == (True, 0)


def test_a_window_lets_exactly_its_limit_through_under_concurrency(cache) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: cache.window_hit("busy", limit=50, period=60)[0], range(200)))
    assert results.count(True) == 50


def test_a_lost_counter_starts_again_above_every_number_handed_out(cache) -> None:
    assert cache.counter_value("v", start=1_000) == 1_000
    assert cache.counter_increase("v", start=5) == 1_001
    assert cache.counter_value("v", start=7) == 1_001
    cache.clear()  # what a restart of Redis does to it
    assert cache.counter_increase("v", start=2_000) == 2_001
    cache.set("page", (2_001, b"<html>"))
    assert cache.read_with_counter("v", "page", start=9) == (2_001, (2_001, b"<html>"))
    assert cache.read_with_counter("new", "absent", start=9) == (9, None)


def other_process(redis_url: str) -> RedisCache:  # noqa: F811
    """Another server process's cache: a client of its own, on the same Redis and key prefix."""
    return RedisCache(redis_url, {"TIMEOUT": 300, "KEY_PREFIX": "t"})


def commands_run(cache: RedisCache) -> int:
    stats = cache.client(write=True).info("commandstats")
    return sum(entry["calls"] for entry in stats.values())


def test_a_counter_raised_by_another_process_is_heard_without_a_round_trip(
    cache,
    redis_url,  # noqa: F811
    monkeypatch,
) -> None:
    monkeypatch.setattr(type(cache.watch), "HEARTBEAT", 3600.0)  # no PING counted below
    other = other_process(redis_url)
    start = 1_795_868_794_788_123  # counters start from the time in microseconds
    assert cache.counter_value("v", start=start) == start
    assert cache.known_counter("v") == start
    assert other.counter_increase("v", start=5) == start + 1
    assert other.counter_increase("v", start=5) == start + 2
    time.sleep(0.05)  # delivery on the loopback
    before = commands_run(cache)
    assert cache.known_counter("v") == start + 2
    assert cache.counter_value("v", start=7) == start + 2
    # Only the INFO of the count itself reached the server (the subscription's PING comes once a second).
    assert commands_run(cache) - before == 1
    # A counter raised since the subscription began is heard even if this process never read it.
    other.counter_increase("w", start=start)
    time.sleep(0.05)
    assert cache.known_counter("w") == start + 1


def test_another_database_of_the_same_server_is_not_heard(cache, redis_url) -> None:  # noqa: F811
    # Channels are shared by every database of a Redis server; the same key prefix on database 1.
    elsewhere = RedisCache(redis_url.rsplit("/", 1)[0] + "/1", {"TIMEOUT": 300, "KEY_PREFIX": "t"})
    elsewhere.clear()
    assert cache.counter_value("v", start=10) == 10
    assert elsewhere.counter_value("v", start=10) == 10
    elsewhere.counter_increase("v", start=500)
    time.sleep(0.05)
    assert cache.known_counter("v") == 10
    assert elsewhere.known_counter("v") == 11


def test_a_process_sees_its_own_raise_at_once(cache, monkeypatch) -> None:
    assert cache.counter_value("v", start=100) == 100
    # Even if the message has not arrived yet.
    monkeypatch.setattr(type(cache.watch), "_heard", lambda self, data: None)
    assert cache.counter_increase("v", start=1) == 101
    assert cache.known_counter("v") == 101


def test_a_counter_created_again_lower_is_taken_as_published(cache, redis_url) -> None:  # noqa: F811
    other = other_process(redis_url)
    assert cache.counter_value("v", start=5_000) == 5_000
    # Evicted, or deleted, while the subscription stays up, then created again by a server whose clock is behind.
    cache.client(write=True).delete(cache.make_and_validate_key("v"))
    assert other.counter_increase("v", start=4_000) == 4_001
    time.sleep(0.05)
    assert cache.known_counter("v") == 4_001
    other.counter_increase("v", start=1)
    time.sleep(0.05)
    assert cache.known_counter("v") == 4_002


def test_a_client_that_subscribed_again_on_its_own_forgets_what_it_heard(cache) -> None:
    assert cache.counter_value("v", start=100) == 100
    # As redis-py does after a lost connection when its retry settings allow: it connects and subscribes again,
    # and what was published in between is lost.
    cache.watch._pubsub.subscribe(cache.channel)
    time.sleep(0.05)
    assert cache.known_counter("v") is None
    assert cache.counter_value("v", start=7) == 100
    assert cache.known_counter("v") == 100


def test_when_the_subscription_is_lost_counters_are_read_from_redis_until_it_is_back(cache, redis_url) -> None:  # noqa: F811
    other = other_process(redis_url)
    assert cache.counter_value("v", start=100) == 100
    cache.client(write=True).client_kill_filter(_type="pubsub")
    # Raised while this process was not listening (and could not be told)...
    other.counter_increase("v", start=5)
    # ...it is read from Redis, and the process subscribes again.
    assert cache.known_counter("v") is None
    assert cache.counter_value("v", start=7) == 101
    assert cache.known_counter("v") == 101
    other.counter_increase("v", start=5)
    time.sleep(0.05)
    assert cache.known_counter("v") == 102


def test_a_subscription_that_stops_answering_is_given_up(cache, monkeypatch) -> None:
    assert cache.counter_value("v", start=100) == 100
    watch = type(cache.watch)
    monkeypatch.setattr(watch, "HEARTBEAT", 0.0)
    monkeypatch.setattr(watch, "PONG_WAIT", 0.0)
    # The server no longer answers: no message, no answer to the PING that proves the subscription alive.
    monkeypatch.setattr(cache.watch._pubsub, "get_message", lambda timeout=0.0: None)
    assert cache.known_counter("v") == 100  # the PING has just gone out
    assert cache.known_counter("v") is None  # and no answer came in time: given up
    assert cache.watch._pubsub is None


def test_an_idle_process_waits_for_the_subscription_to_answer_before_it_answers(cache, monkeypatch) -> None:
    assert cache.counter_value("v", start=100) == 100
    monkeypatch.setattr(type(cache.watch), "STALE", 0.0)
    assert cache.known_counter("v") == 100  # it answers the PING
    monkeypatch.setattr(cache.watch._pubsub, "get_message", lambda timeout=0.0: None)
    assert cache.known_counter("v") is None
    assert cache.watch._pubsub is None


def test_under_way_the_subscription_answers_its_pings(cache, monkeypatch) -> None:
    assert cache.counter_value("v", start=100) == 100
    monkeypatch.setattr(type(cache.watch), "HEARTBEAT", 0.0)
    monkeypatch.setattr(type(cache.watch), "PONG_WAIT", 0.5)
    for _ in range(20):
        assert cache.known_counter("v") == 100
        time.sleep(0.02)
    assert cache.watch._pubsub is not None


def test_a_forked_process_subscribes_on_its_own(cache) -> None:
    import json
    import os

    assert cache.counter_value("v", start=100) == 100
    parent_pubsub = cache.watch._pubsub
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child, as a server worker forked after the cache was first used
        try:
            first = cache.counter_value("v", start=1)
            cache.counter_increase("v", start=1)
            time.sleep(0.05)
            os.write(write_end, json.dumps([first, cache.known_counter("v")]).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        seen = json.loads(pipe.read())
    os.waitpid(pid, 0)
    # The child heard its own raise on a subscription of its own; the parent's is untouched and heard it too.
    assert seen == [100, 101]
    assert cache.watch._pubsub is parent_pubsub
    time.sleep(0.05)
    assert cache.known_counter("v") == 101


def test_while_one_thread_reads_the_subscription_the_others_answer_from_what_was_heard(cache) -> None:
    assert cache.counter_value("v", start=100) == 100
    with cache.watch._lock:  # as another thread of the process, reading the subscription's socket
        assert cache.known_counter("v") == 100
        assert cache.counter_value("v", start=1) == 100
        # What it reads from Redis meanwhile is not kept, rather than waiting for the lock.
        assert cache.counter_value("w", start=7) == 7
        assert cache.watch._known.get(cache.make_and_validate_key("w")) is None
        cache.watch._ping_sent = time.monotonic() - 2 * type(cache.watch).PONG_WAIT  # a PING left unanswered
        assert cache.known_counter("v") is None
        cache.watch._ping_sent = None
        cache.watch._proven -= type(cache.watch).STALE  # nothing has proved the subscription for a while
        assert cache.known_counter("v") is None


def test_a_message_that_is_not_a_counter_change_is_ignored(cache, redis_url) -> None:  # noqa: F811
    assert cache.counter_value("v", start=100) == 100
    for foreign in (b"hello", b"5 * t:1:v", b"7 + \xff\xfe"):
        cache.client(write=True).publish(cache.channel, foreign)
    other_process(redis_url).counter_increase("v", start=1)
    time.sleep(0.05)
    assert cache.known_counter("v") == 101
