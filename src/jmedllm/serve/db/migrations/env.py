"""Alembic environment for the gateway's schema.

:meth:`jmedllm.serve.db.session.Database.migrate` passes an open connection (already in a
transaction, under a lock) through ``config.attributes["connection"]``; there is no
alembic.ini at run time. For development, ``sqlalchemy.url`` may be set on the config
instead, e.g. to autogenerate a new revision against a scratch database.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from jmedllm.serve.db.models import Base

target_metadata = Base.metadata


def _configure_and_run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",  # type: ignore[attr-defined]
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    from jmedllm.serve.db.session import normalize_url

    engine = create_engine(normalize_url(config.get_main_option("sqlalchemy.url") or ""))
    try:
        with engine.connect() as connection:
            _configure_and_run(connection)
    finally:
        engine.dispose()


# Alembic installs `context.config` only while it runs this file. The migrations are a
# package (so they ship in every kind of install) and may be imported like any module, e.g.
# by the test that imports all of jmedllm: then there is nothing to run.
if hasattr(context, "config"):
    if context.is_offline_mode():
        raise SystemExit("jmedllm migrations run online only (Database.migrate())")
    run_migrations_online()
