"""The task plugin interface: data → Inspect ``Task`` → jmedllm ``TaskSummary``.

An :class:`EvalTask` knows three things: how to read its data set into Inspect
``Sample``s, how to build the Inspect ``Task`` (prompt, solver, scorer, metrics), and how
to turn the scored samples of a log into the metrics jmedllm compares (value, 95 % CI,
n, unscorable rate). Inspect runs it — concurrency, retries, caching, resume and the
log viewer are Inspect's; jmedllm only adds the medical tasks and the comparison.

Tasks are registered in :data:`TASKS` (family ``eval.task``); the safety test sets plug
into the same registry. Every task is **versioned**: change the version whenever a
change to prompt, data selection or scoring would change its numbers, so summaries of
different versions are never compared as if they were the same measurement.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from jmedllm.core.errors import ConfigError, InputFileError
from jmedllm.core.registry import Registry
from jmedllm.eval.records import AISI_PERSPECTIVES, AREAS, MetricValue, Objective, TaskSummary

if TYPE_CHECKING:
    from inspect_ai import Task
    from inspect_ai.dataset import Sample

__all__ = ["TASKS", "EvalTask", "ScoredItem", "TaskOptions", "spread"]


@dataclass(frozen=True, slots=True)
class TaskOptions:
    """How one run builds a task: where the data is, how many items, generation bounds."""

    data_dir: Path
    limit: int | None = None
    """At most this many items, spread evenly over the data set (None: all)."""
    max_tokens: int | None = None
    """Reply length bound (None: the task's own default)."""
    logprobs: bool = False
    """Ask for token log-probabilities (feeds calibration where the backend supports it)."""
    cache: bool = False
    """Reuse Inspect's cache of model replies for identical requests."""
    run_id: str = "run"
    """The run's name: seeds what must differ between runs but stay stable within one (canaries)."""
    judge: Any = None
    """The safety judge: a ``Judge``, a spec (``local`` or an endpoint URL), or None for local."""


@dataclass(frozen=True, slots=True)
class ScoredItem:
    """One scored sample read back from an Inspect log, in the terms summaries need."""

    id: str
    correct: bool
    unscorable: bool
    metadata: dict[str, Any] = field(default_factory=dict)


class EvalTask(ABC):
    """One evaluation task. Subclasses set the class attributes and implement the methods."""

    name: ClassVar[str]
    version: ClassVar[str]
    area: ClassVar[str] = "harmful_false_output"
    perspectives: ClassVar[tuple[str, ...]] = ()
    objective: ClassVar[Objective | None] = None
    headline: ClassVar[str] = "accuracy"
    dataset: ClassVar[str]
    """Provenance and licence of the items, kept with every summary."""
    data_path: ClassVar[str]
    """Where the data lives, relative to the data directory (``../shared/data``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if getattr(cls, "__abstractmethods__", None):
            return
        if cls.area not in AREAS:
            raise TypeError(f"{cls.__name__}.area {cls.area!r} is not one of {sorted(AREAS)}")
        unknown = set(cls.perspectives) - set(AISI_PERSPECTIVES)
        if unknown:
            raise TypeError(f"{cls.__name__}.perspectives has unknown entries {sorted(unknown)}")

    def source(self, data_dir: Path) -> Path:
        """The task's data file or folder, or a clear error when it is not there."""
        path = data_dir / self.data_path
        if not path.exists():
            raise InputFileError(
                f"task {self.name}: data not found at {path}",
                hint="set data_dir in the run config to the folder holding the shared data sets "
                "(default ../shared/data, relative to where you run jmedllm)",
            )
        return path

    @abstractmethod
    def samples(self, data_dir: Path) -> list[Sample]:
        """Every item of the data set as an Inspect ``Sample`` (ids unique and stable)."""

    @abstractmethod
    def build(self, options: TaskOptions) -> Task:
        """The Inspect ``Task`` for one run."""

    @abstractmethod
    def metrics(self, items: Sequence[ScoredItem]) -> list[MetricValue]:
        """jmedllm's metrics for the scored items of one run (value, CI, n)."""

    @abstractmethod
    def scored_item(self, sample: Any) -> ScoredItem:
        """One Inspect ``EvalSample`` of this task's log as a :class:`ScoredItem`."""

    def summarise(
        self, samples: Sequence[Any], *, log: str | None = None, status: str = "success"
    ) -> TaskSummary:
        """The :class:`TaskSummary` of one log's samples."""
        items = [self.scored_item(s) for s in samples]
        return TaskSummary(
            task=self.name,
            version=self.version,
            area=self.area,
            perspectives=self.perspectives,
            n=len(items),
            unscorable=sum(i.unscorable for i in items),
            metrics=tuple(self.metrics(items)),
            objective=self.objective,
            headline=self.headline,
            log=log,
            status=status,
            dataset=self.dataset,
        )

    def select(self, samples: list[Sample], limit: int | None) -> list[Sample]:
        if limit is not None and limit < 1:
            raise ConfigError(f"task {self.name}: limit must be at least 1, not {limit}")
        return spread(samples, limit)


def spread(items: list[Any], limit: int | None) -> list[Any]:
    """``limit`` items taken at even steps through ``items`` (all of them when None).

    The first N items of a file are often one exam or one category; an even spread keeps
    a smoke run representative while staying deterministic.
    """
    if limit is None or limit >= len(items):
        return list(items)
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


TASKS: Registry[type[EvalTask]] = Registry(
    "eval.task",
    base=EvalTask,
    modules=(
        "jmedllm.eval.tasks.knowledge",
        "jmedllm.eval.tasks.medrect",
        "jmedllm.eval.tasks.safety",
        "jmedllm.eval.tasks.robustness",
    ),
)
