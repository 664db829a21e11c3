"""The rail interface and its registry."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Literal

from jmedllm.core.errors import ConfigError
from jmedllm.core.records import RailResult
from jmedllm.core.registry import Registry

__all__ = ["RAILS", "Rail", "Stage"]

Stage = Literal["input", "output"]


class Rail(ABC):
    """Inspects one text at one stage and returns its verdict.

    Rails are built once per policy with the options the policy gives them and must be
    safe to call from several threads at once (the gateway runs them in a thread pool).
    A rail never raises on odd text: it returns ``allow`` with score 0 or its verdict.
    """

    #: Stages the rail can run at.
    stages: ClassVar[frozenset[str]] = frozenset({"input", "output"})
    #: The option names the rail takes; others are refused (None: not checked here). A
    #: misspelt option (``acton``, ``canary`` for ``canaries``) would otherwise leave a
    #: default in place, or the rail checking nothing, without a word.
    option_names: ClassVar[frozenset[str] | None] = None

    def __init__(self, name: str, **options: Any) -> None:
        self.name = name
        self.options = options
        if self.option_names is not None:
            unknown = sorted(set(options) - self.option_names)
            if unknown:
                raise ConfigError(
                    f"rail {name!r}: unknown options {unknown}", hint=f"use {sorted(self.option_names)}"
                )

    @abstractmethod
    def check(self, text: str, *, stage: Stage) -> RailResult:
        """Judge ``text``; a masking rail returns the masked text as ``transformed_text``."""


#: Every rail, by the name a policy uses.
RAILS: Registry[type[Rail]] = Registry(
    "guard.rail",
    base=Rail,
    modules=(
        "jmedllm.guard.rails.pii",
        "jmedllm.guard.rails.intent",
        "jmedllm.guard.rails.dose",
        "jmedllm.guard.rails.canary",
        "jmedllm.guard.rails.self_harm_output",
        "jmedllm.guard.rails.llm_judge",
    ),
)
