"""The app image, built from a clean context and used as a user would: probed, called, stopped."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import httpx

from tests.app.helpers import PRODUCT, sse_events
from tests.conftest import free_port
from tests.container.engine import Containers, podman

BODY = {"input": {"product": "a ceramic teapot"}}


def test_ready_and_own_healthcheck_passes(image: str, containers: Containers) -> None:
    container = containers.run(image, free_port())
    assert httpx.get(f"{container.url}/readyz").json()["status"] == "ready"
    health = podman("healthcheck", "run", container.name, check=False)
    assert health.returncode == 0, health.stdout + health.stderr
    inspected = json.loads(podman("image", "inspect", image).stdout)[0]
    assert "/healthz" in " ".join(inspected["Healthcheck"]["Test"])  # kept: docker format


def test_runs_as_non_root_on_a_read_only_root(
    image: str, containers: Containers, volume: str
) -> None:
    container = containers.run(image, free_port(), volume=volume)
    assert container.exec("id", "-u").stdout.strip() == "10001"
    assert container.exec("sh", "-c", "touch /srv/app/x").returncode != 0  # read-only root
    assert container.exec("sh", "-c", "touch /data/x /tmp/x").returncode == 0  # volume, tmpfs
    user = podman("image", "inspect", "--format", "{{.Config.User}}", image).stdout.strip()
    assert user == "10001:10001"


def test_invoke_stream_chat_and_memory_survives_restart(
    image: str, containers: Containers, volume: str
) -> None:
    container = containers.run(image, free_port(), volume=volume)
    with httpx.Client(base_url=container.url, timeout=30) as client:
        invoked = client.post(f"{PRODUCT}/invoke", json=BODY).json()["output"]
        assert "a ceramic teapot" in invoked
        events = sse_events(client.post(f"{PRODUCT}/stream", json=BODY).text)
        assert "".join(json.loads(d) for e, d in events if e == "data") == invoked
        reply = client.post("/v1/chat", json={"session_id": "box", "message": "remember me"})
        assert reply.status_code == 200
    podman("restart", container.name)
    container.wait_ready()
    with httpx.Client(base_url=container.url, timeout=30) as client:
        history = client.get("/v1/chat/box").json()["messages"]
        assert history[0]["content"] == "remember me"
        again = client.post("/v1/chat", json={"session_id": "box", "message": "still there?"})
        assert "turn 2" in again.json()["reply"]


def test_sigterm_lets_the_request_in_flight_finish_and_exits_0(
    image: str, containers: Containers
) -> None:
    container = containers.run(image, free_port(), {"LLMCHAIN_FAKE_LATENCY_MS": "2000"})
    result: dict[str, httpx.Response] = {}

    def call() -> None:
        result["response"] = httpx.post(f"{container.url}{PRODUCT}/invoke", json=BODY, timeout=30)

    caller = threading.Thread(target=call)
    caller.start()
    threading.Event().wait(0.5)  # the request is waiting on the model
    # SIGTERM, then SIGKILL after 10 s: exit code 0 means it stopped by itself within 10 s.
    podman("stop", "-t", "10", container.name, timeout=60)
    caller.join(30)
    assert result["response"].status_code == 200
    assert "a ceramic teapot" in result["response"].json()["output"]
    assert container.state()["ExitCode"] == 0, container.logs()


def test_bad_setting_exits_non_zero_with_the_message(image: str, containers: Containers) -> None:
    container = containers.run(image, free_port(), {"LLMCHAIN_PROVIDER": "gpt-5"}, ready=False)
    podman("wait", container.name, timeout=60)
    assert container.state()["ExitCode"] == 2
    assert "LLMCHAIN_PROVIDER='gpt-5'" in container.logs()


def _installed(image: str, *modules: str) -> dict[str, bool]:
    code = (
        "import importlib.util as u, json, sys;"
        "print(json.dumps({m: u.find_spec(m) is not None for m in sys.argv[1:]}))"
    )
    out = podman("run", "--rm", "--entrypoint", "python3", image, "-c", code, *modules).stdout
    found: dict[str, bool] = json.loads(out.strip().splitlines()[-1])
    return found


def test_default_image_carries_only_fake_and_openai(image: str) -> None:
    assert _installed(image, "langchain_openai", "langchain_aws", "langchain_google_genai") == {
        "langchain_openai": True,
        "langchain_aws": False,
        "langchain_google_genai": False,
    }


def test_bedrock_image_carries_bedrock_only(
    build: Callable[[str], str], containers: Containers
) -> None:
    bedrock = build("bedrock")
    assert _installed(bedrock, "langchain_aws", "langchain_openai", "langchain_google_genai") == {
        "langchain_aws": True,
        "langchain_openai": False,
        "langchain_google_genai": False,
    }
    env = {"LLMCHAIN_PROVIDER": "bedrock", "LLMCHAIN_AWS_REGION": "eu-west-1"}
    container = containers.run(bedrock, free_port(), env)
    assert httpx.get(f"{container.url}/readyz").json()["provider"] == "bedrock"


def test_provider_missing_from_the_image_is_named(image: str, containers: Containers) -> None:
    env = {"LLMCHAIN_PROVIDER": "bedrock", "LLMCHAIN_AWS_REGION": "eu-west-1"}
    container = containers.run(image, free_port(), env, ready=False)
    podman("wait", container.name, timeout=60)
    assert container.state()["ExitCode"] == 2
    assert "--build-arg PROVIDERS=bedrock" in container.logs()


def test_unknown_provider_in_build_arg_fails_the_build(engine: str) -> None:
    from tests.container.engine import build_image

    result = build_image("localhost/llmchain-test:never", "fake,gpt")
    assert result.returncode != 0
    assert "unknown provider 'gpt' in PROVIDERS" in result.stdout + result.stderr
