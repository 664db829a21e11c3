"""Output rail: replies that hand over self-harm or violence methods are stopped.

A model can be talked into what the input rails let through, so replies are checked too.
The signal is narrow on purpose — method or lethality content *about hurting oneself or
someone* (確実に死ねる量, 気づかれずに弱らせる …), not the words themselves: a clinical
reply about overdose management says 過量服薬 and 致死的 on every line. A reply that
points to help (いのちの電話, 119 …) and gives no method is left alone. Blocked
self-harm replies are replaced by crisis resources in a caring tone, never a bare refusal.
"""

from __future__ import annotations

import re
import time
import unicodedata
from typing import Any, ClassVar

from jmedllm.core.records import GuardAction, RailResult
from jmedllm.guard.base import RAILS, Rail, Stage, elapsed_ms
from jmedllm.guard.rails.intent import CATEGORY_MESSAGES, CRISIS_MESSAGE

__all__ = ["SelfHarmOutputRail"]

_SELF_HARM_METHOD = re.compile(
    r"(?:確実に|楽に|苦しまずに|痛くなく|静かに)(?:死|亡くな|終わ)"
    r"|死ねる(?:量|方法|薬|確率)|(?:自殺|自死)(?:の|する)?(?:方法|手順|やり方)|首を(?:吊|つ)る(?:方法|には|場合)"
    r"|(?:致死量|致死的な量)(?:は|を|に)(?:.{0,12})(?:\d+|何錠|何グラム)(?!.{0,20}(?:治療|対応|受診|救急|中毒110))"
    r"|(?:発見|見つから|止められ)(?:されにくい|ない|にくい)(?:ように|場所|時間)"
    r"|遺書(?:の書き方|を書く|の例文)"
)
_VIOLENCE_METHOD = re.compile(
    r"(?:気づかれ|気付かれ|ばれ|バレ|怪しまれ)(?:ずに|ないように|にくい)(?:.{0,20})(?:混ぜ|飲ませ|盛|弱らせ|投与)"
    r"|(?:少しずつ|徐々に)(?:弱らせ|衰弱させ)|(?:殺す|殺害する|始末する)(?:方法|には|手順)"
    r"|(?:検出|検死|解剖)(?:され)?(?:にくい|ない)(?:毒|薬|方法)"
)


@RAILS.register("self_harm_output")
class SelfHarmOutputRail(Rail):
    """Replies giving self-harm or violence methods: blocked, with crisis resources for self-harm.

    Options: ``action`` (default block).
    """

    stages: ClassVar[frozenset[str]] = frozenset({"output"})
    option_names: ClassVar[frozenset[str] | None] = frozenset({"action"})

    def __init__(self, name: str, **options: Any) -> None:
        super().__init__(name, **options)
        self.action = self.action_option(default="block", allowed=("allow", "mask", "escalate", "block"))

    def check(self, text: str, *, stage: Stage) -> RailResult:
        started = time.perf_counter()
        normalized = unicodedata.normalize("NFKC", text or "")
        if _SELF_HARM_METHOD.search(normalized):
            return RailResult(
                self.name,
                self.action,
                categories=("self_harm",),
                score=1.0,
                latency_ms=elapsed_ms(started),
                message=CRISIS_MESSAGE,
            )
        if _VIOLENCE_METHOD.search(normalized):
            return RailResult(
                self.name,
                self.action,
                categories=("harm_others",),
                score=1.0,
                latency_ms=elapsed_ms(started),
                message=CATEGORY_MESSAGES["harm_others"],
            )
        return RailResult(self.name, GuardAction.ALLOW, latency_ms=elapsed_ms(started))
