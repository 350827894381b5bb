"""config/cache.py: the Redis cache keeps one client per connection pool. Redis clients connect lazily, so no
server is needed to see which client and pool a call gets."""

from config.cache import RedisCache, ReusingRedisCacheClient


def _cache() -> RedisCache:
    return RedisCache("redis://127.0.0.1:6399/1;redis://127.0.0.1:6399/2", {})


def test_every_call_gets_the_same_client_for_the_same_pool() -> None:
    client = _cache()._cache
    assert isinstance(client, ReusingRedisCacheClient)
    writer = client.get_client(write=True)
    assert client.get_client("any-key", write=True) is writer
    assert writer.connection_pool is client._get_connection_pool(True)


def test_reads_and_writes_keep_their_own_pools() -> None:
    client = _cache()._cache
    writer = client.get_client(write=True)
    reader = client.get_client(write=False)
    # With a primary and a replica configured, writes go to the first server only.
    assert writer.connection_pool.connection_kwargs["port"] == 6399
    assert writer.connection_pool.connection_kwargs["db"] == 1
    assert reader is not writer
    assert reader.connection_pool.connection_kwargs["db"] == 2
    assert client.get_client(write=False) is reader
