"""The ``patient`` policy in the gateway: a diagnosis-like reply ends with the disclaimer.

Streamed, the disclaimer is judged once on the whole reply and arrives as the last content
chunk before the finish; not streamed, it ends the message. The stub cuts the reply into
4-character pieces, so the streamed reply passes through several windows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from gateway_harness import MODEL, RunningGateway, running_gateway

from jmedllm.guard.rails.referral import DEFAULT_DISCLAIMER

REPLY = (
    "喉の痛みと微熱があるとのことなので、おそらく風邪でしょう。"
    "熱があるうちは安静にして、水分をこまめにとってください。"
    "のどが乾燥しないよう、加湿も心がけましょう。"
)
REFERRED = REPLY + "3日以上続くときは、内科を受診してください。"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    with running_gateway(tmp_path_factory.mktemp("patient"), guard={"policy": "patient"}) as running:
        running.stub.config.echo = False
        yield running


def post(gateway: RunningGateway, body: dict[str, Any]) -> httpx.Response:
    with gateway.client() as client:
        response = client.post("/v1/chat/completions", headers=gateway.headers("physician"), json=body)
    assert response.status_code == 200, response.text
    return response


def chat(**extra: Any) -> dict[str, Any]:
    content = "喉が痛くて微熱があります。どうしたらいいですか。"
    return {"model": MODEL, "messages": [{"role": "user", "content": content}], "max_tokens": 256, **extra}


def sse(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON chunks of an SSE chat body, checking that it ends with a finish and [DONE]."""
    events = [b.removeprefix("data: ") for b in response.text.split("\n\n") if b]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    return chunks


def contents(chunks: list[dict[str, Any]]) -> list[str]:
    """The content deltas, in order (empty ones left out)."""
    return [
        c["choices"][0]["delta"]["content"]
        for c in chunks
        if c["choices"] and c["choices"][0]["delta"].get("content")
    ]


def test_a_non_streamed_reply_ends_with_the_disclaimer(gateway: RunningGateway) -> None:
    gateway.stub.config.reply = REPLY
    reply = post(gateway, chat()).json()
    assert reply["choices"][0]["message"]["content"] == REPLY + "\n\n" + DEFAULT_DISCLAIMER
    output = reply["jmedllm"]["guard"]["output"]
    assert output["action"] == "mask" and output["categories"] == ["referral"]


def test_a_streamed_reply_gets_the_disclaimer_once_as_its_last_content(gateway: RunningGateway) -> None:
    gateway.stub.config.reply = REPLY
    chunks = sse(post(gateway, chat(stream=True)))
    pieces = contents(chunks)
    assert len(pieces) >= 3 and "".join(pieces) == REPLY + "\n\n" + DEFAULT_DISCLAIMER
    assert pieces[-1].endswith(DEFAULT_DISCLAIMER)
    assert not any(DEFAULT_DISCLAIMER in p for p in pieces[:-1])
    final = chunks[-1]["jmedllm"]
    assert [r["rail"] for r in final["guard"]["output"]["rails"]].count("referral") == 1
    assert final["guard"]["output"]["categories"] == ["referral"] and final["blocked"] is False


def test_a_streamed_reply_that_refers_the_patient_is_left_alone(gateway: RunningGateway) -> None:
    gateway.stub.config.reply = REFERRED
    assert "".join(contents(sse(post(gateway, chat(stream=True))))) == REFERRED
