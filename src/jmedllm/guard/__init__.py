"""Guardrails: rails that inspect texts going into and coming out of a model.

A :class:`~jmedllm.guard.base.Rail` looks at one text and returns a
:class:`~jmedllm.core.records.RailResult`; a :class:`~jmedllm.guard.policy.GuardPolicy`
says which rails run at which stage; :class:`~jmedllm.guard.pipeline.GuardPipeline` runs
them and combines the results into one :class:`~jmedllm.core.records.GuardDecision`
(the strictest action wins, every rail's result is kept for the audit log).

This package is the interface the gateway plugs into. Today it ships the PII rail (built
on :mod:`jmedllm.deid`); the harmful-intent and injection rails arrive with issue 6 as
further plugins of ``guard.rail``.
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
