"""A throw-away PostgreSQL database on 127.0.0.1:5432 for tests that need the real server.

When no server answers, tests skip with a clear reason instead of failing (CI has one).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

__all__ = ["PG_ADMIN_URL", "fresh_pg_database"]

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _pg_unreachable() -> str | None:
    engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means: no usable server here
        return f"PostgreSQL is not reachable at 127.0.0.1:5432 ({exc.__class__.__name__}); CI runs these"
    finally:
        engine.dispose()
    return None


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, empty, uniquely named PostgreSQL database; dropped afterwards."""
    reason = _pg_unreachable()
    if reason:
        pytest.skip(reason)
    name = f"jmedllm_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
