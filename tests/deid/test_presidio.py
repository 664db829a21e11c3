"""jmedllm's engine inside a Presidio AnalyzerEngine: offsets on the original text, no network."""

from __future__ import annotations

import pickle
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from jmedllm.deid.labels import LABELS

pytest.importorskip("presidio_analyzer")

from jmedllm.deid.presidio import build_analyzer_engine, presidio_recognizers

# Full-width digits with ー as the dash, then an e-mail address: the engine normalises
# internally, so Presidio must still get offsets on these original characters.
PHONE = "０３ー１２３４ー５６７８"
EMAIL = "yamada.taro@example.ne.jp"
TEXT = f"連絡先：{PHONE}（自宅）、メール：{EMAIL} まで。"


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    original = socket.socket.connect

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("Presidio integration tried the network")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    try:
        yield build_analyzer_engine()
    finally:
        socket.socket.connect = original  # type: ignore[method-assign]


def test_import_stays_light() -> None:
    code = (
        "import sys, jmedllm.deid.presidio; print('presidio_analyzer' in sys.modules, 'spacy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_recognizer_declares_japanese_and_every_label() -> None:
    (recognizer,) = presidio_recognizers()
    assert recognizer.supported_language == "ja"
    assert sorted(recognizer.supported_entities) == sorted(LABELS)


def test_engine_registry_holds_only_jmedllm(engine: Any) -> None:
    recognizers = engine.get_recognizers(language="ja")
    assert [r.name for r in recognizers] == ["JmedllmRecognizer"]
    assert engine.supported_languages == ["ja"]


def test_results_land_on_the_original_characters(engine: Any) -> None:
    results = engine.analyze(text=TEXT, language="ja")
    found = {(r.entity_type, TEXT[r.start : r.end]) for r in results}
    assert ("PHONE", PHONE) in found
    assert ("EMAIL", EMAIL) in found
    for r in results:
        assert 0 <= r.start < r.end <= len(TEXT) and 0.0 <= r.score <= 1.0


def test_entities_filter(engine: Any) -> None:
    results = engine.analyze(text=TEXT, language="ja", entities=["EMAIL"])
    assert [(r.entity_type, TEXT[r.start : r.end]) for r in results] == [("EMAIL", EMAIL)]


def test_anonymizer_style_replacement_uses_exact_offsets(engine: Any) -> None:
    # What presidio-anonymizer does with the results: replace right to left.
    masked = TEXT
    for r in sorted(engine.analyze(text=TEXT, language="ja"), key=lambda r: -r.start):
        masked = masked[: r.start] + f"<{r.entity_type}>" + masked[r.end :]
    assert masked == "連絡先：<PHONE>（自宅）、メール：<EMAIL> まで。"


def test_config_is_honoured_and_recognizer_pickles() -> None:
    from jmedllm.deid.config import DeidConfig
    from jmedllm.deid.presidio import JmedllmRecognizer

    (recognizer,) = presidio_recognizers(DeidConfig(labels=("EMAIL",)))
    assert isinstance(recognizer, JmedllmRecognizer)
    assert recognizer.supported_entities == ["EMAIL"]
    results = recognizer.analyze(TEXT, entities=None)
    assert [(r.entity_type, TEXT[r.start : r.end]) for r in results] == [("EMAIL", EMAIL)]
    # Picklable by its public name (multiprocessing pipelines ship recognizers to workers).
    clone = pickle.loads(pickle.dumps(recognizer))
    assert [(r.start, r.end) for r in clone.analyze(TEXT, entities=["EMAIL"])] == [
        (r.start, r.end) for r in results
    ]
