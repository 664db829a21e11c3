"""Storage of the gateway: SQLAlchemy models, Alembic migrations and the :class:`Store`.

SQLite (a file, the default) and PostgreSQL (by URL) behave the same; the tests run
against both. Typical use::

    db = Database(settings.effective_database_url)
    db.migrate()                      # idempotent; safe from several workers at once
    store = Store(db)
    principal = store.authenticate(key)
    store.append_audit(AuditEvent(actor=principal.user, role=principal.role, ...))

Importing this package costs SQLAlchemy only; Alembic is imported by ``migrate()``.
"""

from __future__ import annotations

from jmedllm.serve.db._records import (
    KEY_SCHEME,
    PURGE_ACTION,
    AuditHead,
    AuditIntegrityError,
    AuditVerification,
    AuthenticationError,
    AuthFailure,
    ConflictError,
    KeyInfo,
    NotFoundError,
    OrgInfo,
    Principal,
    StoredAuditEvent,
    StoreError,
    UserInfo,
    ValidationError,
)
from jmedllm.serve.db.session import Database, DatabaseError, normalize_url
from jmedllm.serve.db.store import Store

__all__ = [
    "KEY_SCHEME",
    "PURGE_ACTION",
    "AuditHead",
    "AuditIntegrityError",
    "AuditVerification",
    "AuthFailure",
    "AuthenticationError",
    "ConflictError",
    "Database",
    "DatabaseError",
    "KeyInfo",
    "NotFoundError",
    "OrgInfo",
    "Principal",
    "Store",
    "StoreError",
    "StoredAuditEvent",
    "UserInfo",
    "ValidationError",
    "normalize_url",
]
