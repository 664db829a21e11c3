"""Identifier fields of HL7 v2 messages, FHIR JSON and DICOM header dumps pasted into text.

Interface exports reach notes and tickets as they are: ``PID|1||7004219^^^HOSP^MR||YAMADA^
TARO||19520227|F|||高知市春野町西分2270-4^^^^781-0303``, or a FHIR ``Patient`` with
``"family": "山田", "postalCode": "781-0303"``. The values carry no words around them — a
name is ``YAMADA`` between two carets — so the prose rules miss them; their *position* is
the context. The field positions read here are the standard ones:

* HL7 v2 (HL7 2.x, Chapters 2–4): MSH-4/6 sending and receiving facility, MSH-10 message
  control id; PID-2/3 patient identifiers (first component), PID-5/6/9 names (family, given, middle), PID-11 address
  (street, other, city, state, postal code), PID-13/14 phones, PID-18/19 account numbers;
  NK1-2 name, NK1-4 address, NK1-5 phone; PV1-3 location (point of care, room, bed),
  PV1-7/8/9/17 doctors (id, family, given), PV1-19 visit number; ORC-2/3 and OBR-2/3 placer
  and filler order numbers; the staff of EVN-5, ORC-10/11/12, OBR-10/16 and OBX-16 (id,
  family, given); IN1-3/4 the insurer's number and name, IN1-16 the insured, IN1-36 and
  IN1-49 the policy and the insured's numbers.
* FHIR R4 JSON: ``family``/``given``/``prefix``-free ``HumanName`` parts, ``Address``
  parts (``line``, ``city``, ``district``, ``postalCode``), ``birthDate``, a
  ``reference`` to ``Patient/<id>``, the ``id`` of a Patient, Encounter, Coverage or
  request, and ``identifier`` values (insurance systems split at their colons).

* DICOM (PS3.6 data dictionary) header dumps, as ``dcmdump`` prints them (``(0010,0010) PN
  [YAMADA^TARO=山田^太郎=やまだ^たろう]``) or pydicom (``(0010, 0010) Patient's Name PN:
  'YAMADA^TARO'``): the patient's and physicians' names (each alphabetic, ideographic and
  phonetic group its own span), IDs, accession and study numbers, dates, addresses, the
  institution and the patient's phone, by tag.

* レセプト電算 (UKE) claim records, one comma-separated record per line: IR (the
  institution: code, name, claim month, phone), RE (the patient: name, birth date,
  admission date, chart number, name in katakana), HO (insurer's number, 記号, 番号) and KO
  (public-expense payer and recipient numbers), at the positions of the record layout
  (記録条件仕様); and DPC survey files (EF, FF1, D …), whose records start with the
  institution's code and the patient's data identification number.

Only these positions are labelled; codes, units and results in other fields are clinical
content. Dates inside the messages are left to :mod:`~jmedllm.deid.recognizers.dates`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from jmedllm.core.records import Span
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext

__all__ = ["DicomRecognizer", "FhirJsonRecognizer", "Hl7v2Recognizer", "ReceiptRecognizer"]

# (segment, field number) → label of its components: component index → label, or _WHOLE for
# one span over the filled components (a location 5W^512^02 is one place, not three).
_WHOLE = 0
_XCN = {1: "OTHER_ID", 2: "PERSON", 3: "PERSON"}
_HL7_FIELDS: dict[tuple[str, int], dict[int, str]] = {
    ("MSH", 4): {1: "FACILITY"},
    ("MSH", 6): {1: "FACILITY"},
    ("MSH", 10): {1: "OTHER_ID"},
    ("PID", 2): {1: "PATIENT_ID"},
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
    ("PV1", 3): {_WHOLE: "FACILITY"},
    ("PV1", 7): {1: "OTHER_ID", 2: "PERSON", 3: "PERSON"},
    ("PV1", 8): {1: "OTHER_ID", 2: "PERSON", 3: "PERSON"},
    ("PV1", 9): {1: "OTHER_ID", 2: "PERSON", 3: "PERSON"},
    ("PV1", 17): {1: "OTHER_ID", 2: "PERSON", 3: "PERSON"},
    ("PV1", 19): {1: "PATIENT_ID"},
    ("ORC", 2): {1: "OTHER_ID"},
    ("ORC", 3): {1: "OTHER_ID"},
    ("OBR", 2): {1: "OTHER_ID"},
    ("OBR", 3): {1: "OTHER_ID"},
    # Staff who entered, verified, ordered, collected or observed (XCN: id^family^given).
    ("EVN", 5): _XCN,
    ("ORC", 10): _XCN,
    ("ORC", 11): _XCN,
    ("ORC", 12): _XCN,
    ("OBR", 10): _XCN,
    ("OBR", 16): _XCN,
    ("OBX", 16): _XCN,
    ("GT1", 3): {1: "PERSON", 2: "PERSON"},
    # IN1-3 the insurer's number (保険者番号), IN1-4 its name, IN1-16 the insured's name,
    # IN1-36 the policy number (記号・番号), IN1-49 the insured's id.
    ("IN1", 3): {1: "INSURANCE_ID"},
    ("IN1", 4): {1: "FACILITY"},
    ("IN1", 16): {1: "PERSON", 2: "PERSON"},
    ("IN1", 36): {1: "INSURANCE_ID", 2: "INSURANCE_ID", 3: "INSURANCE_ID"},
    ("IN1", 49): {1: "INSURANCE_ID"},
}
_HL7_SEGMENT = re.compile(r"^(MSH|EVN|PID|NK1|PV1|GT1|IN1|ORC|OBR|OBX)\|", re.MULTILINE)

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
# A resource's own id (a Patient's is its record number; an Encounter's or a request's
# identifies a visit or an order) and the values of its identifiers, labelled by system.
_FHIR_RESOURCE_ID = re.compile(
    r'"resourceType"\s*:\s*"(?P<type>[A-Za-z]+)"\s*,\s*"id"\s*:\s*"(?P<id>[^"\n]+)"'
)
_FHIR_ID_TYPES = {"Patient": "PATIENT_ID", "Encounter": "OTHER_ID", "EpisodeOfCare": "OTHER_ID",
                  "ServiceRequest": "OTHER_ID", "DiagnosticReport": "OTHER_ID", "Coverage": "INSURANCE_ID"}  # fmt: skip
_FHIR_IDENTIFIER = re.compile(r'"system"\s*:\s*"(?P<sys>[^"\n]*)"\s*,\s*"value"\s*:\s*"(?P<v>[^"\n]+)"')
_INSURANCE_SYSTEM = re.compile("insur|hoken|coverage", re.IGNORECASE)


@RECOGNIZERS.register("structure.hl7v2")
class Hl7v2Recognizer(Recognizer):
    """Names, identifiers, addresses, phones and locations at their standard positions in
    HL7 v2 segments (MSH, EVN, PID, NK1, PV1, GT1, IN1, ORC, OBR, OBX)."""

    labels: ClassVar[tuple[str, ...]] = (
        "PERSON",
        "PATIENT_ID",
        "ADDRESS",
        "POSTAL_CODE",
        "PHONE",
        "FACILITY",
        "OTHER_ID",
        "INSURANCE_ID",
    )
    priority: ClassVar[int] = 80

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        if "|" not in text:
            return []
        spans: list[Span] = []
        for seg in _HL7_SEGMENT.finditer(text):
            name = seg.group(1)
            # The segment's name is the line's first field; MSH-1 is the field separator
            # itself, so MSH's fields are numbered one higher than the others'.
            shift = 0 if name == "MSH" else 1
            for number, start, end in _fields(text, seg.start(), "|"):
                wanted = _HL7_FIELDS.get((name, number - shift))
                if wanted:
                    spans += _components(text, start, end, wanted)
        return spans


def _fields(text: str, start: int, separator: str) -> Iterator[tuple[int, int, int]]:
    """``(number, start, end)`` of each field of the delimited line that begins at
    ``start``, numbered from 1 (an HL7 segment's or a UKE record's name is field 1)."""
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    number, pos = 0, start
    while True:
        end = text.find(separator, pos, line_end)
        end = line_end if end < 0 else end
        number += 1
        yield number, pos, end
        if end >= line_end:
            return
        pos = end + 1


def _components(text: str, start: int, end: int, wanted: dict[int, str]) -> list[Span]:
    """Spans of the wanted components of every repetition (``~``) of one field."""
    out: list[Span] = []
    rep_start = start
    while rep_start <= end:
        rep_end = text.find("~", rep_start, end)
        rep_end = end if rep_end < 0 else rep_end
        whole = wanted.get(_WHOLE)
        if whole is not None:
            filled = text[rep_start:rep_end].rstrip("^")
            if filled:
                out.append(Span(rep_start, rep_start + len(filled), whole, 0.9))
            rep_start = rep_end + 1
            continue
        comp_start, index = rep_start, 1
        while comp_start <= rep_end:
            comp_end = text.find("^", comp_start, rep_end)
            comp_end = rep_end if comp_end < 0 else comp_end
            label = wanted.get(index)
            if label and comp_end > comp_start:
                last = out[-1] if out else None
                if last is not None and label == "PERSON" == last.label and last.end == comp_start - 1:
                    # YAMADA^TARO: the parts of one name are one span, caret included
                    out[-1] = Span(last.start, comp_end, label, 0.9)
                else:
                    out.append(Span(comp_start, comp_end, label, 0.9))
            comp_start, index = comp_end + 1, index + 1
        rep_start = rep_end + 1
    return out


@RECOGNIZERS.register("structure.fhir_json")
class FhirJsonRecognizer(Recognizer):
    """HumanName and Address parts, birth dates and Patient references in FHIR JSON."""

    labels: ClassVar[tuple[str, ...]] = (
        "PERSON",
        "ADDRESS",
        "POSTAL_CODE",
        "DATE",
        "PATIENT_ID",
        "INSURANCE_ID",
        "OTHER_ID",
    )
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
        for m in _FHIR_RESOURCE_ID.finditer(text):
            label = _FHIR_ID_TYPES.get(m.group("type"))
            if label is not None:
                spans.append(Span(m.start("id"), m.end("id"), label, 0.85))
        for m in _FHIR_IDENTIFIER.finditer(text):
            if _INSURANCE_SYSTEM.search(m.group("sys")):
                # 06270110:阿蘇3:10442:01 — 保険者番号, 記号, 番号 and 枝番 joined by colons
                pos = m.start("v")
                for part in m.group("v").split(":"):
                    if part:
                        spans.append(Span(pos, pos + len(part), "INSURANCE_ID", 0.85))
                    pos += len(part) + 1
            else:
                spans.append(Span(m.start("v"), m.end("v"), "PATIENT_ID", 0.85))
        return spans


# DICOM tags (group, element) holding an identifier, by PS3.6 keyword.
_DICOM_TAGS: dict[str, str] = {
    # names (PN): patient, other names, mother's birth name, physicians, operators, persons
    "0010,0010": "PERSON",
    "0010,1001": "PERSON",
    "0010,1060": "PERSON",
    "0008,0090": "PERSON",
    "0008,009C": "PERSON",
    "0008,1048": "PERSON",
    "0008,1050": "PERSON",
    "0008,1060": "PERSON",
    "0008,1070": "PERSON",
    "0032,1032": "PERSON",
    "0040,0006": "PERSON",
    "0040,2008": "PERSON",
    "0040,A123": "PERSON",
    "0010,2297": "PERSON",
    # the patient's identifiers, accession, study and admission numbers
    "0010,0020": "PATIENT_ID",
    "0010,1000": "PATIENT_ID",
    "0008,0050": "PATIENT_ID",
    "0020,0010": "PATIENT_ID",
    "0038,0010": "PATIENT_ID",
    # order and procedure numbers
    "0040,1001": "OTHER_ID",
    "0040,2016": "OTHER_ID",
    "0040,2017": "OTHER_ID",
    "0040,0009": "OTHER_ID",
    # dates: birth, instance, study, series, acquisition, content, admission, procedure steps
    "0010,0030": "DATE",
    "0008,0012": "DATE",
    "0008,0020": "DATE",
    "0008,0021": "DATE",
    "0008,0022": "DATE",
    "0008,0023": "DATE",
    "0008,002A": "DATE",
    "0038,0020": "DATE",
    "0040,0002": "DATE",
    "0040,0244": "DATE",
    # addresses, the institution, the patient's phone
    "0010,1040": "ADDRESS",
    "0008,0081": "ADDRESS",
    "0008,0080": "FACILITY",
    "0010,2154": "PHONE",
}
# (gggg,eeee) then, within the line, the value: dcmdump's [..] or pydicom's 'value'.
_DICOM_ELEMENT = re.compile(
    r"\((?P<g>[0-9A-Fa-f]{4}), ?(?P<e>[0-9A-Fa-f]{4})\)[^\n\[]{0,80}?"
    r"(?:\[(?P<bracket>[^\]\n]*)\]|\b[A-Z]{2}: '(?P<quoted>[^'\n]*)')"
)


@RECOGNIZERS.register("structure.dicom")
class DicomRecognizer(Recognizer):
    """Names, IDs, dates, addresses and institutions by tag in DICOM header dumps."""

    labels: ClassVar[tuple[str, ...]] = (
        "PERSON",
        "PATIENT_ID",
        "OTHER_ID",
        "DATE",
        "ADDRESS",
        "FACILITY",
        "PHONE",
    )
    priority: ClassVar[int] = 80

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        if "(0008," not in text and "(0010," not in text and "(0008, " not in text:
            return []  # no dump holds neither group 0008 nor 0010
        spans: list[Span] = []
        for m in _DICOM_ELEMENT.finditer(text):
            label = _DICOM_TAGS.get(f"{m.group('g')},{m.group('e')}".upper())
            if label is None:
                continue
            group = "bracket" if m.group("bracket") is not None else "quoted"
            start, end = m.start(group), m.end(group)
            # A PN holds up to three groups (alphabetic=ideographic=phonetic), a multi-valued
            # element several values (\\): each is its own span.
            separators = "=\\" if label == "PERSON" else "\\"
            pos = start
            for part in re.split(f"[{re.escape(separators)}]", text[start:end]):
                lead = len(part) - len(part.lstrip())
                value = part.strip().rstrip("^")
                if value:
                    spans.append(Span(pos + lead, pos + lead + len(value), label, 0.9))
                pos += len(part) + 1
        return spans


# UKE records: (record type, field number) → label. Field 1 is the record type itself.
_UKE_FIELDS: dict[tuple[str, int], str] = {
    ("IR", 5): "OTHER_ID",  # 医療機関コード
    ("IR", 7): "FACILITY",  # 医療機関名称
    ("IR", 8): "DATE",  # 請求年月
    ("IR", 10): "PHONE",
    ("RE", 4): "DATE",  # 診療年月
    ("RE", 5): "PERSON",  # 氏名
    ("RE", 7): "DATE",  # 生年月日
    ("RE", 9): "DATE",  # 入院年月日
    ("RE", 14): "PATIENT_ID",  # カルテ番号等
    ("RE", 36): "PERSON",  # カタカナ（氏名）
    ("HO", 2): "INSURANCE_ID",  # 保険者番号
    ("HO", 3): "INSURANCE_ID",  # 被保険者証（手帳）等の記号
    ("HO", 4): "INSURANCE_ID",  # 被保険者証（手帳）等の番号
    ("KO", 2): "INSURANCE_ID",  # 公費負担者番号
    ("KO", 3): "INSURANCE_ID",  # 公費負担医療の受給者番号
}
_UKE_RECORD = re.compile(r"^(IR|RE|HO|KO),", re.MULTILINE)
# DPC survey files (様式1, EF, D, H, FF1 …) start every record with the institution's code
# (9 digits), the patient's data identification number (10) and the discharge and admission
# dates (8 each, 00000000 while still admitted), tab- or comma-separated.
_DPC_RECORD = re.compile(
    r"^(?P<inst>[0-9]{9})(?P<sep>[\t,])(?P<pid>[0-9]{10})(?P=sep)(?:[0-9]{8})(?P=sep)(?:[0-9]{8})(?P=sep)",
    re.MULTILINE,
)
# A name in katakana in any field of an RE record (exports place it differently).
_KATAKANA_NAME_FIELD = re.compile(r"[ァ-ヺー]+ [ァ-ヺー]+")


@RECOGNIZERS.register("structure.receipt")
class ReceiptRecognizer(Recognizer):
    """The patient's, insurer's and institution's fields of UKE (レセプト電算) claim records,
    and the institution code and patient number heading DPC survey records."""

    labels: ClassVar[tuple[str, ...]] = (
        "PERSON",
        "PATIENT_ID",
        "INSURANCE_ID",
        "OTHER_ID",
        "DATE",
        "FACILITY",
        "PHONE",
    )
    priority: ClassVar[int] = 80

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        spans: list[Span] = [
            span
            for m in _DPC_RECORD.finditer(text)
            for span in (
                Span(m.start("inst"), m.end("inst"), "OTHER_ID", 0.85),
                Span(m.start("pid"), m.end("pid"), "PATIENT_ID", 0.85),
            )
        ]
        if "RE," not in text and "HO," not in text and "IR," not in text and "KO," not in text:
            return spans
        for m in _UKE_RECORD.finditer(text):
            record = m.group(1)
            for number, pos, end in _fields(text, m.start(), ","):
                value = text[pos:end].strip().strip('"')
                label = _UKE_FIELDS.get((record, number))
                if label is None and record == "RE" and number > 5 and _KATAKANA_NAME_FIELD.fullmatch(value):
                    label = "PERSON"
                if label is not None and value:
                    start = text.index(value, pos)
                    spans.append(Span(start, start + len(value), label, 0.85))
        return spans
