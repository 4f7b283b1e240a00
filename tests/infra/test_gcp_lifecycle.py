"""GCP start and stop: each platform's shutdown grace ends before its kill (issue 16 item 12)."""

from __future__ import annotations

import re

import pytest
import uvicorn
import yaml

from infra.gcp.serverless import KILL_AFTER_S
from infra.kubernetes.workload import PRESTOP_SLEEP_S
from infra.plan import Plan, run_plan

PROJECT = {"gcp:project": "demo-project"}
RUN = "gcp:cloudrunv2/service:Service"


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    modes = ("serverless", "vm", "cluster")
    return {m: run_plan("gcp", {**PROJECT, "llmchain:compute": m}) for m in modes}


def _run_env(plan: Plan) -> dict[str, str]:
    (container,) = plan.one(RUN).inputs["template"]["containers"]
    return {e["name"]: e["value"] for e in container["envs"] if "value" in e}


def _grace_of_app(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> int:
    """What uvicorn is told, given the platform's environment (the container's entry point)."""
    import app.__main__ as entry

    seen: list[uvicorn.Config] = []
    monkeypatch.setattr(entry.Server, "run", lambda self: seen.append(self.config))
    for name, value in env.items():
        if name.startswith("LLMCHAIN_") and name != "LLMCHAIN_MEMORY_BACKEND":
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("LLMCHAIN_PROVIDER", "fake")
    monkeypatch.setenv("LLMCHAIN_MEMORY_BACKEND", "memory")
    entry.main()
    (config,) = seen
    return int(config.timeout_graceful_shutdown or 0)


def test_cloud_run_grace_ends_before_its_sigkill(
    plans: dict[str, Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _run_env(plans["serverless"])
    grace = int(env["LLMCHAIN_SHUTDOWN_GRACE_S"])
    assert 0 < grace < KILL_AFTER_S == 10
    assert _grace_of_app(monkeypatch, env) == grace


def test_vm_and_gke_keep_the_default_grace_inside_their_stop_timeouts(
    plans: dict[str, Plan],
) -> None:
    user_data = plans["vm"].one("gcp:compute/instanceTemplate:InstanceTemplate").inputs
    document = yaml.safe_load(user_data["metadata"]["user-data"])
    files = {f["path"]: f["content"] for f in document["write_files"]}
    assert "LLMCHAIN_SHUTDOWN_GRACE_S=30\n" in files["/etc/llmchain/env"]
    stop = re.search(r"docker stop -t (\d+)", files["/etc/systemd/system/llmchain.service"])
    assert stop and int(stop.group(1)) > 30
    pod = plans["cluster"].one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    config = plans["cluster"].one("kubernetes:core/v1:ConfigMap").inputs["data"]
    assert config["LLMCHAIN_SHUTDOWN_GRACE_S"] == "30"
    assert pod["spec"]["terminationGracePeriodSeconds"] > 30 + PRESTOP_SLEEP_S
    assert container["lifecycle"]["preStop"]


def test_cloud_run_waits_for_direct_vpc_egress_within_its_startup_probe(
    plans: dict[str, Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16 item 11: the database may be unreachable for a minute or more at start."""
    from app.core.config import load_settings

    env = _run_env(plans["serverless"])
    budget = float(env["LLMCHAIN_MEMORY_CONNECT_TIMEOUT_S"])
    (container,) = plans["serverless"].one(RUN).inputs["template"]["containers"]
    probe = container["startupProbe"]
    window = probe["periodSeconds"] * probe["failureThreshold"]
    assert 120 <= budget < window <= 240  # Cloud Run's ceiling for the startup window
    assert probe["httpGet"]["path"] == "/healthz"  # served only once the database is open
    monkeypatch.setenv("LLMCHAIN_MEMORY_BACKEND", "postgres")
    monkeypatch.setenv("LLMCHAIN_MEMORY_URL", "postgresql://u:p@10.0.0.3/db")
    monkeypatch.setenv(
        "LLMCHAIN_MEMORY_CONNECT_TIMEOUT_S", env["LLMCHAIN_MEMORY_CONNECT_TIMEOUT_S"]
    )
    assert load_settings().memory_connect_timeout_s == budget


def test_a_connect_budget_in_app_settings_is_kept() -> None:
    plan = run_plan(
        "gcp",
        {**PROJECT, "llmchain:appSettings": {"LLMCHAIN_MEMORY_CONNECT_TIMEOUT_S": "90"}},
    )
    assert _run_env(plan)["LLMCHAIN_MEMORY_CONNECT_TIMEOUT_S"] == "90"


def test_vm_and_gke_keep_the_apps_connect_budget(plans: dict[str, Plan]) -> None:
    for mode in ("vm", "cluster"):
        text = str([r.inputs for r in plans[mode].resources])
        assert "LLMCHAIN_MEMORY_CONNECT_TIMEOUT_S" not in text
