"""A real deployment through the Automation API: up, probe, invoke, destroy.

Runs only where a stack can really be deployed:
    LLMCHAIN_IT_STACK=dev pytest tests/integration      # needs the Pulumi CLI and a Docker engine
    LLMCHAIN_IT_STACK=aws pytest tests/integration      # needs the CLI and AWS credentials
It creates real resources and always destroys them, even when an assertion fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import httpx
import pytest
import yaml

from infra.plan import ROOT

STACK = os.environ.get("LLMCHAIN_IT_STACK")

# cloud -> environment variables any one of which means credentials are present
CREDENTIALS = {
    "aws": ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE"),
    "azure": ("ARM_CLIENT_ID", "AZURE_CLIENT_ID", "ARM_USE_MSI"),
    "gcp": ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CREDENTIALS", "CLOUDSDK_CONFIG"),
}


def why_not() -> str | None:
    """None when a real deployment can run here, else the reason it cannot."""
    if not STACK:
        return "set LLMCHAIN_IT_STACK=<dev|aws|azure|gcp> to deploy for real"
    if not shutil.which("pulumi"):
        return "the Pulumi CLI is not installed (https://www.pulumi.com/docs/install/)"
    stack_file = ROOT / f"Pulumi.{STACK}.yaml"
    if not stack_file.exists():
        return f"no stack file {stack_file.name}"
    cloud = yaml.safe_load(stack_file.read_text())["config"]["llmchain:cloud"]
    if cloud == "local":
        engine = subprocess.run(["docker", "info"], capture_output=True, check=False)
        return None if engine.returncode == 0 else "no Docker engine answers `docker info`"
    if not any(os.environ.get(name) for name in CREDENTIALS[cloud]):
        return f"no {cloud} credentials: set one of {', '.join(CREDENTIALS[cloud])}"
    return None


pytestmark = pytest.mark.skipif(why_not() is not None, reason=why_not() or "")


def wait_healthy(url: str, timeout: float = 900) -> None:
    """Clouds take minutes to route a new service: poll /healthz."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=10).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(10)
    raise AssertionError(f"{url}/healthz did not answer 200 within {timeout} s")


def test_up_probe_invoke_destroy() -> None:
    from pulumi import automation as auto

    assert STACK is not None
    stack = auto.create_or_select_stack(stack_name=STACK, work_dir=str(ROOT))
    try:
        result = stack.up(on_output=print)
        outputs = {key: value.value for key, value in result.outputs.items()}
        assert {"url", "image_ref", "health_url", "memory_store"} <= set(outputs)
        pinned = "@sha256:" in outputs["image_ref"]
        assert pinned or outputs["image_ref"].startswith("localhost/")  # dev: the content tag
        wait_healthy(outputs["url"])
        key = os.environ.get("LLMCHAIN_IT_API_KEY") or outputs.get("api_key")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        ready = httpx.get(f"{outputs['url']}/readyz", timeout=30)
        assert ready.status_code == 200, ready.text  # the memory store answers
        # A chain and a chat turn each call the cloud's model: a retired model, a missing
        # grant or a closed path to the model endpoint fails here, not in production.
        response = httpx.post(
            f"{outputs['url']}/v1/chains/product-description/invoke",
            json={"input": {"product": "colorful socks"}},
            headers=headers,
            timeout=120,
        )
        assert response.status_code == 200, response.text
        assert response.json()["output"]
        turn = httpx.post(
            f"{outputs['url']}/v1/chat",
            json={"session_id": "integration", "message": "Say hello in three words."},
            headers=headers,
            timeout=120,
        )
        assert turn.status_code == 200, turn.text
        history = httpx.get(f"{outputs['url']}/v1/chat/integration", headers=headers, timeout=30)
        assert history.status_code == 200 and history.json(), history.text  # kept in the store
    finally:
        stack.destroy(on_output=print)
