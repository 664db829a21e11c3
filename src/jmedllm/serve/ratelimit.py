"""Rate limits per API key and per user: requests and tokens per sliding minute, and requests in flight.

Two implementations of one interface, chosen by ``redis_url``:

- :class:`RedisRateLimiter` keeps the windows in Redis and checks them in one Lua script
  per request, so every worker of every gateway process sharing the Redis server sees
  the same counts. The script reads the clock with Redis's ``TIME``: gateway hosts whose
  clocks disagree still agree on the window.
- :class:`MemoryRateLimiter` keeps them in this process (one uvicorn worker).

The windows are exact sliding logs, not fixed or approximated buckets: a request counts
against ``requests_per_minute`` from the instant it starts until exactly 60 s later, and
a finished request's tokens count against ``tokens_per_minute`` from the instant it
finishes. Fixed-window counters let twice the limit through across a window boundary;
the approximated sliding window of Redis's documentation is off by up to the previous
window's share. The log's cost is one entry per request in the window, which is bounded
by the limit itself (refused requests write nothing).

``acquire`` checks every scope (key, user) and every limit and then takes all of them,
or nothing: a refused request consumes no request, no token and no slot. The returned
:class:`Lease` must be released once with the request's prompt + completion tokens
(``CallRecord.finish`` does it on every exit path); it records the tokens and frees the
concurrency slot. A worker that dies mid-request cannot release its slots; in Redis a
slot is a lease with an expiry that a live worker keeps refreshing, so a dead worker's
slots come back within ``lease_ttl_s``.

When Redis cannot be reached the limiter **fails open**: the request is served unlimited,
the failure is counted (``jmedllm_rate_limiter_errors_total``) and logged once per
outage. Limits here protect capacity and fairness, not access: authentication, role
checks and the audit log still fail closed, and refusing every clinician because a
cache is down would turn a Redis outage into a gateway outage.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from jmedllm.core.settings import LimitSettings, RateLimit, Settings

__all__ = [
    "Lease",
    "MemoryRateLimiter",
    "RateLimitExceededError",
    "RateLimitScope",
    "RateLimiter",
    "RedisRateLimiter",
    "build_rate_limiter",
    "request_scopes",
]

_log = logging.getLogger(__name__)  # a child of the gateway's logger

WINDOW_S = 60.0
#: The limit names, as in the settings and in metrics labels.
LIMIT_NAMES = ("requests_per_minute", "tokens_per_minute", "concurrent")
#: Seconds a client is told to wait when all its concurrent slots are taken (no end time is known).
CONCURRENT_RETRY_S = 1.0


class RateLimitScope(NamedTuple):
    """One party a request is counted against: ``("key", "<prefix>", limits)`` or ``("user", "<name>", limits)``."""

    scope: str
    ident: str
    limit: RateLimit


class RateLimitExceededError(Exception):
    """A request refused by ``limit_name`` of ``scope``; it may retry after ``retry_after_s``."""

    def __init__(self, retry_after_s: float, scope: str, limit_name: str, limit: int) -> None:
        self.retry_after_s = max(0.0, retry_after_s)
        self.scope = scope
        self.limit_name = limit_name
        self.limit = limit
        super().__init__(self.message)

    @property
    def retry_after(self) -> int:
        """Whole seconds for the ``Retry-After`` header: rounded up, at least 1."""
        return max(1, math.ceil(self.retry_after_s))

    @property
    def message(self) -> str:
        what = "API key" if self.scope == "key" else self.scope
        unit = "requests in flight" if self.limit_name == "concurrent" else self.limit_name.replace("_", " ")
        return f"rate limit exceeded: {self.limit} {unit} per {what}; retry after {self.retry_after} s"


class _Counter(Protocol):
    def inc(self, amount: float = 1) -> None: ...


def request_scopes(limits: LimitSettings, *, key: str | None, user: str | None) -> list[RateLimitScope]:
    """The scopes a generation request counts against (only those with a limit set)."""
    scopes = []
    if key and limits.per_key.enabled:
        scopes.append(RateLimitScope("key", key, limits.per_key))
    if user and limits.per_user.enabled:
        scopes.append(RateLimitScope("user", user, limits.per_user))
    return scopes


@dataclass(eq=False, slots=True)
class Lease:
    """What ``acquire`` took; ``release`` it once when the request ends (later calls do nothing)."""

    limiter: RateLimiter | None
    id: str
    scopes: tuple[RateLimitScope, ...]
    released: bool = False

    async def release(self, tokens_used: int = 0) -> None:
        """Record the request's prompt + completion tokens and free its concurrency slots. Never raises."""
        if self.released:
            return
        self.released = True
        if self.limiter is not None and self.scopes:
            await self.limiter._release(self, max(0, int(tokens_used)))


