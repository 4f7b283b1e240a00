"""The OpenAI-compatible routes answer in OpenAI's shape, checked against its schemas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.app.openai_schemas import CHUNK, COMPLETION, ERROR, check
from tests.app.test_chain_routes import sse_events
from tests.conftest import Server

USER = [{"role": "user", "content": "a garden hose"}]


@pytest.fixture(scope="module")
def client(service: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service.url, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def oai(service: Server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{service.url}/v1", api_key="unused", max_retries=0)


def complete(client: httpx.Client, **body: Any) -> httpx.Response:
    return client.post("/v1/chat/completions", json={"messages": USER, **body})


def chunks_of(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    data = [d for _, d in sse_events(response.text)]
    assert data[-1] == "[DONE]"
    return [json.loads(d) for d in data[:-1]]


def openai_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    check(ERROR, body)
    error: dict[str, Any] = body["error"]
    return error


@pytest.mark.parametrize("model", ["product-description", "chat", "agent"])
def test_completion_validates_against_openai_schema(client: httpx.Client, model: str) -> None:
    body = complete(client, model=model).json()
    check(COMPLETION, body)
    choice = body["choices"][0]
    assert choice["logprobs"] is None
    assert choice["message"]["refusal"] is None


def test_stream_chunks_validate_against_openai_schema(client: httpx.Client) -> None:
    chunks = chunks_of(
        complete(
            client,
            model="product-description",
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    for chunk in chunks:
        check(CHUNK, chunk)


def test_validation_errors_are_400_invalid_request_naming_the_field(
    client: httpx.Client, oai: openai.OpenAI
) -> None:
    error = openai_error(complete(client, model="chat", n=2), 400)
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "n"
    assert "n:" in error["message"]
    error = openai_error(client.post("/v1/chat/completions", json={"model": "chat"}), 400)
    assert error["param"] == "messages"
    malformed = client.post(
        "/v1/chat/completions", content=b"{", headers={"content-type": "application/json"}
    )
    assert openai_error(malformed, 400)["type"] == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(model="chat", messages=[])
    assert "messages" in str(info.value)


def test_chain_input_errors_are_400_on_the_openai_route(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(
            model="summarize", messages=[{"role": "user", "content": "just text"}]
        )
    assert "send the last user message as a JSON object" in str(info.value)
    assert info.value.param == "messages"


def test_unknown_model_error_names_param_and_code(client: httpx.Client) -> None:
    error = openai_error(complete(client, model="gpt-9"), 404)
    assert error["param"] == "model"
    assert error["code"] == "model_not_found"


def test_every_error_carries_param_and_code(client: httpx.Client) -> None:
    openai_error(client.get("/v1/no-such-route"), 404)
    openai_error(client.post("/v1/chains/product-description/invoke", json={"input": {}}), 422)


def test_other_routes_keep_their_422(client: httpx.Client) -> None:
    response = client.post("/v1/chat", json={"session_id": "bad id!", "message": "x"})
    assert openai_error(response, 422)["type"] == "invalid_input"
