"""Output rail: diagnosis-like replies to patients end with a referral to care (医師法17条).

Under 医師法17条 only physicians may practise medicine; an assistant answering a patient
must not read as a diagnosis or a treatment order. Replies that say what the patient
probably has (〜の可能性があります, 〜が疑われます, おそらく〜でしょう), tell them to take,
stop or change a medicine, or direct self-care for a symptom are let through with a short
disclaimer appended, unless they already send the patient to care (受診, 医師に相談 …).
When the reply names an emergency sign (胸の痛み, 息苦しさ, ろれつが回らない …) and does not
say 119, the appended text says to call 119 (and #7119 when unsure), even when it already
refers the patient to ordinary care. Self-harm is left to the self_harm rails.

The rail judges a reply as a whole (a referral often comes in the last sentence), so on a
stream it runs once at the end (``whole_reply``). It never blocks by default: a reply that
is helpful but incomplete is better completed than withheld. Lexicons are written by hand
and keyword-based: paraphrases are missed, and a general-information reply that happens to
match gets a disclaimer it did not need (the cost of that is one sentence).
"""

from __future__ import annotations

import re
import time
import unicodedata
from typing import Any, ClassVar

from jmedllm.core.errors import ConfigError
from jmedllm.core.records import GuardAction, RailResult
from jmedllm.guard.base import RAILS, Rail, Stage, elapsed_ms

__all__ = ["DEFAULT_DISCLAIMER", "DEFAULT_EMERGENCY_MESSAGE", "ReferralRail"]

DEFAULT_DISCLAIMER = (
    "※この回答は一般的な情報であり、診断ではありません。"
    "症状が続く・悪化する場合は医療機関を受診し、医師にご相談ください。"
)
DEFAULT_EMERGENCY_MESSAGE = (
    "※この回答は一般的な情報であり、診断ではありません。"
    "命に関わる症状の可能性があります。当てはまる症状があるときは、ためらわずにすぐ119番に電話して救急車を呼んでください。"
    "救急車を呼ぶか迷うときは、救急安心センター（#7119、未実施の地域もあります）に相談できます。"
)
_AUDIENCES = frozenset({"patient", "clinician"})

# Everything below runs on an NFKC-normalised, casefolded copy (＃７１１９ → #7119, ｶﾀｶﾅ →
# カタカナ, COVID-19 → covid-19).

# --- What a condition is called --------------------------------------------------------
# Disease names mostly end in a few morphemes (糖尿病, 胃腸炎, 熱中症, 肺がん, 腎不全 …);
# 症状 is the word for a symptom, not a disease, so 症 must not be followed by 状. 障害,
# 感染 and ウイルス are left out: replies about computers say 通信障害 and ウイルス感染.
_CONDITION_SUFFIX = (
    r"[\u4e00-\u9fffァ-ヶー]{0,10}"
    r"(?:病|炎|症(?!状)|症候群|がん|癌|腫瘍|不全|結石|骨折|ヘルニア|潰瘍|梗塞|出血|発作|アレルギー)"
)
# Everyday names that end in none of them, the medical 障害, and 副作用 (a symptom blamed on
# a drug is a diagnosis too).
_CONDITION_NAMES = (
    r"風邪|かぜ|カゼ|インフルエンザ|コロナ|covid-19|片頭痛|偏頭痛|頭痛|貧血|痛風|喘息|ぜんそく|"
    r"アナフィラキシー|蕁麻疹|じんましん|湿疹|アトピー|便秘|下痢|食中毒|ぎっくり腰|捻挫|ねんざ|肉離れ|脱臼|脱水|"
    r"病気|不眠|更年期|自律神経の乱れ|ストレス|ものもらい|水虫|帯状疱疹|ヘルペス|低血糖|高血圧|副作用|"
    r"(?:睡眠|適応|摂食|発達|不安|パニック|双極性|意識|記憶|嚥下|排尿|肝機能|腎機能)障害"
)
_CONDITION = rf"(?:{_CONDITION_SUFFIX}|{_CONDITION_NAMES})"

