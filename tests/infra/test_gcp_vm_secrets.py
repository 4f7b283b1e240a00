"""GCP vm: instances read the secret versions the stack created; a new one rolls them (issue 16 item 18)."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.gcp.cloud_init import BOOTSTRAP, SECRETS_DIR, cloud_init
from infra.plan import Plan, run_plan
from infra.vm_boot import Limits

PROJECT = {"gcp:project": "demo-project", "llmchain:compute": "vm"}
TEMPLATE = "gcp:compute/instanceTemplate:InstanceTemplate"


@pytest.fixture(scope="module")
def vm() -> Plan:
    return run_plan("gcp", PROJECT)


def _unit(user_data: str) -> str:
    files = {f["path"]: f["content"] for f in yaml.safe_load(user_data)["write_files"]}
    return files["/etc/systemd/system/llmchain.service"]


def _init(versions: dict[str, str]) -> str:
    return cloud_init(
        project="demo-project", registry="us-central1-docker.pkg.dev",
        image_ref="us-central1-docker.pkg.dev/p/r/llmchain@sha256:" + "c" * 64, env={},
        secret_ids={"LLMCHAIN_MEMORY_URL": "llmchain-gcp-llmchain-memory-url"},
        secret_versions=versions, port=8000, stop_timeout=40,
        limits=Limits(1, 1024),
    )  # fmt: skip


def test_the_template_names_the_versions_the_stack_created(vm: Plan) -> None:
    user_data = vm.one(TEMPLATE).inputs["metadata"]["user-data"]
    unit = _unit(user_data)
    # The mocks number every SecretVersion 1, as Secret Manager numbers a secret's first.
    assert "LLMCHAIN_MEMORY_URL=llmchain-gcp-llmchain-memory-url@1" in unit
    assert "LLMCHAIN_API_KEYS=llmchain-gcp-llmchain-api-keys@1" in unit
    assert "latest" not in user_data


def test_a_new_version_is_a_new_template_that_the_group_rolls_out(vm: Plan) -> None:
    assert _init({"LLMCHAIN_MEMORY_URL": "1"}) != _init({"LLMCHAIN_MEMORY_URL": "2"})
    group = vm.one("gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager").inputs
    # The group runs the template's unique self link: a replaced template is a new version,
    # which a proactive update policy rolls onto every instance.
    assert group["versions"][0]["instanceTemplate"].endswith("?uniqueId=1")
    assert (group["updatePolicy"]["type"], group["updatePolicy"]["minimalAction"]) == (
        "PROACTIVE",
        "REPLACE",
    )


def test_the_bootstrap_reads_exactly_that_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def urlopen(request: urllib.request.Request, timeout: float) -> io.BytesIO:
        asked.append(request.full_url)
        if "metadata.google.internal" in request.full_url:
            return io.BytesIO(json.dumps({"access_token": "t"}).encode())
        data = base64.b64encode(b"postgresql://u:p@10.0.0.3/db").decode()
        return io.BytesIO(json.dumps({"payload": {"data": data}}).encode())

    ran: list[Any] = []
    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: ran.append(a))
    monkeypatch.setattr(os, "chown", lambda *a: None)
    argv = ["bootstrap", "demo-project", "us-central1-docker.pkg.dev"]
    monkeypatch.setattr(sys, "argv", [*argv, "LLMCHAIN_MEMORY_URL=llmchain-gcp-memory-url@3"])
    code = BOOTSTRAP.replace(SECRETS_DIR, str(tmp_path / "secrets"))
    exec(compile(code, "bootstrap", "exec"), {})  # noqa: S102 - the script the VM runs
    assert asked[1] == (
        "https://secretmanager.googleapis.com/v1/projects/demo-project/secrets/"
        "llmchain-gcp-memory-url/versions/3:access"
    )
    assert (tmp_path / "secrets" / "LLMCHAIN_MEMORY_URL").read_bytes().startswith(b"postgresql")
    assert ran  # docker login
