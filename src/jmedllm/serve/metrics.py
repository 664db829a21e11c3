"""Prometheus metrics of one gateway app.

Each app owns its registry (tests build many apps in one process). With several uvicorn
workers each process counts on its own; scrape every worker, or set
``PROMETHEUS_MULTIPROC_DIR`` as prometheus_client documents (see docs/serve.md).
Labels never carry identifiers or text: model names, endpoints, statuses, rail names and
PHI *categories* only.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

__all__ = ["CONTENT_TYPE_LATEST", "GatewayMetrics"]

# Latency buckets from 5 ms (guard-only calls) to 2 minutes (long CPU generations).
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "jmedllm_requests",
            "Requests by endpoint, model and HTTP status.",
            ["endpoint", "model", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "jmedllm_request_latency_seconds",
            "Time from request to last byte.",
            ["endpoint", "model"],
            buckets=_LATENCY,
            registry=r,
        )
        self.ttft = Histogram(
            "jmedllm_time_to_first_token_seconds",
            "Streaming: time from request to the first content chunk.",
            ["model"],
            buckets=_LATENCY,
            registry=r,
        )
        self.tokens = Counter(
            "jmedllm_tokens",
            "Tokens by model and direction (prompt, completion).",
            ["model", "direction"],
            registry=r,
        )
        self.guard_actions = Counter(
            "jmedllm_guard_actions",
            "Guard verdicts by stage, rail, action and category (category 'none' when nothing fired).",
            ["stage", "rail", "action", "category"],
            registry=r,
        )
        self.backend_up = Gauge(
            "jmedllm_backend_up",
            "1 when the backend answered its last health check.",
            ["model", "backend"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "jmedllm_backend_queue_depth",
            "Requests waiting for the backend.",
            ["model", "backend"],
            registry=r,
        )
        self.reloads = Counter(
            "jmedllm_reloads", "Configuration reloads by result (ok, failed).", ["result"], registry=r
        )
        self.breaker_open = Gauge(
            "jmedllm_backend_circuit_open",
            "1 while the backend's circuit breaker is open.",
            ["model", "backend"],
            registry=r,
        )
        self.in_flight = Gauge("jmedllm_requests_in_flight", "Requests being served now.", registry=r)
        self.audit_failures = Counter(
            "jmedllm_audit_write_failures", "Audit events that could not be written.", registry=r
        )
        self.rate_limited = Counter(
            "jmedllm_rate_limited",
            "Requests refused with 429 by a rate limit, by scope (key, user) and limit.",
            ["scope", "limit"],
            registry=r,
        )
        self.rate_limiter_errors = Counter(
            "jmedllm_rate_limiter_errors",
            "Rate-limiter calls that failed (Redis unreachable); those requests were served unlimited.",
            registry=r,
        )

        # Children by label values, for the samples every request records (see child()).
        self._children: dict[tuple[object, ...], Any] = {}

    def child(self, metric: Any, *labels: str) -> Any:
        """``metric.labels(*labels)``, looked up once: ``labels()`` validates and locks on each call.

        A child, once made, lives as long as its metric (nothing here removes one), so the
        cached object is the very one ``labels()`` would return.
        """
        key = (id(metric), *labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def record_guard(self, stage: str, decision_rails: list[dict[str, object]]) -> None:
        for rail in decision_rails:
            categories = rail.get("categories") or ["none"]
            for category in categories:  # type: ignore[union-attr]
                self.child(
                    self.guard_actions, stage, str(rail["rail"]), str(rail["action"]), str(category)
                ).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
