"""A migrated database per test, on SQLite and (marked ``services``) on PostgreSQL.

SQLite: one migrated template file per session, copied for each test. PostgreSQL: one
freshly created database per session (dropped at the end), emptied before each test; when
no server answers on 127.0.0.1:5432 those tests are skipped, not failed (CI has one).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pg import fresh_pg_database
from sqlalchemy import text

from jmedllm.core.records import GENESIS_HASH
from jmedllm.serve.db import Database, Store

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, never migrated database of the parametrized backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh' / 'jmedllm.db'}"
    else:
        with fresh_pg_database() as url:
            yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "jmedllm.db"
    database = Database(f"sqlite:///{path}")
    database.migrate()
    # Closing the last connection checkpoints the WAL into the file, so a plain copy is whole.
    database.close()
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with fresh_pg_database() as url:
        database = Database(url)
        database.migrate()
        database.close()
        yield url


def _empty_pg(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            text("TRUNCATE api_keys, users, organisations, audit_events RESTART IDENTITY CASCADE")
        )
        connection.execute(
            text("UPDATE audit_head SET seq = 0, last_hash = :g, anchor_seq = 0, anchor_hash = :g"),
            {"g": GENESIS_HASH},
        )


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database of each backend, owned by one test."""
    if request.param == "sqlite":
        path = tmp_path / "jmedllm.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        db = Database(f"sqlite:///{path}")
    else:
        db = Database(request.getfixturevalue("pg_url"))
        _empty_pg(db)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def store(database: Database) -> Store:
    return Store(database)


@pytest.fixture
def raw_sql(database: Database) -> Callable[..., int]:
    """Run SQL behind the store's back (to tamper with the audit log); returns the row count."""

    def run(statement: str, **params: object) -> int:
        with database.engine.begin() as connection:
            return connection.execute(text(statement), params).rowcount

    return run
