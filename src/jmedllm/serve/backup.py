"""Backup and restore of the gateway's database, with a manifest that pins the audit head.

A backup is two files side by side:

- ``FILE``: the database in its **native format**, readable without jmedllm. SQLite: a
  database file written with the sqlite3 online-backup API, one consistent snapshot taken
  while the gateway keeps writing (WAL content included), left in rollback-journal mode so
  the single file is complete. PostgreSQL: a ``pg_dump --format=custom --no-owner
  --no-privileges`` archive for ``pg_restore``.
- ``FILE.manifest.json``: what the backup holds (format ``jmedllm-backup/1``, see
  :class:`BackupManifest`): its size and SHA-256, the jmedllm version, the schema revision
  and the audit head (``seq`` and hash) *of the snapshot itself*. On PostgreSQL the head
  is read in the transaction whose snapshot ``pg_dump --snapshot`` dumps, so the two agree
  exactly even while requests are being served.

A restore checks the file against its manifest (truncated or corrupted files are refused
before the target is touched), copies it in (SQLite: staged, migrated, then copied with
the backup API; PostgreSQL: ``pg_restore --clean --if-exists --no-owner
--single-transaction``, so a failure rolls back), runs the migrations (an older backup
upgrades), verifies the audit chain and compares the restored head with the manifest's.

Passwords reach ``pg_dump``/``pg_restore`` through ``PGPASSWORD`` in their environment,
never on their command line (where ``ps`` would show them).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import uuid
from contextlib import closing, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import SQLAlchemyError

import jmedllm
from jmedllm.core.errors import JmedllmError
from jmedllm.serve.db._records import AuditHead, AuditVerification
from jmedllm.serve.db.session import Database, DatabaseError, normalize_url
from jmedllm.serve.db.store import Store

__all__ = [
    "MANIFEST_FORMAT",
    "BackupError",
    "BackupManifest",
    "BackupReport",
    "RestoreReport",
    "backup_database",
    "manifest_path",
    "read_manifest",
    "restore_database",
]

MANIFEST_FORMAT = "jmedllm-backup/1"
_MANIFEST_SUFFIX = ".manifest.json"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_PGDUMP_MAGIC = b"PGDMP"
# Tables a freshly migrated database already fills; rows elsewhere make a database non-empty.
_BOOKKEEPING_TABLES = {"alembic_version", "audit_head"}
_HEAD_SQL = "SELECT seq, last_hash, anchor_seq, anchor_hash FROM audit_head WHERE id = 1"


class BackupError(JmedllmError):
    """A backup cannot be written or restored; the message says why, the hint what to do."""


@dataclass(frozen=True, slots=True)
class BackupManifest:
    """``FILE.manifest.json``: what a backup file holds and the audit head it captured."""

    created_at: str
    jmedllm_version: str
    backend: str  # "sqlite" or "postgresql"
    file: str  # the backup file's name (the manifest lies beside it)
    bytes: int
    sha256: str
    schema_revision: str | None
    audit_head: AuditHead
    audit_events: int
    audit_verified: bool  # whether the chain verified when the backup was taken
    audit_problem: str | None = None
    tools: dict[str, str] = field(default_factory=dict)  # sqlite / pg_dump / server versions

    def to_json(self) -> str:
        data = {"format": MANIFEST_FORMAT, **asdict(self)}
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, raw: str) -> BackupManifest:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.pop("format", None) != MANIFEST_FORMAT:
            raise ValueError(f"not a {MANIFEST_FORMAT} manifest")
        data["audit_head"] = AuditHead(**data["audit_head"])
        return cls(**data)


@dataclass(frozen=True, slots=True)
class BackupReport:
    path: Path
    manifest_path: Path
    manifest: BackupManifest
    verification: AuditVerification


@dataclass(frozen=True, slots=True)
class RestoreReport:
    manifest: BackupManifest | None  # None: the backup had no manifest beside it
    revision: str | None
    head: AuditHead
    events: int
    verification: AuditVerification

    @property
    def head_matches(self) -> bool | None:
        """Whether the restored head is the one the manifest recorded (None without a manifest)."""
        if self.manifest is None:
            return None
        return self.head == self.manifest.audit_head


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + _MANIFEST_SUFFIX)


def read_manifest(backup: Path) -> BackupManifest | None:
    """The manifest beside ``backup``, or None when there is none; an unreadable one is an error."""
    path = manifest_path(backup)
    if not path.exists():
        return None
    try:
        return BackupManifest.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise BackupError(
            f"the manifest {path} cannot be read ({exc.__class__.__name__})",
            hint="restore its copy from the backup storage, or move it aside to restore without the checks it allows",
        ) from None


# ------------------------------------------------------------------------------ backup


def backup_database(url: str, output: Path) -> BackupReport:
    """Write a consistent backup of the database at ``url`` to ``output`` and its manifest.

    The gateway may keep running. The backup is written even when the audit chain does not
    verify (it may be evidence); ``verification`` and the manifest say so.
    """
    parsed = normalize_url(url)
    output = output.expanduser()
    if output.is_dir():
        raise BackupError(
            f"{output} is a directory", hint="give a file name, e.g. -o backups/jmedllm-DATE.db"
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial-{uuid.uuid4().hex[:8]}")
    try:
        if parsed.get_backend_name() == "sqlite":
            facts = _backup_sqlite(parsed, partial)
        else:
            facts = _backup_postgresql(parsed, partial)
        revision, head, events, verification, tools = facts
        manifest = BackupManifest(
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            jmedllm_version=jmedllm.__version__,
            backend=parsed.get_backend_name(),
            file=output.name,
            bytes=partial.stat().st_size,
            sha256=_sha256(partial),
            schema_revision=revision,
            audit_head=head,
            audit_events=events,
            audit_verified=verification.ok,
            audit_problem=verification.reason,
            tools=tools,
        )
        _fsync(partial)
        partial.replace(output)
        _write_atomically(manifest_path(output), manifest.to_json())
    finally:
        _remove_sqlite_files(partial)
    return BackupReport(output, manifest_path(output), manifest, verification)


_Facts = tuple[str | None, AuditHead, int, AuditVerification, dict[str, str]]


def _backup_sqlite(url: URL, partial: Path) -> _Facts:
    source = _sqlite_path(url)
    if not source.is_file():
        raise BackupError(f"no database at {source}", hint="check database_url (or --config)")
    try:
        with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(partial)) as dst:
            # One step (pages=-1): a single read snapshot of the source, WAL frames included;
            # in WAL mode the gateway's writers are not blocked meanwhile.
            src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot read the database {source}: {exc}") from None
    facts = _describe(Database(f"sqlite:///{partial}"))
    # Database() switched the copy to WAL; a backup must be one self-contained file.
    with closing(sqlite3.connect(partial)) as copy:
        copy.execute("PRAGMA journal_mode=DELETE")
    return (*facts, {"sqlite": sqlite3.sqlite_version})


def _backup_postgresql(url: URL, partial: Path) -> _Facts:
    pg_dump = _tool("pg_dump")
    client = _tool_version(pg_dump)
    uri, env = _libpq(url)
    database = Database(url)
    try:
        try:
            with database.engine.connect() as connection:
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
                with connection.begin():
                    server = _server_version(connection)
                    if _major(client) < _major(server):
                        raise BackupError(
                            f"pg_dump {client} is older than the PostgreSQL server ({server}) and cannot dump it",
                            hint=f"install the PostgreSQL {_major(server)} client tools (or newer) and put them first on PATH",
                        )
                    # pg_dump reads exactly this transaction's snapshot, so the head read here
                    # is the head of the dump, whatever the gateway appends meanwhile.
                    snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                    revision = _revision(connection)
                    if revision is None:
                        raise BackupError(
                            f"{database!r} has no jmedllm schema", hint="check database_url (or --config)"
                        )
                    head = _head(connection)
                    events = connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
                    _run(
                        [
                            pg_dump,
                            "--format=custom",
                            "--no-owner",
                            "--no-privileges",
                            f"--snapshot={snapshot}",
                            f"--file={partial}",
                            f"--dbname={uri}",
                        ],
                        env,
                        what="pg_dump",
                    )
        except SQLAlchemyError as exc:
            raise _unreachable(database, exc) from exc
        # The live chain from the anchor to now; the dumped chain is its prefix.
        verification = Store(database).verify_audit()
    finally:
        database.close()
    return revision, head, events, verification, {"pg_dump": client, "server": server}


# ------------------------------------------------------------------------------ restore


def restore_database(url: str, source: Path, *, overwrite: bool = False) -> RestoreReport:
    """Restore the backup ``source`` into the database at ``url``, migrate and verify it.

    Refuses a non-empty target unless ``overwrite``. A file that does not match its
    manifest, or cannot be read, is refused before the target is touched.
    """
    parsed = normalize_url(url)
    source = source.expanduser()
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    manifest = read_manifest(source)
    kind = _kind(source)
    backend = parsed.get_backend_name()
    if manifest is not None:
        if manifest.backend != kind:
            raise BackupError(f"{source} is not the {manifest.backend} backup its manifest describes")
        size, digest = source.stat().st_size, _sha256(source)
        if (size, digest) != (manifest.bytes, manifest.sha256):
            raise BackupError(
                f"{source} does not match its manifest ({size} bytes, sha256 {digest[:12]}…; "
                f"expected {manifest.bytes} bytes, {manifest.sha256[:12]}…): it is truncated or corrupted",
                hint="restore an intact copy of this generation from the backup storage, or an older generation",
            )
    if kind != backend:
        raise BackupError(
            f"{source} is a {kind} backup but the configured database is {backend}",
            hint="restore it into a database of the same kind (check database_url / --config)",
        )
    if backend == "sqlite":
        _restore_sqlite(parsed, source, overwrite=overwrite)
    else:
        _restore_postgresql(parsed, source, manifest, overwrite=overwrite)
    database = Database(parsed)
    try:
        database.migrate()
        revision, head, events, verification = _describe(database)
    finally:
        database.close()
    return RestoreReport(manifest, revision, head, events, verification)


def _restore_sqlite(url: URL, source: Path, *, overwrite: bool) -> None:
    target = _sqlite_path(url)
    if target.exists():
        try:
            with closing(sqlite3.connect(target, timeout=30)) as connection:
                used = _nonempty_tables(connection, _sqlite_tables(connection))
        except sqlite3.DatabaseError as exc:
            raise BackupError(
                f"the target {target} is not a readable SQLite database ({exc})",
                hint="move it aside (keep it: it may be evidence), then run the restore again",
            ) from None
        _refuse_nonempty(target, used, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Work on a copy beside the target: the backup file stays untouched (it may sit on
    # read-only media), and a failed check or migration leaves the target as it was.
    staging = target.with_name(f".{target.name}.restore-{uuid.uuid4().hex[:8]}")
    try:
        shutil.copyfile(source, staging)
        try:
            with closing(sqlite3.connect(staging)) as connection:
                problems = [row[0] for row in connection.execute("PRAGMA integrity_check(5)")]
                tables = _sqlite_tables(connection)
        except sqlite3.DatabaseError as exc:
            raise _unreadable(source, str(exc)) from None
        if problems != ["ok"]:
            raise _unreadable(source, "; ".join(problems))
        if not {"alembic_version", "audit_head"} <= set(tables):
            raise BackupError(f"{source} is a SQLite database but not a jmedllm backup (no audit_head table)")
        staged = Database(f"sqlite:///{staging}")
        try:
            staged.migrate()  # an older backup upgrades here, before the target changes
        finally:
            staged.close()
        # The backup API rewrites the target through SQLite's own locking, so even a
        # process that has it open sees the restored content, never a half-copied file.
        with closing(sqlite3.connect(staging)) as src, closing(sqlite3.connect(target, timeout=30)) as dst:
            src.backup(dst)
    finally:
        _remove_sqlite_files(staging)


def _restore_postgresql(url: URL, source: Path, manifest: BackupManifest | None, *, overwrite: bool) -> None:
    pg_restore = _tool("pg_restore")
    client = _tool_version(pg_restore)
    dumped_by = manifest.tools.get("pg_dump") if manifest else None
    if dumped_by and _major(dumped_by) > _major(client):
        raise BackupError(
            f"{source} was written by pg_dump {dumped_by}; pg_restore {client} cannot read its archive format",
            hint=f"install the PostgreSQL {_major(dumped_by)} client tools (or newer) and put them first on PATH",
        )
    uri, env = _libpq(url)
    listing = _run([pg_restore, "--list", str(source)], env, what="pg_restore --list", source=source)
    if not re.search(r"\bTABLE \S+ audit_head\b", listing):
        raise BackupError(f"{source} is a pg_dump archive but not a jmedllm backup (no audit_head table)")
    database = Database(url)
    try:
        with database.engine.connect() as connection:
            server = _server_version(connection)
            tables = connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
            used = _nonempty_tables(connection, list(tables))
            current = _revision(connection)
    except SQLAlchemyError as exc:
        raise _unreachable(database, exc) from exc
    finally:
        database.close()
    _refuse_nonempty(database.url.render_as_string(hide_password=True), used, overwrite)
    if manifest is not None and current is not None and not _is_ancestor(current, manifest.schema_revision):
        raise BackupError(
            f"the database's schema (revision {current}) is newer than the backup's "
            f"({manifest.schema_revision}); --clean removes only what the backup contains",
            hint="restore into an empty database (drop and create it), which migrations then upgrade",
        )
    source_server = manifest.tools.get("server") if manifest else None
    hint = None
    if source_server and _major(source_server) > _major(server):
        hint = f"the backup comes from PostgreSQL {source_server}; restore into a server of that version or newer"
    # One transaction: a truncated or unreadable archive rolls back and the target stays as it was.
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={uri}",
            str(source),
        ],
        env,
        what="pg_restore",
        source=source,
        hint=hint,
    )


# ------------------------------------------------------------------------------ helpers


def _describe(database: Database) -> tuple[str | None, AuditHead, int, AuditVerification]:
    """Schema revision, audit head, event count and chain verification of a jmedllm database."""
    try:
        try:
            with database.engine.connect() as connection:
                revision = _revision(connection)
                if revision is None:
                    raise BackupError(
                        f"{database!r} has no jmedllm schema", hint="check database_url (or --config)"
                    )
                head = _head(connection)
                events = connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
        except SQLAlchemyError as exc:
            raise _unreachable(database, exc) from exc
        return revision, head, events, Store(database).verify_audit()
    finally:
        database.close()


def _head(connection: Connection) -> AuditHead:
    row = connection.execute(text(_HEAD_SQL)).one()
    return AuditHead(
        seq=row.seq, last_hash=row.last_hash, anchor_seq=row.anchor_seq, anchor_hash=row.anchor_hash
    )


def _revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _is_ancestor(revision: str, of: str | None) -> bool:
    """Whether ``revision`` is ``of`` or older (so upgrading from ``of`` reaches it cleanly)."""
    from alembic.script import ScriptDirectory

    from jmedllm.serve.db.session import _alembic_config

    if of is None:
        return False
    script = ScriptDirectory.from_config(_alembic_config())
    try:
        return any(rev.revision == revision for rev in script.iterate_revisions(of, "base"))
    except Exception:  # an unknown revision (a newer jmedllm wrote it): let the restore decide
        return True


def _sqlite_path(url: URL) -> Path:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise BackupError(
            "an in-memory SQLite database cannot be backed up or restored",
            hint="use a file: sqlite:///PATH",
        )
    return Path(database).expanduser()


def _sqlite_tables(connection: sqlite3.Connection) -> list[str]:
    rows = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return [row[0] for row in rows]


def _nonempty_tables(connection: Any, tables: list[str]) -> list[str]:
    used = []
    for table in sorted(set(tables) - _BOOKKEEPING_TABLES):
        query = f'SELECT EXISTS (SELECT 1 FROM "{table}")'
        row = connection.execute(text(query) if isinstance(connection, Connection) else query)
        if bool(row.fetchone()[0]):
            used.append(table)
    return used


def _refuse_nonempty(target: object, used: list[str], overwrite: bool) -> None:
    if used and not overwrite:
        raise BackupError(
            f"the target {target} is not empty (rows in: {', '.join(used)}); the restore would replace them",
            hint="back it up first if it matters, then pass --yes to overwrite it",
        )


def _kind(source: Path) -> str:
    with source.open("rb") as stream:
        magic = stream.read(len(_SQLITE_MAGIC))
    if magic.startswith(_SQLITE_MAGIC):
        return "sqlite"
    if magic.startswith(_PGDUMP_MAGIC):
        return "postgresql"
    raise _unreadable(source, "neither a SQLite database nor a pg_dump custom-format archive")


def _unreadable(source: Path, why: str) -> BackupError:
    return BackupError(
        f"{source} is not a readable backup ({why}): it is corrupted or truncated",
        hint="restore an intact copy of this generation from the backup storage, or an older generation",
    )


def _unreachable(database: Database, exc: Exception) -> DatabaseError:
    return DatabaseError(
        f"cannot read the database {database!r}: {exc.__class__.__name__}",
        hint="check that the server is running, the database exists (createdb) and the URL and credentials are right",
    )


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed or not on PATH (needed to back up and restore PostgreSQL)",
            hint="install the PostgreSQL client tools of the server's major version or newer "
            "(Debian/Ubuntu: apt-get install postgresql-client)",
        )
    return path


def _tool_version(path: str) -> str:
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"\)\s*(\d+(?:\.\d+)*)", out)
    return match.group(1) if match else "0"


def _server_version(connection: Connection) -> str:
    number = int(connection.execute(text("SHOW server_version_num")).scalar_one())
    return (
        f"{number // 10000}.{number % 10000}"
        if number >= 100000
        else f"{number // 10000}.{number // 100 % 100}"
    )


def _major(version: str) -> int:
    return int(version.split(".")[0])


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and an environment carrying it as PGPASSWORD."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    # URL.set() ignores None, so it could not drop the password; _replace (NamedTuple) does.
    uri = url._replace(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(
    command: list[str], env: dict[str, str], *, what: str, source: Path | None = None, hint: str | None = None
) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        detail = " / ".join(lines[-3:]) or f"exit status {done.returncode}"
        if source is not None and what.startswith("pg_restore") and "input file" in detail.lower():
            raise _unreadable(source, detail)
        raise BackupError(f"{what} failed: {detail}", hint=hint)
    return done.stdout


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(path: Path, content: str) -> None:
    partial = path.with_name(f".{path.name}.partial-{uuid.uuid4().hex[:8]}")
    partial.write_text(content, encoding="utf-8")
    _fsync(partial)
    partial.replace(path)


def _remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()
