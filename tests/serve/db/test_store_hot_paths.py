"""The store's per-request paths: the key lookup's raw SQLite reader and the audit writer's sealing.

Both replace generic machinery with a shortcut (a plain ``sqlite3`` read connection; a
payload built by hand instead of ``dataclasses.asdict``), so these tests hold each to
exactly what the generic path gives.
"""

from __future__ import annotations

import sqlite3
import string
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jmedllm.core.records import GENESIS_HASH, AuditEvent
from jmedllm.serve.db import AuthenticationError, Database, Store
from jmedllm.serve.db.store import _FAST_SEAL, _seal

JST = timezone(timedelta(hours=9))


def _identity(store: Store, **key: Any) -> str:
    store.create_org("東京病院")
    store.create_user("dr.tanaka", org="東京病院", role="physician")
    return store.create_key("dr.tanaka", **key)[1]


# --------------------------------------------------------------------------- key lookup


def test_the_sqlite_reader_is_read_only_per_thread_and_reopens_after_close(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'g.db'}")
    database.migrate()
    store = Store(database)
    plaintext = _identity(store)
    reader = database.sqlite_reader()
    assert reader is not None and database.sqlite_reader() is reader
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.execute("DELETE FROM api_keys")
    database.close()
    assert store.authenticate(plaintext).user == "dr.tanaka"  # a new reader after close()
    assert database.sqlite_reader() is not reader
    database.close()


def test_no_sqlite_reader_for_in_memory_databases() -> None:
    database = Database("sqlite://")
    database.migrate()
    assert database.sqlite_reader() is None
    store = Store(database)
    assert store.authenticate(_identity(store)).role == "physician"  # the engine's connection
    database.close()


def test_the_reader_sees_every_change_at_once_and_parses_times_exactly(store: Store) -> None:
    # Expiry to the microsecond, in another zone: parsed back as the UTC instant it is.
    expires = datetime(2031, 5, 1, 9, 30, 15, 123456, tzinfo=JST)
    plaintext = _identity(store, expires_at=expires)
    assert store.authenticate(plaintext, now=expires - timedelta(microseconds=1)).user == "dr.tanaka"
    with pytest.raises(AuthenticationError, match="expired"):
        store.authenticate(plaintext, now=expires)
    # No cache and no stale snapshot: each change applies to the very next lookup.
    _, other = store.create_key("dr.tanaka")
    assert store.authenticate(other).key_prefix == other.split("_")[1]
    store.set_user_disabled("dr.tanaka", True)
    with pytest.raises(AuthenticationError, match="disabled"):
        store.authenticate(other)
    store.set_user_disabled("dr.tanaka", False)
    store.revoke_key(other.split("_")[1])
    with pytest.raises(AuthenticationError, match="revoked"):
        store.authenticate(other)


# --------------------------------------------------------------------------- sealing

_text = st.text(alphabet=string.printable + "日本語の患者ｱｲｳ🙂\u3000", max_size=12)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_text, children, max_size=3),
    max_leaves=12,
)


def test_the_hand_built_payload_is_used() -> None:
    assert _FAST_SEAL  # AuditEvent has the fields _seal knows; otherwise it takes the generic path


@settings(max_examples=200, deadline=None)
@given(
    details=st.dictionaries(_text, _json, max_size=5),
    actor=_text,
    optional=st.lists(st.none() | _text, min_size=4, max_size=4),
    outcome=st.sampled_from(["ok", "denied", "error", "output_block"]),
    seconds=st.integers(min_value=0, max_value=2_000_000_000),
    micro=st.integers(min_value=0, max_value=999_999),
    zone=st.sampled_from([UTC, JST, timezone(timedelta(hours=-5, minutes=-30))]),
    prev=st.sampled_from([GENESIS_HASH, "a" * 64]),
)
def test_seal_is_exactly_the_generic_seal(
    details: dict[str, Any],
    actor: str,
    optional: list[str | None],
    outcome: str,
    seconds: int,
    micro: int,
    zone: timezone,
    prev: str,
) -> None:
    time = datetime.fromtimestamp(seconds, zone).replace(microsecond=micro)
    organisation, key_prefix, patient, request_hash = optional
    event = AuditEvent(
        actor=actor,
        role="physician",
        action="POST /v1/chat/completions",
        resource="demo",
        time=time,
        organisation=organisation,
        key_prefix=key_prefix,
        patient_pseudonym=patient,
        outcome=outcome,
        request_hash=request_hash,
        details=details,
        prev_hash="ignored",
        hash="ignored",
    )
    expected = replace(event, time=time.astimezone(UTC), details=details).sealed(prev)
    sealed = _seal(event, details, prev)
    assert sealed == expected
    assert sealed.hash == sealed.compute_hash()
