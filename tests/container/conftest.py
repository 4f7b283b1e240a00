"""Fixtures: the app image, built once per session on the local base, and containers of it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.container.engine import (
    Containers,
    build_image,
    configure,
    ensure_base_image,
    podman,
    why_no_engine,
)


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> str:
    """podman, configured; the tests skip (saying why) only when it cannot be had."""
    reason = why_no_engine()
    if reason:
        pytest.skip(reason)
    configure(tmp_path_factory.mktemp("podman"))
    ensure_base_image()
    return "podman"


@pytest.fixture(scope="session")
def build(engine: str) -> Iterator[Callable[..., str]]:
    """Build an image for a provider set once per session; remove them all at the end."""
    built: dict[str, str] = {}

    def make(providers: str = "fake,openai") -> str:
        if providers not in built:
            tag = f"localhost/llmchain-test:{providers.replace(',', '-')}-{uuid.uuid4().hex[:6]}"
            result = build_image(tag, providers)
            assert result.returncode == 0, f"make image failed:\n{result.stdout}\n{result.stderr}"
            built[providers] = tag
        return built[providers]

    yield make
    for tag in built.values():
        podman("rmi", "-f", tag, check=False)


@pytest.fixture(scope="session")
def image(build: Callable[..., str]) -> str:
    """The default image (providers fake and openai)."""
    return build()


@pytest.fixture
def containers(engine: str) -> Iterator[Containers]:
    """Containers started by one test, removed afterwards."""
    started = Containers()
    yield started
    started.cleanup()


@pytest.fixture
def volume(engine: str) -> Iterator[str]:
    """A named volume for /data, removed afterwards."""
    name = f"llmchain-test-{uuid.uuid4().hex[:8]}"
    podman("volume", "create", name)
    yield name
    podman("volume", "rm", "-f", name, check=False)
