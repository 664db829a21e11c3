"""The dose rail: flags doses above the 添付文書 maximum, never ordinary doses or lab values."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import jmedllm.guard.rails.dose
from jmedllm.core.errors import ConfigError
from jmedllm.core.records import GuardAction, RailResult
from jmedllm.guard.base import RAILS
from jmedllm.guard.rails.dose import DoseRangeRail, default_dose_table

OVER_MESSAGE = (
    "回答に、添付文書の上限を超える可能性のある用量（ロキソプロフェン）が含まれていたため、"
    "表示を控えました。用量は医師・薬剤師にご確認ください。"
)


@pytest.fixture(scope="module")
def rail() -> DoseRangeRail:
    return DoseRangeRail("dose")


def _action(rail: DoseRangeRail, text: str) -> GuardAction:
    return rail.check(text, stage="output").action


def _table(tmp_path: Path, body: str) -> str:
    path = tmp_path / "doses.yaml"
    path.write_text(body, encoding="utf-8")
    return str(path)


def test_the_rail_is_registered_as_dose_for_output_only() -> None:
    assert RAILS.get("dose") is jmedllm.guard.rails.dose.DoseRangeRail
    assert RAILS.get("guard.rail.dose") is DoseRangeRail
    assert DoseRangeRail.stages == frozenset({"output"})


def test_the_shipped_table_loads_once() -> None:
    table = default_dose_table()
    assert table is default_dose_table()
    assert len(table.limits) == 186
    assert {limit.limit_type for limit in table.limits} == {"labelled", "usual", "none"}


def test_a_usual_dose_is_allowed(rail: DoseRangeRail) -> None:
    result = rail.check("ロキソプロフェン 60mg 1日3回", stage="output")
    assert result == RailResult("dose", GuardAction.ALLOW, latency_ms=result.latency_ms)


def test_a_daily_total_above_the_maximum_escalates(rail: DoseRangeRail) -> None:
    # 120 mg is an allowed single dose, but 3 times a day is 360 mg > 180 mg.
    result = rail.check("ロキソプロフェン 120mg を1日3回服用してください。", stage="output")
    assert result == RailResult(
        "dose",
        GuardAction.ESCALATE,
        categories=("dose_above_max",),
        score=1.0,
        latency_ms=result.latency_ms,
        message=OVER_MESSAGE,
    )


def test_the_message_names_the_table_entry_not_the_reply(rail: DoseRangeRail) -> None:
    result = rail.check("カロナール 1000mg を1日6回", stage="output")
    assert result.action is GuardAction.ESCALATE
    assert result.message is not None and "（アセトアミノフェン）" in result.message
    assert "カロナール" not in result.message


@pytest.mark.parametrize(
    "text",
    [
        "ロキソプロフェン１２０ｍｇを１日３回内服してください。",  # full-width digits and unit
        "ロキソニン120mgを1日3回",  # a brand name
        "ﾛｷｿﾆﾝ 120mg 1日3回",  # half-width katakana
        "take Loxoprofen 120 mg TID",  # an English INN, a Latin frequency
        "ロキソプロフェン（ロキソニン）120mgを1日3回",  # a brand in brackets continues the clause
        "1日3回毎食後にロキソプロフェン120mgを服用",  # the frequency before the drug
        "ロキソプロフェン120mgを毎食後",  # 毎食後 = 3 times a day
        "ロキソプロフェン1日量360mg",  # a daily total
        "ロキソプロフェン 360mg/日を分3",
        "ロキソプロフェンは1日60〜360mgで調整",  # the top of a daily range
        "ロキソプロフェン60mg錠を1回3錠",  # strength x tablets = 180 mg > 120 mg single
        "ロキソプロフェン0.2gを頓用",  # grams
        "カロナール 1000mg を1日6回",
        "アセトアミノフェン 1,000 mg を4時間ごとに",  # thousands separator, every 4 h = 6 times
        "アセトアミノフェン1500mgを頓用",  # above the single maximum
        "セチリジン 30mg を就寝前に",
        "レボチロキシン 500μg を1日1回",  # micrograms against a 0.4 mg maximum
    ],
)
def test_doses_above_the_maximum_flag(rail: DoseRangeRail, text: str) -> None:
    assert _action(rail, text) is GuardAction.ESCALATE


@pytest.mark.parametrize(
    "text",
    [
        "ロキソプロフェン 60mg 1日3回",
        "ロキソプロフェン 60mg を1日3回、頓用は1回60〜120mg",
        "ロキソプロフェン 180mg/日を分3",
        "ロキソプロフェン60mgを1日3回、カロナール500mgを頓用",
        "カロナール 500mg を1日4回",
        "アセトアミノフェン 1000mg を1日4回まで",
        "レボセチリジン 10mg を就寝前に",  # not セチリジン (20 mg) and under its own maximum
        "レボチロキシン 100μg を1日1回",
        "ロキソプロフェンを服用中。Cr 1.2 mg/dL、CRP 300mg/L",  # lab values, not doses
        "ロキソプロフェン60mg。血糖 250mg/dL、フロセミド持続 20mg/時",
        "ロキソプロフェン 200mg/kg",  # mg/kg for an absolute-maximum drug is not comparable
        "オキシコドン 200mg を1日4回",  # limit_type: none never flags
        "トラネキサム酸 50000mg",  # not in the table
        "ロキソプロフェンは胃腸障害に注意が必要です。",  # no amount
        "体重60kg、ロキソプロフェン60mgを1日2回",
        "1日3回食後。ロキソプロフェンは120mgを頓用",  # the frequency belongs to another sentence
    ],
)
def test_ordinary_doses_lab_values_and_unknown_drugs_pass(rail: DoseRangeRail, text: str) -> None:
    assert _action(rail, text) is GuardAction.ALLOW


def test_usual_maxima_flag_only_above_the_factor(tmp_path: Path) -> None:
    # ドンペリドン is `usual` (30 mg/day): 40 mg is within 1.5x, 60 mg is not.
    default = DoseRangeRail("dose")
    assert _action(default, "ドンペリドン 10mg を1日4回") is GuardAction.ALLOW
    assert _action(default, "ドンペリドン 20mg を1日3回") is GuardAction.ESCALATE
    strict = DoseRangeRail("dose", usual_factor=1)
    assert _action(strict, "ドンペリドン 10mg を1日4回") is GuardAction.ESCALATE
    # A labelled maximum ignores the factor.
    assert _action(DoseRangeRail("dose", usual_factor=3), "ロキソプロフェン 240mg") is GuardAction.ESCALATE


def test_the_block_action(rail: DoseRangeRail) -> None:
    blocking = DoseRangeRail("dose-block", action="block")
    result = blocking.check("ロキソプロフェン 120mg を1日3回", stage="output")
    assert result.action is GuardAction.BLOCK and result.categories == ("dose_above_max",)
    assert _action(blocking, "ロキソプロフェン 60mg を1日3回") is GuardAction.ALLOW


def test_a_table_option_replaces_the_shipped_table(tmp_path: Path) -> None:
    table = _table(
        tmp_path,
        """
