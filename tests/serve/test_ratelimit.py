"""The rate limiter on its own: exact sliding windows, tokens, concurrency, all-or-nothing, Redis specifics.

Every behaviour test runs against both implementations. The in-memory limiter runs on a
fake clock, so window edges are tested to the microsecond; Redis keeps its own clock
(``TIME`` inside the scripts), so its tests use a short window and real time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from redis_server import delete_keys, require_redis, unique_prefix

from jmedllm.core.settings import LimitSettings, RateLimit, Settings
from jmedllm.serve.ratelimit import (
    MemoryRateLimiter,
    RateLimiter,
    RateLimitExceededError,
    RateLimitScope,
    RedisRateLimiter,
    build_rate_limiter,
    request_scopes,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def scope(ident: str = "k1", kind: str = "key", **limits: int) -> RateLimitScope:
    return RateLimitScope(kind, ident, RateLimit(**limits))


Make = Callable[..., RateLimiter]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.services)])
async def make(request: pytest.FixtureRequest) -> AsyncIterator[Make]:
    """Builds limiters of one kind; Redis ones share a namespace of this test's own, deleted afterwards."""
    made: list[RateLimiter] = []
    prefix = unique_prefix()
    url = require_redis() if request.param == "redis" else ""

    def build(*, window_s: float = 60.0, **options: Any) -> RateLimiter:
        if request.param == "memory":
            limiter: RateLimiter = MemoryRateLimiter(window_s=window_s, **options)
        else:
            options.pop("clock", None)
            limiter = RedisRateLimiter(url, prefix=prefix, window_s=window_s, **options)
        made.append(limiter)
        return limiter

    build.kind = request.param  # type: ignore[attr-defined]
    yield build
    for limiter in made:
        await limiter.close()
    if request.param == "redis":
        delete_keys(f"{prefix}:*")


async def admitted(limiter: RateLimiter, scopes: list[RateLimitScope], tries: int) -> int:
    count = 0
    for _ in range(tries):
        try:
            await limiter.acquire(scopes)
        except RateLimitExceededError:
            continue
        count += 1
    return count


# --- behaviour, both implementations ------------------------------------------------------


async def test_requests_per_minute_admits_exactly_the_limit(make: Make) -> None:
    limiter = make()
    scopes = [scope(requests_per_minute=5)]
    assert await admitted(limiter, scopes, 8) == 5
    with pytest.raises(RateLimitExceededError) as refused:
        await limiter.acquire(scopes)
    assert refused.value.scope == "key" and refused.value.limit_name == "requests_per_minute"
    assert refused.value.limit == 5
    # The oldest request leaves the window a little under 60 s from now.
    assert 55 < refused.value.retry_after_s <= 60 and refused.value.retry_after == 60


