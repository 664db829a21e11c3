"""Input rails for harmful intent and prompt injection, on the shared small model.

Both read every view of the prompt (:func:`jmedllm.guard.normalize.views`: canonical,
reversed, base64-decoded) and keep the worst score, so obfuscation does not hide a
request. Thresholds come from the model file (chosen on the dev split) unless a policy
sets its own. Block messages help: they say what cannot be done and offer the safe path;
self-harm gets crisis resources in a caring tone, never a bare refusal.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any, ClassVar

from jmedllm.core.errors import ConfigError
from jmedllm.core.records import GuardAction, RailResult
from jmedllm.guard.base import RAILS, Rail, Stage

__all__ = ["CATEGORY_MESSAGES", "HarmfulIntentRail", "InjectionRail"]

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
    stages: ClassVar[frozenset[str]] = frozenset({"input"})
    head: ClassVar[str]

    def __init__(self, name: str, **options: Any) -> None:
        super().__init__(name, **options)
        from jmedllm.guard.model import load_intent_model

        self.model = load_intent_model(options.get("model"))
        threshold = options.get("threshold", self.model.thresholds[self.head])
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold < 1:
            raise ConfigError(f"rail {name!r}: threshold must be a number in (0, 1)")
        self.threshold = float(threshold)
        action = options.get("action", "block")
        try:
            self.action = GuardAction(action)
        except ValueError:
            raise ConfigError(f"rail {name!r}: action must be one of allow, mask, escalate, block") from None

    def scores(self, text: str) -> Any:
        return _scores(self.model, text)


@RAILS.register("harmful_intent")
class HarmfulIntentRail(_ModelRail):
    """Intent to harm or to evade safeguards, over the medical hazard taxonomy (not clinical use).

    Options: ``threshold`` (default: chosen on dev, in the model file), ``action``
    (default block), ``model`` (another model file).
    """

    head = "harmful"

    def check(self, text: str, *, stage: Stage) -> RailResult:
        started = time.perf_counter()
        if not text.strip():
            return RailResult(self.name, GuardAction.ALLOW, latency_ms=_ms(started))
        found = self.scores(text)
        if found.harmful < self.threshold:
            return RailResult(self.name, GuardAction.ALLOW, score=found.harmful, latency_ms=_ms(started))
        return RailResult(
            self.name,
            self.action,
            categories=(found.category,),
            score=found.harmful,
            latency_ms=_ms(started),
            message=CATEGORY_MESSAGES.get(found.category),
        )


@RAILS.register("injection")
class InjectionRail(_ModelRail):
    """Prompt injection and jailbreaks: overrides, prompt extraction, personas, wrappers, hidden
    instructions in pasted documents, obfuscation (decoded before judging).

    Options: ``threshold``, ``action`` (default block), ``model``.
    """

    head = "injection"

    def check(self, text: str, *, stage: Stage) -> RailResult:
        started = time.perf_counter()
        if not text.strip():
            return RailResult(self.name, GuardAction.ALLOW, latency_ms=_ms(started))
        found = self.scores(text)
        if found.injection < self.threshold:
            return RailResult(self.name, GuardAction.ALLOW, score=found.injection, latency_ms=_ms(started))
        return RailResult(
            self.name,
            self.action,
            categories=("prompt_injection",),
            score=found.injection,
            latency_ms=_ms(started),
            message=INJECTION_MESSAGE,
        )


@lru_cache(maxsize=1024)
def _scores(model: Any, text: str) -> Any:
    """Both rails read the same scores of the same text: computed once (the model is hashable
    by identity, the text by value; a policy runs harmful_intent and injection back to back)."""
    from jmedllm.guard.normalize import views

    return model.score_views(views(text))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
