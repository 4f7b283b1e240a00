"""The base image: the Dockerfile's default, pinned to its registry digest at preview."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.base_image import dockerfile_default
from infra.spec import APP_DIR


def test_the_default_is_read_from_the_dockerfile() -> None:
    assert dockerfile_default(APP_DIR / "Dockerfile") == "python:3.11-slim"


def test_a_dockerfile_without_the_argument_is_refused(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.11-slim\n")
    with pytest.raises(ValueError, match="no `ARG BASE_IMAGE=<image>` line"):
        dockerfile_default(dockerfile)
