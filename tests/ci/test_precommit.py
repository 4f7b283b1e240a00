"""The pre-commit configuration parses and runs the checks CI runs, with the venv's tools."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def hooks() -> dict[str, dict]:
    """Hook id -> hook, from .pre-commit-config.yaml."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    return {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}


def test_the_config_names_ruff_mypy_and_both_workflow_checks() -> None:
    assert set(hooks()) >= {"ruff-check", "ruff-format", "mypy", "check-github-workflows", "zizmor"}


def test_hooks_are_local_and_use_installed_tools() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    for hook in hooks().values():
        assert hook["language"] == "system"
        tool = hook["entry"].split()[0]
        assert shutil.which(tool, path=str(BIN)), f"{tool} is not in the venv"


def test_workflow_hooks_match_the_tests_flags() -> None:
    assert "vendor.github-workflows" in hooks()["check-github-workflows"]["entry"]
    assert "--offline" in hooks()["zizmor"]["entry"]
    for hook in ("check-github-workflows", "zizmor"):
        assert hooks()[hook]["files"] == r"^\.github/workflows/.*\.ya?ml$"
