"""The canary rail: blocks replies that leak a system-prompt canary or the instructions themselves.

A deployment plants a canary (a random token such as ``AOBA-7F3K-91``) in its system prompt;
a reply that carries it has leaked the prompt. Models asked to "spell it out" or "encode it"
change the form, so matching runs on a copy of the reply that is NFKC-normalised, casefolded
and stripped of whitespace, separators and invisible characters (``A O B A - 7 F 3 K`` and
``ＡＯＢＡ－７Ｆ３Ｋ`` both match), and also looks for the canary reversed and base64-encoded.
Optional ``patterns`` catch characteristic sentences of the instructions.
"""

from __future__ import annotations

import base64
import re
import time
import unicodedata
from typing import Any

from jmedllm.core.errors import ConfigError
from jmedllm.core.records import GuardAction, RailResult
from jmedllm.guard.base import RAILS, Rail, Stage, elapsed_ms

__all__ = ["CanaryRail", "canary_forms", "normalize_for_canary"]

CATEGORY = "system_prompt_leak"
MESSAGE = "この回答には表示できない内部情報が含まれていたため、表示を控えました。"
#: Shorter canaries would turn up in ordinary replies (and their base64 forms even more so).
MIN_CANARY_CHARS = 6
_OPTIONS = frozenset({"canaries", "patterns", "action"})
# Whitespace, hyphens and dashes of every width, middle dots, commas, full stops and
# invisible format characters (soft hyphen, zero-width spaces and joiners, bidi marks, BOM):
# all of them can be slipped between a canary's characters without hiding it from a reader.
_STRIP = re.compile(r"[\s\-‐‑‒–—―−ー－・,、.。_\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+")


def normalize_for_canary(text: str) -> str:
    """NFKC, casefold, and drop whitespace, separators and invisible characters."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", text).casefold())


def _base64_cores(raw: bytes) -> list[str]:
    """The base64 characters (standard and URL-safe) that encode ``raw`` at any offset of a longer text.

    Base64 works in 3-byte groups, so the canary's encoding depends on where it falls in the
    encoded text; for each of the three offsets keep only the characters its bytes alone decide.
    """
    cores = []
    for offset in range(3):
        first = -(-8 * offset // 6)  # ceil: characters still mixed with the padding bytes
        last = 8 * (offset + len(raw)) // 6  # floor: the final, partly padded character is dropped
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            cores.append(encode(b"\0" * offset + raw).decode("ascii")[first:last])
    return cores


def canary_forms(canary: str) -> list[str]:
    """Normalised needles for one canary: itself, reversed, and its base64 encodings."""
    plain = normalize_for_canary(canary)
    forms = [plain, plain[::-1]]
    for core in _base64_cores(canary.encode("utf-8")):
        # The same normalisation as the reply; the cores never end in '=' padding, so a leak
        # that drops the padding still matches.
        forms.append(normalize_for_canary(core))
    return list(dict.fromkeys(f for f in forms if f))


@RAILS.register("canary")
class CanaryRail(Rail):
    """Blocks replies that leak a system-prompt canary (plain, spaced, full-width, reversed, base64).

    Options: ``canaries`` (strings planted in the system prompt; required unless ``patterns``
    is given), ``patterns`` (regular expressions for sentences of the instructions, matched
    case-insensitively on the NFKC-normalised reply), ``action`` (``block``, the default, or
    ``escalate``).
    """

    stages = frozenset({"output"})
    option_names = _OPTIONS

    def __init__(self, name: str, **options: Any) -> None:
        super().__init__(name, **options)
        canaries = _strings(name, "canaries", options.get("canaries"))
        patterns = _strings(name, "patterns", options.get("patterns"))
        if not canaries and not patterns:
            raise ConfigError(f"rail {name!r}: give at least one canary or pattern")
        for index, canary in enumerate(canaries):
            if len(normalize_for_canary(canary)) < MIN_CANARY_CHARS:
                raise ConfigError(
                    f"rail {name!r}: canary {index} is shorter than {MIN_CANARY_CHARS} characters "
                    "once spaces and separators are removed",
                    hint="use a long random token, e.g. AOBA-7F3K-91QZ",
                )
        self._needles = tuple(dict.fromkeys(form for canary in canaries for form in canary_forms(canary)))
        self._patterns = tuple(_compile(name, index, p) for index, p in enumerate(patterns))
        self._action = self.action_option(default="block", allowed=("block", "escalate"))

    def check(self, text: str, *, stage: Stage) -> RailResult:
        started = time.perf_counter()
        if not text or not self.leaks(text):
            return RailResult(self.name, GuardAction.ALLOW, latency_ms=elapsed_ms(started))
        return RailResult(
            self.name,
            self._action,
            categories=(CATEGORY,),
            score=1.0,
            latency_ms=elapsed_ms(started),
            message=MESSAGE,
        )

    def leaks(self, text: str) -> bool:
        """True if ``text`` holds a canary in any of its forms or matches an instruction pattern."""
        if self._needles:
            squeezed = normalize_for_canary(text)
            if any(needle in squeezed for needle in self._needles):
                return True
        if self._patterns:
            normalized = unicodedata.normalize("NFKC", text)
            return any(p.search(normalized) for p in self._patterns)
        return False


def _strings(name: str, option: str, value: object) -> list[str]:
    if value is None:
        return []
    # A bare string would be taken letter by letter; refuse it rather than guess.
    if not isinstance(value, list | tuple) or not all(isinstance(x, str) and x.strip() for x in value):
        raise ConfigError(f"rail {name!r}: {option} must be a list of non-empty strings")
    return list(value)


def _compile(name: str, index: int, pattern: str) -> re.Pattern[str]:
    try:
        # Not normalised itself: NFKC would turn a literal （ into a regex group.
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        # The pattern itself may quote the instructions: name its position, not its text.
        raise ConfigError(
            f"rail {name!r}: pattern {index} is not a valid regular expression ({exc.msg})"
        ) from None
