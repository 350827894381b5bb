"""A Redis cache backend that keeps one redis client per server for the life of the process.

Django's own Redis backend builds a new redis.Redis object on every cache call, and redis-py fills a table of
response callbacks in each constructor (about 0.7 ms on the machines this runs on): several milliseconds per page
on the busy booking pages. A redis.Redis client is thread-safe, so one per server serves every call.

Written against Django's public cache API (BaseCache) and redis-py's public API only, so that an upgrade of either
cannot silently change what it does. Values are stored the way Django's Redis backend stores them: integers as
plain numbers (so that incr is Redis' atomic INCRBY), everything else pickled.

The never-resetting counters (version numbers) are also kept in each process by a `CounterWatch`: every change
publishes the counter's new value, and a process answers from what it has heard, without a round trip.
"""

from __future__ import annotations

import logging
import os
import pickle
import random
import re
import threading
import time
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

logger = logging.getLogger(__name__)


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
        # Channels are shared by every database of a Redis server: the channel names this one and the key prefix.
        database = writer.connection_pool.connection_kwargs.get("db", 0)
        self.channel = f"madoguchi-counters:{database}:{self.make_key('')}"
        self.watch = CounterWatch(writer, self.channel)

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
    # Each script that sets or raises a never-resetting counter publishes "<value> <how> <key>" on the cache's
    # channel (ARGV[2]) in the same atomic step, for the CounterWatch of every process: how is "=" when the counter
    # was (re)created, from this server's clock, and "+" when it was raised. pcall: a Redis user without the right
    # to publish still counts (the processes then read the counters from Redis, as their subscription is refused).
    _COUNTER_VALUE = """
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'NX')
  v = redis.call('GET', KEYS[1])
  redis.pcall('PUBLISH', ARGV[2], v .. ' = ' .. KEYS[1])
end
return v
"""
    _COUNTER_INCREASE = """
local how = ' + '
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'NX')
  how = ' = '
end
local v = redis.call('INCR', KEYS[1])
redis.pcall('PUBLISH', ARGV[2], redis.call('GET', KEYS[1]) .. how .. KEYS[1])
return v
"""

    _READ_WITH_COUNTER = """
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'NX')
  v = redis.call('GET', KEYS[1])
  redis.pcall('PUBLISH', ARGV[2], v .. ' = ' .. KEYS[1])
end
return {v, redis.call('GET', KEYS[2])}
"""

    def read_with_counter(self, counter: str, key: str, *, start: int) -> tuple[int, Any]:
        """A counter (as counter_value) and a cached value, in one round trip to the primary: the value is never
        older than the counter read with it, which a replica could not promise."""
        made = self.make_and_validate_key(counter)
        generation = self.watch.generation()
        number, data = self._read_with_counter(keys=[made, self.make_and_validate_key(key)], args=[start, self.channel])
        self.watch.learn(made, int(number), generation)
        return int(number), None if data is None else _loads(data)

    def window_hit(self, key: str, *, limit: int, period: int) -> tuple[bool, int]:
        """Count one attempt in a fixed window of `period` seconds that starts with the first attempt.

        Returns (allowed, milliseconds until the window ends when refused); a refused attempt is not counted."""
        allowed, ttl = self._window_hit(keys=[self.make_and_validate_key(key)], args=[limit, period * 1000])
        return bool(allowed), max(int(ttl), 0)

    def counter_value(self, key: str, *, start: int) -> int:
        """A never-resetting counter; `start` when it is first read (or was lost with the server's memory)."""
        made = self.make_and_validate_key(key)
        known, generation = self.watch.known(made)
        if known is not None:
            return known
        number = int(self._counter_value(keys=[made], args=[start, self.channel]))
        self.watch.learn(made, number, generation)
        return number

    def known_counter(self, key: str) -> int | None:
        """A never-resetting counter as this process has heard it, without a round trip; None when it has not
        (not read yet, or the subscription is down)."""
        return self.watch.known(self.make_and_validate_key(key))[0]

    def counter_increase(self, key: str, *, start: int) -> int:
        """Add one to a never-resetting counter that starts at `start`; the new value."""
        made = self.make_and_validate_key(key)
        generation = self.watch.generation()
        number = int(self._counter_increase(keys=[made], args=[start, self.channel]))
        # This process sees its own raise at once, whether or not the message has arrived yet.
        self.watch.learn(made, number, generation)
        return number

    def clear(self) -> None:
        self.client(write=True).flushdb()
        # Nothing is published for the counters it wipes: this process forgets them too.
        self.watch.forget()

    def close(self, **kwargs: Any) -> None:
        # Connections stay in the clients' pools for the next request, as with Django's backend.
        return None


