"""The records and errors of the storage layer (re-exported by :mod:`jmedllm.serve.db`).

Frozen, slotted records are what :class:`~jmedllm.serve.db.store.Store` returns instead of
ORM rows, so callers never touch a session; the errors are :class:`JmedllmError` subclasses
with a one-line message and a hint, ready for the CLI and for HTTP error bodies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from jmedllm.core.errors import JmedllmError
from jmedllm.core.records import AuditEvent

__all__ = [
    "KEY_SCHEME",
    "PURGE_ACTION",
    "AuditHead",
    "AuditIntegrityError",
    "AuditVerification",
    "AuthFailure",
    "AuthenticationError",
    "ConflictError",
    "KeyInfo",
    "NotFoundError",
    "OrgInfo",
    "Principal",
    "StoreError",
    "StoredAuditEvent",
    "UserInfo",
    "ValidationError",
]

#: The first part of every API key; lets secret scanners recognise leaked keys.
KEY_SCHEME = "jmk"
#: The action of the event :meth:`Store.purge_audit` appends.
PURGE_ACTION = "audit.purge"

AuthFailure = Literal["malformed", "unknown key", "revoked", "expired", "user disabled"]


# --------------------------------------------------------------------------- errors


class StoreError(JmedllmError):
    """Base class of the errors the store raises on purpose."""


class NotFoundError(StoreError, LookupError):
    """An organisation, user or key does not exist."""


class ConflictError(StoreError):
    """The name is taken, or the request contradicts the stored state."""


class ValidationError(StoreError, ValueError):
    """A name, role, time or label is not acceptable."""


class AuditIntegrityError(StoreError):
    """The audit chain is broken, so the operation (a purge) would destroy evidence."""


_AUTH_HINTS: dict[AuthFailure, str] = {
    "malformed": f"send the key as 'Authorization: Bearer {KEY_SCHEME}_<prefix>_<secret>'",
    "unknown key": "check the key, or ask an administrator for a new one",
    "revoked": "ask an administrator for a new key",
    "expired": "ask an administrator for a new key",
    "user disabled": "ask an administrator to re-enable the user",
}


class AuthenticationError(StoreError):
    """An API key was rejected; ``reason`` says why (for logs and the audit event).

    The message never contains the key: only its prefix, and only once the secret matched.
    """

    def __init__(self, reason: AuthFailure, *, key_prefix: str | None = None) -> None:
        shown = (
            f" {KEY_SCHEME}_{key_prefix}" if key_prefix and reason not in ("malformed", "unknown key") else ""
        )
        messages: dict[AuthFailure, str] = {
            "malformed": "the API key is malformed",
            "unknown key": "the API key is not known",
            "revoked": f"the API key{shown} was revoked",
            "expired": f"the API key{shown} has expired",
            "user disabled": f"the user of API key{shown} is disabled",
        }
        super().__init__(messages[reason], hint=_AUTH_HINTS[reason])
        self.reason: AuthFailure = reason
        self.key_prefix = key_prefix


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class OrgInfo:
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class UserInfo:
    name: str
    organisation: str
    role: str
    disabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """An API key as listings show it: everything but the secret, which is not stored."""

    prefix: str
    user: str
    organisation: str
    role: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    label: str | None

    @property
    def key_id(self) -> str:
        """How the key starts (``jmk_<prefix>``): enough to recognise it, useless to use it."""
        return f"{KEY_SCHEME}_{self.prefix}"

    def status(self, now: datetime | None = None) -> Literal["active", "revoked", "expired"]:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and (now or datetime.now(UTC)) >= self.expires_at:
            return "expired"
        return "active"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request is from, as established by :meth:`Store.authenticate`."""

    user: str
    role: str
    organisation: str
    key_prefix: str


@dataclass(frozen=True, slots=True)
class StoredAuditEvent:
    """A sealed audit event and its place in the chain."""

    seq: int
    event: AuditEvent

    def to_record(self) -> dict[str, Any]:
        """The JSON line of an export: ``seq``, the hashed payload and the ``hash``."""
        return {"seq": self.seq, **self.event.payload(), "hash": self.event.hash}


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The end of the chain (``seq``, ``last_hash``) and where checking starts (``anchor_*``)."""

    seq: int
    last_hash: str
    anchor_seq: int
    anchor_hash: str


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The result of :meth:`Store.verify_audit`; ``reason`` names the first broken event."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None
