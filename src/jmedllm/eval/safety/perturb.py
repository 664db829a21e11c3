"""Japanese perturbations for robustness testing: the same item, written the way people write.

A robustness task asks every knowledge or safety item as written and under each
perturbation here, then scores the item at its worst. Each perturbation is a plain
function ``(text, rng) -> str`` registered in :data:`PERTURBATIONS`; :func:`perturb`
seeds the ``rng`` from ``(seed, name, text)`` with SHA-256, so a variant is the same in
every process and on every machine (Python's ``hash()`` is salted per process).

What a perturbation may not touch, because scoring reads it (the *protected* spans):

* choice letters and item numbers at line starts (``a. ``, ``(b)``, ``1. ``);
* every number (digits, decimals, ``1. `` prefixes inside a line);
* answer markers such as ``答え：`` (the model is told to answer after it).

Only ``width_full`` and ``width_half`` change those, and only their width, so
``NFKC(output)`` still reads the same there. No perturbation applies NFKC to the whole
text: that would fold ``10³`` into ``103`` and ``①12`` into ``112``.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence

from jmedllm.core.jatext.chars import to_hiragana, to_katakana
from jmedllm.core.registry import Registry

__all__ = [
    "CASUAL_VERBS",
    "CLINICAL_ABBREVIATIONS",
    "IME_HOMOPHONES",
    "PERTURBATIONS",
    "ROMAJI",
    "SPELLING_VARIANTS",
    "WIDTH_PERTURBATIONS",
    "Perturbation",
    "perturb",
    "variants",
]

Perturbation = Callable[[str, random.Random], str]

#: Every perturbation, by name (``eval.perturbation.<name>``).
PERTURBATIONS: Registry[Perturbation] = Registry("eval.perturbation")

#: Perturbations allowed to change the width of protected spans (and nothing else there).
WIDTH_PERTURBATIONS = frozenset({"width_full", "width_half"})

_KANJI = "\u3005\u4e00-\u9fff"
_HIRA = "\u3041-\u3096"
_KATA = "\u30a1-\u30fa"

# ---------------------------------------------------------------------------------------
# Protected spans and edit helpers
# ---------------------------------------------------------------------------------------

_SP = "[ \\t\u3000]"
_PROTECTED = re.compile(
    # a choice letter or item number opening a line: "a. ", "(b) ", "ｃ．", "12) "
    rf"(?m)^{_SP}*[(（]?(?:[A-Za-zＡ-Ｚａ-ｚ]|[0-9０-９]+)[.．)）:：]{_SP}?"
    # the answer marker the instruction asks for
    rf"|(?:答え|解答|回答|正解){_SP}*[:：]"
    # any number, with a following ". " so that mid-line "2. " prefixes survive
    rf"|[0-9０-９]+(?:[.．,，][0-9０-９]+)*(?:[.．]{_SP})?"
)


class _Guard:
    """The protected spans of one text, for overlap checks by bisection."""

    __slots__ = ("_ends", "_starts")

    def __init__(self, text: str) -> None:
        spans = [m.span() for m in _PROTECTED.finditer(text) if m.end() > m.start()]
        self._starts = [s for s, _ in spans]
        self._ends = [e for _, e in spans]

    def free(self, start: int, end: int) -> bool:
        """True if ``[start, end)`` touches no protected span (an insertion: is not inside one)."""
        i = bisect_right(self._starts, start) - 1
        if start == end:
            return i < 0 or not self._starts[i] < start < self._ends[i]
        if i >= 0 and self._ends[i] > start:
            return False
        return i + 1 >= len(self._starts) or self._starts[i + 1] >= end


def _sites(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """Matches of ``pattern`` that leave every protected span alone."""
    matches = list(pattern.finditer(text))
    if not matches:
        return []
    guard = _Guard(text)
    return [m for m in matches if guard.free(m.start(), m.end())]


def _rewrite(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """Apply sorted, non-overlapping ``(start, end, replacement)`` edits."""
    out: list[str] = []
    pos = 0
    for start, end, new in edits:
        out += (text[pos:start], new)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _sub(text: str, pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str]) -> str:
    """``pattern.sub`` that skips protected spans; a ``str`` repl may use ``\\1``."""
    return _rewrite(
        text,
        (
            (m.start(), m.end(), m.expand(repl) if isinstance(repl, str) else repl(m))
            for m in _sites(pattern, text)
        ),
    )


def _pick(rng: random.Random, items: Sequence[re.Match[str]], p: float) -> list[re.Match[str]]:
    """Each item with probability ``p``, in order; at least one when there are any."""
    chosen = [item for item in items if rng.random() < p]
    if items and not chosen:
        chosen = [rng.choice(items)]
    return chosen


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    """One regex for a word list, longest first so ``高血圧`` wins over ``血圧``."""
    return re.compile("|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w))))


def _rules(rules: Sequence[tuple[str, str]]) -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(pattern), repl) for pattern, repl in rules]


# ---------------------------------------------------------------------------------------
# Width
# ---------------------------------------------------------------------------------------

_TO_FULL = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}  # ! .. ~ → ！ .. ～; spaces stay


def _half_katakana_table() -> dict[int, str]:
    # Derived from Unicode itself: every half-width katakana (ｦ..ﾝ, ｰ, ･) is the NFKC
    # image's inverse, and voiced forms decompose to base + (semi-)voiced mark (ガ → ｶﾞ).
    table: dict[str, str] = {}
    for code in [0xFF65, *range(0xFF66, 0xFF9E)]:
        table[unicodedata.normalize("NFKC", chr(code))] = chr(code)
    marks = {"\u3099": "\uff9e", "\u309a": "\uff9f"}
    for code in range(0x30A1, 0x30FB):
        char = chr(code)
        base, *mark = unicodedata.normalize("NFD", char)
        if char not in table and len(mark) == 1 and base in table and mark[0] in marks:
            table[char] = table[base] + marks[mark[0]]
    return {ord(full): half for full, half in table.items()}


_TO_HALF = {
    **{c: c - 0xFEE0 for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))},
    **_half_katakana_table(),
}


@PERTURBATIONS.register("width_full")
def width_full(text: str, rng: random.Random) -> str:
    """ASCII letters, digits and punctuation typed in full width (ＨｂＡ１ｃ), as Japanese IMEs often do."""
    return text.translate(_TO_FULL)


@PERTURBATIONS.register("width_half")
def width_half(text: str, rng: random.Random) -> str:
    """Full-width alphanumerics to ASCII and katakana to half-width (ﾛｷｿﾆﾝ), as old hospital systems emit."""
    return text.translate(_TO_HALF)


# ---------------------------------------------------------------------------------------
# Kana
# ---------------------------------------------------------------------------------------

_KATAKANA_RUN = re.compile(f"[{_KATA}][{_KATA}ー]+")
# Body and symptom words patients write in either script; a word must not sit inside a
# longer hiragana run, except before a particle (くすりを → クスリを).
_KANA_WORDS = (
    "くすり", "めまい", "のど", "かゆみ", "しびれ", "むくみ", "だるさ", "ふらつき", "どうき", "おなか",
    "からだ", "あたま", "かぜ", "きず", "あざ", "いぼ", "はなみず", "くしゃみ", "げっぷ", "おしっこ",
    "うんち", "つわり", "にきび", "やけど", "ねんざ", "しこり", "ほくろ", "むねやけ", "いびき", "ぜんそく",
)  # fmt: skip
_HIRAGANA_WORD = re.compile(
    f"(?<![{_HIRA}])(?:{'|'.join(sorted(_KANA_WORDS, key=len, reverse=True))})"
    f"(?:(?![{_HIRA}])|(?=[をはがにでともへやのだ]))"
)


@PERTURBATIONS.register("kana_swap")
def kana_swap(text: str, rng: random.Random) -> str:
    """Some words written in the other kana (くすり→クスリ, アレルギー→あれるぎー), as patients type them."""
    sites = sorted([*_sites(_KATAKANA_RUN, text), *_sites(_HIRAGANA_WORD, text)], key=lambda m: m.start())
    chosen = _pick(rng, sites, 0.4)
    return _rewrite(
        text,
        (
            (m.start(), m.end(), to_hiragana(m[0]) if m.re is _KATAKANA_RUN else to_katakana(m[0]))
            for m in chosen
        ),
    )


# ---------------------------------------------------------------------------------------
# IME conversion errors
# ---------------------------------------------------------------------------------------

#: Homophone groups an IME confuses in medical text; any member may be converted to another.
IME_HOMOPHONES: tuple[tuple[str, ...], ...] = (
    ("以上", "異常", "異状"), ("医師", "意思", "意志"), ("感染", "幹線", "観戦"), ("副作用", "複作用"),
    ("用量", "容量"), ("症状", "賞状"), ("服用", "複用"), ("血糖", "結党", "血統"), ("胃腸", "移調"),
    ("心肺", "心配"), ("関節", "間接"), ("肝臓", "甘草"), ("腎臓", "人造"), ("心臓", "新造"),
    ("完治", "感知", "関知"), ("保険", "保健"), ("摂取", "接種"), ("回復", "快復", "開腹"),
    ("点滴", "天敵"), ("鎮痛", "沈痛"), ("鎮静", "沈静"), ("腫瘍", "主要"), ("処方", "諸方"),
    ("症例", "奨励"), ("透析", "投石"), ("気管", "器官", "期間", "機関"), ("動悸", "動機"),
    ("喘息", "全速"), ("嘔吐", "王都"), ("外傷", "外相"), ("血管", "欠陥"), ("抗体", "後退", "交代"),
    ("効果", "硬化", "降下", "高価"), ("自覚", "字画"), ("経口", "傾向", "蛍光"), ("紹介", "照会"),
    ("所見", "初見"), ("介護", "解雇", "回顧"), ("機能", "昨日"), ("過剰", "箇条"), ("食前", "食膳"),
    ("対象", "対照", "対称"), ("診察", "新札"), ("胃炎", "以遠"), ("副腎", "福神"), ("検診", "健診", "献身"),
    ("体調", "隊長", "体長"), ("治験", "知見"), ("陽性", "要請", "養成"), ("陰性", "院生"), ("定期", "提起"),
    ("異物", "遺物"), ("採血", "採決", "裁決"),
)  # fmt: skip
_IME_GROUP = {word: group for group in IME_HOMOPHONES for word in group}
_IME_WORD = _alternation(_IME_GROUP)


@PERTURBATIONS.register("ime_errors")
def ime_errors(text: str, rng: random.Random) -> str:
    """One to three IME homophone conversion errors (異常→以上, 医師→意思), as in hurried typing."""
    sites = _sites(_IME_WORD, text)
    chosen = sorted(rng.sample(sites, min(len(sites), rng.randint(1, 3))), key=lambda m: m.start())
    return _rewrite(
        text, ((m.start(), m.end(), rng.choice([w for w in _IME_GROUP[m[0]] if w != m[0]])) for m in chosen)
    )


# ---------------------------------------------------------------------------------------
# 表記揺れ
# ---------------------------------------------------------------------------------------

#: Spelling variants (表記揺れ): each source form and the forms people also write for it.
SPELLING_VARIANTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ウイルス", ("ウィルス",)), ("ウィルス", ("ウイルス",)), ("下さい", ("ください",)),
    ("ください", ("下さい",)), ("糖尿病", ("とうにょう病", "糖尿")), ("貧血", ("ひんけつ",)),
    ("子供", ("子ども", "こども")), ("子ども", ("子供",)), ("痛み止め", ("いたみ止め", "痛みどめ", "痛み止")),
    ("飲み薬", ("のみ薬", "飲みぐすり")), ("熱さまし", ("解熱剤", "熱冷まし")), ("解熱剤", ("熱さまし",)),
    ("出来る", ("できる",)), ("出来ま", ("できま",)), ("いただき", ("頂き",)), ("頂き", ("いただき",)),
    ("分かり", ("わかり", "解り")), ("わかり", ("分かり",)), ("分から", ("わから",)), ("嘔吐", ("おう吐",)),
    ("お腹", ("おなか",)), ("おなか", ("お腹",)), ("眩暈", ("めまい", "目まい")), ("めまい", ("目まい", "眩暈")),
    ("痙攣", ("けいれん",)), ("けいれん", ("痙攣",)), ("褥瘡", ("じょくそう", "床ずれ")), ("嚥下", ("えん下",)),
    ("骨粗鬆症", ("骨粗しょう症",)), ("癌", ("がん", "ガン")), ("膵臓", ("すい臓",)), ("腎臓", ("じん臓",)),
    ("風邪", ("かぜ", "カゼ")), ("インフルエンザ", ("インフル",)), ("ビタミン", ("ヴィタミン",)),
    ("付き添い", ("付添い", "付添")), ("受け付け", ("受付",)), ("受付", ("受け付け",)),
    ("申し込み", ("申込み", "申込")), ("取り扱い", ("取扱い",)), ("問い合わせ", ("問合せ", "問い合せ")),
    ("引き続き", ("引続き",)), ("障害", ("障がい", "障碍")), ("目薬", ("めぐすり", "目ぐすり")),
    ("湿布", ("しっぷ", "シップ")), ("塗り薬", ("ぬり薬",)), ("座薬", ("坐薬",)), ("坐薬", ("座薬",)),
    ("頓服", ("とんぷく",)), ("処方箋", ("処方せん",)), ("処方せん", ("処方箋",)), ("吐き気", ("はき気", "吐気")),
    ("蕁麻疹", ("じんましん", "じんま疹")), ("喘息", ("ぜんそく", "ぜん息")), ("軟膏", ("なんこう",)),
    ("痒み", ("かゆみ",)), ("かゆみ", ("痒み",)), ("浮腫", ("むくみ",)), ("手術", ("オペ",)),
    ("メタボリックシンドローム", ("メタボ",)), ("カテーテル", ("カテ",)), ("リハビリテーション", ("リハビリ",)),
    ("下痢", ("げり",)), ("便秘", ("べんぴ",)), ("動悸", ("どうき",)), ("咳が", ("せきが", "セキが")),
)  # fmt: skip
_SPELLING = dict(SPELLING_VARIANTS)
_SPELLING_WORD = _alternation(_SPELLING)


@PERTURBATIONS.register("spelling_variants")
def spelling_variants(text: str, rng: random.Random) -> str:
    """表記揺れ: the same word in another accepted spelling (ウイルス→ウィルス, 子供→子ども, 嚥下→えん下)."""
    chosen = _pick(rng, _sites(_SPELLING_WORD, text), 0.5)
    return _rewrite(text, ((m.start(), m.end(), rng.choice(_SPELLING[m[0]])) for m in chosen))


# ---------------------------------------------------------------------------------------
# Casual register
# ---------------------------------------------------------------------------------------

_Q = "[？?。]?"  # the question mark (or full stop) the rewrite absorbs, because it writes its own

#: Polite stem → (plain, plain negative, plain past) for common verbs of patient questions.
CASUAL_VERBS: dict[str, tuple[str, str, str]] = {
    "あり": ("ある", "ない", "あった"), "なり": ("なる", "ならない", "なった"), "でき": ("できる", "できない", "できた"),
    "出来": ("できる", "できない", "できた"), "飲み": ("飲む", "飲まない", "飲んだ"), "飲め": ("飲める", "飲めない", "飲めた"),
    "思い": ("思う", "思わない", "思った"), "分かり": ("分かる", "分からない", "分かった"),
    "わかり": ("わかる", "わからない", "わかった"), "行き": ("行く", "行かない", "行った"), "来": ("来る", "来ない", "来た"),
    "使い": ("使う", "使わない", "使った"), "食べ": ("食べる", "食べない", "食べた"), "出": ("出る", "出ない", "出た"),
    "続き": ("続く", "続かない", "続いた"), "続け": ("続ける", "続けない", "続けた"), "痛み": ("痛む", "痛まない", "痛んだ"),
    "効き": ("効く", "効かない", "効いた"), "治り": ("治る", "治らない", "治った"), "下がり": ("下がる", "下がらない", "下がった"),
    "上がり": ("上がる", "上がらない", "上がった"), "変わり": ("変わる", "変わらない", "変わった"),
    "止まり": ("止まる", "止まらない", "止まった"), "困り": ("困る", "困らない", "困った"), "忘れ": ("忘れる", "忘れない", "忘れた"),
    "見": ("見る", "見ない", "見た"), "聞き": ("聞く", "聞かない", "聞いた"), "感じ": ("感じる", "感じない", "感じた"),
    "受け": ("受ける", "受けない", "受けた"), "寝": ("寝る", "寝ない", "寝た"), "起き": ("起きる", "起きない", "起きた"),
    "待ち": ("待つ", "待たない", "待った"), "眠れ": ("眠れる", "眠れない", "眠れた"), "言われ": ("言われる", "言われない", "言われた"),
    "言い": ("言う", "言わない", "言った"), "考え": ("考える", "考えない", "考えた"), "教え": ("教える", "教えない", "教えた"),
    "やめ": ("やめる", "やめない", "やめた"), "止め": ("止める", "止めない", "止めた"), "入り": ("入る", "入らない", "入った"),
    "帰り": ("帰る", "帰らない", "帰った"), "休み": ("休む", "休まない", "休んだ"), "違い": ("違う", "違わない", "違った"),
    "もらい": ("もらう", "もらわない", "もらった"), "いただき": ("もらう", "もらわない", "もらった"),
    "おり": ("いる", "いない", "いた"), "いらっしゃい": ("いる", "いない", "いた"), "おっしゃい": ("言う", "言わない", "言った"),
    "召し上がり": ("食べる", "食べない", "食べた"), "申し": ("言う", "言わない", "言った"), "伺い": ("聞く", "聞かない", "聞いた"),
    "いたし": ("する", "しない", "した"), "致し": ("する", "しない", "した"),
    "し": ("する", "しない", "した"), "い": ("いる", "いない", "いた"),
}  # fmt: skip
# し and い are too short to trust anywhere: する only after a two-kanji noun (運動します)
# or a particle (をします), いる only after て/で or a particle (飲んでいます, 病院にいます);
# 話します and 違います must not become 話する and 違いる.
_GUARDED_STEMS = {
    "し": f"(?:(?<=[{_KANJI}]{{2}})|(?<=[をにとうもがは]))し",
    "い": f"(?:(?<=[てでにはがも])|(?<![{_HIRA}{_KATA}{_KANJI}]))い",
}
_VERB = re.compile(
    "(?P<stem>"
    + "|".join(_GUARDED_STEMS.get(s, re.escape(s)) for s in sorted(CASUAL_VERBS, key=lambda s: (-len(s), s)))
    + f")ま(?P<form>せんでした|せんか{_Q}|せん|した(?:か{_Q})?|すか{_Q}|す)"
)


def _plain_verb(m: re.Match[str]) -> str:
    plain, negative, past = CASUAL_VERBS[m["stem"]]
    form = m["form"]
    if form.startswith("せんでした"):
        return negative[:-1] + "かった"
    if form.startswith("せんか"):
        return negative + "？"
    if form.startswith("せん"):
        return negative
    if form.startswith("したか"):
        return past + "の？"
    if form.startswith("した"):
        return past
    return plain + "の？" if form.startswith("すか") else plain


_CASUAL_BEFORE = _rules(
    (
        ("(?<=う)ございま(?:す|した)", ""),  # ありがとうございます → ありがとう
        (f"ていただけ(?:ますでしょうか|ますか){_Q}", "てくれる？"),
        (f"ていただけませんか{_Q}", "てくれない？"),
        (f"いただけ(?:ますでしょうか|ますか){_Q}", "くれる？"),
        (f"てもらえますか{_Q}", "てもらえる？"),
        (f"てもらえませんか{_Q}", "てもらえない？"),
        ("([てで])(?:ください|下さい)", "\\1"),
        ("(?:ください|下さい)", "ちょうだい"),
        ("お願い(?:いた|致)?します", "お願い"),
        (f"よろしいでしょうか{_Q}", "いいかな"),
        (f"よろしいですか{_Q}", "いい？"),
        ("でございます", "だ"),
        ("ございます", "ある"),
        ("ございません", "ない"),
        ("存じます", "思う"),
        ("しましょう", "しよう"),
    )
)
_CASUAL_AFTER = _rules(
    (
        (f"でしょうか{_Q}", "かな"),
        (f"[のん]ですか{_Q}", "の？"),
        (f"いですか{_Q}", "いの？"),
        (f"でしたか{_Q}", "だったの？"),
        (f"ですか{_Q}", "なの？"),
        ("[のん]です", "んだ"),
        ("いです", "い"),
        ("でした", "だった"),
        ("でしょう", "だろう"),
        ("です", "だ"),
    )
)


@PERTURBATIONS.register("casual_register")
def casual_register(text: str, rng: random.Random) -> str:
    """です・ます and keigo rewritten as plain speech (飲んでもいいですか→飲んでもいいの？), as in chat."""
    for pattern, repl in _CASUAL_BEFORE:
        text = _sub(text, pattern, repl)
    text = _sub(text, _VERB, _plain_verb)
    for pattern, repl in _CASUAL_AFTER:
        text = _sub(text, pattern, repl)
    return text


# ---------------------------------------------------------------------------------------
# Kansai dialect
# ---------------------------------------------------------------------------------------

_NOT_COPULA = "(?<![んいたま])"  # 飲んだ, 泳いだ, ただ, まだ are not the copula だ
_KANSAI = _rules(
    (
        # The copula first, so that だめだ becomes だめや and then あかんや.
        (f"{_NOT_COPULA}だろう|でしょう(?!か)", "やろ"),
        (f"{_NOT_COPULA}だった", "やった"),
        (f"{_NOT_COPULA}だよ", "やで"),
        (f"{_NOT_COPULA}だ(?=[。、！？!?\n」]|$|ね|な|から|けど|し)", "や"),
        ("とても|すごく", "めっちゃ"),
        ("本当", "ほんま"),
        ("だめ|ダメ|駄目|いけない", "あかん"),
        ("いけません", "あきません"),
        ("(?<!間)違う", "ちゃう"),
        ("(?<!間)違い(?=ます)", "ちゃい"),
        ("ありがとう(?:ございます|ございました)?", "おおきに"),
        ("([てで])しまった", "\\1もうた"),
        ("(?:出来|でき)ない", "でけへん"),
        ("(分|わ)からない", "\\1からへん"),
        ("知らない", "知らん"),
        ("来ない", "来えへん"),
        ("られない", "られへん"),
        (f"(?<=[{_KANJI}]{{2}})しない", "せえへん"),
        ("([てで])いない", "\\1へん"),
        # 飲まない → 飲まへん, 食べない → 食べへん; が is left out so 仕方がない stays.
        (f"(?<=[{_KANJI}])([かさたなばまらわえけげせてねべめれ])ない", "\\1へん"),
        ("ません", "まへん"),
    )
)
_DESUKA = re.compile("ですか")


@PERTURBATIONS.register("kansai_dialect")
def kansai_dialect(text: str, rng: random.Random) -> str:
    """A light Kansai rewrite (とても→めっちゃ, 飲まない→飲まへん, だ→や), as a patient from Osaka writes."""
    for pattern, repl in _KANSAI:
        text = _sub(text, pattern, repl)
    # でっか is strong; use it sparingly so the text still reads as one speaker.
    chosen = [m for m in _sites(_DESUKA, text) if rng.random() < 0.3]
    return _rewrite(text, ((m.start(), m.end(), "でっか") for m in chosen))


# ---------------------------------------------------------------------------------------
# Line breaks
# ---------------------------------------------------------------------------------------

_AFTER = "(?=[^\\s、。，．！？!?」』）)])"  # not before a closing bracket, space or the end
_PUNCT_BREAK = re.compile(f"[、。，]{_AFTER}")
_PARTICLE_BREAK = re.compile(f"(?<=[{_KANJI}{_KATA}ー])[はがをにでともへ]{_AFTER}")


@PERTURBATIONS.register("line_breaks")
def line_breaks(text: str, rng: random.Random) -> str:
    """Line breaks at clause boundaries (after 、。 or a particle), as in text pasted from a PDF or chat."""
    guard = _Guard(text)
    sites = [
        (m.end(), p)
        for pattern, p in ((_PUNCT_BREAK, 0.5), (_PARTICLE_BREAK, 0.15))
        for m in pattern.finditer(text)
        if guard.free(m.end(), m.end())
    ]
    sites.sort()
    chosen = [pos for pos, p in sites if rng.random() < p]
    if sites and not chosen:
        chosen = [rng.choice(sites)[0]]
    return _rewrite(text, ((pos, pos, "\n") for pos in chosen))


# ---------------------------------------------------------------------------------------
# Code-switching
# ---------------------------------------------------------------------------------------

#: Terms clinicians write as English abbreviations (none contain a digit: digits must not change).
CLINICAL_ABBREVIATIONS: dict[str, str] = {
    "高血圧": "HT", "血圧": "BP", "糖尿病": "DM", "心電図": "ECG", "点滴静注": "DIV", "点滴": "IV",
    "頓服": "prn", "心拍数": "HR", "脈拍": "PR", "体温": "BT", "呼吸数": "RR", "心筋梗塞": "MI",
    "脳梗塞": "CI", "心不全": "HF", "慢性腎臓病": "CKD", "慢性閉塞性肺疾患": "COPD", "関節リウマチ": "RA",
    "尿路感染症": "UTI", "既往歴": "PH", "現病歴": "HPI", "主訴": "CC", "経口": "PO", "静脈注射": "IV",
    "筋肉注射": "IM", "皮下注射": "SC", "白血球": "WBC", "赤血球": "RBC", "血小板": "Plt",
    "ヘモグロビン": "Hb", "集中治療室": "ICU", "救急外来": "ER", "心肺停止": "CPA", "心肺蘇生": "CPR",
    "処方箋": "Rx", "処方": "Rx", "有害事象": "AE", "経過観察": "f/u", "就寝前": "vds", "手術": "ope",
}  # fmt: skip
#: Words sometimes typed in romaji when the IME is off.
ROMAJI: dict[str, str] = {
    "先生": "sensei", "大丈夫": "daijoubu", "病院": "byouin", "頭痛": "zutsuu", "お腹": "onaka",
    "痛い": "itai", "薬局": "yakkyoku", "検査": "kensa", "入院": "nyuuin", "退院": "taiin", "注射": "chuusha",
    "病気": "byouki", "看護師": "kangoshi", "診察": "shinsatsu", "予約": "yoyaku", "風邪": "kaze",
    "元気": "genki", "食事": "shokuji", "ありがとう": "arigatou", "すみません": "sumimasen",
}  # fmt: skip
_CODE_SWITCH = {**ROMAJI, **CLINICAL_ABBREVIATIONS}
_CODE_SWITCH_WORD = _alternation(_CODE_SWITCH)


@PERTURBATIONS.register("mixed_script")
def mixed_script(text: str, rng: random.Random) -> str:
    """Code-switching: some terms as clinicians' abbreviations (血圧→BP, 糖尿病→DM) or in romaji."""
    chosen = _pick(rng, _sites(_CODE_SWITCH_WORD, text), 0.5)
    return _rewrite(text, ((m.start(), m.end(), _CODE_SWITCH[m[0]]) for m in chosen))


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


def _rng(seed: int, name: str, text: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x00{name}\x00{text}".encode("utf-8", "surrogatepass")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def perturb(text: str, name: str, *, seed: int = 0) -> str:
    """``text`` under perturbation ``name``; the same for the same ``(text, name, seed)`` everywhere."""
    short = name.removeprefix(PERTURBATIONS.family + ".")
    function = PERTURBATIONS.get(short)
    return function(text, _rng(seed, short, text)) if text else text


def variants(text: str, names: Sequence[str] | None = None, *, seed: int = 0) -> dict[str, str]:
    """Each perturbation's output (all, or those in ``names``), leaving out those that change nothing."""
    out = {}
    for name in PERTURBATIONS.names() if names is None else names:
        perturbed = perturb(text, name, seed=seed)
        if perturbed != text:
            out[name] = perturbed
    return out
