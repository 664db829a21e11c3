"""Guardrails: rails that inspect texts going into and coming out of a model.

A :class:`~jmedllm.guard.base.Rail` looks at one text and returns a
:class:`~jmedllm.core.records.RailResult`; a :class:`~jmedllm.guard.policy.GuardPolicy`
says which rails run at which stage; :class:`~jmedllm.guard.pipeline.GuardPipeline` runs
them and combines the results into one :class:`~jmedllm.core.records.GuardDecision`
(the strictest action wins, every rail's result is kept for the audit log).

This package is the interface the gateway plugs into. Rails (plugins of ``guard.rail``):
``pii`` (on :mod:`jmedllm.deid`), ``harmful_intent`` and ``injection`` (a shared small
model, :mod:`jmedllm.guard.model`), ``dose`` and ``canary`` (output). Policies:
``default`` (PII both ways), ``clinical`` (all input rails, PII and dose on output),
``off``, or a YAML file; see docs/guard.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jmedllm.guard.base import RAILS, Rail
    from jmedllm.guard.pipeline import GuardPipeline
    from jmedllm.guard.policy import GuardPolicy, load_policy

__all__ = ["RAILS", "GuardPipeline", "GuardPolicy", "Rail", "load_policy"]

_EXPORTS = {
    "RAILS": "jmedllm.guard.base",
    "Rail": "jmedllm.guard.base",
    "GuardPipeline": "jmedllm.guard.pipeline",
    "GuardPolicy": "jmedllm.guard.policy",
    "load_policy": "jmedllm.guard.policy",
}


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
