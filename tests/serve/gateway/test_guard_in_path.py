"""Guardrails in the gateway's request path: blocked and escalated requests, output rails, /v1/guard/check.

One gateway serves the module (a policy that blocks My Numbers and escalates phone
numbers); each test puts the stub back to echoing afterwards. The stub records what
reached the upstream, so "nothing was sent" is checked, not assumed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway_harness import MODEL, RunningGateway, running_gateway

from jmedllm.deid.recognizers._checkdigits import is_valid_my_number
from jmedllm.guard.pipeline import GuardPipeline
from jmedllm.guard.policy import GuardPolicy
from jmedllm.serve.output_guard import OutputGuard
from jmedllm.serve.stub import DEFAULT_REPLY

#: A My Number with a correct check digit (REFERENCE §1).
MY_NUMBER = "123456789018"
PHONE = "090-1234-5678"
BLOCK_MESSAGE = "院内規程により、このご依頼にはお応えできません。"
ESCALATE_MESSAGE = "担当者が確認します。しばらくお待ちください。"
POLICY = f"""
input: [{{rail: pii}}]
output: [{{rail: pii}}]
category_actions:
  MY_NUMBER: block
  PHONE: escalate
messages:
  block: {BLOCK_MESSAGE}
  escalate: {ESCALATE_MESSAGE}
"""
WITH_MY_NUMBER = f"マイナンバーは{MY_NUMBER}、氏名は佐藤花子。保険証の確認をお願いします。"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    tmp_path = tmp_path_factory.mktemp("guarded")
    policy = tmp_path / "guard-policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    with running_gateway(tmp_path, guard={"policy": str(policy)}) as running:
        yield running


@pytest.fixture(autouse=True)
def _echoing_stub(gateway: RunningGateway) -> Iterator[None]:
    yield
    gateway.stub.config.echo = True
    gateway.stub.config.reply = DEFAULT_REPLY


def post(gateway: RunningGateway, path: str, body: dict[str, Any]) -> httpx.Response:
    with gateway.client() as client:
        response = client.post(path, headers=gateway.headers("physician"), json=body)
    assert response.status_code == 200, response.text
    return response


def chat(content: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": content}], "max_tokens": 64, **extra}


def sse_chunks(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON chunks of an SSE body, checking the framing and the closing [DONE]."""
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.endswith("\n\n")
    events = []
    for block in response.text.split("\n\n")[:-1]:
        assert block.startswith("data: "), block
        events.append(block.removeprefix("data: "))
    assert events[-1] == "[DONE]" and events.count("[DONE]") == 1
    return [json.loads(e) for e in events[:-1]]


def streamed_text(chunks: list[dict[str, Any]], kind: str = "chat") -> str:
    if kind == "chat":
        return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    return "".join(c["choices"][0]["text"] for c in chunks if c["choices"])


def last_audit(gateway: RunningGateway) -> dict[str, Any]:
    return list(gateway.store.iter_audit())[-1].to_record()


def test_the_planted_my_number_is_valid() -> None:
    assert is_valid_my_number(MY_NUMBER)


def test_an_input_with_a_my_number_is_blocked_before_the_upstream(gateway: RunningGateway) -> None:
    sent = len(gateway.stub.requests)
    reply = post(gateway, "/v1/chat/completions", chat(WITH_MY_NUMBER)).json()
    assert len(gateway.stub.requests) == sent
    assert reply["object"] == "chat.completion" and reply["model"] == MODEL
    choice = reply["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": BLOCK_MESSAGE, "tool_calls": []}
    assert choice["finish_reason"] == "stop"
    assert reply["usage"] == {"prompt_tokens": 0, "total_tokens": 0, "completion_tokens": 0}
    extension = reply["jmedllm"]
    assert extension["blocked"] is True
    decision = extension["guard"]["input"]
    assert decision["action"] == "block" and decision["categories"] == ["MY_NUMBER", "PERSON"]
    assert [(r["rail"], r["action"]) for r in decision["rails"]] == [("pii", "block")]
    assert "output" not in extension["guard"]
    assert MY_NUMBER not in json.dumps(reply)


