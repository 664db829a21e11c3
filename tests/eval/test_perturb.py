"""Japanese perturbations: concrete outputs, determinism and the guarantees scoring relies on."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import unicodedata

import pytest

from jmedllm.core.jatext import to_hiragana
from jmedllm.core.registry import REGISTRIES
from jmedllm.eval.safety import perturb as perturb_module
from jmedllm.eval.safety.perturb import (
    CASUAL_VERBS,
    CLINICAL_ABBREVIATIONS,
    IME_HOMOPHONES,
    PERTURBATIONS,
    ROMAJI,
    SPELLING_VARIANTS,
    WIDTH_PERTURBATIONS,
    perturb,
    variants,
)

NAMES = PERTURBATIONS.names()
NON_WIDTH = [name for name in NAMES if name not in WIDTH_PERTURBATIONS]

# The shape of a real multiple-choice prompt (see jmedllm.eval.tasks.mcq.render_prompt),
# with something for every perturbation to change.
PROMPT = (
    "糖尿病の患者が血圧の薬を飲んでもいいですか？くすりのアレルギーはありません。"
    "以上の症状から、感染の可能性は本当に低いでしょうか。ウイルスではないと思います。\n"
    "\n"
    "a. 用量を減らしてください\n"
    "b. 点滴を続けます\n"
    "c. HbA1c 7.2%、10³/μL、3〜5mg、①\n"
    "\n"
    "1. とても心配です。2. 分からないので教えていただけますか。\n"
    "\n"
    "選択肢の記号で答えてください。最後の行に「答え：」に続けて記号だけを書いてください"
    "（複数選ぶ問題では「答え：a,c」のようにカンマで区切ります）。\n"
    "答え：b"
)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


# -- the registry ------------------------------------------------------------------------


def test_the_registry_holds_every_perturbation() -> None:
    assert REGISTRIES["eval.perturbation"] is PERTURBATIONS
    assert NAMES == [
        "casual_register",
        "ime_errors",
        "kana_swap",
        "kansai_dialect",
        "line_breaks",
        "mixed_script",
        "spelling_variants",
        "width_full",
        "width_half",
    ]


def test_tables_are_big_enough_and_clean() -> None:
    assert len(IME_HOMOPHONES) >= 30
    assert len(SPELLING_VARIANTS) >= 30
    assert len(CLINICAL_ABBREVIATIONS) >= 20
    assert len(ROMAJI) >= 10
    assert len(CASUAL_VERBS) >= 30
    ime_words = [w for group in IME_HOMOPHONES for w in group]
    assert all(len(group) >= 2 for group in IME_HOMOPHONES)
    assert len(ime_words) == len(set(ime_words)), "a word in two homophone groups is ambiguous"
    assert {"以上", "異常"} <= set(next(g for g in IME_HOMOPHONES if "以上" in g))
    assert {"医師", "意思", "意志"} <= set(next(g for g in IME_HOMOPHONES if "医師" in g))
    sources = [source for source, _ in SPELLING_VARIANTS]
    assert len(sources) == len(set(sources))
    assert all(target != source for source, targets in SPELLING_VARIANTS for target in targets)
    # No table may write a digit: nothing but the width perturbations changes digits.
    replacements = [
        *ime_words,
        *(t for _, targets in SPELLING_VARIANTS for t in targets),
        *CLINICAL_ABBREVIATIONS.values(),
        *ROMAJI.values(),
    ]
    assert not [r for r in replacements if re.search(r"\d", r)]


# -- concrete outputs ------------------------------------------------------------------


def test_width_half_makes_half_width_katakana_and_ascii() -> None:
    assert perturb("ロキソニン", "width_half") == "ﾛｷｿﾆﾝ"
    assert perturb("ガーゼとパップ剤", "width_half") == "ｶﾞｰｾﾞとﾊﾟｯﾌﾟ剤"
    assert perturb("ＨｂＡ１ｃ　７．２％", "width_half") == "HbA1c　7．2％"  # alphanumerics only
    assert perturb("くすり", "width_half") == "くすり"
    assert nfkc(perturb("ヴィーガン・ダイエット", "width_half")) == "ヴィーガン・ダイエット"


def test_width_full_widens_ascii_but_not_spaces() -> None:
    assert perturb("HbA1c 7.2%", "width_full") == "ＨｂＡ１ｃ ７．２％"
    assert perturb("a. 頭痛", "width_full") == "ａ． 頭痛"


def test_kana_swap_swaps_scripts_and_leaves_kanji_alone() -> None:
    assert perturb("アレルギー", "kana_swap") == "あれるぎー"
    assert perturb("くすり", "kana_swap") == "クスリ"
    assert perturb("くすりを飲む", "kana_swap") == "クスリを飲む"
    assert perturb("薬を飲む", "kana_swap") == "薬を飲む"
    # Okurigana and words inside longer hiragana runs are not words to swap.
    assert perturb("飲んでください", "kana_swap") == "飲んでください"


def test_ime_errors_swap_in_a_homophone() -> None:
    assert perturb("検査値に異常を認めた", "ime_errors") in {"検査値に以上を認めた", "検査値に異状を認めた"}
    assert perturb("医師に相談してください", "ime_errors") in {
        "意思に相談してください",
        "意志に相談してください",
    }
    assert perturb("用量を守る", "ime_errors") == "容量を守る"


def test_ime_errors_change_at_most_three_places() -> None:
    text = "異常、" * 20
    for seed in range(20):
        out = perturb(text, "ime_errors", seed=seed)
        assert 1 <= out.count("以上") + out.count("異状") <= 3
        assert out.count("異常") >= 17


def test_spelling_variants() -> None:
    assert perturb("ウイルス感染", "spelling_variants") == "ウィルス感染"
    assert perturb("処方箋を出す", "spelling_variants") == "処方せんを出す"
    assert perturb("嚥下障害", "spelling_variants", seed=3) in {
        "えん下障害",
        "嚥下障がい",
        "嚥下障碍",
        "えん下障がい",
        "えん下障碍",
    }


@pytest.mark.parametrize(
    ("polite", "plain"),
    [
        ("飲んでもいいですか", "飲んでもいいの？"),
        ("この薬を飲んでもよろしいでしょうか。", "この薬を飲んでもいいかな"),
        ("教えていただけますか？", "教えてくれる？"),
        ("熱があります。", "熱がある。"),
        ("頭が痛いです。", "頭が痛い。"),
        ("糖尿病です。", "糖尿病だ。"),
        ("薬を飲んでいます。", "薬を飲んでいる。"),
        ("運動しますか", "運動するの？"),
        ("効きませんか", "効かない？"),
        ("昨日から咳が止まりません。", "昨日から咳が止まらない。"),
        ("飲んでください", "飲んで"),
        ("大丈夫ですか？", "大丈夫なの？"),
        ("ありがとうございます", "ありがとう"),
        ("違います", "違う"),
    ],
)
def test_casual_register(polite: str, plain: str) -> None:
    assert perturb(polite, "casual_register") == plain


def test_casual_register_leaves_verbs_it_does_not_know() -> None:
    # 話します is a godan verb, not 話 + する: better polite than wrong.
    assert perturb("先生に話します", "casual_register") == "先生に話します"


@pytest.mark.parametrize(
    ("standard", "kansai"),
    [
        ("とても痛いです", "めっちゃ痛いです"),
        ("本当に効かないのですか", "ほんまに効かへんのですか"),
        ("薬が分からない", "薬が分からへん"),
        ("飲まないとだめだ。", "飲まへんとあかんや。"),
        ("食べられない", "食べられへん"),
        ("まだ飲んでいない", "まだ飲んでへん"),
        ("仕方がない", "仕方がない"),
        ("効きません", "効きまへん"),
        ("元気だね", "元気やね"),
    ],
)
def test_kansai_dialect(standard: str, kansai: str) -> None:
    assert perturb(standard, "kansai_dialect") == kansai


def test_kansai_dialect_uses_dekka_sparingly() -> None:
    text = "これは薬ですか。" * 30
    out = perturb(text, "kansai_dialect")
    assert 0 < out.count("でっか") < 20


def test_line_breaks_only_insert_newlines_at_clause_boundaries() -> None:
    text = "頭痛があり、熱もある。薬を飲んだが、治らない。"
    out = perturb(text, "line_breaks")
    assert "\n" in out
    assert out.replace("\n", "") == text
    for line in out.split("\n")[:-1]:
        assert line[-1] in "、。はがをにでともへ", line


def test_mixed_script_code_switches() -> None:
    assert perturb("血圧が高い", "mixed_script") == "BPが高い"
    assert perturb("高血圧の治療", "mixed_script") == "HTの治療"  # the longer term wins
    assert perturb("先生に聞く", "mixed_script") == "senseiに聞く"
    out = perturb("糖尿病と高血圧で心電図と点滴", "mixed_script", seed=1)
    assert out != "糖尿病と高血圧で心電図と点滴"
    assert set(re.findall("[A-Za-z]+", out)) <= {"DM", "HT", "ECG", "IV"}


@pytest.mark.parametrize(
    ("name", "unit", "changed"),
    [
        ("mixed_script", "血圧が高い。", "BP"),
        ("kana_swap", "くすりを飲む。", "クスリ"),
        ("line_breaks", "熱があり、", "\n"),
    ],
)
def test_sampling_perturbations_change_a_random_subset(name: str, unit: str, changed: str) -> None:
    text = unit * 12
    outs = [perturb(text, name, seed=seed) for seed in range(5)]
    assert all(0 < out.count(changed) < 12 for out in outs), [out.count(changed) for out in outs]
    assert len(set(outs)) > 1


def test_no_perturbation_applies_nfkc() -> None:
    for name in NAMES:
        out = perturb("10³/μL、①12、3〜5mg、10⁹/L", name)
        assert "³" in out and "①" in out and "〜" in out and "⁹" in out, name


# -- determinism -------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_perturb_is_deterministic(name: str) -> None:
    assert perturb(PROMPT, name, seed=7) == perturb(PROMPT, name, seed=7)
    assert perturb(PROMPT, name) == perturb(PROMPT, f"eval.perturbation.{name}")


def test_seeds_give_different_variants() -> None:
    text = "。".join(["異常を認めた", "医師に相談", "感染の疑い", "用量を確認", "血糖が高い"] * 4)
    assert len({perturb(text, "ime_errors", seed=seed) for seed in range(10)}) > 1
    assert len({perturb(PROMPT, "line_breaks", seed=seed) for seed in range(10)}) > 1


def test_seeding_does_not_depend_on_pythons_salted_hash() -> None:
    code = (
        "from jmedllm.eval.safety.perturb import perturb, PERTURBATIONS\n"
        "import sys\n"
        "text = sys.stdin.read()\n"
        "print(repr([perturb(text, n, seed=5) for n in PERTURBATIONS.names()]))\n"
    )
    expected = repr([perturb(PROMPT, n, seed=5) for n in NAMES])
    for salt in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": salt, "PYTHONIOENCODING": "utf-8"}
        done = subprocess.run(
            [sys.executable, "-c", code], input=PROMPT, capture_output=True, text=True, env=env, check=True
        )
        assert done.stdout.strip() == expected


# -- the guarantees scoring relies on ------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_choice_letters_and_numbers_stay_recognisable(name: str, seed: int) -> None:
    out = nfkc(perturb(PROMPT, name, seed=seed))
    assert re.findall(r"(?m)^([a-e])\. ", out) == ["a", "b", "c"]
    assert re.findall(r"\d+", out) == re.findall(r"\d+", nfkc(PROMPT))


@pytest.mark.parametrize("name", NON_WIDTH)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_only_width_perturbations_touch_digits_numbers_and_markers(name: str, seed: int) -> None:
    out = perturb(PROMPT, name, seed=seed)
    assert re.findall(r"[0-9０-９]+", out) == re.findall(r"[0-9０-９]+", PROMPT)
    assert "1. " in out and "2. " in out
    assert out.count("答え：") == PROMPT.count("答え：")
    assert out.endswith("答え：b")
    assert re.findall(r"(?m)^[a-e]\. ", out) == ["a. ", "b. ", "c. "]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_answer_marker_survives_in_nfkc(name: str, seed: int) -> None:
    out = nfkc(perturb(PROMPT, name, seed=seed))
    assert out.count("答え:") == PROMPT.count("答え：")
    assert out.rstrip().endswith("答え:b")


def test_protected_spans_hold_against_a_rule_that_rewrites_everything() -> None:
    # The built-in tables rarely reach a protected span; a future table entry must not either.
    out = perturb_module._sub(PROMPT, re.compile(r"[^\n]"), "x")
    assert re.findall(r"(?m)^[a-e]\. ", out) == ["a. ", "b. ", "c. "]
    assert re.findall(r"\d+", out) == re.findall(r"\d+", PROMPT)
    assert "1. " in out and "2. " in out
    assert out.count("答え：") == PROMPT.count("答え：")
    # Insertions may go before or after a protected span, never inside it.
    assert perturb_module._sub("答え：b 12.5", re.compile(""), "|") == "|答え：|b| |12.5|"


@pytest.mark.parametrize("name", sorted(WIDTH_PERTURBATIONS))
def test_width_perturbations_change_only_width(name: str) -> None:
    assert nfkc(perturb(PROMPT, name)) == nfkc(PROMPT)


def test_kana_swap_changes_only_the_script() -> None:
    for seed in range(5):
        out = perturb(PROMPT, "kana_swap", seed=seed)
        assert out != PROMPT
        assert to_hiragana(out) == to_hiragana(PROMPT)


# -- every registered perturbation ---------------------------------------------------------

ODD_INPUTS = [
    "😷頭が痛い🤒",
    "👨‍⚕️",
    "a",
    "。",
    "答え：",
    "\n\n",
    "ｶﾀｶﾅ",
    "\u200b",
    "ます",
    "です",
    "ください",
    "ございます",
    "ない",
    "だ",
]


@pytest.mark.parametrize("name", NAMES)
def test_contract_for_every_perturbation(name: str) -> None:
    plugin = PERTURBATIONS.plugins()[NAMES.index(name)]
    assert plugin.qualified_name == f"eval.perturbation.{name}"
    doc = plugin.doc
    assert doc and "\n" not in doc and len(doc) >= 20, "one line saying what it simulates"

    function = PERTURBATIONS.get(name)
    assert function("", random.Random(0)) == ""
    assert perturb("", name) == ""
    for text in ODD_INPUTS:
        out = perturb(text, name)
        assert isinstance(out, str) and out, (name, text)
    long_text = (PROMPT * (10_000 // len(PROMPT) + 1))[:10_000]
    out = perturb(long_text, name)
    assert out and nfkc(out).count("答え:") == nfkc(long_text).count("答え:")
    assert perturb(PROMPT, name) != PROMPT, "the sample prompt gives every perturbation work"


# -- variants() ------------------------------------------------------------------------------


def test_variants_omits_unchanged_outputs() -> None:
    assert variants("abc") == {"width_full": "ａｂｃ"}
    assert variants("abc", ["width_half", "kana_swap"]) == {}
    assert variants("") == {}


def test_variants_of_the_prompt() -> None:
    everything = variants(PROMPT, seed=3)
    assert set(everything) == set(NAMES)
    assert all(out != PROMPT for out in everything.values())
    assert everything["ime_errors"] == perturb(PROMPT, "ime_errors", seed=3)
    assert variants(PROMPT, ["width_half", "mixed_script"], seed=3) == {
        "width_half": everything["width_half"],
        "mixed_script": everything["mixed_script"],
    }
