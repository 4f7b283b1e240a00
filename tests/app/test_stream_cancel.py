"""A client that drops a stream cancels the model call, on every streaming route (issue 17 item 10).

The fake model is slow (a token every 200 ms), so a call that is not cancelled is still
running when the client has gone; it would end as `ok` in the model-call metrics.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.app.helpers import PRODUCT, metric
from tests.conftest import Server, ServerFactory

STREAMS = 6  # dropped at once, per route
# A token of the answer in stream_log's patches (the run's streamed output) or in
# stream_events' events: before it, the model may not have been called yet.
TOKEN_SEEN = re.compile(r'"path":\s*"/streamed_output/-"|"event":\s*"on_chat_model_stream"')
LONG = "tell me a long story about a lighthouse keeper and the sea, please"


@pytest.fixture(scope="module")
def slow(module_servers: ServerFactory) -> Server:
    """A service whose model streams a token every 200 ms."""
    return module_servers.start({"LLMCHAIN_FAKE_TOKEN_LATENCY_MS": "200"})


@pytest.fixture
def client(slow: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=slow.url, timeout=30) as client:
        yield client


def completion(model: str, user: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "stream": True,
        "messages": [{"role": "user", "content": LONG}],
    }
    if user is not None:
        body["user"] = user
    return body


def drop_after_first_token(base_url: str, path: str, body: dict[str, Any]) -> None:
    """Open a stream, read until the first piece of the answer, then hang up."""
    with (
        httpx.Client(base_url=base_url, timeout=30) as client,
        client.stream("POST", path, json=body) as response,
    ):
        assert response.status_code == 200
        event = "message"
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: {") and event == "message":  # OpenAI chunks
                if json.loads(line[6:])["choices"][0]["delta"].get("content"):
                    return
            elif (
                line.startswith("data: ")
                and event == "data"  # LangServe events
                and (path.endswith("/stream") or TOKEN_SEEN.search(line))
            ):
                return
    raise AssertionError("the stream ended before its first token")


def calls(client: httpx.Client) -> dict[str, float]:
    return {
        outcome: metric(client, "llmchain_model_calls_total", outcome=outcome)
        for outcome in ("ok", "cancelled", "error")
    }


def wait_idle(client: httpx.Client, safety_s: float = 30.0) -> None:
    """Poll until no model call is in flight (a safety bound, not a timing assertion)."""
    deadline = time.monotonic() + safety_s
    while metric(client, "llmchain_model_calls_in_flight", provider="fake") > 0:
        assert time.monotonic() < deadline, "model calls still running"
        time.sleep(0.1)


def drop_streams(slow: Server, path: str, bodies: list[dict[str, Any]]) -> None:
    with ThreadPoolExecutor(len(bodies)) as pool:
        list(pool.map(lambda body: drop_after_first_token(slow.url, path, body), bodies))


ROUTES = {
    "chat with memory": ("/v1/chat/completions", lambda i: completion("chat", f"drop-chat-{i}")),
    "agent with memory": ("/v1/chat/completions", lambda i: completion("agent", f"drop-ag-{i}")),
    "stateless agent": ("/v1/chat/completions", lambda i: completion("agent")),
    "stateless chat": ("/v1/chat/completions", lambda i: completion("chat")),
    "chain as a model": ("/v1/chat/completions", lambda i: completion("product-description")),
    "chain stream": (f"{PRODUCT}/stream", lambda i: {"input": {"product": LONG}}),
    "chain stream_log": (f"{PRODUCT}/stream_log", lambda i: {"input": {"product": LONG}}),
    "chain stream_events": (f"{PRODUCT}/stream_events", lambda i: {"input": {"product": LONG}}),
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_dropped_streams_cancel_their_model_calls(
    route: str, slow: Server, client: httpx.Client
) -> None:
    path, body = ROUTES[route]
    wait_idle(client)
    before = calls(client)
    drop_streams(slow, path, [body(i) for i in range(STREAMS)])
    wait_idle(client)
    after = calls(client)
    assert after["cancelled"] - before["cancelled"] == STREAMS
    assert after["ok"] == before["ok"], "a model call went on after its client left"
    assert after["error"] == before["error"]


def test_a_dropped_turn_stores_nothing_and_frees_the_session(
    slow: Server, client: httpx.Client
) -> None:
    """The dropped message is not in the history; the session's next turn goes ahead."""
    drop_streams(slow, "/v1/chat/completions", [completion("chat", "dropped-once")])
    wait_idle(client)
    assert client.get("/v1/chat/dropped-once").status_code == 404
    answer = client.post(
        "/v1/chat/completions",
        json={
            "model": "chat",
            "user": "dropped-once",
            "messages": [{"role": "user", "content": "hello again"}],
        },
    )
    assert answer.status_code == 200, answer.text
    # The fake model says how many user messages it saw: only this one.
    assert answer.json()["choices"][0]["message"]["content"].endswith("turn 1: hello again")
    history = client.get("/v1/chat/dropped-once").json()["messages"]
    assert [m["content"] for m in history if m["role"] == "user"] == ["hello again"]