def _open_lease() -> Lease:
    """A lease that holds nothing: no limits apply, or the limiter failed open."""
    return Lease(None, "", ())


class RateLimiter(ABC):
    """Checks and takes the limits of every scope of a request at once; see the module docstring."""

    @abstractmethod
    async def acquire(self, scopes: Sequence[RateLimitScope]) -> Lease:
        """Take a request, and a concurrency slot, in every scope, or raise :class:`RateLimitExceededError` and take nothing."""

    @abstractmethod
    async def _release(self, lease: Lease, tokens_used: int) -> None:
        """Record the tokens and free the slots of ``lease`` (called once, by :meth:`Lease.release`)."""

    @abstractmethod
    async def close(self) -> None:
        """Free connections and background tasks."""


# --- in this process ------------------------------------------------------------------


@dataclass(slots=True)
class _Window:
    requests: deque[float] = field(default_factory=deque)  # start times, oldest first
    tokens: deque[tuple[float, int]] = field(default_factory=deque)  # (finish time, tokens), oldest first
    token_sum: int = 0
    in_flight: int = 0

    def prune(self, horizon: float) -> None:
        requests, tokens = self.requests, self.tokens
        while requests and requests[0] <= horizon:
            requests.popleft()
        while tokens and tokens[0][0] <= horizon:
            self.token_sum -= tokens.popleft()[1]

    @property
    def idle(self) -> bool:
        return not self.requests and not self.tokens and self.in_flight == 0


