"""What several test modules share: the product chain's path, error and SSE parsing, metrics."""

from __future__ import annotations

from typing import Any

import httpx

PRODUCT = "/v1/chains/product-description"


def assert_error(response: httpx.Response, status: int, error_type: str, *fragments: str) -> None:
    """Assert an OpenAI-shaped error body of this status and type whose message holds each fragment."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"type", "message", "param", "code"}
    assert body["error"]["type"] == error_type
    for fragment in fragments:
        assert fragment in body["error"]["message"]


def sse_events(text: str) -> list[tuple[str, str]]:
    """(event, data) pairs of an SSE body; comment lines are skipped."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        event, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data or event != "message":
            events.append((event, "\n".join(data)))
    return events


def metric(client: httpx.Client, name: str, **labels: str) -> float:
    """The value of one sample in /metrics (0 when absent)."""
    text = client.get("/metrics").text
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


# A one-message conversation for the OpenAI-compatible route.
USER: list[Any] = [{"role": "user", "content": "a garden hose"}]


def complete(client: httpx.Client, **body: Any) -> httpx.Response:
    """POST /v1/chat/completions with USER and `body`'s other fields."""
    return client.post("/v1/chat/completions", json={"messages": USER, **body})