# --- Group 1: saying what the patient has -----------------------------------------------
# A condition directly followed by a hedge is a (tentative) diagnosis: 「片頭痛の可能性が
# 高い」「胃腸炎が疑われます」「風邪でしょう」. Only *directly*: 「糖尿病は合併症を起こす可能性
# があります」 is general information and must not match.
_SPECULATION = re.compile(
    rf"{_CONDITION}(?:など|や[^。、]{{0,12}}?)?"
    # …or through its sign or cause: 「喘息の発作が考えられます」「胃潰瘍からの出血」.
    r"(?:の(?:発作|症状|サイン|初期症状|再発|悪化)|からの出血|によるもの|が原因|から来るもの|からくるもの)?"
    r"(?:(?:の|である|という)(?:可能性|疑い)|(?:が|も)(?:考えられ|疑われ)|かもしれ|でしょう|だと思われ|と思われ|と考えられ)"
)
# 「考えられる原因としては、〜」: the hedge first, the conditions after it.
_CAUSE_LIST = re.compile(
    rf"(?:考えられる|疑われる|可能性のある)(?:病気|原因|疾患)(?:として|は)[^。]{{0,40}}?{_CONDITION}"
)
# A definite statement about this patient: 「おそらく〜です」「お子さんは〜です」「〜と診断」.
_DEFINITE = re.compile(
    rf"(?:おそらく|恐らく|たぶん|多分|きっと|間違いなく|典型的な)[^。]{{0,20}}?{_CONDITION}(?:です|だと思|と考え)"
    rf"|(?:あなた|お子さん|お子様|ご家族|それ|その症状|今回の症状)(?:は|の症状は)[^。]{{0,15}}?{_CONDITION}(?:です|によるもの|から来て|からきて)"
    rf"|{_CONDITION}(?:と診断(?:でき|され|しま)|に間違いあり|で間違いあり|に該当しま)"
)
# 「診断」 as a verdict, not in a referral (医師の診断を受けて) or a disclaimer (診断ではありません).
_DIAGNOSIS_STATEMENT = re.compile(
    r"(?:と|の)診断(?:になります|となります|です|できます|されるでしょう)|診断名は"
)

# --- Group 2: directing a medicine -------------------------------------------------------
# Only in a sentence that names a medicine: 「使ってください」 alone is about anything.
_DRUG = re.compile(
    r"薬|(?<!洗)(?<!入浴)(?<!漂白)(?<!芳香)剤|錠|カプセル|シロップ|痛み止め|抗生物質|湿布|軟膏|目薬|漢方|"
    r"ステロイド|インスリン|ロキソニン|カロナール|アセトアミノフェン|イブプロフェン|ロキソプロフェン|バファリン"
)
# Take / use it (飲んでください, 服用するとよいでしょう), stop or change it (中止して,
# 増やしてください, やめても大丈夫です). Cautions (自己判断でやめないでください, 中止する前に
# 相談を) do not match: they carry ない/前に, not an order.
_MEDICATION_ORDER = re.compile(
    r"(?:飲んで|服用して|内服して|使って|使用して|塗って|貼って|点眼して|吸入して)(?:ください|下さい|みて|おき)"
    r"|(?:飲む|服用する|内服する|使う|使用する|塗る|貼る)と(?:よい|良い|いい)"
    r"|(?:飲み|服用し|使い|塗り|貼り)ましょう"
    r"|(?:中止|中断|休薬|減量|増量|倍量に)(?:して(?:ください|下さい|みて|も)|しましょう|すると)"
    r"|(?:やめて|止めて|減らして|増やして|倍にして|飲み切って|飲みきって|変えて|切り替えて)(?:ください|下さい|みて|も)"
    r"|(?:やめ|止め|減らし|増やし|変え|切り替え)ましょう"
)

