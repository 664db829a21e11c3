"""HL7 v2 and FHIR JSON fields (recognizers/exports.py): labelled by position, nothing else."""

from __future__ import annotations

from jmedllm.deid.base import RECOGNIZERS, TextContext
from jmedllm.deid.recognizers.exports import (
    DicomRecognizer,
    FhirJsonRecognizer,
    Hl7v2Recognizer,
    ReceiptRecognizer,
)

MESSAGE = (
    "MSH|^~\\&|LAB|MINATO_GH|EMR|MINATO_GH|20250102083000||ORU^R01|M0001|P|2.5\n"
    "PID|1||5520017^^^MGH^MR||TAKEUCHI^SORA^^^^^L~竹内^空||19600412|M|||港区芝5-1-1^^^^105-0014||03-5555-0101\n"
    "NK1|1|TAKEUCHI^MIKI|SPO^配偶者|港区芝5-1-1|090-5555-0102\n"
    "PV1|1|I|7E^712^01|||||20431^HOSHINO^REN\n"
    "ORC|RE|ORD-88121|L250102-0042\n"
    "OBX|1|NM|WBC||6.1|10*3/uL|3.3-8.6|N\n"
)


def labelled(recognizer: object, text: str) -> list[tuple[str, str]]:
    return [(s.label, text[s.start : s.end]) for s in recognizer.analyze(TextContext(text))]  # type: ignore[attr-defined]


def test_hl7_fields_by_position() -> None:
    got = labelled(Hl7v2Recognizer(), MESSAGE)
    for item in [
        ("FACILITY", "MINATO_GH"),
        ("PATIENT_ID", "5520017"),
        ("PERSON", "TAKEUCHI^SORA"),  # the parts of one name are one span
        ("PERSON", "竹内^空"),
        ("ADDRESS", "港区芝5-1-1"),
        ("POSTAL_CODE", "105-0014"),
        ("PHONE", "03-5555-0101"),
        ("PERSON", "TAKEUCHI^MIKI"),
        ("PHONE", "090-5555-0102"),
        ("FACILITY", "7E^712^01"),  # a location is one place
        ("OTHER_ID", "20431"),  # the doctor's id
        ("PERSON", "HOSHINO^REN"),
        ("OTHER_ID", "M0001"),  # the message control id
        ("OTHER_ID", "ORD-88121"),  # placer and filler order numbers
        ("OTHER_ID", "L250102-0042"),
    ]:
        assert item in got, (item, got)
    surfaces = {s for _, s in got}
    # codes, units and results in other fields are clinical content
    assert not surfaces & {"MGH", "MR", "SPO", "配偶者", "WBC", "6.1", "ORU", "R01", "L", "RE"}


def test_hl7_needs_a_segment_at_a_line_start() -> None:
    assert labelled(Hl7v2Recognizer(), "比率は 3|4|5 で、PID は別記") == []


def test_fhir_name_address_and_patient_reference() -> None:
    text = (
        '{"resourceType": "Patient", "name": [{"family": "草野", "given": ["凪", "なぎ"]}],'
        ' "address": [{"line": ["阿蘇市内牧1-2"], "city": "阿蘇市", "postalCode": "869-2301"}],'
        ' "birthDate": "1980-03-01", "gender": "female"}\n'
        '{"subject": {"reference": "Patient/pt-0042"}, "code": {"text": "2型糖尿病"}}'
    )
    got = labelled(FhirJsonRecognizer(), text)
    assert got == [
        ("PERSON", "草野"),
        ("PERSON", "凪"),
        ("PERSON", "なぎ"),
        ("ADDRESS", "阿蘇市内牧1-2"),
        ("ADDRESS", "阿蘇市"),
        ("POSTAL_CODE", "869-2301"),
        ("DATE", "1980-03-01"),
        ("PATIENT_ID", "pt-0042"),
    ]


