"""The demo's gateway set-up: an organisation, an admin and a physician with fresh keys, and examples.

Re-running the demo is safe: the organisation and users are reused and the previous demo
keys are revoked before new ones are made, so old keys never pile up.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

from jmedllm.serve.db.store import NotFoundError, Store
from jmedllm.serve.operator import audit_operator_action

__all__ = ["DEMO_ORG", "DemoKeys", "bootstrap_demo", "curl_example", "python_example"]

DEMO_ORG = "demo-hospital"
DEMO_USERS = (("demo-admin", "admin"), ("demo-physician", "physician"))
DEMO_LABEL = "jmedllm demo"
DEMO_QUESTION = "What is the first-line treatment for anaphylaxis? Answer in one sentence."


@dataclass(frozen=True, slots=True)
class DemoKeys:
    admin: str
    physician: str


def bootstrap_demo(store: Store) -> DemoKeys:
    """Create (or reuse) the demo organisation and users; issue new keys, revoking older demo keys."""
    if not any(org.name == DEMO_ORG for org in store.list_orgs()):
        store.create_org(DEMO_ORG)
        audit_operator_action(store, "admin.org.create", DEMO_ORG, organisation=DEMO_ORG)
    keys: dict[str, str] = {}
    for name, role in DEMO_USERS:
        try:
            store.get_user(name)
        except NotFoundError:
            store.create_user(name, org=DEMO_ORG, role=role)
            audit_operator_action(store, "admin.user.create", name, organisation=DEMO_ORG, target_role=role)
        for key in store.list_keys(user=name):
            if key.label == DEMO_LABEL and key.revoked_at is None:
                store.revoke_key(key.prefix)
                audit_operator_action(
                    store, "admin.key.revoke", key.prefix, organisation=DEMO_ORG, target_user=name
                )
        info, plaintext = store.create_key(name, label=DEMO_LABEL)
        audit_operator_action(store, "admin.key.create", info.prefix, organisation=DEMO_ORG, target_user=name)
        keys[role] = plaintext
    return DemoKeys(admin=keys["admin"], physician=keys["physician"])


def curl_example(base_url: str, key: str, model: str, *, max_tokens: int = 64) -> str:
    body = json.dumps(
        {"model": model, "messages": [{"role": "user", "content": DEMO_QUESTION}], "max_tokens": max_tokens},
        ensure_ascii=False,
    )
    return (
        f"curl -s {base_url}/chat/completions \\\n"
        f"  -H {shlex.quote('Authorization: Bearer ' + key)} \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        f"  -d {shlex.quote(body)}"
    )


def python_example(base_url: str, key: str, model: str, *, max_tokens: int = 64) -> str:
    return (
        "from openai import OpenAI\n"
        f'client = OpenAI(base_url="{base_url}", api_key="{key}")\n'
        "reply = client.chat.completions.create(\n"
        f'    model="{model}",\n'
        f'    messages=[{{"role": "user", "content": "{DEMO_QUESTION}"}}],\n'
        f"    max_tokens={max_tokens},\n"
        ")\n"
        "print(reply.choices[0].message.content)"
    )
