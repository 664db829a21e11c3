"""Backup and restore on SQLite and PostgreSQL: what comes back, what is refused, the CLI contract."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from gateway_harness import cli_key
from pg import fresh_pg_database
from sqlalchemy import text
from typer.testing import CliRunner

from jmedllm.cli import app
from jmedllm.core.records import AuditEvent
from jmedllm.serve import backup as backup_module
from jmedllm.serve.backup import (
    MANIFEST_FORMAT,
    BackupError,
    BackupManifest,
    backup_database,
    manifest_path,
    read_manifest,
    restore_database,
)
from jmedllm.serve.db import Database, Store

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]
runner = CliRunner()


@pytest.fixture(params=BACKENDS)
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two databases of one backend: the live one and a restore target (both absent or empty)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'live' / 'jmedllm.db'}", f"sqlite:///{tmp_path / 'dr' / 'jmedllm.db'}"
    else:
        with fresh_pg_database() as live, fresh_pg_database() as target:
            yield live, target


def _store(url: str) -> Store:
    database = Database(url)
    database.migrate()
    return Store(database)


def _populate(url: str, events: int = 50) -> str:
    """An organisation, a user with a key, and ``events`` audit events; returns the key."""
    store = _store(url)
    try:
        store.create_org("東京病院")
        store.create_user("dr.tanaka", org="東京病院", role="physician")
        store.create_user("ns.suzuki", org="東京病院", role="nurse")
        key = store.create_key("dr.tanaka", label="電子カルテ")[1]
        store.append_audit_many(_event(n) for n in range(events))
        return key
    finally:
        store.database.close()


def _event(n: int) -> AuditEvent:
    return AuditEvent(
        actor="dr.tanaka",
        role="physician",
        action="POST /v1/chat/completions",
        resource="demo",
        organisation="東京病院",
        details={"n": n},
    )


def _snapshot(url: str) -> tuple[list[tuple[str, str, bool]], list[str], int, str]:
    """Users, key prefixes and the audit head: what a restore must bring back."""
    store = Store(Database(url))
    try:
        users = [(u.name, u.role, u.disabled) for u in store.list_users()]
        keys = [k.prefix for k in store.list_keys() if k.revoked_at is None]
        head = store.audit_head()
        return users, keys, head.seq, head.last_hash
    finally:
        store.database.close()


def _sql(url: str, statement: str) -> None:
    database = Database(url)
    try:
        with database.engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        database.close()


# ------------------------------------------------------------------------ round trip


def test_backup_then_restore_brings_everything_back(
    urls: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live, target = urls
    key = _populate(live)
    before = _snapshot(live)
    commands: list[tuple[list[str], dict[str, str]]] = []
    real_run = subprocess.run

    def spy(command: list[str], **kwargs: object) -> object:
        commands.append((command, dict(kwargs.get("env") or {})))  # type: ignore[call-overload]
        return real_run(command, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(backup_module.subprocess, "run", spy)
    if live.startswith("postgresql"):  # trust auth ignores it, but it must travel only in PGPASSWORD
        live = live.replace("postgres@", "postgres:pa55-word@")

    report = backup_database(live, tmp_path / "backups" / "jmedllm.bak")

    manifest = report.manifest
    assert report.path.is_file() and report.manifest_path == manifest_path(report.path)
    raw = json.loads(report.manifest_path.read_text(encoding="utf-8"))
    assert raw["format"] == MANIFEST_FORMAT and read_manifest(report.path) == manifest
    assert manifest.file == "jmedllm.bak" and manifest.bytes == report.path.stat().st_size
    assert manifest.schema_revision == "0001" and manifest.audit_events == 50
    assert (manifest.audit_head.seq, manifest.audit_head.last_hash) == before[2:]
    assert manifest.audit_verified and report.verification.ok
    for command, env in commands:
        assert not any("pa55-word" in part for part in command)
        if command[1] != "--version":
            assert env.get("PGPASSWORD") == "pa55-word"

    # Lose the database's content: tamper with the log, revoke the key, disable users.
    _sql(live, "DELETE FROM audit_events WHERE seq = 7")
    store = Store(Database(live))
    store.revoke_key(key.split("_")[1])
    store.set_user_disabled("ns.suzuki", True)
    assert not store.verify_audit().ok
    store.database.close()

    # Restore over the damaged database (it is not empty: --yes) and into an empty one.
    for url, overwrite in ((live, True), (target, False)):
        restored = restore_database(url, report.path, overwrite=overwrite)
        assert restored.verification.ok and restored.verification.checked == 50
        assert restored.head_matches and restored.revision == "0001" and restored.events == 50
        assert _snapshot(url) == before
        store = Store(Database(url))
        assert store.authenticate(key).user == "dr.tanaka"
        store.append_audit(_event(99))  # the gateway can carry on writing the chain
        assert store.verify_audit().ok
        store.database.close()


def test_restore_refuses_a_non_empty_database_without_overwrite(
    urls: tuple[str, str], tmp_path: Path
) -> None:
    live, target = urls
    _populate(live, events=5)
    report = backup_database(live, tmp_path / "b.bak")
    _populate(target, events=3)
    before = _snapshot(target)
    with pytest.raises(BackupError, match=r"not empty \(rows in: api_keys, audit_events.*--yes"):
        restore_database(target, report.path)
    assert _snapshot(target) == before
    # A database that is only migrated (as `jmedllm serve` leaves it) counts as empty.
    _sql(live, "DELETE FROM api_keys")
    _sql(live, "DELETE FROM users")
    _sql(live, "DELETE FROM organisations")
    _sql(live, "DELETE FROM audit_events")
    assert restore_database(live, report.path).head_matches


def test_a_truncated_or_corrupted_backup_is_refused_and_the_target_is_untouched(
    urls: tuple[str, str], tmp_path: Path
) -> None:
    live, target = urls
    _populate(live, events=300)
    report = backup_database(live, tmp_path / "b.bak")
    _populate(target, events=3)
    before = _snapshot(target)
    data = report.path.read_bytes()

    broken = tmp_path / "broken.bak"
    broken.write_bytes(data[: len(data) * 2 // 3])
    manifest_path(broken).write_text(report.manifest_path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(BackupError, match=r"does not match its manifest .* truncated or corrupted"):
        restore_database(target, broken, overwrite=True)

    manifest_path(broken).unlink()  # without its manifest the damage is found on reading
    with pytest.raises(BackupError, match=r"not a readable backup .* corrupted or truncated"):
        restore_database(target, broken, overwrite=True)

    broken.write_bytes(b"\0" * 4096)
    with pytest.raises(BackupError, match="neither a SQLite database nor a pg_dump"):
        restore_database(target, broken, overwrite=True)

    manifest_path(broken).write_text("{not json", encoding="utf-8")
    with pytest.raises(BackupError, match=r"manifest .* cannot be read"):
        restore_database(target, broken, overwrite=True)

    assert _snapshot(target) == before
    assert Store(Database(target)).verify_audit().ok


def test_a_backup_taken_while_the_gateway_writes_is_one_consistent_snapshot(
    urls: tuple[str, str], tmp_path: Path
) -> None:
    live, target = urls
    _populate(live, events=2000)
    store = _store(live)
    stop = threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            while not stop.is_set():
                written.append(store.append_audit_many(_event(n) for n in range(5))[-1].seq)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    writers = [threading.Thread(target=write) for _ in range(2)]
    for thread in writers:
        thread.start()
    try:
        reports = [backup_database(live, tmp_path / f"gen{n}.bak") for n in range(3)]
    finally:
        stop.set()
        for thread in writers:
            thread.join()
        store.database.close()
    assert not errors and len(written) > 10
    seqs = [report.manifest.audit_head.seq for report in reports]
    assert seqs == sorted(seqs) and seqs[-1] > 2000  # the writers got through while backing up
    for report in reports:
        assert report.manifest.audit_verified
        restored = restore_database(target, report.path, overwrite=True)
        assert restored.verification.ok, restored.verification.reason
        assert restored.head_matches and restored.events == restored.head.seq


# ------------------------------------------------------------------------ CLI contract


def _config(tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"database_url: sqlite:///{tmp_path / name / 'jmedllm.db'}\n", encoding="utf-8")
    return str(path)


def _cli(*args: str, code: int = 0) -> tuple[str, str]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.stdout, result.stderr


def test_cli_backup_and_restore(tmp_path: Path) -> None:
    live, other = _config(tmp_path, "live"), _config(tmp_path, "other")
    key = cli_key(Path(live), org="Sakura Hospital", user="dr-sato")
    head_before = _cli("audit", "head", "--config", live)[0].strip()

    backup = tmp_path / "backups" / "jmedllm-2026-05-09.db"
    out, _ = _cli("admin", "backup", "-o", str(backup), "--config", live)
    assert f"audit head in the backup: {head_before}" in out and "audit chain intact: 3 events" in out
    assert manifest_path(backup).is_file()
    # The backup is audited on the live log, after the snapshot (so not inside it).
    export = tmp_path / "log.jsonl"
    _cli("audit", "export", "-o", str(export), "--config", live)
    assert json.loads(export.read_text(encoding="utf-8").splitlines()[-1])["action"] == "admin.backup"

    _cli("admin", "user", "disable", "dr-sato", "--config", live)
    _, err = _cli("admin", "restore", str(backup), "--config", live, code=1)
    assert "not empty" in err and "--yes" in err
    out, _ = _cli("admin", "restore", str(backup), "--yes", "--config", live)
    assert f"audit head restored: {head_before}" in out and "audit chain intact: 3 events" in out
    _cli("audit", "verify", "--config", live)
    assert _cli("audit", "head", "--config", live)[0].startswith("4 ")  # + the admin.restore event
    assert (
        Store(Database(f"sqlite:///{tmp_path / 'live' / 'jmedllm.db'}")).authenticate(key).user == "dr-sato"
    )

    out, _ = _cli("admin", "restore", str(backup), "--config", other)  # an empty database: no --yes
    assert "audit chain intact" in out

    manifest_path(backup).unlink()
    _, err = _cli("admin", "restore", str(backup), "--yes", "--config", other)
    assert "no manifest beside the backup" in err

    _, err = _cli("admin", "restore", str(tmp_path / "missing.db"), "--config", other, code=1)
    assert err.startswith("error: no backup file at")


def test_cli_reports_a_broken_chain_on_backup_and_restore(tmp_path: Path) -> None:
    live, other = _config(tmp_path, "live"), _config(tmp_path, "other")
    url = f"sqlite:///{tmp_path / 'live' / 'jmedllm.db'}"
    _populate(url, events=10)
    _sql(url, "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 4")
    backup = tmp_path / "evidence.db"
    _, err = _cli("admin", "backup", "-o", str(backup), "--config", live, code=1)
    assert "audit chain BROKEN at event seq 4: event 4 was edited" in err
    manifest = read_manifest(backup)
    assert isinstance(manifest, BackupManifest) and not manifest.audit_verified  # kept: it is evidence
    assert "event 4 was edited" in (manifest.audit_problem or "")
    _, err = _cli("admin", "restore", str(backup), "--config", other, code=1)
    assert "audit chain BROKEN at event seq 4" in err


# ------------------------------------------------------------------------ clear errors


def test_missing_postgresql_client_tools_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    url = "postgresql+psycopg://app:secret@127.0.0.1:5432/jmedllm"
    with pytest.raises(BackupError, match="pg_dump is not installed or not on PATH"):
        backup_database(url, tmp_path / "b.dump")
    archive = tmp_path / "b.dump"
    archive.write_bytes(b"PGDMP" + b"\0" * 100)
    with pytest.raises(BackupError, match="pg_restore is not installed or not on PATH"):
        restore_database(url, archive)


def test_a_backup_of_one_backend_is_not_restored_into_the_other(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    _populate(url, events=1)
    report = backup_database(url, tmp_path / "b.db")
    with pytest.raises(BackupError, match="is a sqlite backup but the configured database is postgresql"):
        restore_database("postgresql+psycopg://app@127.0.0.1:5432/jmedllm", report.path)
    with pytest.raises(BackupError, match="in-memory SQLite database cannot be backed up"):
        backup_database("sqlite://", tmp_path / "c.db")


@pytest.mark.services
def test_postgresql_client_and_server_versions_are_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_pg_database() as live, fresh_pg_database() as target:
        _populate(live, events=1)
        report = backup_database(live, tmp_path / "b.dump")
        assert report.manifest.tools["pg_dump"].split(".")[0] == report.manifest.tools["server"].split(".")[0]
        # A dump written by a newer pg_dump than this pg_restore cannot be read: say so up front.
        newer = BackupManifest(**{**_fields(report.manifest), "tools": {"pg_dump": "99.1", "server": "99.1"}})
        report.manifest_path.write_text(newer.to_json(), encoding="utf-8")
        with pytest.raises(BackupError, match=r"pg_dump 99\.1; pg_restore .* cannot read"):
            restore_database(target, report.path)
        # pg_dump refuses servers newer than itself: checked before it runs.
        monkeypatch.setattr(backup_module, "_tool_version", lambda path: "9.6")
        with pytest.raises(BackupError, match=r"pg_dump 9\.6 is older than the PostgreSQL server"):
            backup_database(live, tmp_path / "c.dump")
        assert not (tmp_path / "c.dump").exists()


def _fields(manifest: BackupManifest) -> dict[str, object]:
    return {name: getattr(manifest, name) for name in BackupManifest.__dataclass_fields__}