def test_registered_by_default() -> None:
    names = {p.name for p in RECOGNIZERS.plugins() if p.obj.default_enabled}
    assert {"structure.hl7v2", "structure.fhir_json", "structure.dicom", "structure.receipt"} <= names


def test_fhir_resource_ids_and_identifiers() -> None:
    text = (
        '{"resourceType": "Patient", "id": "pt-77-kuma",\n'
        ' "identifier": [{"system": "urn:oid:1.2.392.100495.20.3.51", "value": "00123456"},\n'
        '  {"system": "http://jpfhir.jp/fhir/core/IdSystem/insurance-individual-number",'
        ' "value": "06130012:熊本2:4471:00"}]}\n'
        '{"resourceType": "Encounter", "id": "enc-2025-7", "status": "finished"}\n'
        '{"resourceType": "Observation", "id": "obs-1", "valueQuantity": {"value": 6.1}}'
    )
    got = labelled(FhirJsonRecognizer(), text)
    for item in [
        ("PATIENT_ID", "pt-77-kuma"),
        ("PATIENT_ID", "00123456"),
        ("INSURANCE_ID", "06130012"),
        ("INSURANCE_ID", "熊本2"),
        ("INSURANCE_ID", "4471"),
        ("OTHER_ID", "enc-2025-7"),
    ]:
        assert item in got, (item, got)
    assert "obs-1" not in {s for _, s in got}  # an observation's id identifies no one


def test_hl7_staff_and_insurance_fields() -> None:
    text = (
        "EVN|A01|20250301090000|||E7710^HAMANAKA^AOI\n"
        "ORC|NW|O-5512|F-0091||||||20250301||N0042^SAKAGUCHI^MIO|D3301^TERAUCHI^GO\n"
        "OBR|1|O-5512|F-0091|CBC^血算|||20250301|||||||||D3301^TERAUCHI^GO\n"
        "OBX|1|NM|WBC||6.1|10*3/uL|3.3-8.6|N|||F|||||L0007^MIKAMI^SEI\n"
        "IN1|1|06^組合管掌健康保険^JHSD|06139826|玄海電機健康保険組合||||||||||||ODA^KEN|SEL"
        "|||||||||||||||||||12-3^4567^01\n"
    )
    got = labelled(Hl7v2Recognizer(), text)
    for item in [
        ("OTHER_ID", "E7710"),  # EVN-5: who entered the event
        ("PERSON", "HAMANAKA^AOI"),
        ("PERSON", "SAKAGUCHI^MIO"),  # ORC-11 verified by
        ("PERSON", "TERAUCHI^GO"),  # ORC-12 and OBR-16 ordering provider
        ("PERSON", "MIKAMI^SEI"),  # OBX-16 responsible observer
        ("INSURANCE_ID", "06139826"),  # IN1-3 保険者番号
        ("FACILITY", "玄海電機健康保険組合"),  # IN1-4
        ("PERSON", "ODA^KEN"),  # IN1-16 the insured
        ("INSURANCE_ID", "12-3"),  # IN1-36 記号^番号^枝番
        ("INSURANCE_ID", "4567"),
        ("INSURANCE_ID", "01"),
    ]:
        assert item in got, item
    # Codes and results stay: the test, its value, the relationship code.
    assert not any(value in ("CBC", "6.1", "SEL", "WBC") for _label, value in got)


DICOM_DUMP = """# Dicom-Data-Set
(0008,0020) DA [20250113]                               #   8, 1 StudyDate
(0008,0050) SH [ACC2501130042]                          #  14, 1 AccessionNumber
(0008,0060) CS [MR]                                     #   2, 1 Modality
(0008,0080) LO [Tsurugi General Hospital]               #  24, 1 InstitutionName
(0008,1030) LO [Brain MRI]                              #  10, 1 StudyDescription
(0010,0010) PN [KAGAMI^NAO=鏡^奈央=かがみ^なお]           #  38, 1 PatientName
(0010,0020) LO [0771203]                                #   8, 1 PatientID
(0008,1048) PN [OSHIMA^KEN\\\\TOGO^RIN]                   #  20, 2 PhysiciansOfRecord
(0010, 0030) Patient's Birth Date                DA: '19580702'
(0010, 1040) Patient's Address                   LO: 'Tsurugi-machi 3-12, Hakusan-shi'
"""


