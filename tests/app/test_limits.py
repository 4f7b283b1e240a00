"""Limits: body size (413), input length and batch size (422), request timeout (504)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.app.helpers import PRODUCT, assert_error
from tests.conftest import Server, ServerFactory


@pytest.fixture(scope="module")
def limited(module_servers: ServerFactory) -> Server:
    return module_servers.start(
        {
            "LLMCHAIN_MAX_BODY_BYTES": "2048",
            "LLMCHAIN_MAX_INPUT_CHARS": "100",
            "LLMCHAIN_MAX_BATCH_SIZE": "3",
        }
    )


@pytest.fixture(scope="module")
def client(limited: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=limited.url, timeout=30) as c:
        yield c


def test_declared_body_over_limit_is_413(client: httpx.Client) -> None:
    response = client.post(f"{PRODUCT}/invoke", json={"input": {"product": "x" * 5000}})
    assert_error(response, 413, "payload_too_large", "the limit is 2048", "MAX_BODY_BYTES")
    assert response.headers["x-request-id"]


def test_streamed_body_over_limit_is_413(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"input": {"product": "'
        for _ in range(10):
            yield b"y" * 500
        yield b'"}}'

    response = client.post(
        f"{PRODUCT}/invoke", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers  # sent chunked
    assert_error(response, 413, "payload_too_large", "exceeds 2048 bytes")


def test_input_text_over_limit_is_422(client: httpx.Client) -> None:
    response = client.post(f"{PRODUCT}/invoke", json={"input": {"product": "z" * 101}})
    assert_error(response, 422, "invalid_input", "101 characters; the limit is 100")
    chat = client.post("/v1/chat", json={"session_id": "s", "message": "z" * 101})
    assert_error(chat, 422, "invalid_input", "the limit is 100")


def test_batch_over_limit_is_422(client: httpx.Client) -> None:
    response = client.post(f"{PRODUCT}/batch", json={"inputs": [{"product": "a"}] * 4})
    assert_error(response, 422, "invalid_input", "4 inputs; the limit is 3")
    assert client.post(f"{PRODUCT}/batch", json={"inputs": [{"product": "a"}] * 3}).is_success


def test_slow_model_is_504_and_the_turn_is_not_stored(servers: ServerFactory) -> None:
    server = servers.start(
        {"LLMCHAIN_FAKE_LATENCY_MS": "5000", "LLMCHAIN_REQUEST_TIMEOUT_S": "0.3"}
    )
    with httpx.Client(base_url=server.url, timeout=30) as client:
        response = client.post(f"{PRODUCT}/invoke", json={"input": {"product": "a"}})
        assert_error(response, 504, "timeout", "did not answer within 0.3 s")
        chat = client.post("/v1/chat", json={"session_id": "slow", "message": "hello"})
        assert_error(chat, 504, "timeout")
        # Not acknowledged, so not kept: the session has no half-turn.
        assert client.get("/v1/chat/slow").status_code == 404
        assert "slow" not in client.get("/metrics").text  # no session label leaks into metrics
