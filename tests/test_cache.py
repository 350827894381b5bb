"""config.cache.RedisCache against a real redis-server started for these tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from config.cache import RedisCache


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (deploy/system-packages.sh --test installs it)")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def cache(redis_url):
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