def test_dicom_header_by_tag() -> None:
    got = labelled(DicomRecognizer(), DICOM_DUMP)
    for item in [
        ("DATE", "20250113"),
        ("PATIENT_ID", "ACC2501130042"),  # the accession number
        ("FACILITY", "Tsurugi General Hospital"),
        ("PERSON", "KAGAMI^NAO"),  # alphabetic, ideographic and phonetic groups apart
        ("PERSON", "鏡^奈央"),
        ("PERSON", "かがみ^なお"),
        ("PATIENT_ID", "0771203"),
        ("PERSON", "OSHIMA^KEN"),  # a multi-valued element: each value its own span
        ("PERSON", "TOGO^RIN"),
        ("DATE", "19580702"),  # pydicom's layout too
        ("ADDRESS", "Tsurugi-machi 3-12, Hakusan-shi"),
    ]:
        assert item in got, item
    # The modality and the study description are clinical content.
    assert not any(value in ("MR", "Brain MRI") for _label, value in got)


def test_uke_claim_records_by_position() -> None:
    text = (
        "IR,2,13,1,1310999,,医療法人 青葉会 あおば内科,202501,00,03-3999-1100\n"
        "RE,1,1112,202501,宇佐美　ハツ,2,3100521,90,,,,,,0012345,,,,,,,,,,,,,,,,,,,,,,ｳｻﾐ ﾊﾂ\n"
        "HO,06139818,ｱｵﾊﾞ2,10422,2,520,,,\n"
        "KO,54137015,0912345,,2,520,,,\n"
        "SY,8830052,5070110,,,高血圧症,,\n"
    )
    got = labelled(ReceiptRecognizer(), text)
    for item in [
        ("OTHER_ID", "1310999"),  # IR-5 医療機関コード
        ("FACILITY", "医療法人 青葉会 あおば内科"),  # IR-7
        ("PHONE", "03-3999-1100"),
        ("PERSON", "宇佐美　ハツ"),  # RE-5
        ("DATE", "3100521"),  # RE-7 生年月日 (era digit, year, month, day)
        ("PATIENT_ID", "0012345"),  # RE-14 カルテ番号
        ("PERSON", "ｳｻﾐ ﾊﾂ"),  # RE-36 カタカナ氏名
        ("INSURANCE_ID", "06139818"),  # HO-2/3/4 保険者番号, 記号, 番号
        ("INSURANCE_ID", "ｱｵﾊﾞ2"),
        ("INSURANCE_ID", "10422"),
        ("INSURANCE_ID", "54137015"),  # KO-2/3 公費負担者番号, 受給者番号
        ("INSURANCE_ID", "0912345"),
    ]:
        assert item in got, item
    # Counts, points and the diagnosis record are clinical content.
    assert not any(value in ("520", "1112", "高血圧症", "8830052") for _label, value in got)


def test_dpc_records_start_with_institution_and_patient() -> None:
    text = "130012345\t0000912345\t20250131\t20250110\tA000010\t0\t12\n130012345,0000912345,00000000,20250110,M0\n"
    got = labelled(ReceiptRecognizer(), text)
    assert got.count(("OTHER_ID", "130012345")) == 2  # 施設コード
    assert got.count(("PATIENT_ID", "0000912345")) == 2  # データ識別番号
    # a record not shaped like one (too few digits) is left to the other recognizers
    assert labelled(ReceiptRecognizer(), "12345\t0000912345\t20250131\t20250110\n") == []
