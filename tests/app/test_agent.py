"""The agent over HTTP: tools, tool errors as observations, call limits, memory, streaming."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.app.helpers import assert_error, sse_events
from tests.conftest import ServerFactory


def ask(client: httpx.Client, session: str, message: str) -> dict[str, Any]:
    response = client.post("/v1/agent", json={"session_id": session, "message": message})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_calculator_answers_84(client: httpx.Client) -> None:
    body = ask(client, "calc", "what is 12*7?")
    assert body["reply"] == "The result is 84."
    assert body["tool_calls"] == [
        {"name": "calculator", "args": {"expression": "12*7"}, "result": "84"}
    ]
    assert body["usage"]["total_tokens"] > 0


def test_current_time_in_a_timezone(client: httpx.Client) -> None:
    body = ask(client, "clock", "what time is it in Asia/Tokyo?")
    (call,) = body["tool_calls"]
    assert call["name"] == "current_time"
    assert "JST (UTC+0900)" in call["result"]
    assert call["result"] in body["reply"]


def test_lookup_finds_the_shipped_document(client: httpx.Client) -> None:
    body = ask(client, "docs", "look up how to configure chat memory")
    (call,) = body["tool_calls"]
    assert call["name"] == "lookup"
    assert call["result"].startswith("[memory]")
    assert "LLMCHAIN_MEMORY_BACKEND" in body["reply"]


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("what is 1/0?", "division by zero"),
        ("what is 2**1000?", "exponent above 100"),
        ("what time is it in Mars/Olympus?", "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_a_tool_error_goes_back_to_the_model(
    client: httpx.Client, message: str, error: str
) -> None:
    body = ask(client, "errors", message)
    (call,) = body["tool_calls"]
    assert error in call["result"]
    assert body["reply"] == f"The {call['name']} tool failed: {call['result']}"


def test_the_http_tool_is_off_without_allowed_hosts(client: httpx.Client) -> None:
    body = ask(client, "web-off", "fetch http://127.0.0.1:9/ please")
    assert body["tool_calls"] == []  # the model was never offered the tool


def test_memory_per_session_and_separate_from_chat(client: httpx.Client) -> None:
    first = ask(client, "remember", "hello agent")
    second = ask(client, "remember", "and again")
    assert "turn 1: hello agent" in first["reply"]
    assert "turn 2: and again" in second["reply"]  # the first turn reached the model
    assert "turn 1: other" in ask(client, "remember-2", "other")["reply"]
    # Chat threads and agent threads share the store, not the history.
    assert client.get("/v1/chat/remember").status_code == 404


def test_agent_model_on_the_openai_route_streams(client: httpx.Client) -> None:
    request = {"model": "agent", "messages": [{"role": "user", "content": "what is 2+3*4?"}]}
    answer = client.post("/v1/chat/completions", json=request).json()
    assert answer["choices"][0]["message"]["content"] == "The result is 14."
    streamed = client.post(
        "/v1/chat/completions",
        json={**request, "stream": True, "stream_options": {"include_usage": True}},
    )
    chunks = [json.loads(d) for _, d in sse_events(streamed.text) if d != "[DONE]"]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "The result is 14."
    assert chunks[-1]["usage"]["total_tokens"] == answer["usage"]["total_tokens"]


def test_malformed_agent_request_is_422(client: httpx.Client) -> None:
    response = client.post("/v1/agent", json={"session_id": "bad id!", "message": ""})
    assert response.status_code == 422
    text = response.text
    assert "session_id" in text and "message" in text


class _Pages(BaseHTTPRequestHandler):
    """A tiny web server: /big is 1 MB, /slow answers after 3 s, anything else is small."""

    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(3)
        body = b"x" * 1_000_000 if self.path == "/big" else b"hello from the allowed host"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def web() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_http_tool_is_bounded_to_allowed_hosts_size_and_time(
    servers: ServerFactory, web: str
) -> None:
    server = servers.start(
        {
            "LLMCHAIN_AGENT_HTTP_ALLOWED_HOSTS": "127.0.0.1",
            "LLMCHAIN_AGENT_HTTP_MAX_BYTES": "2048",
            "LLMCHAIN_AGENT_HTTP_TIMEOUT_S": "0.5",
        }
    )
    with httpx.Client(base_url=server.url, timeout=30) as client:
        ok = ask(client, "web", f"fetch {web}/page")["tool_calls"][0]
        assert ok["name"] == "http_get"
        assert ok["result"] == "HTTP 200\nhello from the allowed host"
        big = ask(client, "web", f"fetch {web}/big")["tool_calls"][0]["result"]
        assert big == "HTTP 200\n" + "x" * 2048
        slow = ask(client, "web", f"fetch {web}/slow")
        assert "request failed: ReadTimeout" in slow["reply"]
        other = ask(client, "web", "fetch http://localhost:1/secret")
        assert "host 'localhost' is not allowed; allowed: 127.0.0.1" in other["reply"]
        scheme = ask(client, "web", "fetch file:///etc/passwd or https:///nohost")
        assert "not an http(s) URL" in scheme["reply"]


def test_model_call_limit_ends_the_run(servers: ServerFactory) -> None:
    server = servers.start({"LLMCHAIN_AGENT_MAX_MODEL_CALLS": "1"})
    with httpx.Client(base_url=server.url, timeout=30) as client:
        body = ask(client, "limited", "what is 6*7?")
    # The first call asked for the calculator; the answer would need a second call.
    assert [c["name"] for c in body["tool_calls"]] == ["calculator"]
    assert "limit" in body["reply"].lower()
    assert "42" not in body["reply"]


def test_agent_without_a_model_answer_is_a_clear_error(servers: ServerFactory) -> None:
    server = servers.start({"LLMCHAIN_FAKE_FAILURE_RATE": "1", "LLMCHAIN_FAKE_FAILURE_KIND": "500"})
    with httpx.Client(base_url=server.url, timeout=30) as client:
        response = client.post("/v1/agent", json={"session_id": "down", "message": "what is 1+1"})
    assert_error(response, 502, "provider_error", "server error (5xx)")
