"""The database connection: one engine per process, SQLite or PostgreSQL by URL.

:class:`Database` owns the SQLAlchemy engine and hands out short transactions
(:meth:`Database.session`). Write transactions on SQLite start with ``BEGIN IMMEDIATE``:
a deferred transaction that reads and then writes can fail at once with ``SQLITE_BUSY``
when another connection wrote in between, whereas an immediate one waits for the lock
(``busy_timeout``). :meth:`Database.migrate` runs Alembic from code, under a lock, so
several gateway workers starting at once do not race to create the tables.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from jmedllm.core.errors import JmedllmError

__all__ = ["Database", "DatabaseError", "normalize_url"]

#: How long a SQLite writer waits for the lock before giving up (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Any fixed number: serialises concurrent `migrate()` calls on one PostgreSQL database.
_PG_MIGRATE_LOCK = 0x6A6D_6564  # "jmed"
_BEGIN_OPTION = "jmedllm_sqlite_begin"


class DatabaseError(JmedllmError):
    """The database URL is invalid or the database cannot be reached or migrated."""


def normalize_url(url: str | URL) -> URL:
    """Parse ``url`` and pick our drivers: ``postgresql://`` and ``postgres://`` use psycopg 3.

    SQLAlchemy would otherwise default plain ``postgresql://`` to psycopg2, which we do not
    install.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(
            "the database URL cannot be parsed",
            hint="use sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/NAME",
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg") if driver in ("", "psycopg") else parsed
    if backend == "sqlite":
        return parsed
    raise DatabaseError(
        f"unsupported database backend {backend!r}",
        hint="use sqlite:///PATH (the default) or postgresql+psycopg://… for production",
    )


def _sqlite_file(url: URL) -> Path | None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser()


class Database:
    """An engine and a session factory for one database URL.

    Cheap to construct (nothing connects until first use). Create one per process and share
    it between threads; call :meth:`close` on shutdown.
    """

    def __init__(self, url: str | URL, *, echo: bool = False) -> None:
        self.url = normalize_url(url)
        self.backend = self.url.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.backend == "sqlite":
            path = _sqlite_file(self.url)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                kwargs["connect_args"] = {
                    "check_same_thread": False,
                    "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                }
            else:
                # One in-memory database only exists on one connection: share it.
                kwargs["connect_args"] = {"check_same_thread": False}
                kwargs["poolclass"] = StaticPool
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.backend == "sqlite":
            _configure_sqlite(self.engine, in_memory=_sqlite_file(self.url) is None)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Raw read connections for the hottest single-statement reads (see sqlite_reader).
        self._reader_path = (
            _sqlite_file(self.url) if self.backend == "sqlite" and not self.url.query else None
        )
        self._readers = threading.local()
        self._reader_list: list[sqlite3.Connection] = []
        self._reader_lock = threading.Lock()
        self._reader_generation = 0

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    @contextmanager
    def session(self, *, write: bool = False, snapshot: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on an exception.

        ``write=True`` takes SQLite's write lock up front (see the module docstring);
        ``snapshot=True`` makes every read in the block see the same state (PostgreSQL
        REPEATABLE READ; a SQLite transaction already reads one snapshot).
        """
        options: dict[str, Any] = {}
        if self.backend == "sqlite":
            options[_BEGIN_OPTION] = "BEGIN IMMEDIATE" if write else "BEGIN"
        elif snapshot:
            options["isolation_level"] = "REPEATABLE READ"
        with self._sessions() as session:
            session.connection(execution_options=options)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Connection]:
        """One transaction on a plain connection (no ORM session), like :meth:`session` otherwise.

        For the audit writer's batches, which insert rows and update one: the session's
        unit-of-work machinery is not needed for that and cost more than the statements.
        """
        with self.engine.connect() as connection:
            if self.backend == "sqlite":
                connection.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE" if write else "BEGIN"})
            with connection.begin():
                yield connection

    def sqlite_reader(self) -> sqlite3.Connection | None:
        """A plain ``sqlite3`` connection of the calling thread, in autocommit mode, read-only.

        For the one read on every request (the API-key lookup): each statement is its own
        read transaction, so it sees every write committed before it, with none of the
        engine's pool, transaction and result machinery around it (0.08 → 0.02 ms).
        ``None`` unless the database is a SQLite file (in-memory databases exist only on
        the engine's own connection).
        """
        if self._reader_path is None:
            return None
        readers = self._readers
        connection: sqlite3.Connection | None = getattr(readers, "connection", None)
        if connection is not None and readers.generation == self._reader_generation:
            return connection
        connection = sqlite3.connect(
            self._reader_path,
            timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        connection.execute("PRAGMA query_only=ON")
        with self._reader_lock:
            self._reader_list.append(connection)
            readers.connection, readers.generation = connection, self._reader_generation
        return connection

    def migrate(self) -> str | None:
        """Bring the schema to the newest revision (``alembic upgrade head``); return it.

        Safe to call on every start and from several processes at once: the upgrade runs
        in one transaction under a lock (PostgreSQL advisory lock, SQLite write lock), so
        the second caller finds the schema current and does nothing.
        """
        from alembic import command
        from alembic.runtime.migration import MigrationContext

        config = _alembic_config()
        try:
            with self.engine.connect() as connection:
                if self.backend == "sqlite":
                    connection = connection.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})
                with connection.begin():
                    if self.backend == "postgresql":
                        connection.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATE_LOCK}
                        )
                    config.attributes["connection"] = connection
                    command.upgrade(config, "head")
                    return MigrationContext.configure(connection).get_current_revision()
        except SQLAlchemyError as exc:
            raise DatabaseError(
                f"cannot migrate the database {self!r}: {exc.__class__.__name__}",
                hint="check that the database server is running and the URL and credentials are right",
            ) from exc

    def current_revision(self) -> str | None:
        """The schema revision the database is at (None before the first :meth:`migrate`)."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def check(self) -> bool:
        """Whether the database answers (``SELECT 1``); for ``/readyz``, never raises."""
        try:
            with self.engine.connect() as connection:
                return connection.execute(text("SELECT 1")).scalar() == 1
        except Exception:  # readiness must report, not crash, whatever the driver raises
            return False

    def close(self) -> None:
        """Close every pooled connection (the object can still be used; it reconnects)."""
        with self._reader_lock:
            readers, self._reader_list = self._reader_list, []
            self._reader_generation += 1
        for connection in readers:
            connection.close()
        self.engine.dispose()


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    # A path inside the installed package, so no alembic.ini is needed at run time.
    config.set_main_option("script_location", str(resources.files("jmedllm.serve.db") / "migrations"))
    return config


def _enable_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another connection holds the lock.

    Switching a new database to WAL takes an exclusive lock for a moment, and SQLite answers
    "database is locked" at once — no busy handler — when another connection is switching
    too: several workers opening a fresh database together (1–2% of such starts here).
    The retry gives up after the busy timeout, like any other statement.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def _configure_sqlite(engine: Engine, *, in_memory: bool) -> None:
    """Pragmas on every new connection, and explicit BEGIN (see :meth:`Database.session`).

    pysqlite's own transaction handling never emits BEGIN before a SELECT and only a
    deferred BEGIN before writes; taking it over (SQLAlchemy's documented recipe) gives
    consistent read snapshots, transactional DDL for migrations and BEGIN IMMEDIATE.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not in_memory:
                # WAL: readers do not block the writer nor the writer the readers.
                _enable_wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(connection.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))
