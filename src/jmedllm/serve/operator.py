"""What the host operator's commands share: opening the store and auditing each action.

``jmedllm admin`` and ``jmedllm audit`` act directly on the database, as the operator of
the machine the gateway runs on. Their actions are audited like API calls, with the
operating-system account as the actor (role ``operator``).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jmedllm.core.records import AuditEvent
from jmedllm.core.settings import Settings
from jmedllm.serve.db.session import Database
from jmedllm.serve.db.store import Store

__all__ = ["audit_operator_action", "opened_store", "operator_name"]


def operator_name() -> str:
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (containers)
        return "os:unknown"


@contextmanager
def opened_store(settings: Settings, *, migrate: bool = True) -> Iterator[Store]:
    database = Database(settings.effective_database_url)
    try:
        if migrate:
            database.migrate()
        yield Store(database)
    finally:
        database.close()


def audit_operator_action(
    store: Store,
    action: str,
    resource: str,
    *,
    outcome: str = "ok",
    organisation: str | None = None,
    **details: Any,
) -> None:
    store.append_audit(
        AuditEvent(
            actor=operator_name(),
            role="operator",
            action=action,
            resource=resource,
            organisation=organisation,
            outcome=outcome,
            details=details,
        )
    )
