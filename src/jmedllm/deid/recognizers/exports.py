"""Identifier fields of HL7 v2 messages and FHIR JSON pasted into clinical text.

Interface exports reach notes and tickets as they are: ``PID|1||7004219^^^HOSP^MR||YAMADA^
TARO||19520227|F|||高知市春野町西分2270-4^^^^781-0303``, or a FHIR ``Patient`` with
``"family": "山田", "postalCode": "781-0303"``. The values carry no words around them — a
name is ``YAMADA`` between two carets — so the prose rules miss them; their *position* is
the context. The field positions read here are the standard ones:

* HL7 v2 (HL7 2.x, Chapters 2–3): MSH-4/6 sending and receiving facility; PID-3 patient
  identifiers (first component), PID-5/6/9 names (family, given, middle), PID-11 address
  (street, other, city, state, postal code), PID-13/14 phones, PID-18/19 account numbers;
  NK1-2 name, NK1-4 address, NK1-5 phone; PV1-3 location (point of care, room, bed),
  PV1-7/8/9/17 doctors (id, family, given), PV1-19 visit number.
* FHIR R4 JSON: ``family``/``given``/``prefix``-free ``HumanName`` parts, ``Address``
  parts (``line``, ``city``, ``district``, ``postalCode``), ``birthDate``, and a
  ``reference`` to ``Patient/<id>``.

Only these positions are labelled; codes, units and results in other fields are clinical
content. Dates inside the messages are left to :mod:`~jmedllm.deid.recognizers.dates`.
"""

from __future__ import annotations

import re
from typing import ClassVar

from jmedllm.core.records import Span
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext

__all__ = ["FhirJsonRecognizer", "Hl7v2Recognizer"]

# (segment, field number) → label of its components: a dict of component index → label,
# or one label for the first component.
_HL7_FIELDS: dict[tuple[str, int], dict[int, str]] = {
    ("MSH", 4): {1: "FACILITY"},
    ("MSH", 6): {1: "FACILITY"},
    ("PID", 3): {1: "PATIENT_ID"},
    ("PID", 4): {1: "PATIENT_ID"},
    ("PID", 5): {1: "PERSON", 2: "PERSON", 3: "PERSON"},
    ("PID", 6): {1: "PERSON", 2: "PERSON"},
    ("PID", 9): {1: "PERSON", 2: "PERSON", 3: "PERSON"},
    ("PID", 11): {1: "ADDRESS", 2: "ADDRESS", 3: "ADDRESS", 5: "POSTAL_CODE"},
    ("PID", 13): {1: "PHONE"},
    ("PID", 14): {1: "PHONE"},
    ("PID", 18): {1: "PATIENT_ID"},
    ("PID", 19): {1: "OTHER_ID"},
    ("NK1", 2): {1: "PERSON", 2: "PERSON", 3: "PERSON"},
    ("NK1", 4): {1: "ADDRESS", 2: "ADDRESS", 3: "ADDRESS", 5: "POSTAL_CODE"},
    ("NK1", 5): {1: "PHONE"},
    ("PV1", 3): {1: "FACILITY", 2: "FACILITY", 3: "FACILITY"},
    ("PV1", 7): {2: "PERSON", 3: "PERSON"},
    ("PV1", 8): {2: "PERSON", 3: "PERSON"},
    ("PV1", 9): {2: "PERSON", 3: "PERSON"},
    ("PV1", 17): {2: "PERSON", 3: "PERSON"},
    ("PV1", 19): {1: "PATIENT_ID"},
    ("GT1", 3): {1: "PERSON", 2: "PERSON"},
    ("IN1", 16): {1: "PERSON", 2: "PERSON"},
}
_HL7_SEGMENT = re.compile(r"^(MSH|PID|NK1|PV1|GT1|IN1)\|", re.MULTILINE)

# FHIR JSON: "key": "value" or "key": ["value", …] for the keys below.
_FHIR_KEYS = {
    "family": "PERSON",
    "given": "PERSON",
    "line": "ADDRESS",
    "city": "ADDRESS",
    "district": "ADDRESS",
    "postalCode": "POSTAL_CODE",
    "birthDate": "DATE",
}
_FHIR_FIELD = re.compile(r'"(?P<key>' + "|".join(_FHIR_KEYS) + r')"\s*:\s*(?P<value>\[[^\]]*\]|"[^"\n]*")')
_FHIR_STRING = re.compile(r'"(?P<s>[^"\n]+)"')
_FHIR_PATIENT_REF = re.compile(r'"reference"\s*:\s*"Patient/(?P<id>[^"\n]+)"')


@RECOGNIZERS.register("structure.hl7v2")
class Hl7v2Recognizer(Recognizer):
    """Names, identifiers, addresses, phones and locations at their standard positions in
    HL7 v2 segments (MSH, PID, NK1, PV1, GT1, IN1)."""

    labels: ClassVar[tuple[str, ...]] = (
        "PERSON",
        "PATIENT_ID",
        "ADDRESS",
        "POSTAL_CODE",
        "PHONE",
        "FACILITY",
        "OTHER_ID",
    )
    priority: ClassVar[int] = 80

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        if "|" not in text:
            return []
        spans: list[Span] = []
        for seg in _HL7_SEGMENT.finditer(text):
            line_end = text.find("\n", seg.start())
            line_end = len(text) if line_end < 0 else line_end
            name = seg.group(1)
            # MSH-1 is the field separator itself, so MSH's fields are numbered one higher.
            number = 1 if name == "MSH" else 0
            pos = seg.end() - 1  # at the "|" before field 1 (MSH-2 for MSH)
            while pos < line_end:
                nxt = text.find("|", pos + 1, line_end)
                nxt = line_end if nxt < 0 else nxt
                number += 1
                wanted = _HL7_FIELDS.get((name, number))
                if wanted:
                    spans += _components(text, pos + 1, nxt, wanted)
                pos = nxt
        return spans


def _components(text: str, start: int, end: int, wanted: dict[int, str]) -> list[Span]:
    """Spans of the wanted components of every repetition (``~``) of one field."""
    out: list[Span] = []
    rep_start = start
    while rep_start <= end:
        rep_end = text.find("~", rep_start, end)
        rep_end = end if rep_end < 0 else rep_end
        comp_start, index = rep_start, 1
        while comp_start <= rep_end:
            comp_end = text.find("^", comp_start, rep_end)
            comp_end = rep_end if comp_end < 0 else comp_end
            label = wanted.get(index)
            if label and comp_end > comp_start:
                out.append(Span(comp_start, comp_end, label, 0.9))
            comp_start, index = comp_end + 1, index + 1
        rep_start = rep_end + 1
    return out


@RECOGNIZERS.register("structure.fhir_json")
class FhirJsonRecognizer(Recognizer):
    """HumanName and Address parts, birth dates and Patient references in FHIR JSON."""

    labels: ClassVar[tuple[str, ...]] = ("PERSON", "ADDRESS", "POSTAL_CODE", "DATE", "PATIENT_ID")
    priority: ClassVar[int] = 80

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        if '":' not in text and '" :' not in text:
            return []
        spans: list[Span] = []
        for m in _FHIR_FIELD.finditer(text):
            label = _FHIR_KEYS[m.group("key")]
            for s in _FHIR_STRING.finditer(text, m.start("value"), m.end("value")):
                if s.group("s").strip():
                    spans.append(Span(s.start("s"), s.end("s"), label, 0.9))
        for m in _FHIR_PATIENT_REF.finditer(text):
            spans.append(Span(m.start("id"), m.end("id"), "PATIENT_ID", 0.9))
        return spans
