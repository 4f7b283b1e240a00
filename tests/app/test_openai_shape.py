"""The OpenAI-compatible routes answer in OpenAI's shape, checked against its schemas."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from tests.app.helpers import USER, complete, sse_events
from tests.app.openai_schemas import CHUNK, COMPLETION, ERROR, MODEL, MODEL_LIST, check
from tests.conftest import ServerFactory


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


def test_no_usage_chunk_unless_asked(oai: openai.OpenAI, client: httpx.Client) -> None:
    stream = oai.chat.completions.create(model="product-description", messages=USER, stream=True)
    # What clients do: read choices[0] of every chunk (IndexError on a `choices: []` chunk).
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream)
    assert "a garden hose" in text
    raw = chunks_of(complete(client, model="chat", stream=True))
    assert all(chunk["choices"] and "usage" not in chunk for chunk in raw)


def test_usage_chunk_when_asked_is_last_and_others_say_null(client: httpx.Client) -> None:
    for model in ("product-description", "chat", "agent"):
        chunks = chunks_of(
            complete(client, model=model, stream=True, stream_options={"include_usage": True})
        )
        *content, last = chunks
        assert last["choices"] == [] and last["usage"]["total_tokens"] > 0
        assert all(chunk["choices"] and chunk["usage"] is None for chunk in content)
        assert content[-1]["choices"][0]["finish_reason"] == "stop"


def test_id_and_created_are_constant_across_one_stream(servers: ServerFactory) -> None:
    slow = servers.start({"LLMCHAIN_FAKE_TOKEN_LATENCY_MS": "150"})  # spans a second boundary
    with httpx.Client(base_url=slow.url, timeout=30) as slow_client:
        chunks = chunks_of(
            complete(
                slow_client,
                model="product-description",
                stream=True,
                stream_options={"include_usage": True},
            )
        )
    assert len(chunks) > 10
    assert len({chunk["id"] for chunk in chunks}) == 1
    assert len({chunk["created"] for chunk in chunks}) == 1


def test_models_list_and_retrieve(oai: openai.OpenAI, client: httpx.Client) -> None:
    listing = client.get("/v1/models").json()
    check(MODEL_LIST, listing)
    for entry in listing["data"]:
        one = client.get(f"/v1/models/{entry['id']}")
        assert one.status_code == 200, one.text
        check(MODEL, one.json())
        assert one.json() == entry
    assert oai.models.retrieve("chat").id == "chat"
    assert oai.models.retrieve("product-description").owned_by == "llmchain"


def test_retrieving_an_unknown_model_is_404_in_openai_shape(
    oai: openai.OpenAI, client: httpx.Client
) -> None:
    error = openai_error(client.get("/v1/models/gpt-9"), 404)
    assert error["param"] == "model" and error["code"] == "model_not_found"
    assert "unknown model 'gpt-9'" in error["message"]
    with pytest.raises(openai.NotFoundError):
        oai.models.retrieve("gpt-9")


def test_user_on_a_chain_is_any_string(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="product-description", user="john doe+1@example.com", messages=USER
    )
    assert "a garden hose" in (completion.choices[0].message.content or "")


def test_user_on_chat_and_agent_must_be_a_session_id(client: httpx.Client) -> None:
    for model in ("chat", "agent"):
        error = openai_error(complete(client, model=model, user="john doe+1@example.com"), 400)
        assert error["param"] == "user" and error["type"] == "invalid_request_error"


CONVERSATION: list[Any] = [
    {"role": "system", "content": "be short"},
    {"role": "user", "content": "one"},
    {"role": "assistant", "content": "ok"},
    {"role": "user", "content": "two"},
]


@pytest.mark.parametrize("model", ["chat", "agent"])
def test_stateless_chat_and_agent_both_see_every_message(client: httpx.Client, model: str) -> None:
    body = client.post(
        "/v1/chat/completions", json={"model": model, "messages": CONVERSATION}
    ).json()
    assert "turn 2: two" in body["choices"][0]["message"]["content"]
    streamed = chunks_of(
        client.post(
            "/v1/chat/completions",
            json={"model": model, "messages": CONVERSATION, "stream": True},
        )
    )
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in streamed)
    assert "turn 2: two" in text