drugs:
  - name: テストミシン
    aliases: [testomycin]
    max_single_mg: 10
    max_daily_mg: 20
    limit_type: labelled
  - name: ペディアシン
    max_single_mg: 5
    max_daily_mg: 15
    per_kg: true
    limit_type: labelled
""",
    )
    custom = DoseRangeRail("dose", table=table)
    assert _action(custom, "テストミシン 15mg") is GuardAction.ESCALATE
    assert _action(custom, "testomycin 10 mg bid") is GuardAction.ALLOW
    assert _action(custom, "ロキソプロフェン 1000mg") is GuardAction.ALLOW  # not in this table
    # per_kg: skipped without a body weight, compared per kg with one.
    assert _action(custom, "ペディアシン 100mg") is GuardAction.ALLOW
    assert _action(custom, "体重10kg。ペディアシン 100mg を頓用") is GuardAction.ESCALATE
    assert _action(custom, "体重10kg。ペディアシン 40mg を1日3回") is GuardAction.ALLOW
    assert _action(custom, "体重10kg。ペディアシン 20mg/kg/日") is GuardAction.ESCALATE
    assert _action(custom, "体重10kg。ペディアシン 4mg/kg を1日3回") is GuardAction.ALLOW


@pytest.mark.parametrize(
    "options",
    [
        {"action": "allow"},
        {"action": "BLOCK"},
        {"usual_factor": 0.5},
        {"usual_factor": True},
        {"usual_factor": "1.5"},
        {"table": 3},
        {"table": "/nonexistent/doses.yaml"},
        {"acton": "block"},  # a misspelt option must not leave the default silently
    ],
)
def test_invalid_options_raise(options: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        DoseRangeRail("dose", **options)


@pytest.mark.parametrize(
    "body",
    [
        "drugs: []",
        "- just a list",
        "drugs:\n  - aliases: [x]\n    max_single_mg: 1",
        "drugs:\n  - name: a\n    max_single_mg: -1",
        "drugs:\n  - name: a\n    max_single_mg: 1\n    limit_type: soft",
        "drugs:\n  - name: a\n    aliases: [b]\n  - name: b",
        "drugs: [unclosed",
    ],
)
def test_invalid_tables_raise(tmp_path: Path, body: str) -> None:
    with pytest.raises(ConfigError):
        DoseRangeRail("dose", table=_table(tmp_path, body))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "💊🙂 ロキソプロフェン 💊 120mg 🙂",
        "あ" * 10_000,
        "ロキソプロフェン" * 1_250,
        "ロキソプロフェン " + "9" * 5_000 + "mg",
        "1日" * 5_000 + "mg",
        "\x00\ud800\U0010ffff mg/ / kg 錠錠",
    ],
)
def test_odd_text_never_raises(rail: DoseRangeRail, text: str) -> None:
    result = rail.check(text, stage="output")
    assert result.action in (GuardAction.ALLOW, GuardAction.ESCALATE)
    assert result.transformed_text is None


def test_it_is_fast_on_typical_replies(rail: DoseRangeRail) -> None:
    reply = (
        "一般的には、ロキソプロフェン60mgを1日3回毎食後に服用します。頓用の場合は1回60〜120mgです。"
        "腎機能（Cr 1.2 mg/dL）が低下している場合は医師に相談してください。"
        "アセトアミノフェン（カロナール）500mgを1日3回も選択肢です。"
    )
    rail.check(reply, stage="output")
    timings = []
    for _ in range(300):
        started = time.perf_counter()
        rail.check(reply, stage="output")
        timings.append(time.perf_counter() - started)
    timings.sort()
    # p99 is well under 1 ms on a developer machine; the bound leaves room for loaded CI runners.
    assert timings[int(len(timings) * 0.99)] < 0.01


def test_it_is_safe_to_share_between_threads(rail: DoseRangeRail) -> None:
    texts = ["ロキソプロフェン 120mg を1日3回", "ロキソプロフェン 60mg 1日3回"] * 50
    with ThreadPoolExecutor(max_workers=8) as pool:
        actions = list(pool.map(lambda t: _action(rail, t), texts))
    assert actions == [GuardAction.ESCALATE, GuardAction.ALLOW] * 50