async def test_concurrent_acquires_admit_exactly_the_limit(make: Make) -> None:
    limiter = make()
    scopes = [scope(requests_per_minute=20)]
    results = await asyncio.gather(*(limiter.acquire(scopes) for _ in range(50)), return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 20
    assert all(isinstance(r, RateLimitExceededError) for r in results if isinstance(r, BaseException))


async def test_the_window_slides_and_a_refusal_consumes_nothing(make: Make) -> None:
    if make.kind == "memory":  # type: ignore[attr-defined]
        await _slide_on_a_fake_clock(make)
        return
    # Redis: a 1-second window on Redis's own clock.
    limiter = make(window_s=1.0)
    scopes = [scope(requests_per_minute=3)]
    assert await admitted(limiter, scopes, 10) == 3
    with pytest.raises(RateLimitExceededError) as refused:
        await limiter.acquire(scopes)
    assert 0 < refused.value.retry_after_s <= 1.0
    await asyncio.sleep(refused.value.retry_after_s + 0.05)
    # The refused attempts took nothing: the whole limit is free again.
    assert await admitted(limiter, scopes, 10) == 3


async def _slide_on_a_fake_clock(make: Make) -> None:
    clock = FakeClock()
    limiter = make(clock=clock)
    scopes = [scope(requests_per_minute=4)]
    t0 = clock.now
    assert await admitted(limiter, scopes, 2) == 2  # two at t0
    clock.now = t0 + 30
    assert await admitted(limiter, scopes, 5) == 2  # two at t0+30, three refused
    clock.now = t0 + 59.999
    with pytest.raises(RateLimitExceededError) as refused:
        await limiter.acquire(scopes)
    assert refused.value.retry_after_s == pytest.approx(0.001)
    assert refused.value.retry_after == 1
    clock.now = t0 + 60  # the two from t0 leave exactly now
    assert await admitted(limiter, scopes, 5) == 2
    with pytest.raises(RateLimitExceededError) as refused:
        await limiter.acquire(scopes)
    assert refused.value.retry_after_s == pytest.approx(30)  # when the t0+30 pair leaves


async def test_tokens_per_minute_counts_finished_requests(make: Make) -> None:
    clock = FakeClock()
    limiter = make(clock=clock)
    scopes = [scope(tokens_per_minute=100)]
    lease = await limiter.acquire(scopes)
    await lease.release(60)
    lease = await limiter.acquire(scopes)  # 60 < 100: admitted
    await lease.release(39)
    lease = await limiter.acquire(scopes)  # 99 < 100: admitted
    await lease.release(1)
    with pytest.raises(RateLimitExceededError) as refused:  # 100 used: refused
        await limiter.acquire(scopes)
    assert refused.value.limit_name == "tokens_per_minute" and refused.value.limit == 100
    # Below the limit again once the first 60 tokens leave the window.
    assert 55 < refused.value.retry_after_s <= 60
    if make.kind == "memory":  # type: ignore[attr-defined]
        clock.now += 10
        with pytest.raises(RateLimitExceededError) as refused:
            await limiter.acquire(scopes)
        assert refused.value.retry_after_s == pytest.approx(50)
        clock.now += 50
        lease = await limiter.acquire(scopes)
        await lease.release(0)


@pytest.mark.services
async def test_tokens_leave_the_redis_window_exactly() -> None:
    url = require_redis()
    prefix = unique_prefix()
    limiter = RedisRateLimiter(url, prefix=prefix, window_s=1.0)
    scopes = [scope(tokens_per_minute=100)]
    try:
        await (await limiter.acquire(scopes)).release(70)
        await asyncio.sleep(0.5)
        await (await limiter.acquire(scopes)).release(40)
        with pytest.raises(RateLimitExceededError) as refused:
            await limiter.acquire(scopes)
        # 110 used; the 70 leave about 0.5 s from now, which brings the sum to 40.
        assert 0.3 < refused.value.retry_after_s <= 0.5
        await asyncio.sleep(refused.value.retry_after_s + 0.05)
        await (await limiter.acquire(scopes)).release(59)  # 40 used: admitted; 99 after
        await (await limiter.acquire(scopes)).release(1)  # 99 < 100: admitted; 100 after
        with pytest.raises(RateLimitExceededError):
            await limiter.acquire(scopes)
    finally:
        await limiter.close()
        delete_keys(f"{prefix}:*")


async def test_concurrency_slots_are_freed_by_release_once(make: Make) -> None:
    limiter = make()
    scopes = [scope(concurrent=2)]
    first, second = await limiter.acquire(scopes), await limiter.acquire(scopes)
    with pytest.raises(RateLimitExceededError) as refused:
        await limiter.acquire(scopes)
    assert refused.value.limit_name == "concurrent" and refused.value.retry_after == 1
    await first.release(10)
    await first.release(10)  # a second release frees nothing more
    third = await limiter.acquire(scopes)
    with pytest.raises(RateLimitExceededError):
        await limiter.acquire(scopes)
    await second.release()
    await third.release()
    assert await admitted(limiter, scopes, 2) == 2


async def test_a_refusal_in_one_scope_takes_nothing_in_the_others(make: Make) -> None:
    limiter = make()
    user = scope("dr-sato", "user", requests_per_minute=2)
    key_a, key_b = scope("aaaaaaaa", requests_per_minute=1), scope("bbbbbbbb", concurrent=1)
    await limiter.acquire([key_a, user])
    await limiter.acquire([scope("cccccccc", requests_per_minute=9), user])
    with pytest.raises(RateLimitExceededError) as refused:
        await limiter.acquire([key_b, user])  # key b has room; the user has none
    assert refused.value.scope == "user"
    # Key b's request and slot were not taken by the refused attempt.
    other_user = scope("dr-ito", "user", requests_per_minute=2)
    lease = await limiter.acquire([key_b, other_user])
    with pytest.raises(RateLimitExceededError) as refused:
        await limiter.acquire([key_b, other_user])
    assert refused.value.scope == "key" and refused.value.limit_name == "concurrent"
    await lease.release()


async def test_no_scopes_means_no_limit(make: Make) -> None:
    limiter = make()
    lease = await limiter.acquire([])
    await lease.release(10**6)
    assert await admitted(limiter, [], 100) == 100


# --- the in-memory limiter ---------------------------------------------------------------


async def test_memory_forgets_idle_keys_and_users() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    for n in range(100):
        await (await limiter.acquire([scope(f"k{n}", requests_per_minute=5, tokens_per_minute=9)])).release(3)
    held = await limiter.acquire([scope("busy", concurrent=1)])
    assert len(limiter._windows) == 101
    clock.now += 61
    await limiter.acquire([scope("new", requests_per_minute=5)])
    # Only the request in flight and the new one remain.
    assert set(limiter._windows) == {("key", "busy"), ("key", "new")}
    await held.release()


# --- Redis specifics -----------------------------------------------------------------------


@pytest.mark.services
async def test_redis_keys_expire_and_live_in_their_namespace() -> None:
    import redis.asyncio as aioredis

    url = require_redis()
    prefix = unique_prefix()
    limiter = RedisRateLimiter(url, prefix=prefix)
    client = aioredis.from_url(url)
    try:
        limits = {"requests_per_minute": 5, "tokens_per_minute": 50, "concurrent": 2}
        lease = await limiter.acquire([scope("abcd1234", **limits), scope("dr-sato", "user", **limits)])

        async def keys() -> list[str]:
            found = sorted([k.decode() async for k in client.scan_iter(match=f"{prefix}:*")])
            for key in found:
                assert 0 < await client.pttl(key) <= 61_000, key
            return found

        def named(*parts: str) -> list[str]:
            return [
                f"{prefix}:{kind}:{ident}:{part}"
                for kind, ident in (("key", "abcd1234"), ("user", "dr-sato"))
                for part in parts
            ]

        assert await keys() == named("con", "req")
        await lease.release(12)
        assert await keys() == named("req", "sum", "tok")  # the emptied "con" set is gone
    finally:
        await client.aclose()
        await limiter.close()
        delete_keys(f"{prefix}:*")


@pytest.mark.services
async def test_redis_slots_of_a_dead_worker_expire_and_live_ones_are_kept() -> None:
    url = require_redis()
    prefix = unique_prefix()
    limits = scope(concurrent=1)
    alive = RedisRateLimiter(url, prefix=prefix, lease_ttl_s=0.3)
    other = RedisRateLimiter(url, prefix=prefix, lease_ttl_s=0.3)
    try:
        held = await alive.acquire([limits])
        await asyncio.sleep(0.7)  # more than two TTLs: the heartbeat keeps the slot
        with pytest.raises(RateLimitExceededError):
            await other.acquire([limits])
        # The worker dies without releasing: its heartbeat stops with it.
        await alive.close()
        with pytest.raises(RateLimitExceededError):
            await other.acquire([limits])
        await asyncio.sleep(0.45)
        await (await other.acquire([limits])).release()
        assert not held.released
    finally:
        await other.close()
        delete_keys(f"{prefix}:*")


class _Count:
    def __init__(self) -> None:
        self.value = 0

    def inc(self, amount: float = 1) -> None:
        self.value += int(amount)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_redis_down_fails_open_counts_and_logs_once() -> None:
    errors = _Count()
    # Nothing listens on port 1: every connection is refused at once.
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", errors=errors, timeout_s=0.2, connect_timeout_s=0.2)
    scopes = [scope(requests_per_minute=1, concurrent=1)]
    logger = logging.getLogger("jmedllm.serve.ratelimit")
    handler = _Records()
    logger.addHandler(handler)
    try:
        leases = [await limiter.acquire(scopes) for _ in range(5)]  # all admitted: fail open
        for lease in leases:
            await lease.release(10)
        # The first call tried Redis; the next ones, within a second, did not wait for it again.
        assert errors.value == 1
        assert [r.getMessage() for r in handler.records] == [
            "rate limiter: Redis unreachable; requests are served without limits until it is back"
        ]
        assert handler.records[0].fields == {"error_type": "ConnectionError"}  # type: ignore[attr-defined]
    finally:
        logger.removeHandler(handler)
        await limiter.close()


@asynccontextmanager
async def _late_replies(url: str, delay_s: float) -> AsyncIterator[str]:
    """A proxy to Redis that hands every reply over ``delay_s`` late; yields its URL."""
    target = urlsplit(url)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
        try:
            while data := await reader.read(65536):
                await asyncio.sleep(delay)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def serve(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        redis_r, redis_w = await asyncio.open_connection(target.hostname, target.port or 6379)
        await asyncio.gather(pipe(client_r, redis_w, 0.0), pipe(redis_r, client_w, delay_s))

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"redis://127.0.0.1:{port}{target.path or '/0'}"
    finally:
        server.close()


@pytest.mark.services
@pytest.mark.parametrize(("timeout_s", "fails_open"), [(0.2, True), (None, False)])
async def test_a_late_reply_does_not_make_the_limiter_fail_open(
    timeout_s: float | None, fails_open: bool
) -> None:
    # A reply read late — the worker's event loop busy with CPU-bound work (as a worker's
    # first request once was), or a slow path — is not an outage. A read timeout shorter
    # than the delay "failed open" with Redis healthy and served the next second unlimited.
    prefix = unique_prefix()
    errors = _Count()
    options = {} if timeout_s is None else {"timeout_s": timeout_s}
    async with _late_replies(require_redis(), delay_s=0.6) as url:
        limiter = RedisRateLimiter(url, prefix=prefix, errors=errors, **options)
        try:
            lease = await limiter.acquire([scope(requests_per_minute=10)])
            assert (errors.value == 1) is fails_open
            assert (lease.limiter is None) is fails_open  # an open lease holds nothing
        finally:
            await limiter.close()
            delete_keys(f"{prefix}:*")


# --- building from settings ----------------------------------------------------------------


def test_the_limiter_follows_the_settings() -> None:
    assert isinstance(build_rate_limiter(Settings()), MemoryRateLimiter)
    limits = {"per_user": {"concurrent": 2}}
    assert isinstance(build_rate_limiter(Settings(limits=limits)), MemoryRateLimiter)
    redis_limiter = build_rate_limiter(Settings(limits=limits, redis_url="redis://127.0.0.1:6379/0"))
    assert isinstance(redis_limiter, RedisRateLimiter)
    asyncio.run(redis_limiter.close())


def test_scopes_hold_only_the_limited_parties() -> None:
    per_key = RateLimit(requests_per_minute=5)
    settings = LimitSettings(per_key=per_key)
    assert request_scopes(settings, key="abcd1234", user="dr-sato") == [
        RateLimitScope("key", "abcd1234", per_key)
    ]
    assert request_scopes(settings, key=None, user="dr-sato") == []
    both = LimitSettings(per_key=per_key, per_user=RateLimit(tokens_per_minute=10))
    assert [s.scope for s in request_scopes(both, key="abcd1234", user="dr-sato")] == ["key", "user"]


@pytest.mark.parametrize(("seconds", "header"), [(0.0, 1), (0.2, 1), (1.0, 1), (1.01, 2), (59.5, 60)])
def test_retry_after_is_whole_seconds_rounded_up(seconds: float, header: int) -> None:
    assert RateLimitExceededError(seconds, "key", "requests_per_minute", 5).retry_after == header