class MemoryRateLimiter(RateLimiter):
    """Sliding-log limits held in this process (per uvicorn worker).

    The check and the take happen under one lock with no ``await`` between them, so they
    are atomic for the event loop and for threads alike. ``clock`` (seconds, monotonic)
    can be injected by tests.
    """

    def __init__(self, *, window_s: float = WINDOW_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self.clock = clock
        self._windows: dict[tuple[str, str], _Window] = {}
        self._lock = threading.Lock()
        self._next_sweep = clock() + window_s

    async def acquire(self, scopes: Sequence[RateLimitScope]) -> Lease:
        if not scopes:
            return _open_lease()
        with self._lock:
            now = self.clock()
            horizon = now - self.window_s
            windows = []
            for scope, ident, limit in scopes:
                window = self._windows.get((scope, ident))
                if window is None:
                    window = self._windows[(scope, ident)] = _Window()
                window.prune(horizon)
                windows.append(window)
                self._check(now, scope, limit, window)
            for window in windows:
                window.requests.append(now)
                window.in_flight += 1
            if now >= self._next_sweep:
                self._sweep(horizon)
                self._next_sweep = now + self.window_s
        return Lease(self, "", tuple(scopes))

    def _check(self, now: float, scope: str, limit: RateLimit, window: _Window) -> None:
        rpm, tpm, concurrent = limit.requests_per_minute, limit.tokens_per_minute, limit.concurrent
        if rpm is not None and len(window.requests) >= rpm:
            # The request that frees a place is the rpm-th newest: len - rpm oldest must leave first.
            leaving = window.requests[len(window.requests) - rpm]
            raise RateLimitExceededError(leaving + self.window_s - now, scope, "requests_per_minute", rpm)
        if tpm is not None and window.token_sum >= tpm:
            left = window.token_sum
            for finished, tokens in window.tokens:
                left -= tokens
                if left < tpm:
                    raise RateLimitExceededError(
                        finished + self.window_s - now, scope, "tokens_per_minute", tpm
                    )
        if concurrent is not None and window.in_flight >= concurrent:
            raise RateLimitExceededError(CONCURRENT_RETRY_S, scope, "concurrent", concurrent)

    async def _release(self, lease: Lease, tokens_used: int) -> None:
        with self._lock:
            now = self.clock()
            for scope, ident, limit in lease.scopes:
                window = self._windows.get((scope, ident))
                if window is None:  # cannot happen: a window with a request in flight is never swept
                    continue
                window.in_flight -= 1
                if limit.tokens_per_minute is not None and tokens_used:
                    window.tokens.append((now, tokens_used))
                    window.token_sum += tokens_used

    async def close(self) -> None:
        with self._lock:
            self._windows.clear()

    def _sweep(self, horizon: float) -> None:
        # Keys and users seen once must not hold memory for ever.
        idle = []
        for name, window in self._windows.items():
            window.prune(horizon)
            if window.idle:
                idle.append(name)
        for name in idle:
            del self._windows[name]


# --- in Redis ----------------------------------------------------------------------------

# KEYS: per scope four keys (req, tok, sum, con). ARGV: window_us, lease_ttl_us, lease id,
# then per scope rpm, tpm, concurrent (0: no limit). Times are Redis's TIME in µs (exact
# in a double until the year 2255).
# req: zset member=lease id, score=start time          -> requests in the window
# tok: zset member="<lease id>:<tokens>", score=finish  -> tokens in the window, and
# sum: their running total (adding on release, subtracting as entries leave the window,
#      so a check is O(entries leaving) instead of O(entries in the window))
# con: zset member=lease id, score=lease expiry         -> requests in flight
# Returns {0, now} when taken, or {scope index (1-based), limit index (1-based), retry_us}.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local id = ARGV[3]
local horizon = now - window
local n = #KEYS / 4
local function tokens_of(member) return tonumber(string.match(member, ':(%d+)$')) end
for i = 0, n - 1 do
  local req, tok, sum, con = KEYS[i*4+1], KEYS[i*4+2], KEYS[i*4+3], KEYS[i*4+4]
  local rpm, tpm, cc = tonumber(ARGV[4+i*3]), tonumber(ARGV[5+i*3]), tonumber(ARGV[6+i*3])
  if rpm > 0 then
    redis.call('ZREMRANGEBYSCORE', req, '-inf', horizon)
    local count = redis.call('ZCARD', req)
    if count >= rpm then
      local leaving = redis.call('ZRANGE', req, count - rpm, count - rpm, 'WITHSCORES')
      return {i + 1, 1, tonumber(leaving[2]) + window - now}
    end
  end
  if tpm > 0 then
    local expired = redis.call('ZRANGEBYSCORE', tok, '-inf', horizon)
    if #expired > 0 then
      local gone = 0
      for _, member in ipairs(expired) do gone = gone + tokens_of(member) end
      redis.call('ZREMRANGEBYSCORE', tok, '-inf', horizon)
      if redis.call('ZCARD', tok) == 0 or redis.call('DECRBY', sum, gone) <= 0 then
        redis.call('DEL', sum)
      end
    end
    local used = tonumber(redis.call('GET', sum) or '0')
    if used >= tpm then
      local entries = redis.call('ZRANGE', tok, 0, -1, 'WITHSCORES')
      local left = used
      for j = 1, #entries, 2 do
        left = left - tokens_of(entries[j])
        if left < tpm then return {i + 1, 2, tonumber(entries[j + 1]) + window - now} end
      end
      return {i + 1, 2, window}
    end
  end
  if cc > 0 then
    redis.call('ZREMRANGEBYSCORE', con, '-inf', now)
    if redis.call('ZCARD', con) >= cc then return {i + 1, 3, 0} end
  end
end
for i = 0, n - 1 do
  local req, con = KEYS[i*4+1], KEYS[i*4+4]
  if tonumber(ARGV[4+i*3]) > 0 then
    redis.call('ZADD', req, now, id)
    redis.call('PEXPIRE', req, math.floor(window / 1000) + 1000)
  end
  if tonumber(ARGV[6+i*3]) > 0 then
    redis.call('ZADD', con, now + ttl, id)
    redis.call('PEXPIRE', con, math.floor(ttl / 1000) + 1000)
  end
end
return {0, now}
"""

# KEYS: per scope three keys (tok, sum, con). ARGV: window_us, lease id, tokens, then per
# scope tpm flag, concurrent flag (1 or 0).
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local id = ARGV[2]
local tokens = tonumber(ARGV[3])
for i = 0, #KEYS / 3 - 1 do
  local tok, sum, con = KEYS[i*3+1], KEYS[i*3+2], KEYS[i*3+3]
  if ARGV[5+i*2] == '1' then redis.call('ZREM', con, id) end
  if ARGV[4+i*2] == '1' and tokens > 0 then
    redis.call('ZADD', tok, now, id .. ':' .. tokens)
    redis.call('INCRBY', sum, tokens)
    local ms = math.floor(window / 1000) + 1000
    redis.call('PEXPIRE', tok, ms)
    redis.call('PEXPIRE', sum, ms)
  end
end
return 1
"""

# KEYS: concurrency sets; ARGV: lease_ttl_us, then one lease id per key. Extends the
# leases still present (XX: a lease already released or expired is not brought back).
_REFRESH = """
local t = redis.call('TIME')
local expiry = tonumber(t[1]) * 1000000 + tonumber(t[2]) + tonumber(ARGV[1])
local ms = math.floor(tonumber(ARGV[1]) / 1000) + 1000
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], 'XX', expiry, ARGV[i + 1])
  redis.call('PEXPIRE', KEYS[i], ms)
end
return #KEYS
"""

_REDIS_ERRORS: tuple[type[BaseException], ...] = (OSError, asyncio.TimeoutError)


class RedisRateLimiter(RateLimiter):
    """Sliding-log limits in Redis, shared by every worker and process using the same server.

    Keys: ``<prefix>:<scope>:<ident>:{req,tok,sum,con}``, each with a TTL of one window
    (or one lease) plus a second, so an idle key or user leaves nothing behind. The
    scripts touch keys of several scopes at once, so the server must be a single Redis
    (or a primary with replicas), not Redis Cluster.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "jmedllm:rl",
        window_s: float = WINDOW_S,
        lease_ttl_s: float = 30.0,
        timeout_s: float = 2.0,
        connect_timeout_s: float = 0.5,
        max_connections: int = 32,
        pool_wait_s: float = 5.0,
        errors: _Counter | None = None,
        client: Any = None,
    ) -> None:
        import redis.asyncio as aioredis
        from redis.exceptions import RedisError

        self.prefix = prefix
        self.window_us = int(window_s * 1_000_000)
        self.lease_ttl_s = lease_ttl_s
        self.errors = errors
        if client is None:
            # A bounded pool: under a burst, requests wait briefly for a connection instead of
            # each opening its own (thousands of connections make Redis itself the bottleneck).
            pool = aioredis.BlockingConnectionPool.from_url(
                url,
                max_connections=max_connections,
                timeout=pool_wait_s,
                # Two timeouts: a server that is down refuses or never accepts the connection,
                # which ``connect_timeout_s`` catches fast. A reply is read under the longer
                # ``timeout_s``: a live Redis answers in well under a millisecond, so a slow
                # read means this worker's event loop was busy (CPU contention), and timing it
                # out would fail open — serving requests unlimited — with Redis healthy.
                socket_timeout=timeout_s,
                socket_connect_timeout=connect_timeout_s,
            )
            client = aioredis.Redis.from_pool(pool)
        self.client = client
        self._error_types = (RedisError, *_REDIS_ERRORS)
        self._acquire_script = self.client.register_script(_ACQUIRE)
        self._release_script = self.client.register_script(_RELEASE)
        self._refresh_script = self.client.register_script(_REFRESH)
        self._live: dict[str, Lease] = {}
        self._heartbeat: asyncio.Task[None] | None = None
        self._down_until = 0.0
        self._failing = False

    def key(self, scope: str, ident: str, part: str) -> str:
        return f"{self.prefix}:{scope}:{ident}:{part}"

    async def acquire(self, scopes: Sequence[RateLimitScope]) -> Lease:
        if not scopes or time.monotonic() < self._down_until:
            return _open_lease()
        lease_id = uuid.uuid4().hex
        keys: list[str] = []
        args: list[int | str] = [self.window_us, int(self.lease_ttl_s * 1_000_000), lease_id]
        for scope, ident, limit in scopes:
            keys += [self.key(scope, ident, part) for part in ("req", "tok", "sum", "con")]
            args += [limit.requests_per_minute or 0, limit.tokens_per_minute or 0, limit.concurrent or 0]
        try:
            result = await self._acquire_script(keys=keys, args=args)
        except self._error_types as exc:
            self._failed(exc)
            return _open_lease()
        self._recovered()
        if result[0] != 0:
            scope, _ident, limit = scopes[int(result[0]) - 1]
            name = LIMIT_NAMES[int(result[1]) - 1]
            retry_s = CONCURRENT_RETRY_S if name == "concurrent" else int(result[2]) / 1_000_000
            raise RateLimitExceededError(retry_s, scope, name, getattr(limit, name))
        lease = Lease(self, lease_id, tuple(scopes))
        if any(s.limit.concurrent for s in scopes):
            self._live[lease_id] = lease
            if self._heartbeat is None or self._heartbeat.done():
                self._heartbeat = asyncio.get_running_loop().create_task(self._refresh_forever())
        return lease

    async def _release(self, lease: Lease, tokens_used: int) -> None:
        self._live.pop(lease.id, None)
        if not any(s.limit.concurrent or (s.limit.tokens_per_minute and tokens_used) for s in lease.scopes):
            return  # nothing to record or free: spare the round trip
        keys: list[str] = []
        args: list[int | str] = [self.window_us, lease.id, tokens_used]
        for scope, ident, limit in lease.scopes:
            keys += [self.key(scope, ident, part) for part in ("tok", "sum", "con")]
            args += [int(limit.tokens_per_minute is not None), int(limit.concurrent is not None)]
        try:
            await self._release_script(keys=keys, args=args)
        except self._error_types as exc:
            # The slot expires with its lease (no longer refreshed); the tokens go uncounted.
            self._failed(exc)

    async def _refresh_forever(self) -> None:
        # Keeps this process's leases alive; a dead process stops refreshing, so its slots expire.
        while self._live:
            await asyncio.sleep(self.lease_ttl_s / 3)
            keys: list[str] = []
            ids: list[str] = []
            for lease in list(self._live.values()):
                for scope, ident, limit in lease.scopes:
                    if limit.concurrent is not None:
                        keys.append(self.key(scope, ident, "con"))
                        ids.append(lease.id)
            if not keys:
                continue
            try:
                await self._refresh_script(keys=keys, args=[int(self.lease_ttl_s * 1_000_000), *ids])
            except self._error_types as exc:
                self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        if self.errors is not None:
            self.errors.inc()
        # Skip Redis for a second: an outage must not add a timeout to every request.
        self._down_until = time.monotonic() + 1.0
        if not self._failing:
            self._failing = True
            # The error's type only: its message may name the server's address.
            _log.warning(
                "rate limiter: Redis unreachable; requests are served without limits until it is back",
                extra={"fields": {"error_type": type(exc).__name__}},
            )

    def _recovered(self) -> None:
        if self._failing:
            self._failing = False
            _log.warning("rate limiter: Redis is back, limits apply again")

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
        await self.client.aclose()


def build_rate_limiter(settings: Settings, *, errors: _Counter | None = None) -> RateLimiter:
    """Redis when ``redis_url`` is set, else in memory.

    Built even when no limit is set: the limits are read per request from the gateway's
    current settings, so a reload can add them; with none set, ``acquire`` returns at
    once and Redis is never contacted.
    """
    if settings.redis_url:
        return RedisRateLimiter(settings.redis_url, errors=errors)
    return MemoryRateLimiter()
