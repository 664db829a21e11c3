"""The gateway's storage on SQLite and PostgreSQL: schema, identity, API keys, audit chain."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from jmedllm.core.records import GENESIS_HASH, AuditEvent, verify_audit_chain
from jmedllm.serve.db import (
    PURGE_ACTION,
    AuditIntegrityError,
    AuthenticationError,
    ConflictError,
    Database,
    DatabaseError,
    NotFoundError,
    Store,
    ValidationError,
    normalize_url,
)
from jmedllm.serve.db.models import Base

JST = timezone(timedelta(hours=9))
TABLES = {"organisations", "users", "api_keys", "audit_events", "audit_head", "alembic_version"}
RawSql = Callable[..., int]


def _event(n: int = 0, *, time: datetime | None = None, **changes: object) -> AuditEvent:
    fields: dict[str, object] = {
        "actor": "dr.tanaka",
        "role": "physician",
        "action": "chat.completions",
        "resource": "/v1/chat/completions",
        "organisation": "東京病院",
        "key_prefix": "abcd1234",
        "request_hash": hashlib.sha256(str(n).encode()).hexdigest(),
        "details": {"n": n, "model": "demo", "guard": {"action": "allow", "rails": ["pii"]}},
    }
    fields.update(changes)
    if time is not None:
        fields["time"] = time
    return AuditEvent(**fields)  # type: ignore[arg-type]


def _fill(store: Store, count: int) -> None:
    store.append_audit_many(_event(n) for n in range(count))


def _identity(store: Store) -> str:
    store.create_org("東京病院")
    store.create_user("dr.tanaka", org="東京病院", role="physician")
    return store.create_key("dr.tanaka")[1]


# --------------------------------------------------------------------------- schema


def test_migrate_creates_the_schema_once_and_matches_the_models(fresh_url: str) -> None:
    database = Database(fresh_url)
    try:
        assert database.current_revision() is None
        assert database.migrate() == "0001"
        assert set(inspect(database.engine).get_table_names()) >= TABLES
        assert database.migrate() == "0001"  # a no-op the second time
        with database.engine.connect() as connection:
            head = connection.execute(text("SELECT seq, last_hash, anchor_seq FROM audit_head")).all()
            # The migrations and the ORM models describe the same schema on this backend.
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert head == [(0, GENESIS_HASH, 0)]
        assert database.check() is True
    finally:
        database.close()


def test_fresh_sqlite_files_opened_together_all_switch_to_wal(tmp_path: Path) -> None:
    """Several connections switching a new file to WAL at once: SQLite answers "database is
    locked" to one of them without waiting (once in about 100 starts of four workers);
    the connect hook retries instead of failing the worker."""
    from jmedllm.serve.db import Database

    errors: list[BaseException] = []

    def connect(database: Database) -> None:
        try:
            with database.engine.connect() as connection:
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        except BaseException as exc:
            errors.append(exc)

    for round_ in range(120):
        url = f"sqlite:///{tmp_path}/wal-{round_}.db"
        databases = [Database(url) for _ in range(4)]
        threads = [threading.Thread(target=connect, args=(db,)) for db in databases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for database in databases:
            database.close()
        assert errors == [], (round_, errors)


def test_concurrent_migrations_do_not_race(fresh_url: str) -> None:
    """Several workers starting at once all call migrate(); the lock serialises them."""
    databases = [Database(fresh_url) for _ in range(4)]
    errors: list[BaseException] = []

    def migrate(database: Database) -> None:
        try:
            database.migrate()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=migrate, args=(db,)) for db in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert Store(databases[0]).audit_head().seq == 0
    finally:
        for database in databases:
            database.close()


def test_urls_choose_psycopg_and_refuse_other_backends(tmp_path: Path) -> None:
    assert normalize_url("postgresql://u:p@db/x").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@db/x").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u@db/x").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"
    with pytest.raises(DatabaseError, match="unsupported database backend 'mysql'"):
        normalize_url("mysql://u@db/x")
    nested = tmp_path / "a" / "b" / "jmedllm.db"
    database = Database(f"sqlite:///{nested}")
    assert database.check() and nested.parent.is_dir()
    assert "pw" not in repr(Database("postgresql://app:pw@127.0.0.1:1/x"))


def test_check_reports_an_unreachable_database_without_raising() -> None:
    database = Database("postgresql://postgres@127.0.0.1:1/nothing")
    assert database.check() is False


# --------------------------------------------------------------------------- identity


def test_org_user_and_key_lifecycle(store: Store) -> None:
    org = store.create_org("東京病院")
    store.create_org("clinic-b")
    assert store.create_org("Sakura Hospital").name == "Sakura Hospital"  # single inner spaces are fine
    assert org.name == "東京病院" and org.created_at.tzinfo is UTC
    assert [o.name for o in store.list_orgs()] == sorted(["東京病院", "clinic-b", "Sakura Hospital"])

    user = store.create_user("dr.tanaka", org="東京病院", role="physician")
    store.create_user("nurse_sato", org="clinic-b", role="nurse")
    assert (user.organisation, user.role, user.disabled) == ("東京病院", "physician", False)
    assert [u.name for u in store.list_users()] == ["dr.tanaka", "nurse_sato"]
    assert [u.name for u in store.list_users(org="clinic-b")] == ["nurse_sato"]

    key, plaintext = store.create_key("dr.tanaka", label="laptop")
    assert plaintext.startswith(f"jmk_{key.prefix}_") and len(key.prefix) == 8
    assert key.status() == "active" and key.label == "laptop" and key.key_id == f"jmk_{key.prefix}"
    other, other_plaintext = store.create_key("dr.tanaka")
    assert other.prefix != key.prefix and other_plaintext != plaintext
    assert [k.prefix for k in store.list_keys("dr.tanaka")] == [key.prefix, other.prefix]
    assert store.list_keys("nurse_sato") == []

    revoked = store.revoke_key(f"jmk_{key.prefix}")
    assert revoked.status() == "revoked"
    assert store.revoke_key(key.prefix).revoked_at == revoked.revoked_at  # idempotent
    assert store.set_user_disabled("dr.tanaka", True).disabled is True
    assert store.get_user("dr.tanaka").disabled is True
    with pytest.raises(ConflictError, match="disabled"):
        store.create_key("dr.tanaka")


def test_names_are_unique_and_references_must_exist(store: Store) -> None:
    store.create_org("org")
    store.create_user("alice", org="org", role="admin")
    with pytest.raises(ConflictError, match="organisation 'org' already exists") as info:
        store.create_org("org")
    assert info.value.hint
    with pytest.raises(ConflictError, match="user 'alice' already exists"):
        store.create_user("alice", org="org", role="nurse")
    with pytest.raises(NotFoundError, match="organisation 'nope' does not exist"):
        store.create_user("bob", org="nope", role="nurse")
    with pytest.raises(NotFoundError, match="organisation 'nope'"):
        store.list_users(org="nope")
    with pytest.raises(NotFoundError, match="user 'bob' does not exist"):
        store.create_key("bob")
    with pytest.raises(NotFoundError, match="no API key with prefix '0000ffff'"):
        store.revoke_key("0000ffff")
    with pytest.raises(ValidationError, match="invalid key prefix"):
        store.revoke_key("not-a-prefix")


@pytest.mark.parametrize("role", ["doctor", "Admin", "", "root"])
def test_unknown_roles_are_rejected(store: Store, role: str) -> None:
    store.create_org("org")
    with pytest.raises(ValidationError, match="unknown role") as info:
        store.create_user("alice", org="org", role=role)
    assert "physician" in (info.value.hint or "")
    assert store.list_users() == []


@pytest.mark.parametrize(
    "name", ["", "two  spaces", " padded", "padded ", "a/b", "x" * 65, "-leading", "tab\there", "new\nline"]
)
def test_invalid_names_are_rejected(store: Store, name: str) -> None:
    with pytest.raises(ValidationError, match="invalid organisation name"):
        store.create_org(name)
    assert store.list_orgs() == []


def test_only_the_hash_of_the_secret_is_stored(store: Store, database: Database) -> None:
    plaintext = _identity(store)
    _, prefix, secret = plaintext.split("_", 2)
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM api_keys")).mappings().all()
    assert len(rows) == 1
    stored = " ".join(str(value) for value in rows[0].values())
    assert secret not in stored and plaintext not in stored
    assert rows[0]["prefix"] == prefix
    assert rows[0]["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()


# --------------------------------------------------------------------------- authentication


def test_authenticate_returns_the_principal(store: Store) -> None:
    plaintext = _identity(store)
    principal = store.authenticate(plaintext)
    assert (principal.user, principal.role, principal.organisation) == ("dr.tanaka", "physician", "東京病院")
    assert plaintext.startswith(f"jmk_{principal.key_prefix}_")


@pytest.mark.parametrize(
    "mangle, reason",
    [
        (lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"), "unknown key"),  # wrong secret
        (lambda key: "jmk_00000000_" + key.split("_", 2)[2], "unknown key"),  # unknown prefix
        (lambda key: key.replace("jmk_", "sk-"), "malformed"),
        (lambda key: key[:20], "malformed"),
        (lambda key: "", "malformed"),
    ],
)
def test_authenticate_rejects_bad_keys_without_echoing_them(
    store: Store, mangle: Callable[[str], str], reason: str
) -> None:
    plaintext = _identity(store)
    bad = mangle(plaintext)
    with pytest.raises(AuthenticationError) as info:
        store.authenticate(bad)
    assert info.value.reason == reason
    secret = plaintext.split("_", 2)[2]
    assert secret[:16] not in str(info.value) and (not bad or bad not in str(info.value))


def test_revoked_expired_and_disabled_keys_are_refused(store: Store) -> None:
    plaintext = _identity(store)
    now = datetime.now(UTC)
    _, expiring = store.create_key("dr.tanaka", expires_at=now + timedelta(hours=1))
    assert store.authenticate(expiring, now=now).user == "dr.tanaka"
    with pytest.raises(AuthenticationError, match="expired") as info:
        store.authenticate(expiring, now=now + timedelta(hours=2))
    assert info.value.reason == "expired"

    store.set_user_disabled("dr.tanaka", True)
    with pytest.raises(AuthenticationError) as info:
        store.authenticate(plaintext)
    assert info.value.reason == "user disabled"
    store.set_user_disabled("dr.tanaka", False)
    assert store.authenticate(plaintext).user == "dr.tanaka"

    prefix = plaintext.split("_")[1]
    store.revoke_key(prefix)
    with pytest.raises(AuthenticationError) as info:
        store.authenticate(plaintext)
    assert info.value.reason == "revoked" and info.value.key_prefix == prefix
    assert f"jmk_{prefix}" in str(info.value) and plaintext not in str(info.value)


def test_naive_times_are_refused(store: Store) -> None:
    store.create_org("org")
    store.create_user("alice", org="org", role="admin")
    with pytest.raises(ValidationError, match="expires_at must be timezone-aware"):
        store.create_key("alice", expires_at=datetime(2030, 1, 1))
    with pytest.raises(ValidationError, match="since must be timezone-aware"):
        list(store.iter_audit(since=datetime(2030, 1, 1)))


# --------------------------------------------------------------------------- audit chain


def test_times_keep_microseconds_and_hashes_reproduce(store: Store) -> None:
    moment = datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=JST)
    stored = store.append_audit(
        _event(1, time=moment, details={"z": 1, "a": "日本語", "nested": {"x": [1.5, None]}})
    )
    (loaded,) = list(store.iter_audit())
    assert loaded.event.time == moment and loaded.event.time.tzinfo is UTC
    assert loaded.event.time.microsecond == 123456
    assert loaded.event == stored.event
    assert loaded.event.compute_hash() == loaded.event.hash == stored.event.hash

    store.create_org("org")
    store.create_user("alice", org="org", role="admin")
    key, _ = store.create_key("alice", expires_at=moment)
    assert store.list_keys()[0].expires_at == moment == key.expires_at


def test_appends_form_a_verified_chain(store: Store) -> None:
    first = store.append_audit(_event(0))
    assert first.seq == 1 and first.event.prev_hash == GENESIS_HASH
    batch = store.append_audit_many([_event(1), _event(2), _event(3)])
    assert [s.seq for s in batch] == [2, 3, 4]
    assert batch[0].event.prev_hash == first.event.hash
    assert store.append_audit_many([]) == []
    events = [s.event for s in store.iter_audit()]
    assert verify_audit_chain(events) is None
    head = store.audit_head()
    assert (head.seq, head.last_hash, store.audit_count()) == (4, events[-1].hash, 4)
    assert store.verify_audit().ok and store.verify_audit().checked == 4


def test_details_must_be_json(store: Store) -> None:
    with pytest.raises(ValidationError, match="not JSON data"):
        store.append_audit(_event(details={"when": datetime.now(UTC)}))
    assert store.audit_count() == 0 and store.audit_head().seq == 0


def test_concurrent_appends_from_threads_keep_the_chain(store: Store) -> None:
    threads_n, per_thread = 8, 25
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(per_thread):
                store.append_audit(_event(worker * 1000 + i, actor=f"worker{worker}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = [s.seq for s in store.iter_audit()]
    assert seqs == list(range(1, threads_n * per_thread + 1))
    verification = store.verify_audit()
    assert verification.ok, verification.reason
    assert verification.checked == threads_n * per_thread


_WORKER = textwrap.dedent(
    """
    import sys
    from jmedllm.core.records import AuditEvent
    from jmedllm.serve.db import Database, Store
    store = Store(Database(sys.argv[1]))
    for i in range(int(sys.argv[2])):
        store.append_audit_many([AuditEvent(actor=f"pid{sys.argv[3]}", role="admin", action="a", resource=str(i))])
    """
)


def test_concurrent_appends_from_processes_keep_the_chain(store: Store, database: Database) -> None:
    url = database.url.render_as_string(hide_password=False)
    workers = [
        subprocess.Popen([sys.executable, "-c", _WORKER, url, "20", str(n)], stderr=subprocess.PIPE)
        for n in range(3)
    ]
    store.append_audit_many(_event(n) for n in range(20))  # and this process at the same time
    for worker in workers:
        _, stderr = worker.communicate(timeout=60)
        assert worker.returncode == 0, stderr.decode()
    assert store.audit_count() == 80
    verification = store.verify_audit()
    assert verification.ok, verification.reason


def test_an_edited_event_is_found(store: Store, raw_sql: RawSql) -> None:
    _fill(store, 6)
    assert raw_sql("UPDATE audit_events SET outcome = 'x' WHERE seq = 3") == 1
    verification = store.verify_audit()
    assert not verification.ok and verification.first_bad_seq == 3
    assert verification.reason == "event 3 was edited (hash mismatch)"
    assert verification.checked == 2


def test_unreadable_details_count_as_an_edit(store: Store, raw_sql: RawSql) -> None:
    _fill(store, 4)
    raw_sql("UPDATE audit_events SET details = '{broken' WHERE seq = 2")
    verification = store.verify_audit()
    assert (verification.ok, verification.first_bad_seq) == (False, 2)
    assert "edited" in (verification.reason or "")


def test_an_edited_and_rehashed_event_breaks_the_next_link(store: Store, raw_sql: RawSql) -> None:
    _fill(store, 5)
    (third,) = [s for s in store.iter_audit() if s.seq == 3]
    # Someone who knows the scheme edits event 3 and gives it a matching hash.
    forged = replace(third.event, outcome="denied").sealed(third.event.prev_hash)
    raw_sql("UPDATE audit_events SET outcome = 'denied', hash = :h WHERE seq = 3", h=forged.hash)
    verification = store.verify_audit()
    assert not verification.ok and verification.first_bad_seq == 4
    assert "event 4 does not follow event 3" in (verification.reason or "")


@pytest.mark.parametrize(
    "deleted, expected", [(5, "event 5 missing: event 6 does not follow event 4"), (1, "start")]
)
def test_a_deleted_event_is_found(store: Store, raw_sql: RawSql, deleted: int, expected: str) -> None:
    _fill(store, 10)
    assert raw_sql("DELETE FROM audit_events WHERE seq = :s", s=deleted) == 1
    verification = store.verify_audit()
    assert not verification.ok and verification.first_bad_seq == deleted
    assert expected in (verification.reason or "") and "deleted" in (verification.reason or "")


def test_deleting_the_last_event_is_found(store: Store, raw_sql: RawSql) -> None:
    _fill(store, 12)
    raw_sql("DELETE FROM audit_events WHERE seq = 12")
    verification = store.verify_audit()
    assert not verification.ok and verification.first_bad_seq == 12
    assert verification.reason == "the last event (seq 12) is missing"
    assert verification.checked == 11


def test_an_event_inserted_past_the_head_is_found(store: Store, raw_sql: RawSql) -> None:
    _fill(store, 3)
    raw_sql(
        "INSERT INTO audit_events (seq, time, actor, role, action, resource, outcome, details, prev_hash, hash) "
        "SELECT 4, time, actor, role, action, resource, outcome, details, hash, hash FROM audit_events WHERE seq = 3"
    )
    verification = store.verify_audit()
    assert not verification.ok and verification.first_bad_seq == 4


def test_purge_moves_the_anchor_and_verification_still_passes(store: Store, raw_sql: RawSql) -> None:
    old = datetime(2020, 1, 1, tzinfo=UTC)
    cutoff = datetime(2021, 1, 1, tzinfo=UTC)
    store.append_audit_many(_event(n, time=old + timedelta(days=n)) for n in range(5))
    # A slightly older event appended after a newer one (a race): kept, because purging only
    # removes the prefix of the chain that is entirely older than the cutoff.
    store.append_audit(_event(5, time=datetime.now(UTC)))
    store.append_audit(_event(6, time=old))
    removed = store.purge_audit(older_than=cutoff, actor="admin")
    assert removed == 5
    head = store.audit_head()
    assert head.anchor_seq == 5 and head.seq == 8
    remaining = list(store.iter_audit())
    assert [s.seq for s in remaining] == [6, 7, 8]
    purge = remaining[-1].event
    assert purge.action == PURGE_ACTION
    assert (purge.details["removed"], purge.details["anchor_seq"]) == (5, 5)
    assert purge.details["anchor_hash"] == head.anchor_hash == remaining[0].event.prev_hash
    verification = store.verify_audit()
    assert verification.ok, verification.reason
    assert verification.checked == 3

    # A second purge with nothing to remove is recorded too, and the chain stays intact.
    assert store.purge_audit(older_than=cutoff, actor="admin") == 0
    assert store.verify_audit().ok and store.audit_count() == 4


def test_deleting_old_events_without_purge_is_found(store: Store, raw_sql: RawSql) -> None:
    _fill(store, 8)
    assert raw_sql("DELETE FROM audit_events WHERE seq <= 3") == 3
    verification = store.verify_audit()
    assert not verification.ok and verification.first_bad_seq == 1
    assert "events 1 to 3 missing" in (verification.reason or "")


def test_moving_the_anchor_by_hand_is_found(store: Store, raw_sql: RawSql) -> None:
    _fill(store, 8)
    raw_sql("DELETE FROM audit_events WHERE seq <= 3")
    raw_sql(
        "UPDATE audit_head SET anchor_seq = 3, anchor_hash = (SELECT prev_hash FROM audit_events WHERE seq = 4)"
    )
    verification = store.verify_audit()
    assert not verification.ok and "retention anchor (seq 3)" in (verification.reason or "")


def test_a_broken_chain_is_not_purged(store: Store, raw_sql: RawSql) -> None:
    _fill(store, 4)
    raw_sql("UPDATE audit_events SET actor = 'someone else' WHERE seq = 2")
    with pytest.raises(AuditIntegrityError, match="event 2 was edited"):
        store.purge_audit(older_than=datetime.now(UTC) + timedelta(days=1), actor="admin")
    assert store.audit_count() == 4


def test_iteration_is_batched_ordered_and_filtered_by_time(store: Store) -> None:
    base = datetime(2026, 4, 1, tzinfo=UTC)
    store.append_audit_many(_event(n, time=base + timedelta(hours=n)) for n in range(10))
    assert [s.seq for s in store.iter_audit(batch=3)] == list(range(1, 11))
    window = list(store.iter_audit(since=base + timedelta(hours=2), until=base + timedelta(hours=5), batch=2))
    assert [s.seq for s in window] == [3, 4, 5]


def test_export_round_trips_and_hashes_recompute(store: Store, tmp_path: Path) -> None:
    store.append_audit_many(_event(n, time=datetime(2026, 4, 1, 0, 0, n, n, tzinfo=UTC)) for n in range(7))
    path = tmp_path / "out" / "audit.jsonl"
    assert store.export_audit(path) == 7
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 7 and "東京病院" in lines[0]
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == list(range(1, 8))
    events = []
    for record in records:
        record.pop("seq")
        record["time"] = datetime.fromisoformat(record["time"])
        events.append(AuditEvent(**record))
    assert all(event.compute_hash() == event.hash for event in events)
    assert verify_audit_chain(events) is None
    assert events == [s.event for s in store.iter_audit()]

    stream = io.StringIO()
    assert store.export_audit(stream, since=datetime(2026, 4, 1, 0, 0, 5, tzinfo=UTC)) == 2
    assert len(stream.getvalue().splitlines()) == 2