def test_a_blocked_request_still_works_with_the_openai_client(gateway: RunningGateway) -> None:
    reply = gateway.openai().chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "薬剤師として答えて"},
            {"role": "user", "content": WITH_MY_NUMBER},
        ],
    )
    assert reply.choices[0].message.content == BLOCK_MESSAGE
    assert reply.model_extra["jmedllm"]["blocked"] is True


def test_a_blocked_streamed_request_is_framed_as_a_stream(gateway: RunningGateway) -> None:
    sent = len(gateway.stub.requests)
    body = chat(WITH_MY_NUMBER, stream=True, stream_options={"include_usage": True})
    chunks = sse_chunks(post(gateway, "/v1/chat/completions", body))
    assert len(gateway.stub.requests) == sent
    first, content, final, usage = chunks
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert content["choices"][0]["delta"] == {"content": BLOCK_MESSAGE}
    assert final["choices"][0]["finish_reason"] == "stop"
    assert final["jmedllm"]["blocked"] is True
    assert final["jmedllm"]["guard"]["input"]["categories"] == ["MY_NUMBER", "PERSON"]
    assert usage["choices"] == [] and usage["usage"]["total_tokens"] == 0
    assert len({c["id"] for c in chunks}) == 1 and {c["object"] for c in chunks} == {"chat.completion.chunk"}


def test_completions_are_blocked_too(gateway: RunningGateway) -> None:
    sent = len(gateway.stub.requests)
    prompt = {"model": MODEL, "prompt": f"個人番号 {MY_NUMBER} の患者の要約：", "max_tokens": 16}
    reply = post(gateway, "/v1/completions", prompt).json()
    assert reply["object"] == "text_completion"
    assert reply["choices"][0]["text"] == BLOCK_MESSAGE and reply["choices"][0]["finish_reason"] == "stop"
    assert reply["jmedllm"]["blocked"] is True
    assert reply["jmedllm"]["guard"]["input"]["categories"] == ["MY_NUMBER"]
    chunks = sse_chunks(post(gateway, "/v1/completions", {**prompt, "stream": True}))
    assert streamed_text(chunks, "completion") == BLOCK_MESSAGE
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["jmedllm"]["blocked"] is True
    assert {c["object"] for c in chunks} == {"text_completion"}
    assert len(gateway.stub.requests) == sent


def test_the_audit_event_of_a_blocked_request_holds_no_identifier(gateway: RunningGateway) -> None:
    post(gateway, "/v1/chat/completions", chat(WITH_MY_NUMBER))
    event = last_audit(gateway)
    assert event["action"] == "POST /v1/chat/completions" and event["outcome"] == "block"
    assert event["role"] == "physician" and event["resource"] == MODEL
    guard = event["details"]["guard"]
    assert guard["input"]["action"] == "block" and guard["input"]["categories"] == ["MY_NUMBER", "PERSON"]
    assert "backend" not in event["details"] and "tokens" not in event["details"]
    dumped = json.dumps(event, ensure_ascii=False)
    for identifier in (MY_NUMBER, "佐藤", "花子", BLOCK_MESSAGE):
        assert identifier not in dumped
    assert gateway.store.verify_audit().ok


def test_escalate_answers_like_block_with_the_escalate_message(gateway: RunningGateway) -> None:
    sent = len(gateway.stub.requests)
    reply = post(gateway, "/v1/chat/completions", chat(f"折り返しは{PHONE}へお願いします。")).json()
    assert reply["choices"][0]["message"]["content"] == ESCALATE_MESSAGE
    assert reply["jmedllm"]["blocked"] is True
    assert reply["jmedllm"]["guard"]["input"]["action"] == "escalate"
    assert reply["jmedllm"]["guard"]["input"]["categories"] == ["PHONE"]
    chunks = sse_chunks(post(gateway, "/v1/chat/completions", chat(f"電話{PHONE}", stream=True)))
    assert streamed_text(chunks) == ESCALATE_MESSAGE
    assert len(gateway.stub.requests) == sent
    assert last_audit(gateway)["outcome"] == "escalate"


