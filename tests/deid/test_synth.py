"""The synthetic corpus: exact offsets, coverage of every label, determinism, check digits."""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from collections import Counter
from typing import Any

import pytest

from jmedllm.deid.labels import LABELS
from jmedllm.deid.synth import EPONYMS, KINDS, generate_corpus, insurer_check_digit, my_number_check_digit

N = 300


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, Any]]:
    return list(generate_corpus(N, seed=0))


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", _nfkc(text))


def test_record_shape(corpus: list[dict[str, Any]]) -> None:
    assert len(corpus) == N
    assert len({d["id"] for d in corpus}) == N
    for doc in corpus:
        assert set(doc) == {"id", "kind", "text", "spans", "protected"}
        assert doc["kind"] in KINDS
        json.dumps(doc, ensure_ascii=False)  # JSON-able as is


def test_offsets_are_exact_and_spans_are_clean(corpus: list[dict[str, Any]]) -> None:
    for doc in corpus:
        text, spans = doc["text"], doc["spans"]
        assert spans == sorted(spans, key=lambda s: s["start"])
        for prev, cur in itertools.pairwise(spans):
            assert prev["end"] <= cur["start"], doc["id"]
        for span in spans:
            value = text[span["start"] : span["end"]]
            assert 0 <= span["start"] < span["end"] <= len(text)
            assert span["label"] in LABELS
            # An offset off by one would drag in a space, bracket, colon or honorific.
            assert value == value.strip(), (doc["id"], value)
            opening = "（「：:、。" if span["label"] == "PHONE" else "（(「：:、。"  # (03)1234-5678
            assert value[0] not in opening and value[-1] not in "）)」：:、。", (doc["id"], value)
            if span["label"] == "PERSON":
                assert not value.endswith(("様", "さん", "先生", "氏", "殿", "くん", "ちゃん")), value


def test_values_have_the_shape_of_their_label(corpus: list[dict[str, Any]]) -> None:
    for doc in corpus:
        for span in doc["spans"]:
            value = doc["text"][span["start"] : span["end"]]
            label, digits = span["label"], _digits(value)
            if label == "PHONE":
                assert len(digits) in (10, 11, 12), value  # +81 numbers drop the 0 and add 81
            elif label == "POSTAL_CODE":
                assert len(digits) == 7, value
            elif label == "EMAIL":
                assert re.fullmatch(r"[\w.+-]+@[\w.-]+\.[a-z]+", value), value
            elif label == "URL":
                assert value.startswith(("http://", "https://")), value
            elif label == "AGE":
                assert int(re.match(r"\d+", _nfkc(value)).group()) >= 90, value
            elif label == "MY_NUMBER":
                assert len(digits) == 12 and my_number_check_digit(digits[:11]) == int(digits[11]), value


def test_every_label_and_kind_appears(corpus: list[dict[str, Any]]) -> None:
    labels = Counter(s["label"] for d in corpus for s in d["spans"])
    assert set(labels) == set(LABELS)
    assert all(labels[label] >= 10 for label in LABELS), labels
    kinds = Counter(d["kind"] for d in corpus)
    assert len(kinds) >= 8 and min(kinds.values()) >= N // len(KINDS) - 1


def test_young_ages_are_not_annotated(corpus: list[dict[str, Any]]) -> None:
    # Ages under 90 appear as plain text (a quasi-identifier only from 90 on).
    young = 0
    for doc in corpus:
        covered = {i for s in doc["spans"] for i in range(s["start"], s["end"])}
        for m in re.finditer(r"(\d+)(歳|才)", _nfkc(doc["text"])):
            if int(m.group(1)) < 90:
                young += 1
                assert m.start() not in covered, (doc["id"], m.group())
    assert young > 20


def test_protected_terms_are_present_and_never_overlap_spans(corpus: list[dict[str, Any]]) -> None:
    with_terms = 0
    seen: set[str] = set()
    for doc in corpus:
        text = doc["text"]
        gold = [(s["start"], s["end"]) for s in doc["spans"]]
        with_terms += bool(doc["protected"])
        for term in doc["protected"]:
            assert text[term["start"] : term["end"]] == term["term"]
            assert _nfkc(term["term"]) in {_nfkc(e) for e in EPONYMS}
            seen.add(_nfkc(term["term"]))
            for start, end in gold:
                assert term["end"] <= start or end <= term["start"], (doc["id"], term)
    assert with_terms >= 0.5 * N
    assert {"橋本病", "川崎病", "パーキンソン病", "長谷川式認知症スケール"} <= seen


def test_insurance_numbers_carry_valid_check_digits(corpus: list[dict[str, Any]]) -> None:
    checked = 0
    for doc in corpus:
        for span in doc["spans"]:
            value = _nfkc(doc["text"][span["start"] : span["end"]])
            if span["label"] == "INSURANCE_ID" and re.fullmatch(r"\d{6}|\d{8}", value):
                assert insurer_check_digit(value[:-1]) == int(value[-1]), value
                checked += 1
    assert checked >= 10


def test_check_digit_algorithms_match_published_examples() -> None:
    assert my_number_check_digit("12345678901") == 8  # 123456789018, the usual valid example
    assert insurer_check_digit("0113001") == 2  # 01130012, 協会けんぽ 東京支部
    # The digits of each product are summed: 5·2 = 10 adds 1 (not 10), so the check is 9.
    assert insurer_check_digit("0000005") == 9
    assert insurer_check_digit("0000050") == 5  # 5·1 = 5
    assert insurer_check_digit("00005") == 9  # 6-digit 国保 numbers: 5 digits before the check
    with pytest.raises(ValueError):
        my_number_check_digit("1234")


def test_surface_variation_is_present(corpus: list[dict[str, Any]]) -> None:
    text = "\n".join(d["text"] for d in corpus)
    for needle in ("０", "～", "－", "㍻", "㋿", "+81", "・", "髙", "﨑", "〒", "10³/μL", "〜"):
        assert needle in text, needle
    assert re.search(r"[\uff66-\uff9f]", text), "no half-width katakana"
    assert re.search(r"\d+ー\d+ー\d+", text), "no ー used as a dash"
    assert re.search(r"[A-Z][a-z]+ [A-Z]{2,}|[A-Z]{2,} [A-Z][a-z]+", text), "no romaji names"


def test_determinism() -> None:
    first = list(generate_corpus(25, seed=7))
    assert first == list(generate_corpus(25, seed=7))
    assert first[:10] == list(generate_corpus(10, seed=7))  # prefix-stable
    assert [d["text"] for d in first] != [d["text"] for d in generate_corpus(25, seed=8)]


def test_edge_counts() -> None:
    assert list(generate_corpus(0)) == []
    with pytest.raises(ValueError):
        list(generate_corpus(-1))
