"""The rail interface and its registry."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Literal

from jmedllm.core.errors import ConfigError
from jmedllm.core.records import GuardAction, RailResult
from jmedllm.core.registry import Registry

__all__ = ["RAILS", "Rail", "Stage", "elapsed_ms"]

Stage = Literal["input", "output"]


#: A synthetic text touching the rails' lazy parts: a name, an ID, a dose, a request.
_WARM_UP_TEXT = "山田太郎さん（患者ID 12345）にアセトアミノフェン500mgを1日3回。副作用を教えてください。"


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
    #: Whether the rail judges a reply as a whole (e.g. "is care recommended anywhere in it?")
    #: and so cannot judge the windows of a streamed reply one by one. The pipeline runs such
    #: rails on whole texts only (``scope="all"`` or ``"reply"``, see ``GuardPipeline.check``);
    #: on a stream ``OutputGuard.flush`` runs them once on the full released reply. What has
    #: streamed is already sent, so a masking whole-reply rail may only *append* to the text.
    whole_reply: ClassVar[bool] = False
    #: Whose messages the rail judges when a check says whose each text is (``roles`` of
    #: ``GuardPipeline.check``); None: every text. Intent rails read only what a user (or a
    #: tool, where pasted documents arrive) wrote: a system prompt is the operator's own
    #: instruction — 「あなたは医療アシスタントです」 is how every one of them starts, and
    #: reads like a role-play attack — and earlier assistant turns were checked as output.
    roles: ClassVar[frozenset[str] | None] = None

    def __init__(self, name: str, **options: Any) -> None:
        self.name = name
        self.options = options
        if self.option_names is not None:
            unknown = sorted(set(options) - self.option_names)
            if unknown:
                raise ConfigError(
                    f"rail {name!r}: unknown options {unknown}", hint=f"use {sorted(self.option_names)}"
                )

    #: Whether ``warm_up`` may run ``check`` on a sample text: False for rails whose check
    #: leaves the process (an endpoint call) and so must not run before real traffic.
    warm_by_checking: ClassVar[bool] = True

    def action_option(self, option: str = "action", *, default: str, allowed: tuple[str, ...]) -> GuardAction:
        """The action a policy set in ``option`` (one of ``allowed``), or ``default``.

        Each rail allows only the actions that make sense for it (a canary leak is never
        "masked"; the referral rail never blocks), and names them when a policy says another.
        """
        value = self.options.get(option, default)
        if not isinstance(value, str) or value not in allowed:
            raise ConfigError(f"rail {self.name!r}: {option} must be one of {', '.join(allowed)}")
        return GuardAction(value)

    @abstractmethod
    def check(self, text: str, *, stage: Stage) -> RailResult:
        """Judge ``text``; a masking rail returns the masked text as ``transformed_text``."""

    def warm_up(self) -> None:
        """Load what the first ``check`` would load lazily (tagger, lexicons, model weights).

        The gateway calls it in a worker thread before it takes traffic: a first check
        costs ~0.1 s on an idle core (several times that on a loaded one), and paid on the
        event loop it stalls every request in flight, long enough for their Redis calls
        to time out.
        """
        if not self.warm_by_checking:
            return
        for stage in sorted(self.stages):
            self.check(_WARM_UP_TEXT, stage=stage)  # type: ignore[arg-type]


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` reading): a rail's latency."""
    return (time.perf_counter() - started) * 1000.0


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
        "jmedllm.guard.rails.referral",
        "jmedllm.guard.rails.llm_judge",
    ),
)
