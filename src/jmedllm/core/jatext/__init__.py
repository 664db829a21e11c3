"""Japanese text core: normalisation with offset maps, era dates, character statistics,
kana conversion and encoding-aware file reading.

Everything here is pure Python (stdlib only) and safe to import anywhere. Names are
loaded on first use so that importing one helper does not load the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "normalize": "normalization",
    "JapaneseNormalizer": "normalization",
    "NormalizerConfig": "normalization",
    "OffsetMap": "normalization",
    "CharStats": "chars",
    "char_stats": "chars",
    "is_japanese_char": "chars",
    "to_hiragana": "chars",
    "to_katakana": "chars",
    "ERAS": "eras",
    "DateMatch": "eras",
    "Era": "eras",
    "JapaneseDate": "eras",
    "find_dates": "eras",
    "parse_date": "eras",
    "to_iso": "eras",
    "to_wareki": "eras",
    "DecodedText": "textio",
    "decode_bytes": "textio",
    "detect_encoding": "textio",
    "iter_lines": "textio",
    "read_text": "textio",
}

__all__ = [  # noqa: RUF022 - grouped like _EXPORTS
    "normalize",
    "JapaneseNormalizer",
    "NormalizerConfig",
    "OffsetMap",
    "CharStats",
    "char_stats",
    "is_japanese_char",
    "to_hiragana",
    "to_katakana",
    "ERAS",
    "DateMatch",
    "Era",
    "JapaneseDate",
    "find_dates",
    "parse_date",
    "to_iso",
    "to_wareki",
    "DecodedText",
    "decode_bytes",
    "detect_encoding",
    "iter_lines",
    "read_text",
]

if TYPE_CHECKING:
    from jmedllm.core.jatext.chars import CharStats, char_stats, is_japanese_char, to_hiragana, to_katakana
    from jmedllm.core.jatext.eras import (
        ERAS,
        DateMatch,
        Era,
        JapaneseDate,
        find_dates,
        parse_date,
        to_iso,
        to_wareki,
    )
    from jmedllm.core.jatext.normalization import JapaneseNormalizer, NormalizerConfig, OffsetMap, normalize
    from jmedllm.core.jatext.textio import DecodedText, decode_bytes, detect_encoding, iter_lines, read_text


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jmedllm.core.jatext' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"jmedllm.core.jatext.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