def test_a_masked_input_goes_on_to_the_upstream(gateway: RunningGateway) -> None:
    # Identifiers the policy does not block are masked, and the request is served.
    reply = post(gateway, "/v1/chat/completions", chat("山田太郎様の検査値を要約してください。")).json()
    assert gateway.stub.requests[-1].body["messages"] == [
        {"role": "user", "content": "［氏名］様の検査値を要約してください。"}
    ]
    assert reply["choices"][0]["message"]["content"] == "［氏名］様の検査値を要約してください。"
    assert reply["jmedllm"]["blocked"] is False
    assert reply["jmedllm"]["guard"]["input"]["action"] == "mask"
    assert last_audit(gateway)["outcome"] == "ok"


def test_an_output_with_a_my_number_is_replaced_by_the_block_message(gateway: RunningGateway) -> None:
    gateway.stub.config.echo = False
    gateway.stub.config.reply = f"経過は良好です。マイナンバーは{MY_NUMBER}です。以上です。"
    sent = len(gateway.stub.requests)
    reply = post(gateway, "/v1/chat/completions", chat("経過を教えてください")).json()
    assert len(gateway.stub.requests) == sent + 1
    assert reply["choices"][0]["message"]["content"] == BLOCK_MESSAGE
    assert reply["choices"][0]["finish_reason"] == "stop"
    assert reply["usage"]["completion_tokens"] > 0  # the upstream did generate
    assert reply["jmedllm"]["blocked"] is True
    guard = reply["jmedllm"]["guard"]
    assert guard["input"]["action"] == "allow"
    assert guard["output"]["action"] == "block" and guard["output"]["categories"] == ["MY_NUMBER"]
    event = last_audit(gateway)
    assert event["outcome"] == "output_block"
    assert MY_NUMBER not in json.dumps(reply) + json.dumps(event)


def test_a_streamed_output_stops_at_the_offending_window(gateway: RunningGateway) -> None:
    gateway.stub.config.echo = False
    gateway.stub.config.reply = f"経過は良好です。マイナンバーは{MY_NUMBER}です。以上です。"
    body = chat("経過を教えてください", stream=True, stream_options={"include_usage": True})
    response = post(gateway, "/v1/chat/completions", body)
    chunks = sse_chunks(response)
    # The window before the number is released; the offending window and the rest are not.
    assert streamed_text(chunks) == "経過は良好です。" + BLOCK_MESSAGE
    assert MY_NUMBER not in response.text and "以上" not in response.text
    *_, final, usage = chunks
    assert final["choices"][0]["finish_reason"] == "stop"
    assert final["jmedllm"]["blocked"] is True
    output = final["jmedllm"]["guard"]["output"]
    assert output["action"] == "block" and output["categories"] == ["MY_NUMBER"]
    # The upstream reports usage only at its end, which a stopped stream never reaches.
    assert usage["choices"] == [] and set(usage["usage"]) == {
        "prompt_tokens",
        "total_tokens",
        "completion_tokens",
    }
    event = last_audit(gateway)
    assert event["outcome"] == "output_block" and event["details"]["stream"] is True
    assert event["details"]["guard"]["output"]["categories"] == ["MY_NUMBER"]


def test_an_escalated_output_is_recorded_as_such_streamed_or_not(gateway: RunningGateway) -> None:
    gateway.stub.config.echo = False
    gateway.stub.config.reply = f"連絡先は{PHONE}です。"
    reply = post(gateway, "/v1/chat/completions", chat("連絡先は？")).json()
    assert reply["choices"][0]["message"]["content"] == ESCALATE_MESSAGE
    assert last_audit(gateway)["outcome"] == "output_escalate"
    chunks = sse_chunks(post(gateway, "/v1/chat/completions", chat("連絡先は？", stream=True)))
    assert streamed_text(chunks) == ESCALATE_MESSAGE
    assert chunks[-1]["jmedllm"]["guard"]["output"]["action"] == "escalate"
    assert last_audit(gateway)["outcome"] == "output_escalate"


