"""Guard policies: the built-ins, policy files, their one-line errors, overrides and messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from jmedllm.core.errors import ConfigError
from jmedllm.core.records import GuardAction, RailResult
from jmedllm.guard.base import RAILS, Rail, Stage
from jmedllm.guard.pipeline import GuardPipeline
from jmedllm.guard.policy import DEFAULT_MESSAGES, GuardPolicy, RailSpec, load_policy


class _CategoryRail(Rail):
    """Test-only rail: reports ``category`` with ``action`` when ``trigger`` is in the text."""

    def check(self, text: str, *, stage: Stage) -> RailResult:
        if self.options["trigger"] not in text:
            return RailResult(self.name, GuardAction.ALLOW)
        action = GuardAction(self.options.get("action", "mask"))
        masked = text.replace(self.options["trigger"], "［X］") if action is GuardAction.MASK else None
        return RailResult(
            self.name, action, categories=(self.options["category"],), score=0.7, transformed_text=masked
        )


@pytest.fixture
def category_rail(monkeypatch: pytest.MonkeyPatch) -> str:
    """Registers the test rail as ``t-category`` for this test only."""
    from jmedllm.core.registry import PluginInfo

    RAILS.names()  # load the built-ins first, so the registry is complete when restored
    monkeypatch.setitem(RAILS._plugins, "t-category", PluginInfo("t-category", "x", _CategoryRail))
    return "t-category"


@pytest.fixture
def write_policy(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(text: str, name: str = "hospital-a.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_default_policy_masks_identifiers_then_judges_intent() -> None:
    policy = load_policy("default")
    assert policy.name == "default"
    # PII first: the intent rails only ever see the masked prompt.
    assert [s.rail for s in policy.input] == ["pii", "harmful_intent", "injection"]
    assert [s.rail for s in policy.output] == ["pii", "dose", "self_harm_output"]
    clinical = load_policy("clinical")  # the earlier name of the same rail set
    assert clinical.name == "clinical"
    assert (clinical.input, clinical.output) == (policy.input, policy.output)
    masking = load_policy("pii")
    assert [s.rail for s in masking.input] == ["pii"] and [s.rail for s in masking.output] == ["pii"]
    assert policy.category_actions == {}
    assert policy.messages == DEFAULT_MESSAGES
    assert policy.output_window_chars == 160


def test_off_policy_runs_no_rails() -> None:
    policy = load_policy("off")
    assert policy.name == "off" and policy.input == [] and policy.output == []
    pipeline = GuardPipeline(policy)
    assert pipeline.enabled is False
    assert pipeline.rails("input") == [] and pipeline.rails("output") == []


def test_policy_file_is_read_with_its_options(write_policy: Callable[..., Path]) -> None:
    path = write_policy(
        """
input:
  - rail: pii
    name: pii-in
    options: {min_score: 0.6, labels: [PHONE]}
output:
  - rail: pii
category_actions:
  MY_NUMBER: block
  PHONE: escalate
messages:
  block: 院内規程によりお応えできません。
