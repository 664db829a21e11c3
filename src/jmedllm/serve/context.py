"""One request's record: who called, what happened, and the audit event, metrics and log it yields.

Routes fill in the model, status, token counts and guard verdicts; :meth:`CallRecord.finish`
turns them into exactly one hash-chained audit event, the Prometheus samples and one
access-log line. None of them holds request text: the body is represented by its SHA-256.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jmedllm.core.records import AuditEvent

if TYPE_CHECKING:
    from jmedllm.serve.gateway import Gateway
    from jmedllm.serve.ratelimit import Lease

__all__ = ["CallRecord"]


@dataclass(slots=True)
class CallRecord:
    request_id: str
    endpoint: str
    method: str
    started: float = field(default_factory=time.perf_counter)
    actor: str = "anonymous"
    role: str = "none"
    organisation: str | None = None
    key_prefix: str | None = None
    patient_pseudonym: str | None = None
    body_hash: str | None = None
    model: str = ""
    backend: str | None = None
    status: int = 200
    outcome: str = "ok"
    stream: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ttft_s: float | None = None
    guard: dict[str, Any] = field(default_factory=dict)
    unknown_fields: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    finished: bool = False
    lease: Lease | None = None
    """Rate-limit lease of a generation request; released by :meth:`finish` with the request's tokens."""
    route: Any = None
    """The model route serving the request; its in-flight count lets a reload retire it safely."""

    def use_route(self, route: Any) -> None:
        self.route = route
        route.in_flight += 1

    @property
    def latency_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0

    def audit_event(self, latency_ms: float) -> AuditEvent:
        details: dict[str, Any] = {
            "request_id": self.request_id,
            "endpoint": self.endpoint,
            "method": self.method,
            "status": self.status,
            "latency_ms": round(latency_ms, 3),
        }
        if self.model:
            details["model"] = self.model
        if self.backend:
            details["backend"] = self.backend
        if self.stream:
            details["stream"] = True
        if self.prompt_tokens or self.completion_tokens:
            details["tokens"] = {"prompt": self.prompt_tokens, "completion": self.completion_tokens}
        if self.guard:
            details["guard"] = self.guard
        if self.unknown_fields:
            details["unknown_fields"] = self.unknown_fields
        details.update(self.detail)
        return AuditEvent(
            actor=self.actor,
            role=self.role,
            action=f"{self.method} {self.endpoint}",
            resource=self.model or self.endpoint,
            organisation=self.organisation,
            key_prefix=self.key_prefix,
            patient_pseudonym=self.patient_pseudonym,
            outcome=self.outcome,
            request_hash=self.body_hash,
            details=details,
        )

    async def finish(self, gateway: Gateway, *, raise_on_audit_failure: bool = False) -> None:
        """Write the audit event, count the metrics and log one line — once."""
        if self.finished:
            return
        self.finished = True
        if self.lease is not None:
            # Every exit path finishes its record exactly once, so this frees the slot exactly once.
            await self.lease.release(self.prompt_tokens + self.completion_tokens)
        if self.route is not None:
            self.route.in_flight -= 1
        latency_ms = self.latency_ms
        m = gateway.metrics
        child = m.child
        model = self.model or "-"
        child(m.requests, self.endpoint, model, str(self.status)).inc()
        child(m.latency, self.endpoint, model).observe(latency_ms / 1000.0)
        if self.prompt_tokens:
            child(m.tokens, model, "prompt").inc(self.prompt_tokens)
        if self.completion_tokens:
            child(m.tokens, model, "completion").inc(self.completion_tokens)
        if self.ttft_s is not None:
            child(m.ttft, model).observe(self.ttft_s)
        for stage in ("input", "output"):
            decision = self.guard.get(stage)
            if decision:
                m.record_guard(stage, decision.get("rails", []))
        audit_error: Exception | None = None
        try:
            await gateway.audit.append(self.audit_event(latency_ms))
        except Exception as exc:  # counted and logged; the caller decides whether to fail the request
            m.audit_failures.inc()
            audit_error = exc
        gateway.log.info("request", extra={"fields": self.log_fields(latency_ms)}, exc_info=audit_error)
        if audit_error is not None and raise_on_audit_failure:
            # No reply leaves without its audit event: fail closed, in OpenAI's error shape.
            from jmedllm.serve.errors import ApiError

            raise ApiError(503, "the audit log is unavailable; the request was not served") from audit_error

    def log_fields(self, latency_ms: float) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "request_id": self.request_id,
            "method": self.method,
            "endpoint": self.endpoint,
            "status": self.status,
            "outcome": self.outcome,
            "latency_ms": round(latency_ms, 2),
            "role": self.role,
            "key_prefix": self.key_prefix,
        }
        if self.model:
            fields["model"] = self.model
        if self.stream:
            fields["stream"] = True
        if self.prompt_tokens or self.completion_tokens:
            fields["prompt_tokens"] = self.prompt_tokens
            fields["completion_tokens"] = self.completion_tokens
        if self.ttft_s is not None:
            fields["ttft_ms"] = round(self.ttft_s * 1000.0, 2)
        for stage in ("input", "output"):
            decision = self.guard.get(stage)
            if decision:
                fields[f"guard_{stage}"] = decision["action"]
                if decision.get("categories"):
                    fields[f"guard_{stage}_categories"] = decision["categories"]
        if self.unknown_fields:
            fields["unknown_fields"] = self.unknown_fields
        return fields
