"""A bounded, property-based fuzz of the API from its own OpenAPI schema (schemathesis).

Every operation gets generated requests — valid and schema-violating — with an admin key;
the gateway must never answer with an internal error (500) and must keep serving.
Upstream errors (502/503) are allowed: the stub upstream refuses some generated values.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest
from gateway_harness import MODEL, running_gateway
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

schemathesis = pytest.importorskip("schemathesis")


def test_generated_requests_never_cause_an_internal_error(tmp_path: Path) -> None:
    with running_gateway(tmp_path) as gateway:
        schema = schemathesis.openapi.from_dict(gateway_openapi(gateway.root))
        headers = gateway.headers("admin")
        failures: list[str] = []
        statuses: Counter[int] = Counter()
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 10

        def fuzz(strategy: st.SearchStrategy[object]) -> None:
            @settings(
                max_examples=15,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(data=st.data())
            def check(data: st.DataObject) -> None:
                case = data.draw(strategy)  # type: ignore[arg-type]
                response = case.call(base_url=gateway.root, headers=headers, timeout=30)
                statuses[response.status_code] += 1
                if response.status_code == 500:
                    failures.append(f"{case.method} {case.formatted_path}: 500 for body {case.body!r:.200}")

            check()

        for operation in operations:
            fuzz(operation.as_strategy())
        assert not failures, failures[:5]
        # The fuzz reached the handlers: valid requests served, invalid ones refused cleanly.
        assert sum(statuses.values()) >= 100 and statuses[200] > 0 and statuses[400] > 0, statuses
        # Still serving normally after the barrage.
        reply = gateway.openai().chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "ok"}], max_tokens=4
        )
        assert reply.choices[0].message.content


def gateway_openapi(root: str) -> dict[str, object]:
    response = httpx.get(f"{root}/openapi.json", timeout=10)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]
