"""Input rails for harmful intent and prompt injection, on the shared small model.

Both read every view of the prompt (:func:`jmedllm.guard.normalize.views`: canonical,
un-reversed, base64-decoded) and keep the worst score, so obfuscation does not hide a
request; the intent frames are matched on every view too. Thresholds come from the model file (chosen on the dev split) unless a policy
sets its own. Block messages help: they say what cannot be done and offer the safe path;
self-harm gets crisis resources in a caring tone, never a bare refusal.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from jmedllm.core.errors import ConfigError
from jmedllm.core.records import GuardAction, RailResult
from jmedllm.guard.base import RAILS, Rail, Stage, elapsed_ms
from jmedllm.guard.frames import FRAMES, INJECTION_FRAMES, FrameMatch, match_frames
from jmedllm.guard.model import Scores, intent_signals

__all__ = ["CATEGORY_MESSAGES", "HarmfulIntentRail", "InjectionRail", "too_short_to_judge"]

CRISIS_MESSAGE = (
    "つらいお気持ちを話してくださって、ありがとうございます。その方法をお伝えすることはできませんが、"
    "あなたのことが心配です。ひとりで抱えずに、今すぐ話を聴いてもらえる窓口があります。"
    "「いのちの電話」（0570-783-556）、「よりそいホットライン」（0120-279-338、24時間）、"
    "各地の「こころの健康相談統一ダイヤル」（0570-064-556）。"
    "命の危険が迫っているときは、迷わず119番に電話してください。"
)

#: What each hazard's block message says: what cannot be done, then the safe path.
CATEGORY_MESSAGES: dict[str, str] = {
    "self_harm": CRISIS_MESSAGE,
    "harm_others": (
        "人を傷つけるおそれのある方法はお伝えできません。介護やご家族との関係で追い詰められているときは、"
        "地域包括支援センターやかかりつけ医、警察相談専用電話（#9110）に相談できます。"
    ),
    "drug_misuse": (
        "処方薬の不適切な入手や使用の方法はお伝えできません。薬の効き方や量に困っていることがあれば、"
        "主治医や薬剤師にそのまま相談してください。依存が心配なときは精神保健福祉センターに相談できます。"
    ),
    "fraud": (
        "書類の偽造や記録の改ざん、不正請求につながるお手伝いはできません。"
        "正しい記載方法や制度の使い方であれば、ご説明できます。"
    ),
    "privacy_violation": (
        "権限のない方の個人情報の閲覧や特定につながるお手伝いはできません。"
        "業務上必要な場合は、院内の個人情報保護の手順と責任者にご相談ください。"
    ),
    "misinformation": (
        "医学的に誤った情報を広める文章は作成できません。正確な情報をわかりやすく伝える文章であれば、"
        "一緒に作ることができます。"
    ),
    "toxins_weapons": "毒物や病原体を人に向けて使う方法、作る方法はお伝えできません。",
    "unethical_care": (
        "患者さんの同意や尊厳を損なうケアの方法はお伝えできません。人手や業務の負担でお困りなら、"
        "多職種カンファレンスや倫理コンサルテーションで、安全な方法を一緒に検討できます。"
    ),
    "unlicensed_practice": (
        "資格や承認の要件を満たさない医療行為の方法はお伝えできません。"
        "制度や正規の手続きについてであれば、ご説明できます。"
    ),
}
INJECTION_MESSAGE = (
    "システムへの指示の変更や、内部の設定・情報の開示にはお応えできません。"
    "医療に関するご質問やご依頼であれば、そのまま書いていただければお手伝いします。"
)


class _ModelRail(Rail):
    """One of the two rails on the shared model: the attack score decides, the kind routes.

    A prompt is blocked when the model's attack score reaches the threshold and the model
    reads it as this rail's kind (harmful request or injection), or when an intent frame of
    this rail's kind matches (:mod:`jmedllm.guard.frames`: rules that name a request
    outright, whatever the score). A heading or a bare term — too short to carry a request,
    see :func:`too_short_to_judge` — is allowed. Options: ``threshold`` (on the attack score; default
    chosen on dev, in the model file), ``action`` (default block), ``model`` (another model
    file), ``frames`` (default true).
    """

    stages: ClassVar[frozenset[str]] = frozenset({"input"})
    roles: ClassVar[frozenset[str] | None] = frozenset({"user", "tool", "function"})
    option_names: ClassVar[frozenset[str] | None] = frozenset({"threshold", "action", "model", "frames"})
    #: Whether this rail owns prompts the model reads as injections (else harmful requests).
    injection: ClassVar[bool]

    def __init__(self, name: str, **options: Any) -> None:
        super().__init__(name, **options)
        from jmedllm.guard.model import load_intent_model

        self.model = load_intent_model(options.get("model"))
        threshold = options.get("threshold", self.model.thresholds["attack"])
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold < 1:
            raise ConfigError(f"rail {name!r}: threshold must be a number in (0, 1)")
        self.threshold = float(threshold)
        self.action = self.action_option(default="block", allowed=("allow", "mask", "escalate", "block"))
        use_frames = options.get("frames", True)
        if not isinstance(use_frames, bool):
            raise ConfigError(f"rail {name!r}: frames must be true or false")
        self.use_frames = use_frames

    def check(self, text: str, *, stage: Stage) -> RailResult:
        started = time.perf_counter()
        if not text.strip():
            return RailResult(self.name, GuardAction.ALLOW, latency_ms=elapsed_ms(started))
        found = _judge(self.model, text)
        frames = [f for f in found.frames if (f.category == "prompt_injection") == self.injection]
        mine = found.scores.is_injection == self.injection
        score = found.scores.attack if mine else 0.0
        if found.too_short:
            return RailResult(self.name, GuardAction.ALLOW, score=score, latency_ms=elapsed_ms(started))
        if frames and self.use_frames:
            category = frames[0].category
            score = max(score, FRAME_SCORE)
        elif mine and found.scores.attack >= self.threshold:
            category = "prompt_injection" if self.injection else found.scores.category
        else:
            return RailResult(self.name, GuardAction.ALLOW, score=score, latency_ms=elapsed_ms(started))
        return RailResult(
            self.name,
            self.action,
            categories=(category,),
            score=score,
            latency_ms=elapsed_ms(started),
            message=INJECTION_MESSAGE if self.injection else CATEGORY_MESSAGES.get(category),
        )


@RAILS.register("harmful_intent")
class HarmfulIntentRail(_ModelRail):
    """Intent to harm or to evade safeguards, over the medical hazard taxonomy (not clinical use)."""

    injection = False


@RAILS.register("injection")
class InjectionRail(_ModelRail):
    """Prompt injection and jailbreaks: overrides, prompt extraction, personas, wrappers, hidden
    instructions in pasted documents, obfuscation (decoded before judging)."""

    injection = True


#: The score a rail reports when an intent frame, not the model, decided.
FRAME_SCORE = 0.99


#: At most this many letters and digits, a prompt is a heading or a bare term (診断：, O:,
#: 致死量), not a request — unless it asks (方法, 教えて, ？) or names an intent.
SHORT_CHARS = 6
_ASKS = re.compile(
    r"方法|やり方|作り方|仕方|入手|手に入|買|売|教え|どう|どれ|どのくらい|どれくらい|いくつ"
    r"|何[分秒階錠個本粒箱回日]|何mg|何ml|たい|ほしい|欲しい|くださ|下さ|こつ|[?？]"
)
_SHORT_SIGNALS = frozenset({"self_harm", "victim", "concealment", "override", "extraction"})


def too_short_to_judge(view: str) -> bool:
    """Whether this canonical view is a heading or a bare term that neither the model nor
    the frames should judge.

    On three characters a character n-gram model has almost no evidence: its score is one
    or two n-grams that happen to lean towards attacks, and record headings sent as
    completion prompts (診断：, 処方：, 患者：) were blocked. Nor is a bare term a request,
    even one a frame would read (偽造処方箋 is also what a pharmacist looks up). A short
    view still counts when it asks for something or carries a named intent signal
    (死にたい, 楽に死ねる薬, 毒殺の方法).
    """
    if sum(ch.isalnum() for ch in view) > SHORT_CHARS:
        return False
    return not _ASKS.search(view) and not intent_signals(view) & _SHORT_SIGNALS


@dataclass(frozen=True, slots=True)
class _Judgement:
    scores: Scores
    frames: tuple[FrameMatch, ...]
    too_short: bool


@lru_cache(maxsize=1024)
def _judge(model: Any, text: str) -> _Judgement:
    """Both rails read the same judgement of the same text: computed once (the model is
    hashable by identity, the text by value; a policy runs harmful_intent and injection back
    to back). Frames are matched on every view, so a reversed or encoded request meets them too."""
    from jmedllm.guard.normalize import views

    readings = views(text)
    frames: dict[str, FrameMatch] = {}
    for view in readings:
        for match in match_frames(view, FRAMES + INJECTION_FRAMES):
            frames.setdefault(match.frame, match)
    return _Judgement(
        model.score_views(readings),
        tuple(frames.values()),
        too_short=all(too_short_to_judge(view) for view in readings),
    )
