"""Typed configuration of the de-identification engine (defaults here; YAML holds values)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from jmedllm.core.errors import ConfigError
from jmedllm.deid.labels import LABELS

__all__ = ["DeidConfig", "IdPattern", "load_deid_config"]


@dataclass(frozen=True, slots=True)
class IdPattern:
    """An institution's own identifier format, e.g. ``{"name": "karte", "regex": "K\\d{7}"}``.

    ``regex`` is matched on normalised text (ASCII digits and letters); ``context``, when
    given, requires one of these words within 12 characters before the match.
    """

    name: str
    regex: str
    label: str = "PATIENT_ID"
    context: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.label not in LABELS:
            raise ConfigError(f"institution pattern {self.name!r}: unknown label {self.label!r}")
        try:
            re.compile(self.regex)
        except re.error as exc:
            raise ConfigError(f"institution pattern {self.name!r}: invalid regex ({exc})") from None


@dataclass(frozen=True, slots=True)
class DeidConfig:
    """What the engine detects and how.

    ``recognizers`` names the recognizers to run (``None``: every registered one that is
    enabled by default); ``enable`` adds off-by-default ones (``neural.ginza``).
    """

    recognizers: tuple[str, ...] | None = None
    """Recognizers to run, by registered name; None runs every default-enabled one."""
    enable: tuple[str, ...] = ()
    """Off-by-default recognizers to switch on (e.g. ``neural.ginza``)."""
    disable: tuple[str, ...] = ()
    """Recognizers to switch off."""
    labels: tuple[str, ...] = LABELS
    """Labels to report; spans of other labels are dropped."""
    min_score: float = 0.0
    """Spans scoring below this are dropped."""
    protect_terms: bool = True
    """Never mask eponymous medical terms (橋本病, 長谷川式認知症スケール …)."""
    extra_protected_terms: tuple[str, ...] = ()
    """More terms to protect, e.g. an institution's own eponymous scales."""
    age_threshold: int = 90
    """Ages at or above this are reported as AGE (REFERENCE §1: ≥ 90 identifies)."""
    institution_id_patterns: tuple[IdPattern, ...] = ()
    """Extra identifier formats of the institution."""
    extra_names: tuple[str, ...] = ()
    """Names to always treat as PERSON (e.g. the staff list of a ward)."""
    options: dict[str, Any] = field(default_factory=dict)
    """Recognizer-specific options, by recognizer name."""

    def __post_init__(self) -> None:
        unknown = set(self.labels) - set(LABELS)
        if unknown:
            raise ConfigError(
                f"unknown de-identification labels: {sorted(unknown)}", hint=f"use {', '.join(LABELS)}"
            )
        if not 0.0 <= self.min_score <= 1.0:
            raise ConfigError("min_score must lie in [0, 1]")


def load_deid_config(path: str | Path | None) -> DeidConfig:
    """Read a YAML file of :class:`DeidConfig` values (``None``: the defaults)."""
    if path is None:
        return DeidConfig()
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"de-identification config not found: {path}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read de-identification config {path}: {exc.__class__.__name__}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of settings")
    known = set(DeidConfig.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise ConfigError(
            f"{path}: unknown settings {sorted(unknown)}", hint=f"known: {', '.join(sorted(known))}"
        )
    patterns = tuple(
        IdPattern(**{**p, "context": tuple(p.get("context", ()))})
        for p in data.pop("institution_id_patterns", [])
    )
    tuples = {k: tuple(v) for k, v in data.items() if isinstance(v, list)}
    try:
        return DeidConfig(**{**data, **tuples, "institution_id_patterns": patterns})
    except TypeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
