"""The recognizer contract and the text context recognizers share.

A recognizer receives a :class:`TextContext` — the *normalised* text (see
:mod:`jmedllm.core.jatext.normalization`: full-width folded, ``ー`` between digits as
``-``, ``㍻`` as ``平成``) plus lazily computed, shared analyses such as the morphological
tokens — and returns :class:`~jmedllm.core.records.Span` objects whose offsets index
that normalised text. The engine maps them back to the original text; recognizers never
see or return original offsets.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

from jmedllm.core.records import Span
from jmedllm.core.registry import Registry
from jmedllm.deid.config import DeidConfig

__all__ = ["RECOGNIZERS", "Recognizer", "TextContext", "Token"]


@dataclass(frozen=True, slots=True)
class Token:
    """A morpheme from fugashi + unidic-lite, with offsets into the normalised text.

    ``pos`` holds UniDic's four part-of-speech levels, e.g. ``("名詞", "固有名詞", "人名", "姓")``.
    """

    start: int
    end: int
    surface: str
    pos: tuple[str, str, str, str]

    @property
    def is_person_name(self) -> bool:
        return self.pos[2] == "人名"

    @property
    def is_place_name(self) -> bool:
        return self.pos[2] == "地名"


class TextContext:
    """One normalised text and the analyses recognizers share (computed once, on demand)."""

    def __init__(self, text: str, *, options: dict[str, Any] | None = None) -> None:
        self.text = text
        self.options = options or {}

    @cached_property
    def tokens(self) -> list[Token]:
        """Morphological tokens of the whole text (fugashi + unidic-lite)."""
        from jmedllm.deid.morphology import tokenize

        return tokenize(self.text)


class Recognizer(ABC):
    """Finds one or more PHI categories in normalised text.

    Contract for :meth:`analyze`:
    * offsets index ``context.text`` (the normalised text), ``0 <= start < end <= len``;
    * every span's ``label`` is one of :attr:`labels` and its ``score`` lies in [0, 1];
    * ``source`` is left empty: the engine fills in the recognizer's registered name;
    * spans may overlap each other; the engine resolves overlaps across recognizers.

    Recognizers are cheap to construct; heavy resources (dictionaries, models) load on
    first use and are shared. ``priority`` breaks ties between overlapping spans of the
    same length (higher wins).
    """

    labels: ClassVar[tuple[str, ...]] = ()
    priority: ClassVar[int] = 50
    #: False for recognizers that are registered but off unless enabled (e.g. GiNZA).
    default_enabled: ClassVar[bool] = True

    def __init__(self, config: DeidConfig | None = None) -> None:
        self.config = config or DeidConfig()

    @abstractmethod
    def analyze(self, context: TextContext) -> list[Span]:
        """Return the spans of PHI found in ``context.text``."""


RECOGNIZERS: Registry[type[Recognizer]] = Registry(
    "deid.recognizer",
    base=Recognizer,
    modules=(
        "jmedllm.deid.recognizers.contact",
        "jmedllm.deid.recognizers.address",
        "jmedllm.deid.recognizers.dates",
        "jmedllm.deid.recognizers.ids",
        "jmedllm.deid.recognizers.names",
        "jmedllm.deid.recognizers.facilities",
        "jmedllm.deid.recognizers.tables",
        "jmedllm.deid.recognizers.exports",
        "jmedllm.deid.recognizers.markup",
        "jmedllm.deid.recognizers.neural",
    ),
)
