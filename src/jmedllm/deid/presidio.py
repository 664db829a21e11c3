"""Use jmedllm's Japanese de-identification engine inside Microsoft Presidio.

Presidio has no Japanese recognizers (its phone recognizer's regions exclude JP; its date
recognizer knows no 年/月/日 or era forms), but many pipelines are built around its
``AnalyzerEngine`` and anonymizer. :func:`presidio_recognizers` gives them jmedllm's
engine as a Presidio ``EntityRecognizer`` for ``supported_language="ja"`` and the 13
jmedllm labels (``PERSON``, ``PHONE``, ``MY_NUMBER`` …, used as Presidio entity types).

Why one recognizer wrapping the whole :class:`~jmedllm.deid.engine.PhiAnalyzer` rather than
one Presidio recognizer per jmedllm recognizer: the engine normalises a text once and maps
every span back to the original characters, drops name-like spans inside protected
eponyms (橋本 in 橋本病), resolves overlaps by jmedllm's priorities and joins 姓 + 名.
Split into separate Presidio recognizers, each would re-normalise, and Presidio's own
duplicate removal would keep ``橋本`` as a PERSON inside ``橋本病``.

:func:`build_analyzer_engine` returns a ready ``AnalyzerEngine`` that needs no spaCy model
and no network: a no-op NLP engine (jmedllm tokenises for itself) and a registry holding
only jmedllm's recognizer. Presidio (and with it spaCy) is imported inside the functions,
so ``import jmedllm.deid.presidio`` stays cheap.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any

from jmedllm.deid.config import DeidConfig

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine, EntityRecognizer

# ``JmedllmRecognizer`` is importable too, built on first access (see ``__getattr__``).
__all__ = ["LANGUAGE", "build_analyzer_engine", "presidio_recognizers"]

LANGUAGE = "ja"
_NAME = "JmedllmRecognizer"


@cache
def _recognizer_class() -> type[EntityRecognizer]:
    """Define the Presidio recognizer class on first use (Presidio imports spaCy: heavy)."""
    from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult

    from jmedllm.deid.engine import PhiAnalyzer

    class JmedllmRecognizer(EntityRecognizer):
        """Presidio recognizer running jmedllm's whole Japanese PHI engine."""

        def __init__(self, config: DeidConfig | None = None, *, name: str = _NAME) -> None:
            # Set before super().__init__, which calls load().
            self.config = config or DeidConfig()
            self._analyzers: dict[tuple[str, ...], PhiAnalyzer] = {}
            super().__init__(
                supported_entities=list(self.config.labels),
                name=name,
                supported_language=LANGUAGE,
                version="jmedllm",
            )

        def load(self) -> None:
            self._analyzer(tuple(self.config.labels))

        def _analyzer(self, labels: tuple[str, ...]) -> PhiAnalyzer:
            # One engine per requested label set: labels are filtered *before* overlap
            # resolution, so asking only for PHONE must not lose a phone number that
            # overlapped a longer span of another label.
            if labels not in self._analyzers:
                config = (
                    self.config
                    if labels == tuple(self.config.labels)
                    else replace(self.config, labels=labels)
                )
                self._analyzers[labels] = PhiAnalyzer(config)
            return self._analyzers[labels]

        def analyze(self, text: str, entities: list[str] | None, nlp_artifacts: Any = None) -> list[Any]:
            """Find PHI in ``text``; offsets index the original ``text`` (nlp_artifacts unused)."""
            wanted = [e for e in self.config.labels if not entities or e in entities]
            if not wanted:
                return []
            results = []
            for span in self._analyzer(tuple(wanted)).analyze(text):
                explanation = AnalysisExplanation(
                    recognizer=self.name,
                    original_score=span.score,
                    textual_explanation=f"jmedllm recognizer {span.source or 'unknown'}",
                )
                results.append(
                    RecognizerResult(
                        entity_type=span.label,
                        start=span.start,
                        end=span.end,
                        score=span.score,
                        analysis_explanation=explanation,
                        recognition_metadata={
                            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                            "jmedllm_source": span.source,
                        },
                    )
                )
            return results

    # Importable (and so picklable) by its public name, jmedllm.deid.presidio.JmedllmRecognizer.
    JmedllmRecognizer.__module__ = __name__
    JmedllmRecognizer.__qualname__ = "JmedllmRecognizer"
    return JmedllmRecognizer


def __getattr__(name: str) -> Any:
    # ``from jmedllm.deid.presidio import JmedllmRecognizer`` builds the class (and imports
    # Presidio) only when asked for.
    if name == "JmedllmRecognizer":
        return _recognizer_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def presidio_recognizers(config: DeidConfig | None = None) -> list[EntityRecognizer]:
    """jmedllm's engine as Presidio recognizer(s) for ``ja`` (one that wraps it all)."""
    return [_recognizer_class()(config)]


def _null_nlp_engine() -> Any:
    """Presidio's ``NoOpNlpEngine`` for ``ja`` (no model, no download)."""
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    engine = NoOpNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": "none"}])
    engine.load()
    return engine


def build_analyzer_engine(config: DeidConfig | None = None, *, nlp_engine: Any = None) -> AnalyzerEngine:
    """A Presidio ``AnalyzerEngine`` for Japanese that runs only jmedllm's recognizer.

    ``nlp_engine`` defaults to a no-op engine, so nothing loads a spaCy model or touches the
    network; pass a spaCy engine (e.g. ja_ginza) to add Presidio's own NLP recognizers.
    The registry is built explicitly: Presidio's default registry would add English
    recognizers and its default engine would try to download ``en_core_web_lg``.
    """
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    for recognizer in presidio_recognizers(config):
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine if nlp_engine is not None else _null_nlp_engine(),
        supported_languages=[LANGUAGE],
    )