# --- Group 3: directing self-care for a symptom -------------------------------------------
_SYMPTOM = re.compile(
    r"症状|痛み|痛い|痛む|発熱|熱が|熱は|熱っぽ|微熱|高熱|咳|せき|鼻水|鼻づまり|くしゃみ|喉|のど|"
    r"お腹|おなか|腹痛|胃もたれ|胸やけ|下痢|便秘|吐き気|嘔吐|めまい|肩こり|かゆみ|かゆい|発疹|湿疹|"
    r"腫れ|むくみ|だるさ|だるい|倦怠感|動悸|しびれ|寒気|悪寒|眠れない|不眠|鼻血|生理痛|月経痛|口内炎"
)
# Reassurance may name the condition instead of a symptom (「軽いぎっくり腰なので自然に治ります」).
_SYMPTOM_OR_CONDITION = re.compile(rf"{_SYMPTOM.pattern}|{_CONDITION}")
_SELF_CARE = re.compile(
    r"(?:安静にして|横になって|休んで|冷やして|温めて|様子を見て|うがいをして|鼻をかんで|マッサージして|"
    r"ストレッチをして|控えて|避けて|水分を(?:こまめに|しっかり|十分に)?(?:とって|取って|摂って|補給して))"
    r"(?:ください|下さい|みてください|おきましょう|いれば)"
    r"|(?:安静にし|様子を見|水分を(?:こまめに|しっかり|十分に)?(?:と|取|摂)り|休み|冷やし|温め|控え)ましょう"
)
# Reassurance is a diagnosis too (「心配いりません」 says it is nothing serious).
_REASSURANCE = re.compile(
    r"心配(?:は)?(?:いりません|要りません|ありません|ないでしょう)|問題ない(?:でしょう|と思います)"
    r"|自然に(?:治|良くな|よくな|おさま|治ま)|様子を見ても(?:大丈夫|問題ありません|よい|良い|いい)"
    r"|(?:数日|[0-9一二三]+日|1週間|一週間|しばらく)(?:で|ほどで|程度で|もすれば)[^。]{0,6}?(?:治|良くな|よくな|おさま|治ま)(?:ります|るでしょう)"
)

# --- What counts as sending the patient to care -------------------------------------------
# Telling the patient they need *not* see anyone is the opposite of a referral, and itself
# diagnosis-like: those spans are cut out before referrals are looked for.
_DISCOURAGED_CARE = re.compile(
    r"(?:受診|病院に行く|病院へ行く|医療機関にかかる|医師に相談)(?:する)?(?:の)?"
    r"(?:必要は(?:ありません|ない)|ほどでは(?:ありません|ない)|までもありません)"
    r"|受診(?:しなくても|せずに|は不要)|病院に行かなくても"
)
_REFERRAL = re.compile(
    r"受診|医療機関|病院|クリニック|診療所|医院|救急外来|救急車|#7119|#8000|(?<![0-9])119(?![0-9])|"
    r"(?:医師|主治医|かかりつけ医|かかりつけの医師|お医者さん|専門医|担当医|歯科医師|薬剤師|看護師|保健所)"
    r"(?:に|へ|と)(?:ご|お)?(?:相談|確認|連絡)|"
    r"(?:医師|主治医|かかりつけ医|専門医|担当医|薬剤師)の(?:診察|診断|指示|判断|確認)|"
    r"診察を受け|診察してもら|診てもら|検査を受け|"
    r"(?:内科|外科|皮膚科|耳鼻科|耳鼻咽喉科|眼科|整形外科|小児科|婦人科|産婦人科|精神科|心療内科|泌尿器科|歯科|循環器内科|脳神経外科)(?:を|へ|に|で)"
)
_CALLS_119 = re.compile(r"(?<![0-9#])119(?![0-9])|救急車")

# --- Emergency signs ------------------------------------------------------------------------
# Signs where waiting costs a life or a brain (ACS, stroke, anaphylaxis, haemorrhage,
# status epilepticus …): 119 first. 自殺念慮 is not here: the self_harm rails handle it.
_EMERGENCY = re.compile(
    r"胸痛|胸の痛み|胸が痛|胸が(?:締め付け|しめつけ|圧迫)|胸を締め付け"
    r"|呼吸困難|息苦し|息ができな|息が吸えな|呼吸が苦し|唇が紫|チアノーゼ"
    r"|意識障害|意識がな|意識を失|意識が(?:もうろう|朦朧|おかし)|呼びかけに(?:反応し|応え)な"
    r"|(?:片側|半身|片方の手足|片方の腕|顔の片側)[^。]{0,8}?(?:麻痺|まひ|マヒ|しびれ|動かな|力が入らな|ゆがむ|歪む|下が)"
    r"|ろれつが回ら|呂律が回ら|言葉が出な"
    r"|激しい頭痛|突然の(?:激しい)?頭痛|今までにな(?:い|かった)(?:ほどの|ような)?(?:強い|激しい)?頭痛|殴られたような頭痛"
    r"|大量(?:の)?出血|出血が止まらな|血が止まらな|吐血|血を吐|喀血"
    # Twitching of an eyelid, the face or a calf (こむら返り) is called けいれん too.
    r"|(?<!まぶたの)(?<!眼瞼)(?<!顔面)(?<!足の)(?<!ふくらはぎの)(?:けいれん|痙攣)|ひきつけ|アナフィラキシー"
)

