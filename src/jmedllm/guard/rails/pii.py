"""The PII rail: masks patient identifiers with :mod:`jmedllm.deid` before a model sees them.

Clinical requests legitimately carry patient data, so this rail masks (``[氏名]``,
``[電話番号]`` …) and never blocks: the request goes on without the identifiers, and the
audit log records which categories were masked, never the values.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from jmedllm.core.errors import ConfigError
from jmedllm.core.records import GuardAction, RailResult
from jmedllm.deid.labels import LABELS
from jmedllm.guard.base import RAILS, Rail, Stage, elapsed_ms

__all__ = ["PiiRail"]


@RAILS.register("pii")
class PiiRail(Rail):
    """Masks personal identifiers (names, IDs, addresses, phones, dates …) found by jmedllm.deid.

    Options: ``labels`` (categories to mask; default all), ``min_score`` (drop weaker
    findings; default 0.5), ``deid_config`` (a de-identification YAML file).
    """

    def __init__(self, name: str, **options: Any) -> None:
        super().__init__(name, **options)
        self._labels = _labels(name, options.get("labels"))
        min_score = options.get("min_score", 0.5)
        if isinstance(min_score, bool) or not isinstance(min_score, int | float) or not 0 <= min_score <= 1:
            raise ConfigError(f"rail {name!r}: min_score must be a number in [0, 1]")
        self._min_score = float(min_score)

        from jmedllm.deid.config import load_deid_config
        from jmedllm.deid.engine import PhiAnalyzer
        from jmedllm.deid.redact import Redactor

        self._analyzer = PhiAnalyzer(load_deid_config(options.get("deid_config")))
        # Masking needs no stable secret: masks carry no digest of the value.
        self._redactor = Redactor("mask", secret=secrets.token_bytes(32))
        # The analyzer's morphology (MeCab) is not documented as thread-safe.
        self._lock = threading.Lock()

    def check(self, text: str, *, stage: Stage) -> RailResult:
        started = time.perf_counter()
        with self._lock:
            spans = self._analyzer.analyze(text) if text else []
        spans = [
            s
            for s in spans
            if s.score >= self._min_score and (self._labels is None or s.label in self._labels)
        ]
        if not spans:
            return RailResult(self.name, GuardAction.ALLOW, latency_ms=elapsed_ms(started))
        masked, _ = self._redactor.redact(text, spans)
        categories = tuple(sorted({s.label for s in spans}))
        return RailResult(
            self.name,
            GuardAction.MASK,
            categories=categories,
            score=max(s.score for s in spans),
            latency_ms=elapsed_ms(started),
            transformed_text=masked,
        )


def _labels(name: str, labels: object) -> frozenset[str] | None:
    # A typo or a bare string (``labels: PHONE`` is the letters P, H, O …) would make the
    # rail mask nothing, silently: the guard fails open. Refuse both.
    if labels is None:
        return None
    if not isinstance(labels, list | tuple) or not all(isinstance(x, str) for x in labels):
        raise ConfigError(f"rail {name!r}: labels must be a list of de-identification labels")
    unknown = sorted(set(labels) - set(LABELS))
    if unknown:
        raise ConfigError(f"rail {name!r}: unknown labels {unknown}", hint=f"use {', '.join(LABELS)}")
    return frozenset(labels) or None
