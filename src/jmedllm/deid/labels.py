"""The PHI categories jmedllm de-identifies, with their labels and mask tags.

Labels are fixed strings: the benchmark, the audit files and downstream tools key on
them. ``AGE`` is a quasi-identifier (only ages ≥ 90 identify, per REFERENCE §1); every
other label is a direct identifier.
"""

from __future__ import annotations

from typing import Final

__all__ = ["DIRECT_IDENTIFIERS", "LABELS", "MASK_TAGS"]

#: Label → the tag ``mask`` writes in its place (full-width brackets, as Japanese forms do).
MASK_TAGS: Final[dict[str, str]] = {
    "PERSON": "［氏名］",
    "FACILITY": "［施設名］",
    "ADDRESS": "［住所］",
    "POSTAL_CODE": "［郵便番号］",
    "PHONE": "［電話番号］",
    "EMAIL": "［メールアドレス］",
    "URL": "［URL］",
    "DATE": "［日付］",
    "AGE": "［年齢］",
    "PATIENT_ID": "［患者ID］",
    "MY_NUMBER": "［個人番号］",
    "INSURANCE_ID": "［保険者番号］",
    "OTHER_ID": "［識別番号］",
}

LABELS: Final[tuple[str, ...]] = tuple(MASK_TAGS)
DIRECT_IDENTIFIERS: Final[frozenset[str]] = frozenset(LABELS) - {"AGE"}
