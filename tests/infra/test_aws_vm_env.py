"""AWS vm: the container's env file is enough for the app to reach Bedrock (issue 14 item 3)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from app.core.config import load_settings
from app.providers.factory import build_base_model
from infra.plan import run_plan


def _env_file(overrides: dict[str, object]) -> dict[str, str]:
    """The `/etc/llmchain/env` the EC2 instances hand to `docker run --env-file`."""
    plan = run_plan("aws", {"llmchain:compute": "vm", **overrides})
    (template,) = [
        t for t in plan.of_type("aws:ec2/launchTemplate:LaunchTemplate") if "userData" in t.inputs
    ]
    text = base64.b64decode(template.inputs["userData"]).decode()
    document = yaml.safe_load(text.removeprefix("#cloud-config\n"))
    (env,) = [f["content"] for f in document["write_files"] if f["path"] == "/etc/llmchain/env"]
    return dict(line.split("=", 1) for line in env.splitlines() if line)


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_vm_env_file_gives_the_bedrock_client_its_region(
    region: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model = f"{'eu' if region.startswith('eu-') else 'us'}.anthropic.claude-haiku-4-5-20251001-v1:0"
    env = _env_file({"aws:region": region, "llmchain:llm.model": model})
    assert env["AWS_REGION"] == region
    # The container sees only the env file (plain Docker on EC2 injects nothing): build the
    # app's Bedrock model from exactly that, as it does at start.
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "LLMCHAIN_AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # What the fetch script puts in the mounted secrets directory.
    (tmp_path / "LLMCHAIN_MEMORY_URL").write_text("postgresql://app:pw@db:5432/llmchain")
    monkeypatch.setenv("LLMCHAIN_SECRETS_DIR", str(tmp_path))
    model_obj = build_base_model(load_settings())
    assert model_obj.region_name == region