class CounterWatch:
    """The never-resetting counters this process has read, kept current by what Redis publishes.

    Each of RedisCache's scripts that sets or raises such a counter publishes its new value on the cache's channel
    in the same atomic step. The process subscribes once (after a fork, again) and, before it answers, reads every
    message already in its socket (a non-blocking read, no round trip); a counter it has not heard of is read from
    Redis and learnt, and its own raises it learns from their answer. A raise by another process is seen once
    Redis's message has reached this one: on one machine or network, a fraction of a millisecond after the raise
    returned. A request that reads in that moment gets the number before the raise, as a round trip made a moment
    earlier would have.

    Versions only grow, so what is heard and what is read are merged by keeping the larger; a counter that was
    lost and created again (from the clock of the server that did it) is taken as published. The subscription
    proves itself alive with a PING every HEARTBEAT seconds, its answer read with the messages (a process idle
    for STALE seconds waits for the answer before it answers). When no answer comes within PONG_WAIT seconds, the
    server closed the subscription (a restart, which loses the counters), or the client subscribed again on its
    own, everything heard is forgotten; until the subscription is back (tried again after RETRY seconds), every
    read is a round trip. While one thread reads the subscription, the others answer from what has been heard so
    far instead of waiting for it. A value read while no subscription was up, or before what was heard was
    forgotten, is not kept: a change published in between would be missed."""

    HEARTBEAT = 1.0  # seconds between PINGs while the process is reading
    PONG_WAIT = 1.0  # seconds a PING may go unanswered
    STALE = 3.0  # without an answer for this long (an idle process), the next read waits for one
    RETRY = 5.0  # seconds before subscribing again after a refusal
    MAX_KEYS = 4096

    def __init__(self, client: redis.Redis, channel: str) -> None:
        self._client = client
        self._channel = channel
        self._lock = threading.Lock()
        self._pubsub: Any = None
        self._pid = 0
        self._generation = 0
        self._known: dict[str, int] = {}
        self._proven = 0.0
        self._ping_sent: float | None = None
        self._retry_at = 0.0

    def known(self, key: str) -> tuple[int | None, int]:
        """(the value heard, None if none) and the subscription's generation (-1: no subscription)."""
        if not self._lock.acquire(blocking=False):
            # Another thread of this process is reading the subscription at this moment (its socket read lets
            # go of the interpreter): what has been heard so far, rather than waiting behind it.
            return self._heard_so_far(key)
        try:
            if not self._listen():
                return None, -1
            return self._known.get(key), self._generation
        finally:
            self._lock.release()

    def generation(self) -> int:
        return self.known("")[1]

    def _heard_so_far(self, key: str) -> tuple[int | None, int]:
        now, ping_sent = time.monotonic(), self._ping_sent
        if self._pubsub is None or self._pid != os.getpid() or now - self._proven >= self.STALE:
            return None, -1
        if ping_sent is not None and now - ping_sent > self.PONG_WAIT:
            return None, -1
        generation = self._generation
        return self._known.get(key), generation

    def learn(self, key: str, value: int, generation: int) -> None:
        """A value read from Redis while the subscription of `generation` was up."""
        if generation < 0 or not self._lock.acquire(blocking=False):
            return  # not kept: the next read asks Redis again (a request never waits behind the subscription)
        try:
            if generation == self._generation and self._pubsub is not None:
                self._merge(key, value)
        finally:
            self._lock.release()

    def forget(self) -> None:
        with self._lock:
            self._forget()

    def _forget(self) -> None:
        # A value read before this moment may be older than what was forgotten: the generation turns over, so
        # such reads are not kept.
        self._known.clear()
        self._generation += 1

    def _merge(self, key: str, value: int) -> None:
        old = self._known.get(key)
        if old is None:
            if len(self._known) >= self.MAX_KEYS:
                self._forget()
            self._known[key] = value
        elif value > old:
            self._known[key] = value

    def _heard(self, data: bytes) -> None:
        parts = data.split(b" ", 2)
        if len(parts) != 3 or not parts[0].isdigit() or parts[1] not in (b"=", b"+"):
            return  # not one of ours
        value, how, key = parts
        try:
            name = key.decode()
        except UnicodeDecodeError:
            return
        if how == b"=":
            # (Re)created from the clock of the server that did it, which may be behind what was heard before.
            self._known.pop(name, None)
            self._generation += 1
        self._merge(name, int(value))

    def _listen(self) -> bool:
        """Read what has arrived; False when there is no live subscription (called with the lock held)."""
        now = time.monotonic()
        if self._pid != os.getpid():
            # A forked child must not read its parent's socket.
            self._pubsub, self._pid = None, os.getpid()
            self._forget()
            self._retry_at = 0.0
        if self._pubsub is None and (now < self._retry_at or not self._subscribe(now)):
            return False
        try:
            self._read(until_pong=False)
            if self._ping_sent is not None and now - self._ping_sent > self.PONG_WAIT:
                raise redis.TimeoutError("no answer to the subscription's PING")
            if now - self._proven >= self.STALE:
                # Nothing has proved the subscription for a while (an idle process): prove it before answering.
                self._pubsub.ping()
                self._read(until_pong=True)
            elif self._ping_sent is None and now - self._proven >= self.HEARTBEAT:
                # Under way: the answer is read with the messages of a later call.
                self._pubsub.ping()
                self._ping_sent = now
        except Exception:
            logger.warning("counter subscription lost; counters are read from Redis until it is back", exc_info=True)
            self._drop()
            return False
        return True

    def _subscribe(self, now: float) -> bool:
        pubsub = self._client.pubsub()
        try:
            pubsub.subscribe(self._channel)
            confirmed = pubsub.get_message(timeout=1.0)
            if not confirmed or confirmed.get("type") != "subscribe":
                raise redis.ConnectionError("no confirmation of the subscription")
        except Exception:
            logger.warning("counters not watched; they are read from Redis", exc_info=True)
            self._close(pubsub)
            self._retry_at = now + self.RETRY
            return False
        self._pubsub = pubsub
        self._forget()
        self._proven = now
        self._ping_sent = None
        return True

    def _read(self, *, until_pong: bool) -> None:
        while True:
            message = self._pubsub.get_message(timeout=1.0 if until_pong else 0.0)
            if message is None:
                if until_pong:
                    raise redis.TimeoutError("no answer to the subscription's PING")
                return
            kind = message.get("type")
            if kind == "message":
                self._heard(message["data"])
            elif kind == "subscribe":
                # The client connected and subscribed again on its own (its retry settings): what was published
                # in between is lost.
                self._forget()
            elif kind == "pong":
                self._proven = time.monotonic()
                self._ping_sent = None
                if until_pong:
                    return

    def _drop(self) -> None:
        self._close(self._pubsub)
        self._pubsub = None
        self._forget()

    @staticmethod
    def _close(pubsub: Any) -> None:
        try:
            pubsub.close()
        except Exception:
            pass
