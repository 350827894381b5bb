"""A Redis cache backend that keeps one redis client per server for the life of the process.

Django's own Redis backend builds a new redis.Redis object on every cache call, and redis-py fills a table of
response callbacks in each constructor (about 0.7 ms on the machines this runs on): several milliseconds per page
on the busy booking pages. A redis.Redis client is thread-safe, so one per server serves every call.

Written against Django's public cache API (BaseCache) and redis-py's public API only, so that an upgrade of either
cannot silently change what it does. Values are stored the way Django's Redis backend stores them: integers as
plain numbers (so that incr is Redis' atomic INCRBY), everything else pickled.
"""

from __future__ import annotations

import pickle
import random
import re
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache


def _dumps(value: Any) -> Any:
    # bool is an int subclass but must come back as a bool, so only exact ints are stored as numbers.
    if type(value) is int:
        return value
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _loads(data: Any) -> Any:
    try:
        return int(data)
    except ValueError:
        return pickle.loads(data)


class RedisCache(BaseCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(params)
        servers = server if isinstance(server, list | tuple) else re.split("[;,]", server)
        self.servers = [s.strip() for s in servers if s.strip()]
        options = dict(params.get("OPTIONS") or {})
        # A Redis that hangs instead of refusing must not hold a request: every booking step and each read of the
        # office calendar's version makes a round trip, and each of those falls back to the database on an error.
        options.setdefault("socket_connect_timeout", 1.0)
        options.setdefault("socket_timeout", 1.0)
        self.clients = [redis.Redis.from_url(url, **options) for url in self.servers]
        # EVALSHA with the script's digest; redis-py loads the script again after a server restart.
        writer = self.clients[0]
        self._window_hit = writer.register_script(self._WINDOW_HIT)
        self._counter_value = writer.register_script(self._COUNTER_VALUE)
        self._counter_increase = writer.register_script(self._COUNTER_INCREASE)
        self._read_with_counter = writer.register_script(self._READ_WITH_COUNTER)

    def client(self, *, write: bool) -> redis.Redis:
        # Writes go to the first server; reads are spread over the replicas, like Django's backend.
        if write or len(self.clients) == 1:
            return self.clients[0]
        return random.choice(self.clients[1:])

    def get_backend_timeout(self, timeout: float | None = DEFAULT_TIMEOUT) -> int | None:
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        # None keeps the key for ever; zero or less deletes it.
        return None if timeout is None else max(0, int(timeout))

    def add(self, key: Any, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        client = self.client(write=True)
        seconds = self.get_backend_timeout(timeout)
        if seconds == 0:
            added = bool(client.set(key, _dumps(value), nx=True))
            if added:
                client.delete(key)
            return added
        return bool(client.set(key, _dumps(value), ex=seconds, nx=True))

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        data = self.client(write=False).get(key)
        return default if data is None else _loads(data)

    def set(self, key: Any, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        key = self.make_and_validate_key(key, version=version)
        client = self.client(write=True)
        seconds = self.get_backend_timeout(timeout)
        if seconds == 0:
            client.delete(key)
        else:
            client.set(key, _dumps(value), ex=seconds)

    def touch(self, key: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        client = self.client(write=True)
        seconds = self.get_backend_timeout(timeout)
        if seconds is None:
            return bool(client.persist(key))
        return bool(client.expire(key, seconds))

    def delete(self, key: Any, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(self.client(write=True).delete(key))

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        keys = list(keys)
        if not keys:
            return {}
        made = {self.make_and_validate_key(key, version=version): key for key in keys}
        values = self.client(write=False).mget(list(made))
        return {made[k]: _loads(v) for k, v in zip(made, values, strict=True) if v is not None}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(self.client(write=False).exists(key))

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        client = self.client(write=True)
        if not client.exists(key):
            raise ValueError(f"Key '{key}' not found.")
        return int(client.incr(key, delta))

    def set_many(
        self, data: dict[Any, Any], timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        if not data:
            return []
        seconds = self.get_backend_timeout(timeout)
        made = {self.make_and_validate_key(key, version=version): _dumps(value) for key, value in data.items()}
        client = self.client(write=True)
        if seconds == 0:
            client.delete(*made)
            return []
        pipeline = client.pipeline()
        pipeline.mset(made)
        if seconds is not None:
            for key in made:
                pipeline.expire(key, seconds)
        pipeline.execute()
        return []

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        made = [self.make_and_validate_key(key, version=version) for key in keys]
        if made:
            self.client(write=True).delete(*made)

    # Counters for staff.counters: each one Lua script, so it is atomic on the server whatever other clients do.
    _WINDOW_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return {0, redis.call('PTTL', KEYS[1])}
end
return {1, 0}
"""
    _COUNTER_VALUE = """
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'NX')
  v = redis.call('GET', KEYS[1])
end
return v
"""
    _COUNTER_INCREASE = """
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[1], 'NX') end
return redis.call('INCR', KEYS[1])
"""

    _READ_WITH_COUNTER = """
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'NX')
  v = redis.call('GET', KEYS[1])
end
return {v, redis.call('GET', KEYS[2])}
"""

    def read_with_counter(self, counter: str, key: str, *, start: int) -> tuple[int, Any]:
        """A counter (as counter_value) and a cached value, in one round trip to the primary: the value is never
        older than the counter read with it, which a replica could not promise."""
        number, data = self._read_with_counter(
            keys=[self.make_and_validate_key(counter), self.make_and_validate_key(key)], args=[start]
        )
        return int(number), None if data is None else _loads(data)

    def window_hit(self, key: str, *, limit: int, period: int) -> tuple[bool, int]:
        """Count one attempt in a fixed window of `period` seconds that starts with the first attempt.

        Returns (allowed, milliseconds until the window ends when refused); a refused attempt is not counted."""
        allowed, ttl = self._window_hit(keys=[self.make_and_validate_key(key)], args=[limit, period * 1000])
        return bool(allowed), max(int(ttl), 0)

    def counter_value(self, key: str, *, start: int) -> int:
        """A never-resetting counter; `start` when it is first read (or was lost with the server's memory)."""
        return int(self._counter_value(keys=[self.make_and_validate_key(key)], args=[start]))

    def counter_increase(self, key: str, *, start: int) -> int:
        """Add one to a never-resetting counter that starts at `start`; the new value."""
        return int(self._counter_increase(keys=[self.make_and_validate_key(key)], args=[start]))

    def clear(self) -> None:
        self.client(write=True).flushdb()

    def close(self, **kwargs: Any) -> None:
        # Connections stay in the clients' pools for the next request, as with Django's backend.
        return None
