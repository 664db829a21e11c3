"""Identity and access: every route refuses missing, wrong, revoked and expired keys; roles per route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai
import pytest
from gateway_harness import CLERK_MODEL, MODEL, RunningGateway

from jmedllm.core.settings import ROLES

CHAT = {"model": MODEL, "messages": [{"role": "user", "content": "血圧の目標値は？"}], "max_tokens": 8}
CLERK_CHAT = {**CHAT, "model": CLERK_MODEL}

# (method, path, JSON body) for every route that needs a key.
ROUTES: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "models": ("GET", "/v1/models", None),
    "chat": ("POST", "/v1/chat/completions", CHAT),
    "chat_clerk_model": ("POST", "/v1/chat/completions", CLERK_CHAT),
    "completions": ("POST", "/v1/completions", {"model": MODEL, "prompt": "所見：", "max_tokens": 8}),
    "guard_check": ("POST", "/v1/guard/check", {"text": "患者は山田太郎さん"}),
    "admin_users": ("GET", "/v1/admin/users", None),
    "admin_keys": ("GET", "/v1/admin/keys", None),
    "audit_verify": ("GET", "/v1/audit/verify", None),
    "audit_events": ("GET", "/v1/audit/events", None),
    "metrics": ("GET", "/metrics", None),
}

# Which role may call which route (everything else must be 403).
ALLOWED: dict[str, set[str]] = {
    "models": set(ROLES),
    "chat": {"admin", "physician", "nurse", "pharmacist"},
    "chat_clerk_model": {"admin", "physician", "nurse", "pharmacist", "clerk"},
    "completions": {"admin", "physician", "nurse", "pharmacist"},
    "guard_check": {"admin", "physician", "nurse", "pharmacist", "clerk"},
    "admin_users": {"admin"},
    "admin_keys": {"admin"},
    "audit_verify": {"admin", "auditor"},
    "audit_events": {"admin", "auditor"},
    "metrics": {"admin", "auditor"},
}


def _call(gateway: RunningGateway, route: str, headers: dict[str, str]) -> int:
    method, path, body = ROUTES[route]
    with gateway.client() as client:
        return client.request(method, path, headers=headers, json=body).status_code


def test_every_route_is_in_the_role_table() -> None:
    assert set(ROUTES) == set(ALLOWED)


def test_role_matrix(gateway: RunningGateway) -> None:
    """Each role against each route: 2xx where allowed, 403 elsewhere."""
    failures = []
    for route in ROUTES:
        for role in ROLES:
            status = _call(gateway, route, gateway.headers(role))
            expected_ok = role in ALLOWED[route]
            if expected_ok != (200 <= status < 300) or (not expected_ok and status != 403):
                failures.append(f"{role} on {route}: {status}")
    assert not failures, failures


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_route_needs_a_key(gateway: RunningGateway, route: str) -> None:
    assert _call(gateway, route, {}) == 401
    assert _call(gateway, route, {"Authorization": "Bearer jmk_00000000_" + "x" * 40}) == 401
    assert _call(gateway, route, {"Authorization": "Basic dXNlcjpwdw=="}) == 401


def test_revoked_and_expired_keys_are_rejected(gateway: RunningGateway, make_key: Callable[..., str]) -> None:
    key = make_key("physician")
    headers = {"Authorization": f"Bearer {key}"}
    assert _call(gateway, "chat", headers) == 200
    gateway.store.revoke_key(key.split("_")[1])
    with gateway.client() as client:
        response = client.post("/v1/chat/completions", headers=headers, json=CHAT)
    assert response.status_code == 401 and "revoked" in response.json()["error"]["message"]
    assert key not in response.text
    expired = make_key("physician", expired=True)
    with gateway.client() as client:
        response = client.post(
            "/v1/chat/completions", headers={"Authorization": f"Bearer {expired}"}, json=CHAT
        )
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]


def test_disabled_user_is_rejected(gateway: RunningGateway) -> None:
    gateway.store.set_user_disabled("nurse-user", True)
    assert _call(gateway, "chat", gateway.headers("nurse")) == 401


def test_openai_client_sees_401_and_403(gateway: RunningGateway) -> None:
    from openai import OpenAI

    bad = OpenAI(base_url=gateway.base_url, api_key="jmk_00000000_" + "y" * 40, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
    with pytest.raises(openai.PermissionDeniedError):
        gateway.openai("auditor").chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "x"}]
        )


def test_admin_manages_its_own_organisation_over_http(gateway: RunningGateway) -> None:
    headers = gateway.headers("admin")
    with gateway.client() as client:
        created = client.post("/v1/admin/users", headers=headers, json={"name": "new-nurse", "role": "nurse"})
        assert created.status_code == 201 and created.json()["organisation"] == "test-hospital"
        bad_role = client.post("/v1/admin/users", headers=headers, json={"name": "x", "role": "surgeon"})
        assert bad_role.status_code == 400
        duplicate = client.post(
            "/v1/admin/users", headers=headers, json={"name": "new-nurse", "role": "nurse"}
        )
        assert duplicate.status_code == 409
        key = client.post(
            "/v1/admin/keys", headers=headers, json={"user": "new-nurse", "expires_in_days": 30}
        )
        assert key.status_code == 201
        plaintext, prefix = key.json()["key"], key.json()["prefix"]
        assert client.get("/v1/models", headers={"Authorization": f"Bearer {plaintext}"}).status_code == 200
        listed = client.get("/v1/admin/keys", headers=headers).json()["data"]
        assert prefix in {k["prefix"] for k in listed} and plaintext not in str(listed)
        assert client.delete(f"/v1/admin/keys/{prefix}", headers=headers).status_code == 200
        assert client.get("/v1/models", headers={"Authorization": f"Bearer {plaintext}"}).status_code == 401
    # Another organisation's users are out of reach.
    gateway.store.create_org("other-clinic")
    gateway.store.create_user("outsider", org="other-clinic", role="physician")
    with gateway.client() as client:
        response = client.post("/v1/admin/keys", headers=headers, json={"user": "outsider"})
    assert response.status_code == 404
