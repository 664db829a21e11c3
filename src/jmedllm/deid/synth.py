"""An annotated synthetic corpus of Japanese clinical documents for de-identification.

Real annotated Japanese EHR text cannot be shared, so recall and precision are measured
on documents generated here: ten document kinds (退院サマリー, 診療情報提供書, 看護記録,
外来 SOAP, 手術記録, 疑義照会/服薬指導, 問診票/患者メッセージ, 家族電話記録,
検査・画像レポート, ケアマネ報告書), several layouts each, realistic clinical filler and
identifiers in the surface forms real records use. Gold spans are exact by construction:
a document is assembled from segments (plain text, identifier, protected term), each
surface-varied *before* offsets are computed, and every span is checked against the
text it claims to cover.

Record shape (one JSON-able ``dict`` per document)::

    {"id": "synth-0-00000", "kind": "discharge_summary", "text": "...",
     "spans": [{"start": 5, "end": 10, "label": "PERSON"}, ...],
     "protected": [{"start": 120, "end": 123, "term": "橋本病"}, ...]}

Annotation conventions (what a gold span covers):

* PERSON: the name without honorific or role (``山田 太郎`` in ``山田 太郎 様``); a kana
  reading or romaji form is a separate PERSON span.
* POSTAL_CODE: the code with its ``〒`` mark when there is one (masked as one unit).
  PHONE: the number incl. ``+81``, not ``TEL``.
* DATE: the whole date (era, ligature, 元年 …); a date followed by a time of day
  (``令和5年4月1日 10:30``) is one timestamp span; a time alone is not annotated.
* AGE: only ages ≥ 90 (``92歳``, ``90代``); younger ages are plain text, on purpose.
* FACILITY: hospitals, clinics, pharmacies, care services (with their 医療法人 prefix),
  wards and rooms, workplaces and schools.
* *_ID: the value only, never the context word (``患者ID：``). INSURANCE_ID covers the
  保険者番号 (check-digit valid), the 被保険者証 記号・番号 and the 介護保険被保険者番号;
  OTHER_ID covers passport, residence card, driver's licence, 基礎年金番号, 住民票コード.
* ADDRESS: prefecture (often omitted) to room, building name included.

Determinism: document ``i`` of seed ``s`` depends only on ``(s, i)``, so
``generate_corpus(10)`` is a prefix of ``generate_corpus(300)``. When Faker is installed
its ``ja_JP`` name pairs and places add variety; its output may change between Faker
versions, so pin Faker when a corpus must be reproduced byte for byte.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Mapping
from itertools import pairwise
from typing import Any

from jmedllm.core.jatext.chars import to_hiragana
from jmedllm.deid._synth_templates import EPONYMS, KINDS, TEMPLATES, clinical_filler
from jmedllm.deid._synth_values import (
    Ent,
    Values,
    cp932_dashes,
    insurer_check_digit,
    my_number_check_digit,
    to_halfwidth_kana,
    widen_digits,
)
from jmedllm.deid.labels import LABELS

__all__ = [
    "EPONYMS",
    "KINDS",
    "generate_corpus",
    "insurer_check_digit",
    "my_number_check_digit",
]

_TOKEN = re.compile(r"\{(\w+)\}|⟪([^⟫]+)⟫")
_MAX_DEPTH = 4
# Labels whose values are (mostly) digits: these take the document's digit-width and
# CP932 variation. E-mail addresses and URLs never do (a full-width URL is not a URL).
_NUMERIC = frozenset(
    {"PHONE", "POSTAL_CODE", "DATE", "AGE", "PATIENT_ID", "MY_NUMBER", "INSURANCE_ID", "OTHER_ID"}
)


class _Surface:
    """One document's surface variation: how an old EHR export or a hand-typed form looks."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.wide_digits = rng.random() < 0.15
        self.halfwidth_kana = rng.random() < 0.08
        self.cp932 = rng.random() < 0.15

    def plain(self, text: str) -> str:
        if self.wide_digits:
            text = widen_digits(text)
        if self.cp932:
            text = cp932_dashes(text)
        if self.halfwidth_kana:
            text = to_halfwidth_kana(text)
        return text

    def entity(self, ent: Ent) -> str:
        text = ent.value
        if ent.label in _NUMERIC:
            # Some values are full-width even in an otherwise ASCII document (typed by hand).
            if self.wide_digits or self.rng.random() < 0.06:
                text = widen_digits(text)
            if self.cp932:
                text = cp932_dashes(text)
        elif ent.label == "PERSON" and self.halfwidth_kana:
            text = to_halfwidth_kana(text)
        return text

    def protected(self, term: str) -> str:
        return to_halfwidth_kana(term) if self.halfwidth_kana else term


