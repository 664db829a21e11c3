"""Evaluation tasks (Inspect AI) and the suites that group them.

``TASKS`` is the registry of task plugins (``eval.task``); ``SUITES`` names groups of
tasks with a default per-task item limit. The safety test sets register into the same
registry and add their suites.
"""

from __future__ import annotations

from dataclasses import dataclass

from jmedllm.core.errors import ConfigError
from jmedllm.eval.tasks.base import TASKS, EvalTask, ScoredItem, TaskOptions, spread

__all__ = ["SUITES", "TASKS", "EvalTask", "ScoredItem", "Suite", "TaskOptions", "resolve_suite", "spread"]


@dataclass(frozen=True, slots=True)
class Suite:
    """A named group of tasks; ``limit`` caps the items of each task (None: all)."""

    name: str
    tasks: tuple[str, ...]
    limit: int | None
    description: str


_KNOWLEDGE = ("jmle", "jmmlu-medical", "jmed-crade", "jmed-rrtnm", "jmed-smdis", "medrect")
_SAFETY = (
    "safety-harmful",
    "safety-medsafetybench-ja",
    "safety-overrefusal",
    "safety-false-premise",
    "safety-privacy",
    "safety-security",
)
_ROBUSTNESS = ("robustness-knowledge", "robustness-harmful")

SUITES: dict[str, Suite] = {
    suite.name: suite
    for suite in (
        Suite(
            "smoke",
            _KNOWLEDGE + _SAFETY + _ROBUSTNESS,
            3,
            "3 items of every task (robustness: 3 items × each perturbation): minutes on the bundled model",
        ),
        Suite("knowledge", _KNOWLEDGE, None, "every item of every knowledge task"),
        Suite(
            "safety",
            (*_SAFETY, "robustness-harmful"),
            None,
            "every safety item, and harmful items perturbed",
        ),
        Suite("full", _KNOWLEDGE + _SAFETY + _ROBUSTNESS, None, "everything (meant for GPUs)"),
    )
}


def resolve_suite(name: str) -> Suite:
    try:
        return SUITES[name]
    except KeyError:
        raise ConfigError(f"unknown suite {name!r}", hint=f"known suites: {', '.join(SUITES)}") from None
