"""Logs (JSON, request ids, nothing secret) and Prometheus metrics."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.app.helpers import PRODUCT, metric
from tests.conftest import Server, ServerFactory

SECRET_PROMPT = "the-launch-code-is-0000"
API_KEY = "k-observability-secret"


@pytest.fixture(scope="module")
def server(module_servers: ServerFactory) -> Server:
    return module_servers.start({"LLMCHAIN_API_KEYS": API_KEY})


@pytest.fixture(scope="module")
def client(server: Server):
    with httpx.Client(
        base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {API_KEY}"}
    ) as c:
        yield c


def log_records(server: Server) -> list[dict]:
    return [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]


def test_request_id_is_honoured_and_echoed(client: httpx.Client, server: Server) -> None:
    response = client.post(
        f"{PRODUCT}/invoke", json={"input": {"product": "x"}}, headers={"X-Request-ID": "abc-123"}
    )
    assert response.headers["x-request-id"] == "abc-123"
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    unsafe = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"
    access = [r for r in log_records(server) if r.get("request_id") == "abc-123"]
    assert access and access[-1]["route"] == "/v1/chains/{name}/invoke"
    assert access[-1]["status"] == 200


def test_logs_are_json_and_never_hold_prompts_or_keys(client: httpx.Client, server: Server) -> None:
    client.post(f"{PRODUCT}/invoke", json={"input": {"product": SECRET_PROMPT}})
    client.post("/v1/chat", json={"session_id": "obs", "message": SECRET_PROMPT})
    client.post(
        "/v1/chat/completions",
        json={"model": "chat", "messages": [{"role": "user", "content": SECRET_PROMPT}]},
    )
    httpx.get(f"{server.url}/v1/chains", headers={"X-API-Key": "wrong-" + API_KEY})
    lines = [line for line in server.logs().splitlines() if line.strip()]
    assert lines
    for line in lines:
        record = json.loads(line)  # every line is one JSON object
        assert {"time", "level", "logger", "message", "request_id"} <= set(record)
    assert SECRET_PROMPT not in server.logs()
    assert API_KEY not in server.logs()


def test_metrics_count_requests_and_model_tokens(client: httpx.Client) -> None:
    before = metric(
        client, "llmchain_http_requests_total",
        route="/v1/chains/{name}/invoke", method="POST", status="200",
    )  # fmt: skip
    tokens_before = metric(client, "llmchain_model_tokens_total", direction="out")
    for product in ("a", "b", "c"):
        client.post(f"{PRODUCT}/invoke", json={"input": {"product": product}})
    client.post("/v1/chains/nope/invoke", json={"input": {}})
    after = metric(
        client, "llmchain_http_requests_total",
        route="/v1/chains/{name}/invoke", method="POST", status="200",
    )  # fmt: skip
    assert after - before == 3
    assert metric(client, "llmchain_http_requests_total", status="404") >= 1
    assert metric(client, "llmchain_model_tokens_total", direction="out") - tokens_before > 0
    assert metric(client, "llmchain_model_calls_total", provider="fake", outcome="ok") >= 3
    text = client.get("/metrics").text
    assert "llmchain_http_request_duration_seconds_bucket" in text
    assert "llmchain_http_requests_in_flight" in text
    assert 'model="fake-echo"' in text
