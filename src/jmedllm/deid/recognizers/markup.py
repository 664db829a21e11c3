"""Identifier values in XML and JSON exports, named by their element, attribute or key.

Hospital systems export documents as XML — HL7 CDA R2 above all, the format of the
Japanese standards for referral letters and discharge summaries (HL7 Japan / JAHIS
診療情報提供書, 退院時サマリー) — and log events and API payloads as JSON. In both the value
carries no words around it: ``<family>青木</family>``, ``<birthTime value="19990712"/>``,
``"card_no":"00018842"``. What it is, is said by its element or key, so this recognizer
reads those:

* **CDA R2** (its own vocabulary, namespace prefixes ignored): the parts of a name
  (``family``, ``given``) and of an address (``streetAddressLine``, ``city``,
  ``postalCode`` …); ``telecom`` values (``tel:``, ``fax:``, ``mailto:``); the ``value`` of
  time elements (``birthTime``, ``effectiveTime``, ``time``, ``low``, ``high``);
  ``assigningAuthorityName``; and two elements whose meaning depends on where they stand —
  a ``<name>`` is a person's inside ``assignedPerson``, ``legalAuthenticator`` …, a
  facility's inside ``representedOrganization``, ``healthCareFacility`` …; an ``<id
  extension="…">`` is a patient's record or visit number inside ``patientRole`` or
  ``encompassingEncounter``, another identifier elsewhere.
* **Any XML element or attribute, any JSON key** whose name is an identifier column's
  (:func:`~jmedllm.deid.recognizers.tables.column_label`: ``<PatientName>``,
  ``<患者氏名>``, ``"card_no"``, ``"tel"``, ``"kana"``) — except a bare ``id``, which in
  XML and JSON names every kind of record, not a patient.

Codes, display names and results (``code="18842-5" displayName="退院時サマリー"``) are
clinical content and are not labelled. FHIR's own keys are read by
:mod:`~jmedllm.deid.recognizers.exports`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import ClassVar

from jmedllm.core.records import Span
from jmedllm.deid.base import RECOGNIZERS, Recognizer, TextContext
from jmedllm.deid.recognizers.tables import column_label

__all__ = ["MarkupRecognizer"]

# CDA R2 elements holding a name or an address part as text.
_CDA_ELEMENTS = {
    "family": "PERSON",
    "given": "PERSON",
    "postalCode": "POSTAL_CODE",
    "city": "ADDRESS",
    "county": "ADDRESS",
    "precinct": "ADDRESS",
    "streetAddressLine": "ADDRESS",
    "streetName": "ADDRESS",
    "houseNumber": "ADDRESS",
    "additionalLocator": "ADDRESS",
    "unitID": "ADDRESS",
    "censusTract": "ADDRESS",
}
# Elements whose value="…" attribute is a point in time (a CDA TS: 20240426, 202404261320+0900).
_TIME_ELEMENTS = frozenset({"birthTime", "effectiveTime", "time", "low", "high", "center", "deceasedTime"})
# Where a <name> is a person's and where a facility's; and where an <id> identifies the patient.
_PERSON_CONTEXT = frozenset(
    {
        "patient",
        "guardianPerson",
        "relatedPerson",
        "relatedSubject",
        "assignedPerson",
        "assignedAuthor",
        "associatedPerson",
        "legalAuthenticator",
        "authenticator",
        "informant",
        "dataEnterer",
        "assignedEntity",
        "associatedEntity",
        "intendedRecipient",
        "informationRecipient",
        "subject",
    }
)
_ORG_CONTEXT = frozenset(
    {
        "representedOrganization",
        "serviceProviderOrganization",
        "providerOrganization",
        "scopingOrganization",
        "representedCustodianOrganization",
        "wholeOrganization",
        "receivedOrganization",
        "healthCareFacility",
        "location",
        "custodian",
    }
)
_PATIENT_ID_CONTEXT = frozenset({"patientRole", "patient", "encompassingEncounter", "recordTarget"})
_CONTEXTS = _PERSON_CONTEXT | _ORG_CONTEXT | _PATIENT_ID_CONTEXT | {"ClinicalDocument", "author"}

# <tag attrs>value</tag> with text only inside; the tag's namespace prefix is dropped.
_ELEMENT = re.compile(
    r"<(?:[A-Za-z_][\w.-]*:)?(?P<tag>[^\W\d][\w.-]*)(?P<attrs>[^<>]*)>(?P<value>[^<>]+)</(?:[A-Za-z_][\w.-]*:)?(?P=tag)>"
)
# An opening or empty tag with its attributes (for value=, extension=, …).
_OPEN_TAG = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?(?P<tag>[^\W\d][\w.-]*)(?P<attrs>\s[^<>]*?)/?>")
_ATTRIBUTE = re.compile(r"(?P<key>[^\W\d][\w.:-]*)\s*=\s*\"(?P<value>[^\"<>\n]*)\"")
# Opening and closing tags of the context elements, in document order.
_CONTEXT_TAG = re.compile(
    r"<(?P<close>/?)(?:[A-Za-z_][\w.-]*:)?(?P<tag>"
    + "|".join(sorted(_CONTEXTS, key=len, reverse=True))
    + r")\b[^<>]*?(?P<empty>/?)>"
)
# "key": "value" or "key": 12345 in JSON (keys up to 40 characters, values on one line).
_JSON_PAIR = re.compile(r'"(?P<key>[^"\n]{1,40})"\s*:\s*(?:"(?P<value>[^"\n]*)"|(?P<number>\d[\d-]*)\b)')
_TELECOM = re.compile(r"(?P<scheme>tel|fax|mailto):(?P<rest>.+)", re.IGNORECASE)


def _generic_label(name: str) -> str | None:
    """The identifier label a non-CDA element, attribute or JSON key names, if any."""
    if name.lower() in ("id", "@id"):
        return None
    return column_label(name)


@RECOGNIZERS.register("structure.markup")
class MarkupRecognizer(Recognizer):
    """Values of identifier elements, attributes and keys in XML (HL7 CDA R2 included) and
    JSON exports."""

    labels: ClassVar[tuple[str, ...]] = (
        "PERSON",
        "FACILITY",
        "ADDRESS",
        "POSTAL_CODE",
        "PHONE",
        "EMAIL",
        "DATE",
        "PATIENT_ID",
        "OTHER_ID",
        "INSURANCE_ID",
        "MY_NUMBER",
    )
    priority: ClassVar[int] = 80

    def analyze(self, context: TextContext) -> list[Span]:
        text = context.text
        spans: list[Span] = []
        if "</" in text or "/>" in text:
            spans += self._xml(text)
        if '":' in text or '" :' in text:
            spans += self._json(text)
        return spans

    # -- XML ---------------------------------------------------------------------------
    def _xml(self, text: str) -> list[Span]:
        spans: list[Span] = []
        contexts = _Contexts(text)
        for m in _ELEMENT.finditer(text):
            tag = m.group("tag")
            start, end = _stripped(text, m.start("value"), m.end("value"))
            if start >= end:
                continue
            label = _CDA_ELEMENTS.get(tag)
            if label is None and tag == "name" and contexts.cda:
                # in CDA a <name> is also a drug's or a device's: only where it stands says
                where = contexts.at(m.start())
                label = (
                    "PERSON" if where in _PERSON_CONTEXT else "FACILITY" if where in _ORG_CONTEXT else None
                )
            elif label is None:
                label = _generic_label(tag)
            if label is not None:
                spans.append(Span(start, end, label, 0.85))
        for m in _OPEN_TAG.finditer(text):
            tag = m.group("tag")
            for a in _ATTRIBUTE.finditer(text, m.start("attrs"), m.end("attrs")):
                key, start, end = a.group("key"), a.start("value"), a.end("value")
                if start == end:
                    continue
                span = self._attribute(tag, key, text, start, end, contexts, m.start())
                if span is not None:
                    spans.append(span)
        return spans

    @staticmethod
    def _attribute(
        tag: str, key: str, text: str, start: int, end: int, contexts: _Contexts, at: int
    ) -> Span | None:
        if key == "value" and tag in _TIME_ELEMENTS:
            return Span(start, end, "DATE", 0.85)
        if key == "value" and tag == "telecom":
            m = _TELECOM.match(text, start, end)
            if m is None:
                return None
            label = "EMAIL" if m.group("scheme").lower() == "mailto" else "PHONE"
            return Span(m.start("rest"), end, label, 0.85)
        if key == "extension" and tag == "id":
            where = contexts.at(at)
            return Span(start, end, "PATIENT_ID" if where in _PATIENT_ID_CONTEXT else "OTHER_ID", 0.8)
        if key == "assigningAuthorityName":
            return Span(start, end, "FACILITY", 0.8)
        label = _generic_label(key)
        return Span(start, end, label, 0.8) if label is not None else None

    # -- JSON --------------------------------------------------------------------------
    @staticmethod
    def _json(text: str) -> list[Span]:
        spans: list[Span] = []
        for m in _JSON_PAIR.finditer(text):
            label = _generic_label(m.group("key"))
            if label is None:
                continue
            group = "value" if m.group("value") is not None else "number"
            start, end = _stripped(text, m.start(group), m.end(group))
            if start < end:
                spans.append(Span(start, end, label, 0.8))
        return spans


class _Contexts:
    """The innermost open context element (patientRole, assignedPerson, …) at any offset."""

    def __init__(self, text: str) -> None:
        # Offsets of the context tags' ends and the innermost open context after each.
        self._ends: list[int] = []
        self._inside: list[str | None] = []
        #: Whether the text holds a CDA document (its root element or its namespace).
        self.cda = "<ClinicalDocument" in text or "urn:hl7-org:v3" in text
        stack: list[str] = []
        for m in _CONTEXT_TAG.finditer(text):
            tag = m.group("tag")
            if m.group("close"):
                if tag in stack:
                    del stack[len(stack) - 1 - stack[::-1].index(tag) :]
            elif not m.group("empty"):
                stack.append(tag)
            self._ends.append(m.end())
            self._inside.append(stack[-1] if stack else None)

    def at(self, pos: int) -> str | None:
        i = bisect_right(self._ends, pos) - 1
        return self._inside[i] if i >= 0 else None


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
