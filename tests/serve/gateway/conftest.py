"""Fixtures over the gateway harness (``tests/support/gateway_harness.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gateway_harness import RunningGateway, running_gateway


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[RunningGateway]:
    with running_gateway(tmp_path) as running:
        yield running


@pytest.fixture
def make_key(gateway: RunningGateway) -> Callable[..., str]:
    """Issue another key for a role's user (optionally already expired)."""

    def make(role: str, *, expired: bool = False) -> str:
        expires = datetime.now(UTC) - timedelta(seconds=1) if expired else None
        return gateway.store.create_key(f"{role}-user", expires_at=expires)[1]

    return make