output_window_chars: 64
"""
    )
    policy = load_policy(str(path))
    assert policy.name == "hospital-a"  # named after the file when it names itself not
    assert policy.input == [
        RailSpec(rail="pii", name="pii-in", options={"min_score": 0.6, "labels": ["PHONE"]})
    ]
    assert policy.input[0].display_name == "pii-in" and policy.output[0].display_name == "pii"
    assert policy.category_actions == {"MY_NUMBER": GuardAction.BLOCK, "PHONE": GuardAction.ESCALATE}
    assert policy.output_window_chars == 64
    # The messages given replace the defaults; a message not given falls back to its default.
    assert policy.message_for(GuardAction.BLOCK) == "院内規程によりお応えできません。"
    assert policy.message_for(GuardAction.ESCALATE) == DEFAULT_MESSAGES["escalate"]
    assert policy.message_for(GuardAction.MASK) is None and policy.message_for(GuardAction.ALLOW) is None
    pipeline = GuardPipeline(policy)
    assert [r.name for r in pipeline.rails("input")] == ["pii-in"]
    assert pipeline.rails("input")[0].options == {"min_score": 0.6, "labels": ["PHONE"]}


def test_a_policy_file_may_name_itself(write_policy: Callable[..., Path]) -> None:
    assert load_policy(str(write_policy("name: ward-3\ninput: [{rail: pii}]\n"))).name == "ward-3"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "input:\n  - rail: nope\n",
            "invalid guard policy {path}: input: unknown rail 'nope' (known: canary, dose, harmful_intent, injection, llm_judge, pii",
        ),
        (
            "category_actions:\n  MY_NUMBER: destroy\n",
            "invalid guard policy {path}: category_actions.MY_NUMBER: Input should be",
        ),
        ("- rail: pii\n", "guard policy {path} must hold a mapping"),
        ("[]\n", "guard policy {path} must hold a mapping"),
        ("just a string\n", "guard policy {path} must hold a mapping"),
        ("input: [rail: pii\n", "cannot read guard policy {path}: "),
        ("inputs:\n  - rail: pii\n", "invalid guard policy {path}: inputs: Extra inputs are not permitted"),
        ("messages:\n  refuse: no\n", "invalid guard policy {path}: messages.refuse."),
        ("input:\n  - rail: pii\n    option: {}\n", "invalid guard policy {path}: input.0.option: Extra"),
        ("output_window_chars: 4\n", "invalid guard policy {path}: output_window_chars: Input should be"),
    ],
    ids=[
        "unknown-rail",
        "bad-action",
        "a-list",
        "an-empty-list",
        "a-string",
        "bad-yaml",
        "unknown-key",
        "unknown-message",
        "unknown-rail-field",
        "tiny-window",
    ],
)
def test_policy_file_errors_are_one_line_and_name_the_problem(
    write_policy: Callable[..., Path], text: str, expected: str
) -> None:
    path = write_policy(text)
    with pytest.raises(ConfigError) as caught:
        load_policy(str(path))
    message = str(caught.value)
    assert message.startswith(expected.format(path=path)), message
    assert "\n" not in message


def test_an_empty_policy_file_is_an_error_not_a_policy_without_rails(
    write_policy: Callable[..., Path],
) -> None:
    # An empty (e.g. truncated) file must not silently switch every rail off: that is "off".
    path = write_policy("")
    with pytest.raises(ConfigError, match="is empty"):
        load_policy(str(path))


def test_a_missing_policy_is_neither_builtin_nor_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_policy(str(missing))
    assert str(caught.value) == (
        f"guard policy {str(missing)!r} is neither a built-in policy nor a file"
        " — use guard.policy: default, off, or the path of a policy YAML file"
    )
    with pytest.raises(ConfigError, match="'Default' is neither"):
        load_policy("Default")  # built-in names are exact


def test_category_actions_raise_the_action(category_rail: str) -> None:
    policy = GuardPolicy(
        name="t",
        input=[RailSpec(rail=category_rail, options={"trigger": "090", "category": "PHONE"})],
        category_actions={"PHONE": GuardAction.ESCALATE},
    )
    outcome = GuardPipeline(policy).check(["電話090です"], stage="input")
    assert outcome.decision.action is GuardAction.ESCALATE
    assert outcome.decision.rails[0].action is GuardAction.ESCALATE
    assert outcome.decision.message == DEFAULT_MESSAGES["escalate"]
    # Texts without the category are untouched by the override.
    assert GuardPipeline(policy).check(["特になし"], stage="input").decision.action is GuardAction.ALLOW


def test_category_actions_never_lower_the_action(category_rail: str) -> None:
    policy = GuardPolicy(
        name="t",
        input=[
            RailSpec(rail=category_rail, options={"trigger": "爆", "category": "HARM", "action": "block"})
        ],
        category_actions={"HARM": GuardAction.ALLOW, "OTHER": GuardAction.BLOCK},
    )
    decision = GuardPipeline(policy).check(["爆発物"], stage="input").decision
    assert decision.action is GuardAction.BLOCK and decision.categories == ("HARM",)


def test_custom_messages_are_what_the_user_is_told(category_rail: str) -> None:
    policy = GuardPolicy(
        name="t",
        input=[
            RailSpec(rail=category_rail, options={"trigger": "爆", "category": "HARM", "action": "block"})
        ],
        messages={"block": "お応えできません。", "escalate": "確認します。"},
    )
    pipeline = GuardPipeline(policy)
    assert pipeline.check(["爆発物"], stage="input").decision.message == "お応えできません。"
    assert pipeline.check(["発熱"], stage="input").decision.message is None
