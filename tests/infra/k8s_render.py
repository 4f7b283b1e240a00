"""Render the workload's objects from a plan to manifests, and check them like a cluster would."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from infra.plan import ROOT, Plan

CHECKOV = ROOT / "venv" / "checkov" / "bin" / "checkov"


def manifests(plan: Plan) -> list[dict[str, Any]]:
    """The Kubernetes objects the plan registered, as the API server would receive them."""
    objects = []
    for resource in plan.resources:
        if resource.type.startswith("kubernetes:") and "apiVersion" in resource.shaped:
            objects.append(resource.shaped)  # secret values hidden, their keys kept
    return objects


def write_manifests(objects: list[dict[str, Any]], directory: Path) -> Path:
    """All objects in one multi-document YAML file."""
    path = directory / "workload.yaml"
    path.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    return path


def checkov_failures(
    directory: Path, skip: list[str], framework: str = "kubernetes"
) -> list[dict[str, Any]]:
    """Failed checkov checks on the files in a directory (the accepted ones skipped)."""
    checkov = str(CHECKOV) if CHECKOV.exists() else shutil.which("checkov")
    assert checkov, "checkov is not installed: make venv (it lives in venv/checkov)"
    command = [checkov, "-d", str(directory), "--framework", framework]
    command += ["--output", "json", "--quiet", "--compact"]
    if skip:
        command += ["--skip-check", ",".join(skip)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout) if result.stdout.strip() else {}
    reports = report if isinstance(report, list) else [report]
    failed: list[dict[str, Any]] = []
    for item in reports:
        failed += item.get("results", {}).get("failed_checks", [])
    return failed
