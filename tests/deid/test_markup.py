"""XML (HL7 CDA R2 and any element) and JSON key/value exports (recognizers/markup.py)."""

from __future__ import annotations

import pytest

from jmedllm.deid.base import RECOGNIZERS, TextContext
from jmedllm.deid.recognizers.markup import MarkupRecognizer

CDA = """<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <id root="1.2.392.200119.6.102" extension="SUM-2025-0310"/>
  <code code="18842-5" displayName="退院時サマリー"/>
  <effectiveTime value="20250310"/>
  <recordTarget><patientRole>
    <id extension="77-40122" root="1.2.392.100495.20.3.51.11234567"/>
    <addr><postalCode>862-0950</postalCode><state>熊本県</state>
      <city>熊本市中央区水前寺五丁目</city><streetAddressLine>3番12号 ハイツ水前寺 201</streetAddressLine></addr>
    <telecom value="tel:096-300-1122"/><telecom value="mailto:kaede.s@example.jp"/>
    <patient>
      <name use="IDE"><family>瀬戸</family><given>楓</given></name>
      <birthTime value="19710422"/>
    </patient>
  </patientRole></recordTarget>
  <author><time value="202503101530+0900"/><assignedAuthor><id extension="D-0831"/>
    <assignedPerson><name>宇城 晴真</name></assignedPerson>
    <representedOrganization><name>水前寺みどり病院</name></representedOrganization>
  </assignedAuthor></author>
  <componentOf><encompassingEncounter><id extension="ADM-25-0091"/>
    <effectiveTime><low value="20250301"/><high value="20250310"/></effectiveTime>
    <location><healthCareFacility><name>東病棟5階</name></healthCareFacility></location>
  </encompassingEncounter></componentOf>
  <component><section><title>退院時処方</title><text>アムロジピン 5mg 1T</text>
    <entry><substanceAdministration><consumable><manufacturedProduct><manufacturedMaterial>
      <name>アムロジピンOD錠5mg</name></manufacturedMaterial></manufacturedProduct></consumable>
    </substanceAdministration></entry></section></component>
</ClinicalDocument>"""


def labelled(text: str) -> list[tuple[str, str]]:
    return [(s.label, text[s.start : s.end]) for s in MarkupRecognizer().analyze(TextContext(text))]


def test_registered_by_default() -> None:
    names = {p.name for p in RECOGNIZERS.plugins() if p.obj.default_enabled}
    assert "structure.markup" in names


def test_cda_document() -> None:
    got = labelled(CDA)
    for item in [
        ("OTHER_ID", "SUM-2025-0310"),  # the document's own id
        ("DATE", "20250310"),
        ("PATIENT_ID", "77-40122"),  # an id inside patientRole
        ("POSTAL_CODE", "862-0950"),
        ("ADDRESS", "熊本市中央区水前寺五丁目"),
        ("ADDRESS", "3番12号 ハイツ水前寺 201"),
        ("PHONE", "096-300-1122"),  # without its tel: scheme
        ("EMAIL", "kaede.s@example.jp"),
        ("PERSON", "瀬戸"),
        ("PERSON", "楓"),
        ("DATE", "19710422"),
        ("DATE", "202503101530+0900"),
        ("OTHER_ID", "D-0831"),  # the author's id
        ("PERSON", "宇城 晴真"),  # a <name> inside assignedPerson …
        ("FACILITY", "水前寺みどり病院"),  # … and inside representedOrganization
        ("PATIENT_ID", "ADM-25-0091"),  # the encounter's id is the visit number
        ("DATE", "20250301"),
        ("FACILITY", "東病棟5階"),
    ]:
        assert item in got, item
    values = {value for _label, value in got}
    # Codes, display names, OIDs, the prefecture alone, a drug's <name> and clinical text
    # are not labelled.
    assert not values & {
        "18842-5",
        "退院時サマリー",
        "1.2.392.200119.6.102",
        "熊本県",
        "アムロジピン 5mg 1T",
        "退院時処方",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"card_no":"00018842","name":"栃尾 陽葵","kana":"トチオ ヒマリ"}',
            {("PATIENT_ID", "00018842"), ("PERSON", "栃尾 陽葵"), ("PERSON", "トチオ ヒマリ")},
        ),
        (
            '{"reservation_id": "rsv_8F2KQ7", "tel": "090-1111-2222", "birth": "2021-01-27"}',
            {("OTHER_ID", "rsv_8F2KQ7"), ("PHONE", "090-1111-2222"), ("DATE", "2021-01-27")},
        ),
        (
            '{"patient": {"chartNo": 3301877, "zip": "060-0042"}}',
            {("PATIENT_ID", "3301877"), ("POSTAL_CODE", "060-0042")},
        ),
        (
            "<Patient><PatientName>笠原 未来</PatientName><患者ID>A-00931</患者ID></Patient>",
            {("PERSON", "笠原 未来"), ("PATIENT_ID", "A-00931")},
        ),
        ('<Visit patientName="多良間 清" roomNo="412"/>', {("PERSON", "多良間 清"), ("FACILITY", "412")}),
    ],
)
def test_keys_that_name_an_identifier(text: str, expected: set[tuple[str, str]]) -> None:
    assert set(labelled(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        '{"id": "evt-0042", "event": "reservation.created", "dept": "小児科", "sex": "F"}',  # a bare id names any record
        '<Observation id="obs-1"><code>2160-0</code><value>1.2</value></Observation>',
        "<section><title>経過</title><text>発熱なし</text></section>",
        '{"answers": {"主訴": "おとといから熱", "内服": "なし"}}',
    ],
)
def test_other_keys_stay(text: str) -> None:
    assert labelled(text) == []