#: The diagnosis-like groups, named for the score and for debugging.
_DIAGNOSIS_GROUPS: tuple[tuple[str, re.Pattern[str], re.Pattern[str] | None], ...] = (
    # (name, pattern, what the same sentence must also mention, if anything)
    ("speculation", _SPECULATION, None),
    ("cause_list", _CAUSE_LIST, None),
    ("definite", _DEFINITE, None),
    ("diagnosis", _DIAGNOSIS_STATEMENT, None),
    ("medication", _MEDICATION_ORDER, _DRUG),
    ("self_care", _SELF_CARE, _SYMPTOM),
    ("reassurance", _REASSURANCE, _SYMPTOM_OR_CONDITION),
)
_SENTENCE = re.compile(r"[^。!?\n]+")


@RAILS.register("referral")
class ReferralRail(Rail):
    """Diagnosis-like replies to patients without a referral to care get a disclaimer (医師法17条).

    Emergency signs without 119 get a call-119 message instead (``emergency``). Options:
    ``audience`` (``patient``, the default, or ``clinician``: the law concerns what patients
    are told, a clinician judges the answer themselves, so every reply is allowed),
    ``disclaimer`` and ``emergency_message`` (the texts appended; keep a referral and 119 in
    them, or a second check of the reply appends them again), ``action`` (``mask``, the
    default: the reply goes on with the text appended; or ``escalate``).
    """

    stages: ClassVar[frozenset[str]] = frozenset({"output"})
    option_names: ClassVar[frozenset[str] | None] = frozenset(
        {"audience", "disclaimer", "emergency_message", "action"}
    )
    whole_reply: ClassVar[bool] = True

    def __init__(self, name: str, **options: Any) -> None:
        super().__init__(name, **options)
        audience = options.get("audience", "patient")
        if audience not in _AUDIENCES:
            raise ConfigError(f"rail {name!r}: audience must be 'patient' or 'clinician'")
        self.audience: str = audience
        self.action = self.action_option(default="mask", allowed=("mask", "escalate"))
        self.disclaimer = _text_option(name, options, "disclaimer", DEFAULT_DISCLAIMER)
        self.emergency_message = _text_option(name, options, "emergency_message", DEFAULT_EMERGENCY_MESSAGE)

    def check(self, text: str, *, stage: Stage) -> RailResult:
        started = time.perf_counter()
        if self.audience == "clinician" or not isinstance(text, str) or not text.strip():
            return RailResult(self.name, GuardAction.ALLOW, latency_ms=elapsed_ms(started))
        normalized = unicodedata.normalize("NFKC", text).casefold()
        found = diagnosis_groups(normalized)
        emergency = _EMERGENCY.search(normalized) is not None and _CALLS_119.search(normalized) is None
        score = min(1.0, 0.4 + 0.2 * len(found)) if found else 0.0
        if emergency:
            appended, categories, score = self.emergency_message, ("referral", "emergency"), 1.0
        elif found and not refers_to_care(normalized):
            appended, categories = self.disclaimer, ("referral",)
        else:
            return RailResult(self.name, GuardAction.ALLOW, score=score, latency_ms=elapsed_ms(started))
        separator = "" if text.endswith("\n\n") else "\n" if text.endswith("\n") else "\n\n"
        return RailResult(
            self.name,
            self.action,
            categories=categories,
            score=score,
            latency_ms=elapsed_ms(started),
            transformed_text=text + separator + appended,
        )


def diagnosis_groups(normalized: str) -> list[str]:
    """Names of the diagnosis-like groups found in an NFKC-normalised, casefolded reply."""
    found: list[str] = []
    sentences = _SENTENCE.findall(normalized)
    for name, pattern, context in _DIAGNOSIS_GROUPS:
        if any(pattern.search(s) and (context is None or context.search(s)) for s in sentences):
            found.append(name)
    if _DISCOURAGED_CARE.search(normalized):
        found.append("discouraged_care")
    return found


def refers_to_care(normalized: str) -> bool:
    """Whether a normalised reply sends the reader to care (受診, 医師に相談, 119 …)."""
    return _REFERRAL.search(_DISCOURAGED_CARE.sub("", normalized)) is not None


def _text_option(name: str, options: dict[str, Any], key: str, default: str) -> str:
    value = options.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"rail {name!r}: {key} must be a non-empty text")
    return value
