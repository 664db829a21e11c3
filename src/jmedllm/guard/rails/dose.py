"""The dose rail: flags model replies that recommend a dose above the package-insert maximum.

A reply is matched against ``guard/data/max_doses.yaml`` (see ``max_doses.card.md``): each
mention of a drug (generic name, brand or salt, longest term first) is followed to the end
of its sentence, or to the next mention of another drug, and the amounts there are read as
single or daily doses. The rail only flags (``escalate`` by default): it never suggests or
corrects a dose, and its message names the table entry, never anything copied from the reply.
"""

from __future__ import annotations

import bisect
import functools
import re
import time
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from jmedllm.core.errors import ConfigError
from jmedllm.core.records import GuardAction, RailResult
from jmedllm.guard.base import RAILS, Rail, Stage, elapsed_ms

__all__ = [
    "DoseLimit",
    "DoseRangeRail",
    "DoseTable",
    "default_dose_table",
    "load_dose_table",
    "parse_dose_table",
]

CATEGORY = "dose_above_max"
MESSAGE = (
    "回答に、添付文書の上限を超える可能性のある用量（{drug}）が含まれていたため、表示を控えました。"
    "用量は医師・薬剤師にご確認ください。"
)
_OPTIONS = frozenset({"action", "usual_factor", "table"})
_LIMIT_TYPES = frozenset({"labelled", "usual", "none"})
# Float noise (0.1 + 0.2) must not turn a dose exactly at the maximum into a flag.
_TOLERANCE = 1e-9

# Everything below runs on an NFKC-normalised, casefolded copy of the reply, so full-width
# digits and units (１２０ｍｇ), half-width katakana and upper-case brands match as well.
_NUM = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"
_UNIT_MG = {
    "mg": 1.0,
    "ミリグラム": 1.0,
    "g": 1000.0,
    "グラム": 1000.0,
    "μg": 0.001,
    "mcg": 0.001,
    "マイクログラム": 0.001,
}
_COUNT_UNIT = r"(?:錠|カプセル|包|tablets?|tabs?|caps?)"
_AMOUNT = re.compile(
    rf"""
    (?<![0-9.,])(?P<num>{_NUM})\s*(?P<unit>mg|ミリグラム|μg|mcg|マイクログラム|g|グラム)(?![a-z])
    (?P<slash>\s*/\s*(?P<kg>kg(?![a-z]))?(?:\s*/\s*)?(?P<den>日|day|d(?![a-z])|回|dose(?![a-z]))?)?  # mg/kg/日
    (?:\s*{_COUNT_UNIT})?                                              # 100mg錠
    (?:\s*(?:を|×|x|\*)?\s*(?P<scope>1回|1日)?\s*(?P<count>{_NUM})\s*{_COUNT_UNIT})?   # を2錠
    """,
    re.VERBOSE,
)
# A daily total: 「1日量180mg」「1日あたり」「1日合計」「1日最大60〜120mg」; a gap holding a digit
# or 回 is a frequency (「1日3回、1回120mg」), not a daily marker.
_DAILY_BEFORE = re.compile(
    rf"(?:1日|一日|毎日)[^0-9回。!?\n]{{0,8}}(?:(?:{_NUM})\s*(?:mg|g|μg|mcg)?\s*[〜~\-–]\s*)?$"
)
_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8}
_FREQUENCY = re.compile(
    r"(?:1日|一日)\s*(?:最大|最高|に)?\s*(?P<n>[0-9]{1,2}|[一二三四五六七八])\s*回"
    r"|(?P<meals>毎食(?:後|前|直後|直前|間)|朝昼夕)"
    r"|(?P<twice>朝夕)"
    r"|(?P<hours>[0-9]{1,2})\s*時間(?:毎|ごと|おき)"
    r"|(?P<times>[0-9]{1,2})\s*times\s*(?:a|per)\s*day"
    r"|\b(?P<latin>bid|tid|qid)\b"
)
_LATIN_TIMES = {"bid": 2, "tid": 3, "qid": 4}
_SENTENCE_END = re.compile(r"[。!?\n;]|\.(?![0-9])")
_BODY_WEIGHT = re.compile(rf"(?<![0-9.,/])({_NUM})\s*kg(?![a-z])(?!\s*/)")
_KATAKANA = re.compile(r"[ァ-ヺー]")
# libyaml parses the shipped table several times faster; fall back to the pure-Python loader.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class DoseLimit:
    """One drug of the table: maxima in mg (or mg/kg when ``per_kg``) and how firm they are."""

    name: str
    max_single_mg: float | None
    max_daily_mg: float | None
    per_kg: bool
    limit_type: str


