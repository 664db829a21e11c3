"""Shared records: validation, TRL formats, guard combination and the audit hash chain."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from jmedllm.core.records import (
    GENESIS_HASH,
    AuditEvent,
    ChatExample,
    Document,
    GuardAction,
    GuardDecision,
    Message,
    PreferencePair,
    Provenance,
    RailResult,
    Span,
    verify_audit_chain,
)


def test_span_validation_and_text() -> None:
    text = "主治医は山田先生"
    span = Span(4, 6, "PERSON", 0.9, "deid.recognizer.name")
    assert span.text_of(text) == "山田"
    assert len(span) == 2
    assert span.overlaps(Span(5, 8, "PERSON")) and not span.overlaps(Span(6, 8, "PERSON"))
    for bad in [(-1, 2), (3, 2)]:
        with pytest.raises(ValueError, match="offsets"):
            Span(*bad, "PERSON")
    with pytest.raises(ValueError, match="score"):
        Span(0, 1, "PERSON", 1.5)
    with pytest.raises(ValueError, match="beyond"):
        Span(0, 99, "PERSON").text_of(text)


def test_document_checks_its_spans() -> None:
    doc = Document(
        "d1", "患者 山田", Provenance("ehr", "a.txt", encoding="cp932"), phi_spans=[Span(3, 5, "PERSON")]
    )
    assert doc.provenance and doc.provenance.encoding == "cp932"
    with pytest.raises(ValueError, match="beyond"):
        Document("d2", "短い", phi_spans=[Span(0, 10, "PERSON")])
    with pytest.raises(ValueError, match="id"):
        Document("", "text")


def test_chat_example_to_trl() -> None:
    example = ChatExample([{"role": "user", "content": "頭痛"}, Message("assistant", "受診を")])
    assert example.to_trl() == {
        "messages": [{"role": "user", "content": "頭痛"}, {"role": "assistant", "content": "受診を"}]
    }
    with pytest.raises(ValueError, match="end with an assistant"):
        ChatExample([Message("user", "頭痛")])
    with pytest.raises(ValueError, match="role"):
        Message("doctor", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="missing the field 'content'"):
        ChatExample([{"role": "assistant"}])


def test_preference_pair_to_trl() -> None:
    pair = PreferencePair(
        prompt=[Message("user", "退院サマリーを書いて")],
        chosen=[Message("assistant", "編集後")],
        rejected=[Message("assistant", "下書き")],
    )
    data = pair.to_trl()
    assert data["chosen"] == [{"role": "assistant", "content": "編集後"}]
    assert data["prompt"][0]["role"] == "user"
    with pytest.raises(ValueError, match="identical"):
        PreferencePair([Message("user", "q")], [Message("assistant", "a")], [Message("assistant", "a")])
    with pytest.raises(ValueError, match="assistant"):
        PreferencePair([Message("user", "q")], [Message("user", "a")], [Message("assistant", "b")])


def test_guard_decision_strictest_wins() -> None:
    results = [
        RailResult("pii", GuardAction.MASK, ("PERSON",), 0.8, 1.0, transformed_text="[PERSON]さん"),
        RailResult("harm", GuardAction.ALLOW, (), 0.1, 2.0),
    ]
    decision = GuardDecision.strictest(results)
    assert decision.action is GuardAction.MASK and decision.allowed
    assert decision.transformed_text == "[PERSON]さん"
    assert decision.latency_ms == 3.0
    blocked = GuardDecision.strictest(
        [*results, RailResult("harm2", GuardAction.BLOCK, ("self_harm",), 0.97, message="相談窓口")]
    )
    assert blocked.action is GuardAction.BLOCK and not blocked.allowed
    assert blocked.categories == ("PERSON", "self_harm")
    assert blocked.message == "相談窓口" and blocked.score == 0.97
    assert len(blocked.rails) == 3
    assert GuardDecision.strictest([]).action is GuardAction.ALLOW
    assert [a.severity for a in GuardAction] == [0, 1, 2, 3]


def _chain(n: int) -> list[AuditEvent]:
    events, prev = [], GENESIS_HASH
    for i in range(n):
        event = AuditEvent(
            actor=f"user{i}",
            role="physician",
            action="chat.completions",
            resource="smollm2-135m-instruct",
            time=datetime(2026, 11, 28, 9, i, tzinfo=UTC),
            request_hash=AuditEvent.hash_body(f"body {i}"),
            patient_pseudonym="p-7f3a",
        ).sealed(prev)
        events.append(event)
        prev = event.hash
    return events


def test_audit_chain_detects_edits_deletions_and_reordering() -> None:
    events = _chain(4)
    assert verify_audit_chain(events) is None
    edited = [*events]
    edited[2] = replace(events[2], outcome="denied")
    assert verify_audit_chain(edited) == 2
    assert verify_audit_chain([events[0], events[2], events[3]]) == 1
    assert verify_audit_chain([events[1], events[0]]) == 0
    # Re-sealing an edited event does not help: the next link breaks instead.
    resealed = [*events]
    resealed[1] = replace(events[1], actor="someone-else").sealed(events[0].hash)
    assert verify_audit_chain(resealed) == 2


def test_audit_events_store_digests_not_bodies() -> None:
    body = '{"messages":[{"role":"user","content":"山田太郎 090-1234-5678"}]}'
    event = AuditEvent("u", "nurse", "chat", "m", request_hash=AuditEvent.hash_body(body)).sealed(
        GENESIS_HASH
    )
    serialized = str(event.payload())
    assert "山田" not in serialized and "090" not in serialized
    assert len(event.hash) == 64
    with pytest.raises(ValueError, match="timezone"):
        AuditEvent("u", "nurse", "chat", "m", time=datetime(2026, 1, 1))
