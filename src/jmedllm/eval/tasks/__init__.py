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

SUITES: dict[str, Suite] = {
    suite.name: suite
    for suite in (
        Suite(
            "smoke", _KNOWLEDGE, 5, "5 items of every knowledge task: minutes on the bundled model, on a CPU"
        ),
        Suite("knowledge", _KNOWLEDGE, None, "every item of every knowledge task (meant for GPUs)"),
    )
}


def resolve_suite(name: str) -> Suite:
    try:
        return SUITES[name]
    except KeyError:
        raise ConfigError(f"unknown suite {name!r}", hint=f"known suites: {', '.join(SUITES)}") from None
