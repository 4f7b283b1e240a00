"""Infra test fixtures: the stack plans, each built once per session and shared read-only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.infra.plan_cache import Plans, session_plans


@pytest.fixture(scope="session")
def plans() -> Iterator[Plans]:
    """Every test's plans from one cache; fails the session when a test changed a shared plan."""
    yield from session_plans()
