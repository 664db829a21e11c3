"""The tables of the gateway: identity (organisations, users, API keys) and the audit log.

The schema is owned by the Alembic migrations in ``migrations/versions``; these classes
mirror it for the ORM (a test compares the two on every backend). Times are stored as UTC
with microseconds and always come back timezone-aware, because :class:`AuditEvent` hashes
its time: a stored event must reproduce its hash byte for byte after a round trip through
SQLite (which has no time zones) or PostgreSQL (which answers in the session's zone).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

__all__ = [
    "HASH_LENGTH",
    "HEAD_ID",
    "NAME_MAX_LENGTH",
    "ApiKeyRow",
    "AuditEventRow",
    "AuditHeadRow",
    "Base",
    "OrganisationRow",
    "UTCDateTime",
    "UserRow",
]

#: Longest organisation or user name (the store validates before the database would).
NAME_MAX_LENGTH = 64
#: A SHA-256 digest in hex.
HASH_LENGTH = 64
#: The only ``audit_head.id``: the head is a single row that every append locks.
HEAD_ID = 1

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite's INTEGER PRIMARY KEY is its 64-bit rowid; elsewhere sequence numbers need BIGINT,
# since a busy gateway can pass 2**31 audit events in a few years.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC, microseconds included.

    PostgreSQL gets an aware UTC value for its ``timestamptz``. SQLite gets the naive UTC
    wall time (its DATETIME text drops any offset) and the UTC zone is re-attached on load.
    Naive values are refused: guessing their zone would silently shift audit times.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a time zone (e.g. UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def copy(self, **kw: Any) -> UTCDateTime:
        return UTCDateTime()


class Base(DeclarativeBase):
    """The declarative base of every gateway table.

    Constraint names follow one convention so that later migrations can name them on every
    backend (SQLite's batch mode rebuilds tables and needs the names).
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class OrganisationRow(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    users: Mapped[list[UserRow]] = relationship(back_populates="organisation")


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), unique=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    # Validated against settings.ROLES by the store rather than a CHECK constraint, so that
    # adding a role does not need a migration of existing databases.
    role: Mapped[str] = mapped_column(String(32))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    organisation: Mapped[OrganisationRow] = relationship(back_populates="users")
    keys: Mapped[list[ApiKeyRow]] = relationship(back_populates="user")


class ApiKeyRow(Base):
    """An API key; only the SHA-256 of its secret part is stored, never the key itself.

    A fast hash is right here (unlike passwords): the secret is 256 random bits, so there is
    nothing to brute-force, and every request pays for the check.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    label: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[UserRow] = relationship(back_populates="keys")


class AuditEventRow(Base):
    """One sealed :class:`~jmedllm.core.records.AuditEvent`; ``seq`` is its place in the chain.

    Sequence numbers are assigned by the store from ``audit_head`` without gaps, so a
    missing number always means a deleted event. Free-text columns are TEXT so that both
    backends accept the same values (PostgreSQL enforces VARCHAR lengths, SQLite does not).
    """

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=False)
    time: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    resource: Mapped[str] = mapped_column(Text)
    organisation: Mapped[str | None] = mapped_column(Text)
    key_prefix: Mapped[str | None] = mapped_column(Text)
    patient_pseudonym: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    request_hash: Mapped[str | None] = mapped_column(Text)
    # Canonical JSON (sorted keys), so the row reads back into the mapping that was hashed.
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class AuditHeadRow(Base):
    """The single row that ends the audit chain and says where verification starts.

    Every append first updates this row, which serialises appenders (the write lock on
    SQLite, a row lock on PostgreSQL) so that each event links to the one before it. It
    also records the last event, so deleting the newest event is detected too. ``anchor_*``
    is the last purged event: after a retention purge the chain is checked from there.
    """

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint(f"id = {HEAD_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    anchor_seq: Mapped[int] = mapped_column(BigInteger)
    anchor_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