class _Builder:
    """Renders templates into segments, then joins them with exact offsets."""

    def __init__(self, ctx: Mapping[str, Any], surface: _Surface) -> None:
        self.ctx = ctx
        self.surface = surface
        self.parts: list[tuple[str, str | None, bool]] = []  # (text, label, protected)

    def render(self, template: str, depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            raise RecursionError("synthetic template nesting too deep")
        pos = 0
        for m in _TOKEN.finditer(template):
            self.parts.append((self.surface.plain(template[pos : m.start()]), None, False))
            key, term = m.group(1), m.group(2)
            if term is not None:
                self.parts.append((self.surface.protected(term), None, True))
            else:
                value = self.ctx[key]
                if isinstance(value, Ent):
                    self.parts.append((self.surface.entity(value), value.label, False))
                else:
                    self.render(str(value), depth + 1)
            pos = m.end()
        self.parts.append((self.surface.plain(template[pos:]), None, False))

    def finish(self, doc_id: str, kind: str) -> dict[str, Any]:
        chunks: list[str] = []
        spans: list[dict[str, Any]] = []
        protected: list[dict[str, Any]] = []
        offset = 0
        for text, label, is_protected in self.parts:
            if text and label is not None:
                spans.append({"start": offset, "end": offset + len(text), "label": label})
            elif text and is_protected:
                protected.append({"start": offset, "end": offset + len(text), "term": text})
            chunks.append(text)
            offset += len(text)
        record = {"id": doc_id, "kind": kind, "text": "".join(chunks), "spans": spans, "protected": protected}
        _check(record, [p[0] for p in self.parts if p[1] is not None])
        return record


def _check(record: dict[str, Any], values: list[str]) -> None:
    """Every span covers exactly its inserted value; spans and protected terms never overlap."""
    text = record["text"]
    for span, value in zip(record["spans"], (v for v in values if v), strict=True):
        if text[span["start"] : span["end"]] != value or span["label"] not in LABELS:
            raise AssertionError(f"{record['id']}: span {span} does not cover its value")
    for term in record["protected"]:
        if text[term["start"] : term["end"]] != term["term"]:
            raise AssertionError(f"{record['id']}: protected term {term} misplaced")
    bounds = sorted(
        [(s["start"], s["end"]) for s in record["spans"]]
        + [(p["start"], p["end"]) for p in record["protected"]]
    )
    for (_, end), (start, _) in pairwise(bounds):
        if start < end:
            raise AssertionError(f"{record['id']}: overlapping annotations at {start}")


def _age(v: Values, age: int, ctx: dict[str, Any]) -> Ent | str:
    """An age as written; only ages ≥ 90 identify (REFERENCE §1), so only they are spans."""
    rng = v.rng
    text = rng.choice((f"{age}歳", f"{age}歳", f"{age}才"))
    if age < 90:
        return rng.choice((text, f"満{text}"))
    if rng.random() < 0.1:
        return Ent(f"{age // 10 * 10}代", "AGE")
    if rng.random() < 0.2:  # 満 is not part of the identifier
        ctx["age_v"] = Ent(text, "AGE")
        return "満{age_v}"
    return Ent(text, "AGE")


def _staff(v: Values) -> Ent:
    return Ent(v.name(allow_foreign=False).full(v.name_sep()), "PERSON")


def build_context(v: Values) -> dict[str, Any]:
    """Every key any template may use, for one synthetic patient and encounter."""
    rng = v.rng
    pt = v.name()
    age = v.age()
    dates = sorted(v.event_date() for _ in range(6))
    dob = v.birth_date(age, dates[-1])
    zip_mark, zip_code = v.postal_code()
    pid_ctx, pid = v.patient_id()
    oid_ctx, oid = v.other_id()
    reading = pt.kana(rng.choice((" ", "　")))
    ctx: dict[str, Any] = {
        "pt": Ent(pt.full(v.name_sep()), "PERSON"),
        "pt_sur": Ent(pt.family, "PERSON"),
        "pt_kana": Ent(reading if rng.random() < 0.8 else to_hiragana(reading), "PERSON"),
        "pt_roma": Ent(pt.romaji(rng), "PERSON"),
        "hon": rng.choice(("くん", "ちゃん", "さん") if age < 13 else ("様", "様", "さん", "氏", "殿")),
        "sex": rng.choice(("男性", "女性")),
        "sex1": rng.choice(("男", "女")),
        "dob": Ent(
            v.date_text(dob, style=rng.choice(("era", "era_short", "ligature", "western", "slash"))), "DATE"
        ),
        "pid_ctx": pid_ctx,
        "pid": Ent(pid, "PATIENT_ID"),
        "zip": Ent(zip_mark + zip_code, "POSTAL_CODE"),
        "addr": Ent(v.address(), "ADDRESS"),
        "addr2": Ent(v.address(), "ADDRESS"),
        "tel": Ent(v.phone(mobile=False), "PHONE"),
        "mob": Ent(v.phone(mobile=True), "PHONE"),
        "fax": Ent(v.phone(mobile=False), "PHONE"),
        "fam_tel": Ent(v.phone(), "PHONE"),
        "email": Ent(v.email(pt), "EMAIL"),
        "url": Ent(v.url(), "URL"),
        "hosp": Ent(v.facility("hospital"), "FACILITY"),
        "hosp2": Ent(v.facility("hospital"), "FACILITY"),
        "clinic": Ent(v.facility("clinic"), "FACILITY"),
        "pharm": Ent(v.facility("pharmacy"), "FACILITY"),
        "care": Ent(v.facility("care"), "FACILITY"),
        "work": Ent(v.facility("work"), "FACILITY"),
        "ward": Ent(f"{rng.randint(2, 9)}階{rng.choice('東西南北')}病棟", "FACILITY"),
        "room": Ent(f"{rng.randint(2, 9)}{rng.randint(1, 30):02d}号室", "FACILITY"),
        "dr": _staff(v),
        "dr2": _staff(v),
        "dr3": _staff(v),
        "dr_sur": Ent(v.name(allow_foreign=False).family, "PERSON"),
        "ns": _staff(v),
        "ns_sur": Ent(v.name(allow_foreign=False).family, "PERSON"),
        "ph": _staff(v),
        "cm": _staff(v),
        "fam": Ent(v.name().full(v.name_sep()), "PERSON"),
        "mynum": Ent(v.my_number(), "MY_NUMBER"),
        "insurer": Ent(v.insurer_number(), "INSURANCE_ID"),
        "ins_sym": Ent(v.insured_symbol(), "INSURANCE_ID"),
        "kaigo": Ent(v.care_insured_number(), "INSURANCE_ID"),
        "oid_ctx": oid_ctx,
        "oid": Ent(oid, "OTHER_ID"),
        **clinical_filler(rng),
    }
    ctx["age"] = _age(v, age, ctx)
    for i, d in enumerate(dates, 1):
        ctx[f"d{i}"] = Ent(v.date_text(d), "DATE")
    # A date with its time of day is one timestamp (one span): shifting or masking it
    # must move both, and the time narrows the event further.
    sep = rng.choice((" ", "　"))
    ctx["ts1"] = Ent(f"{ctx['d6'].value}{sep}{ctx['t1']}", "DATE")
    ctx["ts2"] = Ent(f"{ctx['d6'].value}{sep}{ctx['t2']}", "DATE")
    return ctx


def _faker(seed: int) -> Any | None:
    try:
        from faker import Faker
    except ImportError:  # optional: the built-in lists alone still give a varied corpus
        return None
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    return fake


def generate_corpus(n: int, *, seed: int = 0) -> Iterator[dict[str, Any]]:
    """Yield ``n`` annotated synthetic documents (see the module docstring for the shape).

    Kinds cycle in a fixed order so any 10 consecutive documents cover every kind; the
    layout variant, identifiers, clinical content and surface variation are random.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    fake = _faker(seed)
    for i in range(n):
        doc_seed = seed * 1_000_003 + i
        rng = random.Random(doc_seed)
        if fake is not None:
            fake.seed_instance(doc_seed)
        kind = KINDS[i % len(KINDS)]
        template = rng.choice(TEMPLATES[kind])
        ctx = build_context(Values(rng, fake))
        builder = _Builder(ctx, _Surface(rng))
        builder.render(template)
        yield builder.finish(f"synth-{seed}-{i:05d}", kind)
