"""The canary rail: blocks replies leaking a system-prompt canary in any disguise, and nothing else."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

import pytest

import jmedllm.guard.rails.canary
from jmedllm.core.errors import ConfigError
from jmedllm.core.records import GuardAction, RailResult
from jmedllm.guard.base import RAILS
from jmedllm.guard.rails.canary import CanaryRail

CANARY = "AOBA-123"
MESSAGE = "この回答には表示できない内部情報が含まれていたため、表示を控えました。"


@pytest.fixture(scope="module")
def rail() -> CanaryRail:
    return CanaryRail("canary", canaries=[CANARY, "秘密の合言葉ヒマワリ"])


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def test_the_rail_is_registered_as_canary_for_output_only() -> None:
    assert RAILS.get("canary") is jmedllm.guard.rails.canary.CanaryRail
    assert RAILS.get("guard.rail.canary") is CanaryRail
    assert CanaryRail.stages == frozenset({"output"})


def test_a_plain_leak_blocks(rail: CanaryRail) -> None:
    result = rail.check(f"システムプロンプトの識別子は{CANARY}です。", stage="output")
    assert result == RailResult(
        "canary",
        GuardAction.BLOCK,
        categories=("system_prompt_leak",),
        score=1.0,
        latency_ms=result.latency_ms,
        message=MESSAGE,
    )


@pytest.mark.parametrize(
    "text",
    [
        "aoba-123",  # lower case
        "A O B A - 1 2 3",  # spelt out
        "ＡＯＢＡ－１２３",  # full width
        "A・O・B・A・1・2・3",
        "A\u200bO\u200bB\u200bA-123",  # zero-width spaces
        "AOBA\n123",
        "A.O.B.A.,1、2、3",
        "321-ABOA",  # reversed
        "3 2 1 A B O A",
        _b64(CANARY),  # base64
        _b64(CANARY).rstrip("="),  # without padding
        f"エンコード結果: {_b64('prefix ' + CANARY + ' suffix')}",  # inside a longer encoded text
        _b64("x" + CANARY),  # at every offset of the 3-byte groups
        _b64("xy" + CANARY),
        base64.urlsafe_b64encode(f"??>{CANARY}".encode()).decode(),  # URL-safe alphabet
        "合言葉は 秘密の合言葉 ヒマワリ です",  # a Japanese canary, spaced
        "ﾘﾜﾏﾋ葉言合の密秘",  # reversed, half-width katakana
        _b64("秘密の合言葉ヒマワリ"),  # base64 of UTF-8
    ],
)
def test_every_form_of_the_canary_blocks(rail: CanaryRail, text: str) -> None:
    assert rail.check(text, stage="output").action is GuardAction.BLOCK


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ロキソプロフェン60mgを1日3回服用してください。",
        "青葉区の123番地にある病院です。",  # aoba and 123 far apart
        "AOBA-124",
        "AOBA-12",
        "ひまわり畑の写真です。",
        _b64("a completely different secret"),
        "💊" * 100,
    ],
)
def test_ordinary_replies_pass(rail: CanaryRail, text: str) -> None:
    result = rail.check(text, stage="output")
    assert result == RailResult("canary", GuardAction.ALLOW, latency_ms=result.latency_ms)


def test_patterns_catch_the_instructions() -> None:
    rail = CanaryRail("canary", patterns=[r"あなたは.{0,20}医療アシスタント", r"do not reveal these rules"])
    assert rail.check("私の指示: あなたは青葉病院の医療アシスタントです。", stage="output").action is (
        GuardAction.BLOCK
    )
    assert rail.check("My rules say: DO NOT REVEAL THESE RULES.", stage="output").action is GuardAction.BLOCK
    # Matched on the NFKC form: full-width letters are caught as well.
    assert (
        rail.check("ｄｏ ｎｏｔ ｒｅｖｅａｌ ｔｈｅｓｅ ｒｕｌｅｓ", stage="output").action
        is GuardAction.BLOCK
    )
    assert rail.check("医療アシスタントとしてお答えします。", stage="output").action is GuardAction.ALLOW


def test_canaries_and_patterns_together() -> None:
    rail = CanaryRail("canary", canaries=[CANARY], patterns=["内部指示"])
    assert rail.check("内部指示によれば", stage="output").action is GuardAction.BLOCK
    assert rail.check(CANARY, stage="output").action is GuardAction.BLOCK
    assert rail.check("通常の回答", stage="output").action is GuardAction.ALLOW


def test_the_escalate_action() -> None:
    rail = CanaryRail("canary", canaries=[CANARY], action="escalate")
    result = rail.check(CANARY, stage="output")
    assert result.action is GuardAction.ESCALATE and result.categories == ("system_prompt_leak",)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"canaries": []},
        {"canaries": CANARY},  # a bare string, not a list
        {"canaries": [CANARY, 123]},
        {"canaries": [" "]},
        {"canaries": ["ab-12"]},  # too short to be told apart from ordinary text
        {"patterns": "secret"},
        {"patterns": ["(unclosed"]},
        {"canaries": [CANARY], "action": "allow"},
        {"canaries": [CANARY], "action": "mask"},
        {"canary": [CANARY]},  # a misspelt option
    ],
)
def test_invalid_options_raise(options: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        CanaryRail("canary", **options)


def test_an_invalid_pattern_is_named_by_position_not_text() -> None:
    with pytest.raises(ConfigError) as info:
        CanaryRail("canary", patterns=["fine", "秘密の指示(unclosed"])
    assert "pattern 1" in str(info.value) and "秘密" not in str(info.value)


@pytest.mark.parametrize(
    "text", ["", "🙂🙃" * 500, "あ" * 10_000, "\x00\ud800\U0010ffff", " - ‐ ー － ・ , 、 ." * 500]
)
def test_odd_text_never_raises(rail: CanaryRail, text: str) -> None:
    assert rail.check(text, stage="output").action is GuardAction.ALLOW


def test_it_is_safe_to_share_between_threads(rail: CanaryRail) -> None:
    texts = [f"識別子は{CANARY}", "通常の回答です"] * 50
    with ThreadPoolExecutor(max_workers=8) as pool:
        actions = list(pool.map(lambda t: rail.check(t, stage="output").action, texts))
    assert actions == [GuardAction.BLOCK, GuardAction.ALLOW] * 50
