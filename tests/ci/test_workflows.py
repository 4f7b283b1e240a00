"""The GitHub Actions workflows, checked offline: GitHub's workflow schema, zizmor's security
audits, actions pinned by commit SHA, and every `make` target they run exists. Each check is
also run on a deliberately bad workflow, so that none of them can pass by checking nothing."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent  # the venv's console scripts (requirements-dev.txt)
# Scripts the workflows run; their `make` lines count as the workflows' own.
SCRIPTS = [ROOT / ".ci" / "run", *sorted((ROOT / ".github" / "scripts").glob("*.sh"))]

BAD_WORKFLOW = """\
name: bad
on: pull_request
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
      - run: make no-such-target
"""
BAD_SCHEMA = """\
name: bad schema
on: pull_request
jobs:
  build:
    steps:
      - run: true
    runs-on: ubuntu-24.04
    timeout-minutes: soon
"""


def load(path: Path) -> dict[str, Any]:
    """A workflow as data (YAML 1.1 reads the key `on` as True; put it back)."""
    data = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    """Every step of every job."""
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def schema_errors(path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema against GitHub's workflow schema (vendored in the package: offline)."""
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def zizmor(path: Path) -> list[dict[str, Any]]:
    """zizmor's findings (pedantic persona, offline: no GitHub API calls)."""
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--persona", "pedantic", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip(), result.stderr  # it ran and reported, even if nothing
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def unpinned(workflow: dict[str, Any]) -> list[str]:
    """`uses:` not pinned to a full commit SHA (a local `./` action needs no pin)."""
    uses = [s["uses"] for s in steps(workflow) if "uses" in s]
    uses += [job["uses"] for job in workflow["jobs"].values() if "uses" in job]
    return [u for u in uses if not u.startswith("./") and not _PINNED.match(u)]


_MAKE = re.compile(r"(?:^|[\s;&|(])make\s+(?:-\S+\s+)*([a-z][\w.-]*)", re.M)


def make_targets(text: str) -> set[str]:
    """The targets named by `make X` commands in a script or a step's `run:`."""
    return set(_MAKE.findall(text))


def defined_targets() -> set[str]:
    """The targets the Makefile defines."""
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w.-]*)\s*:(?!=)", makefile, re.M))


def workflow_make_targets(path: Path) -> set[str]:
    """`make` targets a workflow's steps run, directly or through the scripts they call."""
    runs = "\n".join(s.get("run", "") for s in steps(load(path)))
    targets = make_targets(runs)
    for script in SCRIPTS:
        if str(script.relative_to(ROOT)) in runs:
            targets |= make_targets(script.read_text())
    return targets


def test_the_workflows_exist() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {"pull-request.yml", "main.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_githubs_schema(path: Path) -> None:
    result = schema_errors(path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_zizmor_finds_nothing(path: Path) -> None:
    assert zizmor(path) == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit(path: Path) -> None:
    assert unpinned(load(path)) == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_make_target_exists(path: Path) -> None:
    targets = workflow_make_targets(path)
    assert targets, "the workflow runs no make target: nothing was checked"
    assert targets <= defined_targets(), targets - defined_targets()


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_keep_no_credentials(path: Path) -> None:
    checkouts = [s for s in steps(load(path)) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    assert all(s.get("with", {}).get("persist-credentials") is False for s in checkouts)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_id_token_only_where_openid_connect_is_used(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {}  # nothing by default; each job asks for its own
    oidc = ("aws-actions/", "azure/login@", "google-github-actions/auth@", "pulumi/auth-actions@")
    for name, job in workflow["jobs"].items():
        uses_oidc = any(s.get("uses", "").startswith(oidc) for s in job.get("steps", []))
        assert (job["permissions"].get("id-token") == "write") == uses_oidc, name


# The bad workflow, through the same checks: each must object.


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yml"
    path.write_text(BAD_WORKFLOW)
    return path


def test_schema_check_refuses_a_bad_workflow(tmp_path: Path) -> None:
    path = tmp_path / "bad-schema.yml"
    path.write_text(BAD_SCHEMA)
    result = schema_errors(path)
    assert result.returncode != 0
    assert "timeout-minutes" in result.stdout + result.stderr


def test_zizmor_flags_a_bad_workflow(bad: Path) -> None:
    audits = {finding["ident"] for finding in zizmor(bad)}
    assert {"unpinned-uses", "template-injection", "excessive-permissions"} <= audits


def test_pin_check_flags_a_tag(bad: Path) -> None:
    assert unpinned(load(bad)) == ["actions/checkout@v4"]


def test_make_check_flags_a_missing_target(bad: Path) -> None:
    assert workflow_make_targets(bad) - defined_targets() == {"no-such-target"}


# What the pipeline must do (issue 19).


def test_pull_requests_preview_every_stack_with_policy_readiness_and_cost() -> None:
    workflow = load(ROOT / ".github" / "workflows" / "pull-request.yml")
    assert "pull_request" in workflow["on"]
    preview = (ROOT / ".github" / "scripts" / "preview.sh").read_text()
    assert "pulumi preview" in preview and "--policy-pack policy" in preview
    assert "infra.plan" in preview and "--check" in preview and "--cost" in preview
    assert "GITHUB_STEP_SUMMARY" in preview
    runs = " ".join(s.get("run", "") for s in steps(workflow))
    assert ".github/scripts/preview.sh" in runs and ".ci/run" in runs


def test_the_plan_accepts_the_flags_ci_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "infra.plan", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    for flag in ("--check", "--cost", "--set"):
        assert flag in result.stdout, flag


def test_main_deploys_staging_only_when_opted_in_behind_an_environment() -> None:
    workflow = load(ROOT / ".github" / "workflows" / "main.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    deploy = workflow["jobs"]["deploy"]
    assert deploy["environment"] == "staging"
    assert "vars.LLMCHAIN_DEPLOY == 'true'" in deploy["if"]
    assert deploy["needs"] == "image"
    image = workflow["jobs"]["image"]
    assert "steps.build.outputs.digest" in image["outputs"]["digest"]
    assert "needs.image.outputs.digest" in deploy["env"]["DIGEST"]
    script = (ROOT / ".github" / "scripts" / "deploy.sh").read_text()
    assert "--preserve-digests" in script and "llmchain:image.ref" in script
    assert "pulumi up" in script


def test_the_cli_version_is_the_sdk_pin() -> None:
    pin = re.search(r"^pulumi==(\S+)", (ROOT / "requirements.txt").read_text(), re.M)
    assert pin
    assert (ROOT / ".github" / "pulumi-version").read_text().strip() == pin.group(1)


@pytest.mark.parametrize("script", SCRIPTS[1:], ids=lambda p: p.name)
def test_scripts_are_valid_bash(script: Path) -> None:
    subprocess.run(["bash", "-n", str(script)], check=True, timeout=30)
