"""Doctor checks against the real PostgreSQL and Redis on 127.0.0.1, and their failures."""

from __future__ import annotations

import pytest

from jmedllm.core.doctor import DOCTOR_CHECKS, CheckStatus, run_checks
from jmedllm.core.settings import load_settings

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/0"
CLOSED_PORT = 1  # nothing listens on port 1 on these machines


def _status(rows, check: str) -> CheckStatus:  # type: ignore[no-untyped-def]
    [row] = [r for r in rows if r.check == check]
    return row.status


def test_default_installation_is_ready() -> None:
    rows = run_checks(load_settings())
    assert _status(rows, "python") is CheckStatus.OK
    assert _status(rows, "home") is CheckStatus.OK
    assert _status(rows, "database") is CheckStatus.OK  # SQLite in the home directory
    assert _status(rows, "redis") is CheckStatus.SKIP
    assert not [r for r in rows if r.status is CheckStatus.FAIL]


@pytest.mark.services
def test_real_postgres_and_redis_are_reachable() -> None:
    rows = run_checks(load_settings(database_url=POSTGRES, redis_url=REDIS), only=("database", "redis"))
    assert [r.status for r in rows] == [CheckStatus.OK, CheckStatus.OK]


def test_unreachable_services_fail_with_a_fix_and_no_password() -> None:
    settings = load_settings(
        database_url=f"postgresql://app:hunter2@127.0.0.1:{CLOSED_PORT}/x",
        redis_url=f"redis://:pw9@127.0.0.1:{CLOSED_PORT}/0",
    )
    rows = run_checks(settings, only=("database", "redis"))
    assert [r.status for r in rows] == [CheckStatus.FAIL, CheckStatus.FAIL]
    assert all(r.fix for r in rows)
    assert "hunter2" not in repr(rows) and "pw9" not in repr(rows)


def test_unwritable_home_fails(tmp_path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    rows = run_checks(load_settings(home=blocker / "home"), only=("home",))
    assert rows[0].status is CheckStatus.FAIL and "JMEDLLM_HOME" in rows[0].fix


def test_a_crashing_check_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = DOCTOR_CHECKS.get("python")
    monkeypatch.setattr(plugin, "run", lambda self, settings: 1 / 0)
    rows = run_checks(load_settings(), only=("python",))
    assert rows[0].status is CheckStatus.FAIL and "ZeroDivisionError" in rows[0].detail


def test_bundled_model_row() -> None:
    [row] = run_checks(load_settings(), only=("bundled-model",))
    assert row.status is CheckStatus.OK and "SmolLM2" in row.detail
