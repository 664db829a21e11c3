"""Replace detected PHI: mask, pseudonymise or hash, with an audit trail of hashes.

* ``mask`` writes a category tag (``［氏名］``, ``［電話番号］``) — the safest, least useful.
* ``pseudonymize`` writes consistent surrogates: within one *key* (the patient when a
  patient field is given, else the document) the same value always becomes the same
  fake value, so "山田さん … 山田さん" stays one person; dates move by one per-key
  offset, so intervals (day 3 after surgery) survive; ages ≥ 90 become ``90歳以上``.
* ``hash`` writes salted, non-reversible codes (``［患者ID#a41f0c9e2b］``): the same
  value gets the same code across documents, so records stay linkable without the value.

Surrogates and codes are derived with HMAC-SHA256 from a secret, never stored. The audit
sink receives one line per replacement with an HMAC of the original — never the value.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from jmedllm.core.errors import EraDateError
from jmedllm.core.jatext import normalize, parse_date, to_hiragana, to_wareki
from jmedllm.core.records import Span
from jmedllm.deid.labels import MASK_TAGS

__all__ = ["MODES", "Mode", "Redactor", "Replacement"]

Mode = Literal["mask", "pseudonymize", "hash"]
MODES: tuple[Mode, ...] = ("mask", "pseudonymize", "hash")
_MAX_DATE_SHIFT_DAYS = 365
_FACILITY_SUFFIXES = (
    "訪問看護ステーション", "特別養護老人ホーム", "介護老人保健施設", "老人ホーム", "医療センター", "総合病院",
    "大学病院", "クリニック", "調剤薬局", "診療所", "病院", "医院", "歯科", "薬局", "小学校", "中学校", "高校",
    "大学", "学校", "保育園", "幼稚園", "苑", "園",
)  # fmt: skip
_FACILITY_STEMS = (
    "あおば",
    "さくら",
    "みなと",
    "ひかり",
    "若葉",
    "青空",
    "緑ヶ丘",
    "朝日",
    "東雲",
    "白樺",
    "松風",
    "常盤",
)


@dataclass(frozen=True, slots=True)
class Replacement:
    """One replacement made in a text: where (original offsets), what kind, and by what."""

    start: int
    end: int
    label: str
    replacement: str
    source: str
    original_hmac: str


class Redactor:
    """Replaces spans in texts according to ``mode``.

    Args:
        mode: ``mask``, ``pseudonymize`` or ``hash``.
        secret: key for the HMACs behind surrogates, codes and audit hashes; keep it
            stable to keep pseudonyms stable across runs, and secret to keep them unlinkable.
    """

    def __init__(self, mode: Mode, *, secret: bytes) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown redaction mode {mode!r}; expected one of {MODES}")
        if len(secret) < 16:
            raise ValueError("the redaction secret must be at least 16 bytes")
        self.mode = mode
        self._secret = secret
        self._faker: Any = None

    def redact(self, text: str, spans: Sequence[Span], *, key: str = "") -> tuple[str, list[Replacement]]:
        """Return ``text`` with every span replaced, and the replacements made.

        ``key`` scopes pseudonyms and date shifts (a patient or document id).
        """
        pieces: list[str] = []
        replacements: list[Replacement] = []
        position = 0
        for span in sorted(spans, key=lambda s: s.start):
            if span.start < position:
                raise ValueError("spans overlap; resolve overlaps before redacting")
            value = text[span.start : span.end]
            new = self._replace(span.label, value, key)
            pieces.append(text[position : span.start])
            pieces.append(new)
            replacements.append(
                Replacement(
                    span.start, span.end, span.label, new, span.source, self._digest("audit", value)[:32]
                )
            )
            position = span.end
        pieces.append(text[position:])
        return "".join(pieces), replacements

    # -- per-mode replacement ---------------------------------------------------------

    def _replace(self, label: str, value: str, key: str) -> str:
        if self.mode == "mask":
            return MASK_TAGS[label]
        canonical = normalize(value)[0]
        if self.mode == "hash":
            return f"{MASK_TAGS[label][:-1]}#{self._digest('code', label, canonical)[:10]}］"
        maker = _SURROGATES.get(label, Redactor._same_shape)
        return maker(self, value, canonical, self._rng(key, label, canonical), key)

    def _digest(self, *parts: str) -> str:
        message = "\x1f".join(parts).encode("utf-8")
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def _rng(self, *parts: str) -> random.Random:
        return random.Random(int(self._digest("rng", *parts)[:16], 16))

    def _fake(self, rng: random.Random) -> Any:
        if self._faker is None:
            from faker import Faker  # heavy; only pseudonymisation needs it

            self._faker = Faker("ja_JP")
        self._faker.seed_instance(rng.getrandbits(64))
        return self._faker

    # -- surrogates -------------------------------------------------------------------

    def _person(self, value: str, canonical: str, rng: random.Random, key: str) -> str:
        fake = self._fake(rng)
        if canonical.isascii():
            return f"{fake.first_romanized_name()} {fake.last_romanized_name()}"
        if re.fullmatch(r"[\u30a0-\u30ff・ ]+", canonical):
            return (
                f"{fake.last_kana_name()} {fake.first_kana_name()}"
                if " " in canonical
                else fake.last_kana_name()
            )
        if re.fullmatch(r"[\u3040-\u309f ]+", canonical):
            return to_hiragana(fake.last_kana_name())
        # A lone surname (2 characters or fewer) becomes a lone surname, a full name a full
        # name, written with a space if the original had one.
        if len(canonical) <= 2:
            return fake.last_name()
        return fake.last_name() + (" " if " " in canonical else "") + fake.first_name()

    def _facility(self, value: str, canonical: str, rng: random.Random, key: str) -> str:
        suffix = next((s for s in _FACILITY_SUFFIXES if canonical.endswith(s)), "病院")
        return rng.choice(_FACILITY_STEMS) + suffix

    def _address(self, value: str, canonical: str, rng: random.Random, key: str) -> str:
        fake = self._fake(rng)
        return f"{fake.prefecture()}{fake.city()}{fake.town()}{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号"

    def _email(self, value: str, canonical: str, rng: random.Random, key: str) -> str:
        return f"user{rng.randrange(16**6):06x}@example.jp"

    def _url(self, value: str, canonical: str, rng: random.Random, key: str) -> str:
        return f"https://example.jp/{rng.randrange(16**6):06x}"

    def _age(self, value: str, canonical: str, rng: random.Random, key: str) -> str:
        return "90歳以上"

    def _date(self, value: str, canonical: str, rng: random.Random, key: str) -> str:
        try:
            parsed = parse_date(canonical)
        except EraDateError:
            return MASK_TAGS["DATE"]  # an impossible date cannot be shifted
        # One offset per key: every date of a patient moves by the same number of days.
        shift = timedelta(
            days=self._rng(key, "date-shift").randint(-_MAX_DATE_SHIFT_DAYS, _MAX_DATE_SHIFT_DAYS)
        )
        year = parsed.year if parsed.year is not None else 2000  # a leap year keeps 2月29日 valid
        moved = date(year, parsed.month or 1, parsed.day or 1) + shift
        if parsed.year is None:
            return f"{moved.month}月{moved.day}日"
        if parsed.month is None:
            return f"{moved.year}年" if parsed.era is None else to_wareki(str(moved.year))
        if parsed.day is None:
            return (
                f"{moved.year}年{moved.month}月"
                if parsed.era is None
                else to_wareki(f"{moved.year}-{moved.month:02d}")
            )
        if parsed.era is not None:
            letter = re.match(r"[MTSHR]", canonical, re.IGNORECASE) is not None
            return to_wareki(moved, style="letter" if letter else "kanji")
        if "年" in canonical:
            return f"{moved.year}年{moved.month}月{moved.day}日"
        separator = next((c for c in "/-." if c in canonical), "")
        if not separator:
            return moved.strftime("%Y%m%d")
        return separator.join((f"{moved.year}", f"{moved.month:02d}", f"{moved.day:02d}"))

    def _same_shape(self, value: str, canonical: str, rng: random.Random, key: str) -> str:
        """Digits → random digits, letters → random letters; separators and a leading 0 or +81 kept."""
        out = []
        for index, char in enumerate(value):
            if char.isdigit() and not (index == 0 and char in "0０"):
                digit = str(rng.randrange(10))
                out.append(chr(ord(digit) + 0xFEE0) if "０" <= char <= "９" else digit)
            elif char.isascii() and char.isalpha():
                letter = chr(ord("A") + rng.randrange(26))
                out.append(letter if char.isupper() else letter.lower())
            else:
                out.append(char)
        text = "".join(out)
        return "+81" + text[3:] if canonical.startswith("+81") else text


_Surrogate = Callable[[Redactor, str, str, random.Random, str], str]
_SURROGATES: dict[str, _Surrogate] = {
    "PERSON": Redactor._person,
    "FACILITY": Redactor._facility,
    "ADDRESS": Redactor._address,
    "EMAIL": Redactor._email,
    "URL": Redactor._url,
    "AGE": Redactor._age,
    "DATE": Redactor._date,
}
