"""The image contract in infra/ is what app/Dockerfile builds, and every target uses it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra import image_contract as contract
from infra import vm_boot

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "app" / "Dockerfile").read_text()


def test_the_dockerfile_builds_what_the_contract_says() -> None:
    """uid, port, data dir and health path: one value, in the image and in infra."""
    uid = str(contract.APP_UID)
    assert re.search(rf"useradd [^\n]*--uid {uid} --gid {uid}", DOCKERFILE)
    assert re.search(rf"groupadd [^\n]*--gid {uid}", DOCKERFILE)
    assert f"USER {contract.APP_USER}" in DOCKERFILE
    assert f"EXPOSE {contract.PORT}" in DOCKERFILE
    assert f"PORT={contract.PORT}" in DOCKERFILE
    assert f'VOLUME ["{contract.DATA_DIR}"]' in DOCKERFILE
    assert f"chown {contract.APP_USER} {contract.DATA_DIR}" in DOCKERFILE
    assert f"LLMCHAIN_MEMORY_URL={contract.DATA_DIR}/" in DOCKERFILE
    healthcheck = DOCKERFILE[DOCKERFILE.index("HEALTHCHECK") :]
    assert contract.HEALTH_PATH in healthcheck.split("CMD", 1)[1].splitlines()[0]


def test_the_streaming_routes_are_every_route_that_answers_a_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The p95 alarms leave out exactly the app's SSE routes: a new stream route is not timed."""
    monkeypatch.setenv("LLMCHAIN_PROVIDER", "fake")
    from app.main import create_app

    schema = create_app().openapi()
    streams = {
        path
        for path, operations in schema["paths"].items()
        for operation in operations.values()
        if "text/event-stream" in operation["responses"].get("200", {}).get("content", {})
    }
    assert streams == set(contract.STREAMING_ROUTES)


def test_the_access_logger_is_the_apps() -> None:
    """The alarms find the access log by the logger name the app writes it under."""
    from app.core import logging as app_logging

    source = Path(app_logging.__file__).read_text()
    assert f'getLogger("{contract.ACCESS_LOGGER}")' in source
    assert f'"logger": "{contract.ACCESS_LOGGER}"' in source


def test_one_stop_rule_with_the_platform_cap() -> None:
    """The kill comes STOP_MARGIN_S after the grace, never past a platform's maximum."""
    assert contract.stop_timeout(30) == 30 + contract.STOP_MARGIN_S
    assert contract.stop_timeout(115, cap=120) == 120


def test_the_health_command_has_no_whitespace_and_probes_the_path() -> None:
    """Podman re-splits on whitespace: one argument per word, the URL inside."""
    command = contract.health_command(8123)
    assert command[:3] == ["CMD", "python3", "-c"]
    assert not any(" " in part for part in command)
    assert f"http://127.0.0.1:8123{contract.HEALTH_PATH}" in command[3]
    compiled = compile(command[3], "<probe>", "eval")  # valid Python
    assert compiled


def test_no_target_writes_the_contract_values_itself() -> None:
    """The uid and the secrets path are written once: in image_contract.py."""
    offenders = []
    for path in (ROOT / "infra").rglob("*.py"):
        if path.name == "image_contract.py":
            continue
        text = path.read_text()
        for value in (str(contract.APP_UID), contract.SECRETS_DIR, "/var/run/secrets/llmchain"):
            if value in text:
                offenders.append(f"{path.relative_to(ROOT)}: {value}")
    assert not offenders, offenders


@pytest.mark.parametrize("grace", [5, 30])
def test_the_vm_unit_stops_after_docker_stop(grace: int) -> None:
    """systemd waits longer than `docker stop -t`, so the app's drain is never cut."""
    stop = contract.stop_timeout(grace)
    unit = vm_boot.unit(prepare=[], image="img", run="run", stop_timeout=stop)
    assert f"docker stop -t {stop} llmchain" in unit
    assert f"TimeoutStopSec={stop + contract.STOP_MARGIN_S}" in unit


def test_the_vm_env_file_names_the_secrets_mount() -> None:
    """Every cloud's VM tells the app where its secrets are mounted."""
    text = vm_boot.env_file({"B": "2", "A": "1"})
    assert text == f"A=1\nB=2\nLLMCHAIN_SECRETS_DIR={contract.SECRETS_DIR}\n"


def test_the_kubernetes_version_is_written_once() -> None:
    """EKS, AKS and the manifest validation read one constant (it had drifted: 1.33/1.33.0)."""
    assignments = [
        f"{path.relative_to(ROOT)}"
        for path in (ROOT / "infra").rglob("*.py")
        if re.search(r"^KUBERNETES_VERSION\s*=", path.read_text(), re.M)
    ]
    assert assignments == ["infra/kubernetes/version.py"]


def _strings(value: object) -> list[str]:
    """Every string in a plan's inputs, base64 user data decoded too."""
    import base64
    import binascii

    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if not isinstance(value, str):
        return []
    try:
        return [value, base64.b64decode(value, validate=True).decode()]
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return [value]


@pytest.mark.parametrize("stack", ["aws", "azure", "gcp"])
def test_a_vm_limits_its_container_like_a_replica(stack: str) -> None:
    """`llmchain:resources.cpu/memory` hold on VMs too (they were ignored there)."""
    from infra.plan import run_plan

    overrides = {
        "llmchain:compute": "vm",
        "llmchain:resources.cpu": 1.5,
        "llmchain:resources.memory": 2048,
    }
    if stack == "gcp":
        overrides["gcp:project"] = "demo-project"
    plan = run_plan(stack, overrides=overrides)
    boots = [s for r in plan.resources for s in _strings(r.inputs) if "docker run" in s]
    assert boots, "no VM boot found in the plan"
    assert all("--cpus 1.5 --memory 2048m" in s for s in boots), boots[0][:2000]
