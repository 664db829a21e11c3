"""Run a policy's rails over texts and combine their verdicts into one decision."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

from jmedllm.core.records import GuardDecision, RailResult
from jmedllm.guard.base import RAILS, Rail, Stage
from jmedllm.guard.policy import GuardPolicy, load_policy

__all__ = ["GuardOutcome", "GuardPipeline", "RailScope", "decision_dict", "merge_per_rail"]

#: Which rails of a stage a check runs: ``all`` on a whole text, ``window`` on a part of a
#: streamed reply (whole-reply rails left out), ``reply`` on the full streamed reply at its
#: end (only the whole-reply rails, the others having judged every window).
RailScope = Literal["all", "window", "reply"]


class GuardOutcome:
    """A decision over several texts (the messages of a chat) and the texts to pass on."""

    __slots__ = ("decision", "texts")

    def __init__(self, decision: GuardDecision, texts: list[str]) -> None:
        self.decision = decision
        self.texts = texts

    def to_dict(self) -> dict[str, object]:
        return decision_dict(self.decision)


def decision_dict(decision: GuardDecision) -> dict[str, object]:
    """A decision as JSON: action, categories, score, latency and each rail's verdict (no texts)."""
    return {
        "action": decision.action.value,
        "categories": list(decision.categories),
        "score": round(decision.score, 4),
        "latency_ms": round(decision.latency_ms, 3),
        "rails": [
            {
                "rail": r.rail,
                "action": r.action.value,
                "categories": list(r.categories),
                "score": round(r.score, 4),
                "latency_ms": round(r.latency_ms, 3),
            }
            for r in decision.rails
        ],
    }


class GuardPipeline:
    """The rails of one policy, built once, run on every request.

    Rails of a stage run in policy order, each on the text the previous masking rail
    produced, so a later rail never sees an identifier an earlier one removed. The
    strictest action over all rails and all texts wins (``GuardDecision.strictest``).

    A prompt or a non-streamed reply is checked whole, by every rail (``scope="all"``). A
    streamed reply is checked by ``OutputGuard`` in two parts: each window with
    ``scope="window"`` (rails that can judge a part), then, once at the end of the stream,
    the full released reply with ``scope="reply"`` (rails with ``Rail.whole_reply``).
    """

    def __init__(self, policy: GuardPolicy) -> None:
        self.policy = policy
        self._rails: dict[str, list[Rail]] = {
            "input": [RAILS.get(s.rail)(s.display_name, **s.options) for s in policy.input],
            "output": [RAILS.get(s.rail)(s.display_name, **s.options) for s in policy.output],
        }

    @classmethod
    def from_reference(cls, reference: str) -> GuardPipeline:
        return cls(load_policy(reference))

    def rails(self, stage: Stage) -> list[Rail]:
        return list(self._rails[stage])

    def has_rails(self, stage: Stage) -> bool:
        return bool(self._rails[stage])

    @property
    def enabled(self) -> bool:
        return bool(self._rails["input"] or self._rails["output"])

    def warm_up(self) -> None:
        """Load every rail's lazy parts now (see :meth:`Rail.warm_up`); call it off the event loop."""
        for rails in self._rails.values():
            for rail in rails:
                rail.warm_up()

    def has_whole_reply_rails(self, stage: Stage) -> bool:
        return any(rail.whole_reply for rail in self._rails[stage])

    def check(
        self,
        texts: Sequence[str],
        *,
        stage: Stage,
        scope: RailScope = "all",
        roles: Sequence[str] | None = None,
    ) -> GuardOutcome:
        """Judge every text at ``stage``; return the combined decision and the texts to pass on.

        ``scope`` picks the rails (see :data:`RailScope`): the default, ``all``, is right for
        any complete text; ``window`` and ``reply`` are the two halves of a streamed reply.
        ``roles`` says whose each text is (the messages of a chat): a rail with
        :attr:`Rail.roles` then skips texts of other roles. Without it every text is judged
        by every rail.
        """
        started = time.perf_counter()
        rails = self._rails[stage]
        if scope != "all":
            rails = [rail for rail in rails if rail.whole_reply == (scope == "reply")]
        if roles is not None and len(roles) != len(texts):
            raise ValueError(f"{len(roles)} roles for {len(texts)} texts")
        results: list[RailResult] = []
        out: list[str] = []
        for index, text in enumerate(texts):
            current = text
            role = roles[index] if roles is not None else None
            for rail in rails:
                if role is not None and rail.roles is not None and role not in rail.roles:
                    continue
                result = self._apply_overrides(rail.check(current, stage=stage))
                results.append(result)
                # Not only on MASK: a category_actions override may have raised a masking
                # verdict to block, and the masked text must still replace the original.
                if result.transformed_text is not None:
                    current = result.transformed_text
            out.append(current)
        decision = GuardDecision.strictest(
            merge_per_rail(results), latency_ms=(time.perf_counter() - started) * 1000.0
        )
        message = self.policy.message_for(decision.action)
        if message is not None:
            decision = replace(decision, message=decision.message or message)
        return GuardOutcome(decision, out)

    def check_text(self, text: str, *, stage: Stage, scope: RailScope = "all") -> GuardOutcome:
        return self.check([text], stage=stage, scope=scope)

    def _apply_overrides(self, result: RailResult) -> RailResult:
        stricter = [
            self.policy.category_actions[c] for c in result.categories if c in self.policy.category_actions
        ]
        if not stricter:
            return result
        action = max([result.action, *stricter], key=lambda a: a.severity)
        return replace(result, action=action)


def merge_per_rail(results: list[RailResult]) -> list[RailResult]:
    """One result per rail over all texts: strictest action, united categories, summed latency."""
    merged: dict[str, RailResult] = {}
    for result in results:
        previous = merged.get(result.rail)
        if previous is None:
            merged[result.rail] = result
            continue
        winner = result if result.action.severity > previous.action.severity else previous
        merged[result.rail] = replace(
            winner,
            categories=tuple(dict.fromkeys((*previous.categories, *result.categories))),
            score=max(previous.score, result.score),
            latency_ms=previous.latency_ms + result.latency_ms,
            transformed_text=None,
        )
    return list(merged.values())
