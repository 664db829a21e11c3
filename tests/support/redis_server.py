"""The Redis server on 127.0.0.1:6379 for tests that need it; they skip with a reason when none answers.

Tests never FLUSH: each works under its own key namespace (or its own random key
prefixes) and deletes only those keys afterwards.
"""

from __future__ import annotations

import functools
import uuid

import pytest

__all__ = ["REDIS_URL", "delete_keys", "require_redis", "unique_prefix"]

REDIS_URL = "redis://127.0.0.1:6379/0"


@functools.cache
def _unreachable() -> str | None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"Redis is not reachable at 127.0.0.1:6379 ({exc.__class__.__name__}); CI runs these"
    finally:
        client.close()
    return None


def require_redis() -> str:
    """The URL of the test Redis server, or skip the test."""
    reason = _unreachable()
    if reason:
        pytest.skip(reason)
    return REDIS_URL


def unique_prefix() -> str:
    return f"jmedllm:rl:test-{uuid.uuid4().hex[:12]}"


def delete_keys(pattern: str) -> int:
    """Delete the keys matching ``pattern`` (never a FLUSH: other tests and services share the server)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=pattern, count=1000))
        return client.delete(*keys) if keys else 0
    finally:
        client.close()