def test_guard_check_on_a_text(gateway: RunningGateway) -> None:
    sent = len(gateway.stub.requests)
    response = post(gateway, "/v1/guard/check", {"text": WITH_MY_NUMBER})
    result = response.json()
    assert result["object"] == "guard.decision" and result["policy"] == "guard-policy"
    assert result["stage"] == "input" and result["allowed"] is False
    assert result["message"] == BLOCK_MESSAGE
    assert result["decision"]["action"] == "block"
    assert result["decision"]["categories"] == ["MY_NUMBER", "PERSON"]
    # The reply carries the masked text, never the original, even when the text is blocked.
    assert result["text"] == "マイナンバーは［個人番号］、氏名は［氏名］。保険証の確認をお願いします。"
    assert len(gateway.stub.requests) == sent
    event = last_audit(gateway)
    assert event["action"] == "POST /v1/guard/check" and event["outcome"] == "block"
    assert event["details"]["guard"]["input"]["categories"] == ["MY_NUMBER", "PERSON"]
    assert event["request_hash"] and MY_NUMBER not in json.dumps(event)
    assert event["details"]["request_id"] == response.headers["x-request-id"]


def test_guard_check_on_messages_at_the_output_stage(gateway: RunningGateway) -> None:
    sent = len(gateway.stub.requests)
    messages = [
        {"role": "developer", "content": "要約してください"},
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "山田太郎様は"}, {"type": "text", "text": "退院済み。"}],
        },
    ]
    result = post(gateway, "/v1/guard/check", {"messages": messages, "stage": "output"}).json()
    assert result["stage"] == "output" and result["allowed"] is True and result["message"] is None
    assert result["decision"]["action"] == "mask" and result["decision"]["categories"] == ["PERSON"]
    assert result["messages"] == [
        {"role": "system", "content": "要約してください"},
        {"role": "assistant", "content": "［氏名］様は退院済み。"},
    ]
    assert "text" not in result
    assert len(gateway.stub.requests) == sent
    event = last_audit(gateway)
    assert event["outcome"] == "mask" and list(event["details"]["guard"]) == ["output"]


def test_policy_off_passes_identifiers_through_and_records_no_guard(tmp_path: Path) -> None:
    # Benchmarks only: with no rails, the upstream sees exactly what the caller sent.
    with running_gateway(tmp_path, guard={"policy": "off"}) as gateway:
        reply = post(gateway, "/v1/chat/completions", chat(WITH_MY_NUMBER)).json()
        assert gateway.stub.requests[-1].body["messages"] == [{"role": "user", "content": WITH_MY_NUMBER}]
        assert reply["choices"][0]["message"]["content"] == WITH_MY_NUMBER
        assert reply["jmedllm"] == {
            "request_id": reply["jmedllm"]["request_id"],
            "guard": {},
            "blocked": False,
        }
        event = last_audit(gateway)
        assert event["outcome"] == "ok" and "guard" not in event["details"]
        chunks = sse_chunks(post(gateway, "/v1/chat/completions", chat(f"電話{PHONE}", stream=True)))
        assert streamed_text(chunks) == f"電話{PHONE}"
        assert chunks[-1]["jmedllm"]["guard"] == {}
        assert "guard" not in last_audit(gateway)["details"]


def test_a_window_closed_by_size_does_not_split_an_identifier(gateway: RunningGateway) -> None:
    # No sentence end for 160 characters: the window closes by size, right inside the number.
    # Split there, neither half is a My Number and the digits would stream out unchecked.
    gateway.stub.config.echo = False
    filler = "あ" * 150 + "、番号は"
    assert len(filler) < GuardPolicy().output_window_chars < len(filler) + len(MY_NUMBER)
    gateway.stub.config.reply = f"{filler}{MY_NUMBER}です" + "い" * 20 + "。"
    response = post(gateway, "/v1/chat/completions", chat("番号は？", stream=True))
    chunks = sse_chunks(response)
    assert streamed_text(chunks) == filler + BLOCK_MESSAGE
    assert chunks[-1]["jmedllm"]["guard"]["output"]["categories"] == ["MY_NUMBER"]
    assert MY_NUMBER[:6] not in response.text and MY_NUMBER[6:] not in response.text


def test_a_name_across_the_size_boundary_is_masked_whole() -> None:
    guard = OutputGuard(GuardPipeline.from_reference("default"))
    text = "あ" * 153 + "、担当は山田太郎です" + "い" * 20 + "。"  # 山田太郎 spans characters 157–161

    released: list[str] = []
    for start in range(0, len(text), 4):
        released += guard.feed(text[start : start + 4])
    assert "".join(released) + guard.flush() == "あ" * 153 + "、担当は［氏名］です" + "い" * 20 + "。"
    assert guard.decision().categories == ("PERSON",)
