"""The gateway's storage operations: identity (organisations, users, API keys) and the audit log.

:class:`Store` is synchronous and thread-safe (it holds nothing but the :class:`Database`);
the FastAPI app calls it from its threadpool. Every method is one short transaction and
returns frozen records (:class:`UserInfo`, :class:`KeyInfo`, …), never ORM rows, so nothing
lazy-loads after the session is gone.

API keys look like ``jmk_<prefix>_<secret>``: the 8-hex-digit prefix is the key's visible,
non-secret id (shown in listings, logs and audit events); the secret is 256 random bits,
shown once by :meth:`Store.create_key` and stored only as its SHA-256.

The audit log is a hash chain (:class:`~jmedllm.core.records.AuditEvent`). Appenders are
serialised on the single ``audit_head`` row, which also records the last event and the
retention anchor, so editing, deleting (the last event included) or reordering events is
found by :meth:`Store.verify_audit`. What a chain cannot show is a rewrite of the whole log
*and* the head by someone with write access to the database: export the log regularly
(:meth:`Store.export_audit`) and keep the last hash elsewhere if that matters.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import IO, Any, NamedTuple

from sqlalchemy import Insert, Select, Update, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jmedllm.core.jsonl import open_output, write_record
from jmedllm.core.records import AuditEvent
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
from jmedllm.serve.db.models import (
    HEAD_ID,
    NAME_MAX_LENGTH,
    ApiKeyRow,
    AuditEventRow,
    AuditHeadRow,
    OrganisationRow,
    UserRow,
)
from jmedllm.serve.db.session import Database

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
    "Store",
    "StoreError",
    "StoredAuditEvent",
    "UserInfo",
    "ValidationError",
]

_KEY_PATTERN = re.compile(rf"{KEY_SCHEME}_([0-9a-f]{{8}})_([A-Za-z0-9_-]{{32,128}})")
_PREFIX_PATTERN = re.compile(rf"(?:{KEY_SCHEME}_)?([0-9a-f]{{8}})")
# Letters of any script (hospital and staff names may be Japanese), digits and . _ - @ +,
# words separated by single spaces ("Sakura Hospital"); no control characters or
# leading/trailing spaces, so names stay unambiguous on a command line and in logs.
_NAME_PATTERN = re.compile(r"\w[\w.@+-]*(?: [\w.@+-]+)*")
_LABEL_MAX_LENGTH = 200
# Compared against when a prefix is unknown, so that unknown and known prefixes take the
# same time to reject.
_DUMMY_HASH = hashlib.sha256(b"jmedllm-no-such-key").hexdigest()


# --------------------------------------------------------------------------- helpers


def _now() -> datetime:
    return datetime.now(UTC)


def _check_name(kind: str, name: str) -> str:
    if not isinstance(name, str) or len(name) > NAME_MAX_LENGTH or not _NAME_PATTERN.fullmatch(name):
        raise ValidationError(
            f"invalid {kind} name {name!r}",
            hint=f"use 1–{NAME_MAX_LENGTH} letters, digits, '.', '_', '-', '@', '+' and single inner spaces",
        )
    return name


def _check_role(role: str) -> str:
    from jmedllm.core.settings import ROLES  # settings pull pydantic; only needed here

    if role not in ROLES:
        raise ValidationError(f"unknown role {role!r}", hint=f"use one of: {', '.join(ROLES)}")
    return role


def _check_time(what: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValidationError(
            f"{what} must be timezone-aware",
            hint="attach a zone, e.g. datetime.now(UTC) or '2026-05-01T00:00+09:00'",
        )
    return value


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _canonical_json(details: Any) -> str:
    try:
        return json.dumps(dict(details), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"audit event details are not JSON data ({exc})",
            hint="use strings, numbers, booleans, None, lists and dicts with string keys",
        ) from None


def _event_from_row(row: AuditEventRow) -> StoredAuditEvent:
    try:
        details = json.loads(row.details)
    except ValueError:
        # Only an edit outside the store can make this unreadable; keeping the raw text
        # lets verification report the event as edited instead of crashing.
        details = {"unreadable_details": row.details}
    event = AuditEvent(
        actor=row.actor,
        role=row.role,
        action=row.action,
        resource=row.resource,
        time=row.time,
        organisation=row.organisation,
        key_prefix=row.key_prefix,
        patient_pseudonym=row.patient_pseudonym,
        outcome=row.outcome,
        request_hash=row.request_hash,
        details=details if isinstance(details, dict) else {"unreadable_details": row.details},
        prev_hash=row.prev_hash,
        hash=row.hash,
    )
    return StoredAuditEvent(seq=row.seq, event=event)


#: The fields :meth:`AuditEvent.payload` hashes, in the order of the dataclass: :func:`_seal`
#: builds that payload itself and is used only while the event has exactly these fields.
_PAYLOAD_FIELDS = (
    "actor",
    "role",
    "action",
    "resource",
    "time",
    "organisation",
    "key_prefix",
    "patient_pseudonym",
    "outcome",
    "request_hash",
    "details",
    "prev_hash",
)
_FAST_SEAL = tuple(f.name for f in fields(AuditEvent)) == (*_PAYLOAD_FIELDS, "hash")


def _seal(event: AuditEvent, details: dict[str, Any], prev_hash: str) -> AuditEvent:
    """``event`` with UTC time and ``details``, linked to ``prev_hash`` and sealed with its hash.

    The same event and hash as ``replace(event, time=…, details=…).sealed(prev_hash)``,
    which builds its payload with ``dataclasses.asdict`` (a deep copy) and copies the
    event twice: the audit writer seals every request's event, so the payload is built
    here directly and hashed exactly as :meth:`AuditEvent.compute_hash` hashes it.
    """
    time = event.time.astimezone(UTC)
    if not _FAST_SEAL:  # AuditEvent gained a field: the generic path stays exact
        return replace(event, time=time, details=details).sealed(prev_hash)
    payload = {
        "actor": event.actor,
        "role": event.role,
        "action": event.action,
        "resource": event.resource,
        "time": time.isoformat(),
        "organisation": event.organisation,
        "key_prefix": event.key_prefix,
        "patient_pseudonym": event.patient_pseudonym,
        "outcome": event.outcome,
        "request_hash": event.request_hash,
        "details": details,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return AuditEvent(
        actor=event.actor,
        role=event.role,
        action=event.action,
        resource=event.resource,
        time=time,
        organisation=event.organisation,
        key_prefix=event.key_prefix,
        patient_pseudonym=event.patient_pseudonym,
        outcome=event.outcome,
        request_hash=event.request_hash,
        details=details,
        prev_hash=prev_hash,
        hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
    )


def _row_values(seq: int, event: AuditEvent, details_json: str) -> dict[str, Any]:
    return {
        "seq": seq,
        "time": event.time,
        "actor": event.actor,
        "role": event.role,
        "action": event.action,
        "resource": event.resource,
        "organisation": event.organisation,
        "key_prefix": event.key_prefix,
        "patient_pseudonym": event.patient_pseudonym,
        "outcome": event.outcome,
        "request_hash": event.request_hash,
        "details": details_json,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _user_info(user: UserRow, org: OrganisationRow) -> UserInfo:
    return UserInfo(
        name=user.name,
        organisation=org.name,
        role=user.role,
        disabled=user.disabled,
        created_at=user.created_at,
    )


def _key_info(key: ApiKeyRow, user: UserRow, org: OrganisationRow) -> KeyInfo:
    return KeyInfo(
        prefix=key.prefix,
        user=user.name,
        organisation=org.name,
        role=user.role,
        created_at=key.created_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        label=key.label,
    )


def _bad(checked: int, seq: int, reason: str) -> AuditVerification:
    return AuditVerification(ok=False, checked=checked, first_bad_seq=seq, reason=reason)


# --------------------------------------------------------------------------- store


@cache
def _key_lookup() -> Select[Any]:
    """The per-request key lookup, built once: building a statement and its cache key on
    every call cost more than running it."""
    return (
        select(
            ApiKeyRow.secret_hash,
            ApiKeyRow.revoked_at,
            ApiKeyRow.expires_at,
            UserRow.name,
            UserRow.role,
            UserRow.disabled,
            OrganisationRow.name,
        )
        .join(ApiKeyRow.user)
        .join(UserRow.organisation)
        .where(ApiKeyRow.prefix == bindparam("prefix"))
    )


class _AuditStatements(NamedTuple):
    advance_head: Update
    read_head: Select[Any]
    insert_events: Insert
    set_last_hash: Update


@cache
def _audit_statements() -> _AuditStatements:
    """The statements of an audit append, built once (as :func:`_key_lookup`), on the tables.

    Table-level (Core) statements run the same on an ORM session and on a plain
    connection; the audit writer uses a plain connection (:meth:`Database.transaction`).
    """
    head = AuditHeadRow.__table__
    return _AuditStatements(
        advance_head=update(head).where(head.c.id == HEAD_ID).values(seq=head.c.seq + bindparam("advance")),
        read_head=select(head.c.seq, head.c.last_hash).where(head.c.id == HEAD_ID),
        insert_events=insert(AuditEventRow.__table__),
        set_last_hash=update(head).where(head.c.id == HEAD_ID).values(last_hash=bindparam("last_hash")),
    )


@cache
def _sqlite_key_lookup() -> str:
    """:func:`_key_lookup` as SQLite SQL (one ``?``: the prefix), for the raw read connection."""
    from sqlalchemy.dialects import sqlite

    return str(_key_lookup().compile(dialect=sqlite.dialect()))


def _sqlite_time(value: str | None) -> datetime | None:
    """A SQLite DATETIME text (naive UTC, as :class:`UTCDateTime` stores it) as an aware datetime."""
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


class Store:
    """Organisations, users, API keys and the audit log on one :class:`Database`.

    The schema must be current (:meth:`Database.migrate`) before the first call.
    """

    def __init__(self, database: Database) -> None:
        self.database = database

    # ---------------------------------------------------------------- organisations

    def create_org(self, name: str) -> OrgInfo:
        _check_name("organisation", name)
        with self._write(f"organisation {name!r} already exists") as session:
            if self._org(session, name, required=False) is not None:
                raise ConflictError(f"organisation {name!r} already exists", hint="choose another name")
            org = OrganisationRow(name=name, created_at=_now())
            session.add(org)
            session.flush()
            return OrgInfo(name=org.name, created_at=org.created_at)

    def list_orgs(self) -> list[OrgInfo]:
        with self.database.session() as session:
            rows = session.scalars(select(OrganisationRow).order_by(OrganisationRow.name))
            return [OrgInfo(name=row.name, created_at=row.created_at) for row in rows]

    # ---------------------------------------------------------------- users

    def create_user(self, name: str, *, org: str, role: str) -> UserInfo:
        _check_name("user", name)
        _check_role(role)
        with self._write(f"user {name!r} already exists") as session:
            organisation = self._org(session, org)
            if session.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
                raise ConflictError(f"user {name!r} already exists", hint="choose another name")
            user = UserRow(name=name, organisation=organisation, role=role, disabled=False, created_at=_now())
            session.add(user)
            session.flush()
            return _user_info(user, organisation)

    def get_user(self, name: str) -> UserInfo:
        with self.database.session() as session:
            user, org = self._user(session, name)
            return _user_info(user, org)

    def list_users(self, org: str | None = None) -> list[UserInfo]:
        with self.database.session() as session:
            query = select(UserRow, OrganisationRow).join(UserRow.organisation).order_by(UserRow.name)
            if org is not None:
                query = query.where(OrganisationRow.id == self._org(session, org).id)
            return [_user_info(user, organisation) for user, organisation in session.execute(query)]

    def set_user_disabled(self, name: str, disabled: bool) -> UserInfo:
        """Disable (or re-enable) a user: every key of a disabled user is refused at once."""
        with self.database.session(write=True) as session:
            user, org = self._user(session, name)
            user.disabled = disabled
            return _user_info(user, org)

    # ---------------------------------------------------------------- API keys

    def create_key(
        self, user: str, *, expires_at: datetime | None = None, label: str | None = None
    ) -> tuple[KeyInfo, str]:
        """Create a key for ``user``; return its record and the plaintext key.

        The plaintext exists only in the return value: show it once and forget it.
        """
        _check_time("expires_at", expires_at)
        if label is not None and (len(label) > _LABEL_MAX_LENGTH or not label.isprintable()):
            raise ValidationError(
                "invalid key label", hint=f"use at most {_LABEL_MAX_LENGTH} printable characters"
            )
        secret = secrets.token_urlsafe(32)
        with self._write("a key with this prefix already exists; try again") as session:
            owner, org = self._user(session, user)
            if owner.disabled:
                raise ConflictError(
                    f"user {user!r} is disabled", hint="re-enable the user before creating a key"
                )
            # 32-bit prefixes collide rarely but not never; the secret stays unique anyway.
            for _ in range(8):
                prefix = secrets.token_hex(4)
                if session.scalar(select(ApiKeyRow.id).where(ApiKeyRow.prefix == prefix)) is None:
                    break
            key = ApiKeyRow(
                prefix=prefix,
                user=owner,
                secret_hash=_secret_hash(secret),
                created_at=_now(),
                expires_at=expires_at,
                revoked_at=None,
                label=label,
            )
            session.add(key)
            session.flush()
            return _key_info(key, owner, org), f"{KEY_SCHEME}_{prefix}_{secret}"

    def revoke_key(self, prefix: str) -> KeyInfo:
        """Revoke a key (by ``prefix`` or ``jmk_<prefix>``); revoking twice keeps the first time."""
        with self.database.session(write=True) as session:
            key, user, org = self._key(session, prefix)
            if key.revoked_at is None:
                key.revoked_at = _now()
            return _key_info(key, user, org)

    def list_keys(self, user: str | None = None) -> list[KeyInfo]:
        with self.database.session() as session:
            query = (
                select(ApiKeyRow, UserRow, OrganisationRow)
                .join(ApiKeyRow.user)
                .join(UserRow.organisation)
                .order_by(ApiKeyRow.created_at, ApiKeyRow.id)
            )
            if user is not None:
                query = query.where(UserRow.id == self._user(session, user)[0].id)
            return [_key_info(*row) for row in session.execute(query)]

    def authenticate(self, plaintext: str, *, now: datetime | None = None) -> Principal:
        """The principal a key belongs to, or :class:`AuthenticationError` saying why not.

        The secret is checked before anything else is revealed (revoked, expired, …), and
        compared in constant time, also for unknown prefixes.
        """
        match = _KEY_PATTERN.fullmatch(plaintext.strip()) if isinstance(plaintext, str) else None
        if match is None:
            raise AuthenticationError("malformed")
        prefix, secret = match.groups()
        now = _check_time("now", now) or _now()
        row = self._lookup_key(prefix)
        presented = _secret_hash(secret)
        if row is None:
            hmac.compare_digest(_DUMMY_HASH, presented)
            raise AuthenticationError("unknown key", key_prefix=prefix)
        secret_hash, revoked_at, expires_at, user_name, role, disabled, org_name = row
        if not hmac.compare_digest(secret_hash, presented):
            raise AuthenticationError("unknown key", key_prefix=prefix)
        if revoked_at is not None:
            raise AuthenticationError("revoked", key_prefix=prefix)
        if expires_at is not None and now >= expires_at:
            raise AuthenticationError("expired", key_prefix=prefix)
        if disabled:
            raise AuthenticationError("user disabled", key_prefix=prefix)
        return Principal(user=user_name, role=role, organisation=org_name, key_prefix=prefix)

    def _lookup_key(self, prefix: str) -> tuple[Any, ...] | None:
        """The key lookup's row: secret hash, revoked, expires, user, role, disabled, organisation.

        This runs on every request. On a SQLite file it is one statement on the thread's
        raw read connection (:meth:`Database.sqlite_reader`), its two times parsed as
        :class:`UTCDateTime` parses them; elsewhere columns on a plain connection, not ORM
        entities in a session (the session machinery cost four times the query).
        """
        reader = self.database.sqlite_reader()
        if reader is None:
            with self.database.engine.connect() as connection:
                found = connection.execute(_key_lookup(), {"prefix": prefix}).one_or_none()
            return None if found is None else tuple(found)
        row = reader.execute(_sqlite_key_lookup(), (prefix,)).fetchone()
        if row is None:
            return None
        secret_hash, revoked_at, expires_at, user_name, role, disabled, org_name = row
        return (
            secret_hash,
            _sqlite_time(revoked_at),
            _sqlite_time(expires_at),
            user_name,
            role,
            bool(disabled),
            org_name,
        )

    # ---------------------------------------------------------------- audit log

    def append_audit(self, event: AuditEvent) -> StoredAuditEvent:
        """Seal ``event`` onto the chain and store it; return it with its ``seq`` and hash.

        Any ``prev_hash``/``hash`` the event carries are replaced. Safe under any number of
        threads and processes: see :meth:`_append`.
        """
        return self.append_audit_many([event])[0]

    def append_audit_many(self, events: Iterable[AuditEvent]) -> list[StoredAuditEvent]:
        """Append several events in one transaction (consecutive ``seq``), all or none."""
        events = list(events)
        if not events:
            return []
        with self.database.transaction(write=True) as connection:
            return self._append(connection, events)

    def audit_head(self) -> AuditHead:
        with self.database.session() as session:
            return self._head(session)

    def audit_count(self) -> int:
        with self.database.session() as session:
            return session.scalar(select(func.count()).select_from(AuditEventRow)) or 0

    def iter_audit(
        self, *, since: datetime | None = None, until: datetime | None = None, batch: int = 1000
    ) -> Iterator[StoredAuditEvent]:
        """Events with ``since <= time < until`` in ``seq`` order, read ``batch`` rows at a time.

        Each batch is its own short transaction, so a slow consumer holds no lock and no
        snapshot; events appended meanwhile may appear at the end.
        """
        _check_time("since", since)
        _check_time("until", until)
        after = 0
        while True:
            with self.database.session() as session:
                chunk = self._batch(session, after=after, since=since, until=until, batch=batch)
            yield from chunk
            if len(chunk) < batch:
                return
            after = chunk[-1].seq

    def verify_audit(self) -> AuditVerification:
        """Check the chain from the retention anchor to the head; name the first broken event.

        Reads one snapshot, so appends running meanwhile cannot cause false alarms.
        """
        with self.database.session(snapshot=True) as session:
            head = self._head(session)
            expected, prev, checked = head.anchor_seq + 1, head.anchor_hash, 0
            last_purge: AuditEvent | None = None
            for stored in self._iter_snapshot(session, after=head.anchor_seq, upto=head.seq):
                seq, event = stored.seq, stored.event
                if seq != expected:
                    before = f"event {expected - 1}"
                    if expected - 1 == 0:
                        before = "the start of the log"
                    elif expected - 1 == head.anchor_seq:
                        before = f"the retention anchor (seq {head.anchor_seq})"
                    missing = (
                        f"event {expected}" if seq == expected + 1 else f"events {expected} to {seq - 1}"
                    )
                    return _bad(
                        checked,
                        expected,
                        f"{missing} missing: event {seq} does not follow {before} (deleted)",
                    )
                if event.hash != event.compute_hash():
                    return _bad(checked, seq, f"event {seq} was edited (hash mismatch)")
                if event.prev_hash != prev:
                    return _bad(
                        checked,
                        seq,
                        f"event {seq} does not follow event {seq - 1} (prev_hash mismatch: "
                        f"event {seq - 1} was rewritten or an event was replaced)",
                    )
                if event.action == PURGE_ACTION:
                    last_purge = event
                prev, expected, checked = event.hash, expected + 1, checked + 1
            last = expected - 1
            if last < head.seq:
                reason = (
                    f"the last event (seq {head.seq}) is missing"
                    if last + 1 == head.seq
                    else f"events {last + 1} to {head.seq} are missing (the end of the log was deleted)"
                )
                return _bad(checked, last + 1, reason)
            if prev != head.last_hash:
                return _bad(
                    checked, head.seq, f"event {head.seq} does not match the hash recorded in audit_head"
                )
            beyond = session.scalar(select(func.min(AuditEventRow.seq)).where(AuditEventRow.seq > head.seq))
            if beyond is not None:
                return _bad(
                    checked,
                    beyond,
                    f"event {beyond} is beyond the end of the chain (seq {head.seq}): inserted directly",
                )
            if head.anchor_seq > 0 and (
                last_purge is None
                or last_purge.details.get("anchor_seq") != head.anchor_seq
                or last_purge.details.get("anchor_hash") != head.anchor_hash
            ):
                return _bad(
                    checked,
                    head.anchor_seq,
                    f"the retention anchor (seq {head.anchor_seq}) is not recorded by an {PURGE_ACTION} event",
                )
            return AuditVerification(ok=True, checked=checked)

    def export_audit(
        self, target: str | Path | IO[str], *, since: datetime | None = None, until: datetime | None = None
    ) -> int:
        """Write events as JSON lines (``seq``, the hashed payload, ``hash``); return how many.

        ``target`` is a path (``-`` for stdout) or an open text stream. One snapshot is
        exported, so the lines form a consistent chain segment.
        """
        _check_time("since", since)
        _check_time("until", until)
        if isinstance(target, str | Path):
            with open_output(target) as stream:
                return self._export(stream, since, until)
        return self._export(target, since, until)

    def purge_audit(
        self, *, older_than: datetime, actor: str, role: str = "admin", organisation: str | None = None
    ) -> int:
        """Delete the events older than ``older_than`` (retention); return how many went.

        Only a prefix of the chain is removed: up to the last event before the first one
        that is not older than the cutoff (seq order and time order can differ by the width
        of a race, and retention means keeping at least as long as asked). In the same
        transaction the anchor moves to the last removed event and an :data:`PURGE_ACTION`
        event records the count and the anchor, so :meth:`verify_audit` still passes and
        removing events any other way does not. A broken chain is not purged:
        :class:`AuditIntegrityError`, so that evidence of tampering is kept.
        """
        _check_time("older_than", older_than)
        verification = self.verify_audit()
        if not verification.ok:
            raise AuditIntegrityError(
                f"refusing to purge a broken audit log: {verification.reason}",
                hint="investigate and export the log first (jmedllm audit verify / export)",
            )
        with self.database.session(write=True) as session:
            self._lock_head(session)
            head = self._head(session)
            first_kept = session.scalar(
                select(func.min(AuditEventRow.seq)).where(
                    AuditEventRow.seq > head.anchor_seq, AuditEventRow.time >= older_than
                )
            )
            cut = head.seq if first_kept is None else first_kept - 1
            removed = 0
            anchor_seq, anchor_hash = head.anchor_seq, head.anchor_hash
            if cut > head.anchor_seq:
                anchor_hash = session.scalar(select(AuditEventRow.hash).where(AuditEventRow.seq == cut)) or ""
                anchor_seq = cut
                result = session.execute(delete(AuditEventRow).where(AuditEventRow.seq <= cut))
                removed = result.rowcount  # type: ignore[attr-defined]
                session.execute(
                    update(AuditHeadRow)
                    .where(AuditHeadRow.id == HEAD_ID)
                    .values(anchor_seq=anchor_seq, anchor_hash=anchor_hash)
                )
            purge_event = AuditEvent(
                actor=actor,
                role=role,
                action=PURGE_ACTION,
                resource="audit_events",
                organisation=organisation,
                details={
                    "removed": removed,
                    "older_than": older_than.astimezone(UTC).isoformat(),
                    "anchor_seq": anchor_seq,
                    "anchor_hash": anchor_hash,
                },
            )
            self._append(session, [purge_event])
            return removed

    # ---------------------------------------------------------------- internals

    @contextmanager
    def _write(self, conflict: str) -> Iterator[Session]:
        """A write session that turns a lost uniqueness race into :class:`ConflictError`.

        Names are checked before inserting; this only matters when two PostgreSQL
        transactions insert the same name at the same moment (SQLite writers are serialised).
        """
        try:
            with self.database.session(write=True) as session:
                yield session
        except IntegrityError:
            raise ConflictError(conflict, hint="choose another name") from None

    @staticmethod
    def _org(session: Session, name: str, *, required: bool = True) -> OrganisationRow | None:
        org = session.scalar(select(OrganisationRow).where(OrganisationRow.name == name))
        if org is None and required:
            raise NotFoundError(
                f"organisation {name!r} does not exist", hint="create it first: jmedllm admin org create NAME"
            )
        return org

    @staticmethod
    def _user(session: Session, name: str) -> tuple[UserRow, OrganisationRow]:
        row = session.execute(
            select(UserRow, OrganisationRow).join(UserRow.organisation).where(UserRow.name == name)
        ).one_or_none()
        if row is None:
            raise NotFoundError(
                f"user {name!r} does not exist",
                hint="create it first: jmedllm admin user create NAME --org ORG --role ROLE",
            )
        return row[0], row[1]

    @staticmethod
    def _key(session: Session, prefix: str) -> tuple[ApiKeyRow, UserRow, OrganisationRow]:
        match = _PREFIX_PATTERN.fullmatch(prefix.strip())
        if match is None:
            raise ValidationError(
                "invalid key prefix",
                hint=f"give the 8 hex digits after '{KEY_SCHEME}_' (see: jmedllm admin key list)",
            )
        row = session.execute(
            select(ApiKeyRow, UserRow, OrganisationRow)
            .join(ApiKeyRow.user)
            .join(UserRow.organisation)
            .where(ApiKeyRow.prefix == match.group(1))
        ).one_or_none()
        if row is None:
            raise NotFoundError(
                f"no API key with prefix {match.group(1)!r}", hint="list keys: jmedllm admin key list"
            )
        return row[0], row[1], row[2]

    @staticmethod
    def _lock_head(session: Session | Connection, advance: int = 0) -> None:
        # The first statement of every chain-changing transaction: the UPDATE takes SQLite's
        # write lock (if BEGIN IMMEDIATE had not) and PostgreSQL's row lock, and a waiting
        # PostgreSQL writer re-reads the row once the holder commits, so it sees the new head.
        result = session.execute(_audit_statements().advance_head, {"advance": advance})
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StoreError(
                "the audit log is not initialised (audit_head has no row)",
                hint="run the database migrations (Database.migrate(), done by `jmedllm serve` at start)",
            )

    @staticmethod
    def _head(session: Session) -> AuditHead:
        row = session.scalars(select(AuditHeadRow).where(AuditHeadRow.id == HEAD_ID)).one()
        return AuditHead(
            seq=row.seq, last_hash=row.last_hash, anchor_seq=row.anchor_seq, anchor_hash=row.anchor_hash
        )

    def _append(self, session: Session | Connection, events: Sequence[AuditEvent]) -> list[StoredAuditEvent]:
        """Reserve ``len(events)`` sequence numbers on the locked head, seal and insert."""
        statements = _audit_statements()
        self._lock_head(session, advance=len(events))
        head = session.execute(statements.read_head).one()
        seq, prev = head.seq - len(events), head.last_hash
        rows: list[dict[str, Any]] = []
        stored: list[StoredAuditEvent] = []
        for event in events:
            seq += 1
            details_json = _canonical_json(event.details)
            # Seal what will be read back (UTC time, canonical details), so the stored event
            # reproduces its hash exactly.
            sealed = _seal(event, json.loads(details_json), prev)
            rows.append(_row_values(seq, sealed, details_json))
            stored.append(StoredAuditEvent(seq=seq, event=sealed))
            prev = sealed.hash
        session.execute(statements.insert_events, rows)
        session.execute(statements.set_last_hash, {"last_hash": prev})
        return stored

    @staticmethod
    def _batch(
        session: Session,
        *,
        after: int,
        since: datetime | None = None,
        until: datetime | None = None,
        upto: int | None = None,
        batch: int,
    ) -> list[StoredAuditEvent]:
        query = select(AuditEventRow).where(AuditEventRow.seq > after)
        if upto is not None:
            query = query.where(AuditEventRow.seq <= upto)
        if since is not None:
            query = query.where(AuditEventRow.time >= since)
        if until is not None:
            query = query.where(AuditEventRow.time < until)
        rows = session.scalars(query.order_by(AuditEventRow.seq).limit(batch)).all()
        result = [_event_from_row(row) for row in rows]
        # Rows are not needed once converted; keep the identity map from growing over a long scan.
        session.expunge_all()
        return result

    def _iter_snapshot(
        self,
        session: Session,
        *,
        after: int = 0,
        upto: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        batch: int = 1000,
    ) -> Iterator[StoredAuditEvent]:
        while True:
            chunk = self._batch(session, after=after, upto=upto, since=since, until=until, batch=batch)
            yield from chunk
            if len(chunk) < batch:
                return
            after = chunk[-1].seq

    def _export(self, stream: IO[str], since: datetime | None, until: datetime | None) -> int:
        count = 0
        with self.database.session(snapshot=True) as session:
            for stored in self._iter_snapshot(session, since=since, until=until):
                write_record(stream, stored.to_record())
                count += 1
        return count