@dataclass(frozen=True, slots=True)
class DoseTable:
    """The drugs of a maximum-dose table and one precompiled pattern of all their terms."""

    limits: tuple[DoseLimit, ...]
    by_term: dict[str, int]
    pattern: re.Pattern[str]


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _number(value: object, field: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(f"dose table {where}: {field} must be a positive number or null")
    return float(value)


def _trie_regex(terms: list[str]) -> str:
    """One alternation as a trie: each position tries a few branches, greedy = longest term first."""
    trie: dict[str, Any] = {}
    for term in terms:
        node = trie
        for char in term:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return f"(?:{body})?"  # greedy: the longer term wins, the shorter one is the fallback
        return body

    return build(trie)


def parse_dose_table(data: object, where: str) -> DoseTable:
    """Validate a loaded table (``{"drugs": [...]}``) and compile its term pattern."""
    if not isinstance(data, dict) or not isinstance(data.get("drugs"), list) or not data["drugs"]:
        raise ConfigError(f"dose table {where} must be a mapping with a non-empty 'drugs' list")
    limits: list[DoseLimit] = []
    by_term: dict[str, int] = {}
    for index, entry in enumerate(data["drugs"]):
        at = f"{where} entry {index}"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise ConfigError(f"dose table {at}: each drug needs a name")
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
            raise ConfigError(f"dose table {at}: aliases must be a list of names")
        limit_type = entry.get("limit_type", "labelled")
        if limit_type not in _LIMIT_TYPES:
            raise ConfigError(f"dose table {at}: limit_type must be one of {sorted(_LIMIT_TYPES)}")
        per_kg = entry.get("per_kg", False)
        if not isinstance(per_kg, bool):
            raise ConfigError(f"dose table {at}: per_kg must be true or false")
        limit = DoseLimit(
            name=entry["name"],
            max_single_mg=_number(entry.get("max_single_mg"), "max_single_mg", at),
            max_daily_mg=_number(entry.get("max_daily_mg"), "max_daily_mg", at),
            per_kg=per_kg,
            limit_type=limit_type,
        )
        for term in (entry["name"], *aliases):
            key = _norm(term)
            if by_term.setdefault(key, len(limits)) != len(limits):
                raise ConfigError(f"dose table {at}: the term {term!r} also names another drug")
        limits.append(limit)
    # Longest term first: the trie's greedy optional groups prefer レボセチリジン to セチリジン.
    pattern = re.compile(_trie_regex(sorted(by_term, key=len, reverse=True)))
    return DoseTable(tuple(limits), by_term, pattern)


def load_dose_table(path: str | Path) -> DoseTable:
    """A maximum-dose table from a YAML file in the format of ``max_doses.yaml``."""
    file = Path(path).expanduser()
    try:
        data = yaml.load(file.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except OSError as exc:
        raise ConfigError(f"cannot read dose table {file}: {exc.__class__.__name__}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot parse dose table {file}: {exc.__class__.__name__}") from None
    return parse_dose_table(data, str(file))


@functools.cache
def default_dose_table() -> DoseTable:
    """The shipped table (``jmedllm.guard`` package data), loaded and compiled once per process."""
    text = resources.files("jmedllm.guard").joinpath("data/max_doses.yaml").read_text(encoding="utf-8")
    return parse_dose_table(yaml.load(text, Loader=_YAML_LOADER), "max_doses.yaml")


@RAILS.register("dose")
class DoseRangeRail(Rail):
    """Flags replies recommending a dose above the 添付文書 maximum of a drug in the dose table.

    Options: ``action`` (``escalate``, the default, or ``block``), ``usual_factor`` (how far
    above a ``usual`` maximum a dose must be to flag; default 1.5), ``table`` (another YAML
    table in the format of ``max_doses.yaml``).
    """

    stages = frozenset({"output"})
    option_names = _OPTIONS

    def __init__(self, name: str, **options: Any) -> None:
        super().__init__(name, **options)
        self._action = self.action_option(default="escalate", allowed=("escalate", "block"))
        factor = options.get("usual_factor", 1.5)
        if isinstance(factor, bool) or not isinstance(factor, int | float) or not 1 <= factor <= 100:
            raise ConfigError(f"rail {name!r}: usual_factor must be a number in [1, 100]")
        self._usual_factor = float(factor)
        table = options.get("table")
        if table is not None and not isinstance(table, str | Path):
            raise ConfigError(f"rail {name!r}: table must be the path of a YAML file")
        self._table = default_dose_table() if table is None else load_dose_table(table)

    def check(self, text: str, *, stage: Stage) -> RailResult:
        started = time.perf_counter()
        drugs = self.flagged_drugs(text) if text else []
        if not drugs:
            return RailResult(self.name, GuardAction.ALLOW, latency_ms=elapsed_ms(started))
        return RailResult(
            self.name,
            self._action,
            categories=(CATEGORY,),
            score=1.0,
            latency_ms=elapsed_ms(started),
            message=MESSAGE.format(drug="、".join(drugs)),
        )

    def flagged_drugs(self, text: str) -> list[str]:
        """Table names of the drugs whose dose in ``text`` exceeds the maximum, in order of mention."""
        norm = _norm(text)
        mentions = self._mentions(norm)
        if not mentions:
            return []
        ends = [m.end() for m in _SENTENCE_END.finditer(norm)]
        weight = _body_weight(norm)
        flagged: list[str] = []
        i = 0
        while i < len(mentions):
            start, end, index = mentions[i]
            k = bisect.bisect_right(ends, start)
            sentence_start = ends[k - 1] if k else 0
            sentence_end = ends[k] if k < len(ends) else len(norm)
            # The clause runs to the next mention of another drug; further mentions of the same
            # drug (a brand in brackets after the generic name) belong to it, which also keeps
            # the work linear in the length of the reply.
            following = i + 1
            while (
                following < len(mentions)
                and mentions[following][0] < sentence_end
                and mentions[following][2] == index
            ):
                following += 1
            stop = min(sentence_end, mentions[following][0]) if following < len(mentions) else sentence_end
            first_in_sentence = i == 0 or mentions[i - 1][1] <= sentence_start
            i = following
            limit = self._table.limits[index]
            if limit.limit_type == "none" or limit.name in flagged:
                continue
            if limit.per_kg and weight is None:
                continue  # a per-kg maximum says nothing without the patient's weight
            freq_from = sentence_start if first_in_sentence else end
            if self._exceeds(norm, end, stop, freq_from, limit, weight):
                flagged.append(limit.name)
        return flagged

    def _mentions(self, norm: str) -> list[tuple[int, int, int]]:
        found: list[tuple[int, int, int]] = []
        pattern, by_term = self._table.pattern, self._table.by_term
        pos = 0
        while True:
            match = pattern.search(norm, pos)
            if match is None:
                return found
            start, end = match.span()
            term = match.group()
            if term in by_term and _on_boundary(norm, start, end, term):
                found.append((start, end, by_term[term]))
                pos = end
            else:
                pos = start + 1  # a shorter term may still start further on (ボ|セチリジン)

    def _exceeds(
        self, norm: str, start: int, stop: int, freq_from: int, limit: DoseLimit, weight: float | None
    ) -> bool:
        doses: list[tuple[int, float, bool]] = []  # (start, mg, is a daily total)
        for match in _AMOUNT.finditer(norm, start, stop):
            amount = float(match["num"].replace(",", "")) * _UNIT_MG[match["unit"]]
            daily = match["den"] in {"日", "day", "d"}
            if match["kg"]:
                if not limit.per_kg:
                    continue  # mg/kg for a drug with absolute maxima: not comparable
                amount *= weight or 0.0
            elif match["slash"] and match["den"] is None:
                continue  # mg/dL, mg/L, mg/時, mg/mL …: a concentration or a rate, not a dose
            if match["count"] is not None:
                amount *= float(match["count"].replace(",", ""))
                daily = daily or match["scope"] == "1日"
            if not daily:
                daily = _DAILY_BEFORE.search(norm, max(0, match.start() - 24), match.start()) is not None
            doses.append((match.start(), amount, daily))
        if not doses:
            return False
        single = daily_dose = 0.0
        for j, (at, amount, daily) in enumerate(doses):
            if daily:
                daily_dose = max(daily_dose, amount)
                continue
            single = max(single, amount)
            # A frequency belongs to the amount it follows (「60mgを1日3回、頓用は1回120mg」 is
            # 180 mg a day, not 360); only the first amount also takes one written before it.
            lo = freq_from if j == 0 else at
            hi = doses[j + 1][0] if j + 1 < len(doses) else stop
            daily_dose = max(daily_dose, amount * _frequency(norm, lo, hi))
        if limit.per_kg:
            single, daily_dose = single / (weight or 1.0), daily_dose / (weight or 1.0)
        factor = self._usual_factor if limit.limit_type == "usual" else 1.0
        return _above(single, limit.max_single_mg, factor) or _above(daily_dose, limit.max_daily_mg, factor)


def _on_boundary(norm: str, start: int, end: int, term: str) -> bool:
    # A katakana term preceded by katakana is the tail of another word; a Latin name must
    # stand alone (omeprazole inside esomeprazole is another drug).
    before = norm[start - 1] if start else ""
    after = norm[end] if end < len(norm) else ""
    if _KATAKANA.match(term[0]) and before and _KATAKANA.match(before):
        return False
    if term[0].isascii() and term[0].isalnum() and before.isascii() and before.isalnum():
        return False
    return not (term[-1].isascii() and term[-1].isalnum() and after.isascii() and after.isalpha())


def _frequency(norm: str, start: int, stop: int) -> int:
    """Doses per day named in ``norm[start:stop]`` (1 when none is)."""
    best = 1
    for match in _FREQUENCY.finditer(norm, start, stop):
        if match["n"]:
            n = _KANJI_DIGITS.get(match["n"]) or int(match["n"])
        elif match["meals"]:
            n = 3
        elif match["twice"]:
            n = 2
        elif match["hours"]:
            n = 24 // int(match["hours"]) if int(match["hours"]) else 1
        elif match["times"]:
            n = int(match["times"])
        else:
            n = _LATIN_TIMES[match["latin"]]
        best = max(best, n)
    return best


def _body_weight(norm: str) -> float | None:
    match = _BODY_WEIGHT.search(norm)
    if match is None:
        return None
    weight = float(match[1].replace(",", ""))
    return weight if weight > 0 else None


def _above(dose: float, maximum: float | None, factor: float) -> bool:
    return maximum is not None and dose > maximum * factor * (1 + _TOLERANCE)
