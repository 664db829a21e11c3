"""Routing: weighted choice, failover before the first byte, circuit breakers, probes."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from jmedllm.core.settings import BackendSettings, ServedModel, load_settings
from jmedllm.serve.backends.base import (
    Backend,
    BackendBusy,
    BackendError,
    BackendUnavailable,
    Delta,
    Generation,
    GenerationRequest,
    Usage,
)
from jmedllm.serve.routing import CircuitBreaker, ModelRoute, retryable

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeBackend(Backend):
    """A backend that answers, or fails, as the test says."""

    kind = "fake"

    def __init__(self, name: str, *, weight: int = 1, fail: BackendError | None = None) -> None:
        served = ServedModel(name="m", backends=[BackendSettings(type="openai", base_url="http://x/v1")])
        super().__init__(
            BackendSettings(type="openai", base_url="http://x/v1", weight=weight), served, load_settings()
        )
        self.name = name
        self.fail = fail
        self.calls = 0
        self.healthy = True

    @property
    def label(self) -> str:
        return self.name

    async def generate(self, request: GenerationRequest) -> Generation:
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        return Generation(self.name, "stop", Usage(1, 1))

    async def stream(self, request: GenerationRequest) -> AsyncIterator[Delta]:
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        yield Delta(self.name)
        yield Delta("", "stop", Usage(1, 1))

    async def health(self) -> bool:
        return self.healthy


def _route(*backends: FakeBackend, failures: int = 2, cooldown: float = 10.0) -> ModelRoute:
    settings = load_settings(serve={"breaker_failures": failures, "breaker_cooldown_s": cooldown})
    route = ModelRoute(backends[0].served, list(backends), settings)
    route._rng = random.Random(0)
    return route


REQUEST = GenerationRequest(
    "chat", "m", "r1", messages=[{"role": "user", "content": "x"}], params={"max_tokens": 4}
)


def test_breaker_state_machine() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failures=2, cooldown_s=5, clock=lambda: now[0])
    assert breaker.allows()
    breaker.failure()
    assert breaker.state == "closed" and breaker.allows()
    breaker.failure()
    assert breaker.state == "open" and not breaker.allows()
    now[0] = 5.0
    assert breaker.allows() and breaker.state == "half_open"
    assert not breaker.allows()  # one trial at a time
    breaker.failure()
    assert breaker.state == "open" and not breaker.allows()
    now[0] = 10.0
    assert breaker.allows()
    breaker.success()
    assert breaker.state == "closed" and breaker.consecutive == 0


def test_retryable_errors() -> None:
    assert retryable(BackendUnavailable("down"))
    assert retryable(BackendBusy())
    assert retryable(BackendError("boom", status=502))
    assert not retryable(BackendError("context too long", status=400))


async def test_weights_split_traffic_like_a_canary() -> None:
    stable, canary = FakeBackend("stable", weight=95), FakeBackend("canary", weight=5)
    route = _route(stable, canary)
    for _ in range(2000):
        await route.generate(REQUEST)
    share = canary.calls / 2000
    assert 0.03 < share < 0.07, share


async def test_failover_before_the_first_byte_and_no_retry_of_client_errors() -> None:
    down, up = FakeBackend("down", fail=BackendUnavailable("refused")), FakeBackend("up")
    route = _route(down, up)
    for _ in range(10):
        generation, backend = await route.generate(REQUEST)
        assert backend is up and generation.text == "up"
    _iterator, first, backend = await route.stream(REQUEST)
    assert backend is up and first.text == "up"
    bad = FakeBackend("bad", fail=BackendError("too long", status=400))
    other = FakeBackend("other")
    route = _route(bad, other)
    route._rng = random.Random(1)
    while True:  # until the weighted pick lands on `bad` first
        try:
            await route.generate(REQUEST)
        except BackendError as exc:
            assert exc.status == 400
            break
    assert route.breakers[0].state == "closed"  # a client error is not the backend's failure


async def test_breaker_takes_a_failing_backend_out_and_a_probe_brings_it_back() -> None:
    flaky, steady = FakeBackend("flaky", fail=BackendUnavailable("refused")), FakeBackend("steady")
    route = _route(flaky, steady, failures=2, cooldown=1.0)
    route.breakers[0].cooldown_s = 3600  # stays open until we say so
    for _ in range(20):
        await route.generate(REQUEST)
    assert route.breakers[0].state == "open"
    calls_when_opened = flaky.calls
    for _ in range(20):
        await route.generate(REQUEST)
    assert flaky.calls == calls_when_opened  # out of rotation
    flaky.fail = None
    route.breakers[0].cooldown_s = 0.0
    await route.probe()
    assert route.breakers[0].state == "closed" and route.is_up(0)
    for _ in range(40):
        await route.generate(REQUEST)
    assert flaky.calls > calls_when_opened  # re-admitted


async def test_when_every_circuit_is_open_one_backend_is_still_tried() -> None:
    only = FakeBackend("only", fail=BackendUnavailable("refused"))
    route = _route(only, failures=1, cooldown=3600)
    with pytest.raises(BackendUnavailable):
        await route.generate(REQUEST)
    assert route.breakers[0].state == "open"
    only.fail = None
    generation, _ = await route.generate(REQUEST)
    assert generation.text == "only"


async def test_probe_marks_a_dead_idle_backend_down() -> None:
    idle, other = FakeBackend("idle"), FakeBackend("other")
    route = _route(idle, other, failures=1)
    idle.healthy = False
    health = await route.health(max_age_s=0)
    assert health == {"idle": False, "other": True}


def test_duplicate_labels_are_made_unique() -> None:
    route = _route(FakeBackend("same"), FakeBackend("same"))
    assert route.labels() == ["same", "same#2"]
