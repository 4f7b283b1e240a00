"""Policy test fixtures: the same shared plan cache as tests/infra (one build per plan)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.infra.plan_cache import Plans, session_plans


@pytest.fixture(scope="session")
def plans() -> Iterator[Plans]:
    """Every test's plans from one cache; fails the session when a test changed a shared plan."""
    yield from session_plans()
