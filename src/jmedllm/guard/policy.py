"""Guard policies: which rails run at which stage, and what the user is told.

A policy is YAML values over typed defaults::

    name: hospital-a
    input:
      - rail: pii
        options: {min_score: 0.6}
    output:
      - rail: pii
    category_actions:          # raise the action for a category, whatever the rail said
      MY_NUMBER: block
    messages:
      block: 申し訳ありませんが、このご依頼にはお応えできません。

``default`` masks identifiers both ways, judges harmful intent and prompt injection on
the masked prompt, and checks doses and self-harm content in replies (measured rates in
docs/guard.md); ``clinical`` is the same set under its earlier name; ``patient`` is
``default`` for replies read by patients: a diagnosis-like reply without a referral to
care gets a disclaimer (医師法17条); ``pii`` only masks identifiers; ``off`` runs no
rails (benchmarks only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from jmedllm.core.errors import ConfigError
from jmedllm.core.records import GuardAction

__all__ = ["DEFAULT_MESSAGES", "GuardPolicy", "RailSpec", "load_policy"]

DEFAULT_MESSAGES: dict[str, str] = {
    "block": "申し訳ありませんが、このご依頼にはお応えできません。診療上の必要がある場合は、依頼の目的を添えて担当者にご相談ください。",
    "escalate": "このご依頼は確認が必要なため、担当者に回しました。緊急の場合は院内の手順に従って連絡してください。",
}


class RailSpec(BaseModel):
    """One rail in a policy: its registered name, an optional display name and its options."""

    model_config = ConfigDict(extra="forbid")

    rail: str
    name: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)

    @property
    def display_name(self) -> str:
        return self.name or self.rail


class GuardPolicy(BaseModel):
    """Rails per stage, per-category action overrides and user-facing messages."""

    model_config = ConfigDict(extra="forbid")

    name: str = "default"
    input: list[RailSpec] = Field(default_factory=list)
    output: list[RailSpec] = Field(default_factory=list)
    category_actions: dict[str, GuardAction] = Field(default_factory=dict)
    messages: dict[Literal["block", "escalate"], str] = Field(default_factory=lambda: dict(DEFAULT_MESSAGES))
    output_window_chars: int = Field(default=160, ge=16, le=4096)
    """Streamed output is judged in windows ending at a sentence end or after this many characters."""

    @field_validator("input", "output", mode="after")
    @classmethod
    def _known_rails(cls, specs: list[RailSpec]) -> list[RailSpec]:
        from jmedllm.guard.base import RAILS

        for spec in specs:
            if spec.rail not in RAILS:
                known = ", ".join(p.name for p in RAILS.plugins())
                raise ValueError(f"unknown rail {spec.rail!r} (known: {known})")
        return specs

    def message_for(self, action: GuardAction) -> str | None:
        if action is GuardAction.BLOCK:
            return self.messages.get("block", DEFAULT_MESSAGES["block"])
        if action is GuardAction.ESCALATE:
            return self.messages.get("escalate", DEFAULT_MESSAGES["escalate"])
        return None


def _builtin(name: str) -> GuardPolicy | None:
    if name == "off":
        return GuardPolicy(name="off")
    if name == "pii":
        # Identifiers masked both ways and nothing else: for a deployment that runs its own
        # intent checks, or to measure what the intent rails cost.
        return GuardPolicy(name="pii", input=[RailSpec(rail="pii")], output=[RailSpec(rail="pii")])
    if name in ("default", "clinical", "patient"):
        # The full rail set (issue 6): identifiers masked first — in prompts before any backend
        # sees them — then harmful intent and injection judged on the masked prompt; replies
        # masked (a model may repeat or invent identifiers), doses checked (escalate) and
        # self-harm methods stopped. ``clinical`` is the same set under the name earlier
        # configurations used.
        output = [RailSpec(rail="pii"), RailSpec(rail="dose"), RailSpec(rail="self_harm_output")]
        if name == "patient":
            # For replies read by patients: one that reads as a diagnosis or a treatment order
            # and sends no one to care ends with a disclaimer (医師法17条), emergency signs with
            # a call-119 line. Last, so it judges (and appends to) the masked reply.
            output.append(RailSpec(rail="referral"))
        return GuardPolicy(
            name=name,
            input=[RailSpec(rail="pii"), RailSpec(rail="harmful_intent"), RailSpec(rail="injection")],
            output=output,
        )
    return None


def load_policy(reference: str) -> GuardPolicy:
    """``default``, ``clinical``, ``patient``, ``pii``, ``off`` or the path of a policy YAML file."""
    builtin = _builtin(reference)
    if builtin is not None:
        return builtin
    path = Path(reference).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"guard policy {reference!r} is neither a built-in policy nor a file",
            hint="use guard.policy: default, off, or the path of a policy YAML file",
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read guard policy {path}: {exc.__class__.__name__}") from None
    # Not ``or {}``: an empty (truncated) file or ``[]`` would silently become a policy
    # without rails, which fails open; running no rails is what ``off`` says explicitly.
    if data is None:
        raise ConfigError(f"guard policy {path} is empty", hint="list its rails, or use guard.policy: off")
    if not isinstance(data, dict):
        raise ConfigError(f"guard policy {path} must hold a mapping")
    data.setdefault("name", path.stem)
    try:
        return GuardPolicy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(
            f"invalid guard policy {path}: {where}: {first['msg'].removeprefix('Value error, ')}"
        ) from None
