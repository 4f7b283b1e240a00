"""OpenAI request options: honoured where the model can (max tokens, stop, temperature),
refused with a 400 naming the field where it cannot (tools, logprobs, JSON modes)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import openai
import pytest

from tests.app.helpers import USER, complete, sse_events
from tests.app.openai_schemas import ERROR, check
from tests.conftest import ServerFactory


def refused(response: httpx.Response, param: str) -> None:
    assert response.status_code == 400, response.text
    check(ERROR, response.json())
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param, error
    assert param in error["message"]


@pytest.mark.parametrize("temperature", [-0.1, 2.5, 5])
def test_temperature_out_of_range_is_400(oai: openai.OpenAI, temperature: float) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(model="chat", messages=USER, temperature=temperature)
    assert info.value.param == "temperature"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tools", [{"type": "function", "function": {"name": "f", "parameters": {}}}]),
        ("tool_choice", "auto"),
        ("functions", [{"name": "f", "parameters": {}}]),
        ("function_call", "auto"),
        ("logprobs", True),
        ("top_logprobs", 2),
        ("response_format", {"type": "json_object"}),
        (
            "response_format",
            {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
        ),
    ],
)
def test_what_cannot_be_honoured_is_refused_naming_the_field(
    client: httpx.Client, field: str, value: Any
) -> None:
    for model in ("product-description", "chat", "agent"):
        refused(complete(client, model=model, **{field: value}), field)


def test_defaults_of_refused_fields_are_accepted(client: httpx.Client) -> None:
    response = complete(
        client,
        model="chat",
        logprobs=False,
        tool_choice="none",
        tools=[],
        response_format={"type": "text"},
        temperature=0,
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
@pytest.mark.parametrize("model", ["product-description", "chat", "agent"])
def test_max_tokens_cuts_the_answer(client: httpx.Client, model: str, field: str) -> None:
    body = complete(client, model=model, **{field: 3}).json()
    assert body["usage"]["completion_tokens"] == 3, body
    assert len(body["choices"][0]["message"]["content"].split()) == 3
    streamed = complete(client, model=model, stream=True, **{field: 3})
    chunks = [json.loads(d) for _, d in sse_events(streamed.text) if d != "[DONE]"]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == body["choices"][0]["message"]["content"]


def test_max_tokens_with_memory_and_a_session(client: httpx.Client) -> None:
    body = complete(client, model="chat", user="short-answers", max_tokens=2).json()
    assert body["usage"]["completion_tokens"] == 2
    history = client.get("/v1/chat/short-answers").json()["messages"]
    assert history[-1]["content"] == body["choices"][0]["message"]["content"]


def test_max_tokens_must_be_positive(client: httpx.Client) -> None:
    refused(complete(client, model="chat", max_tokens=0), "max_tokens")


@pytest.mark.parametrize("model", ["product-description", "chat", "agent"])
def test_stop_ends_the_answer_before_the_sequence(client: httpx.Client, model: str) -> None:
    full = complete(client, model=model).json()["choices"][0]["message"]["content"]
    assert " turn 1: " in full
    cut = complete(client, model=model, stop=["turn"]).json()["choices"][0]["message"]["content"]
    assert cut == full[: full.index("turn")]  # what came before it, and no more
    assert (
        complete(client, model=model, stop="turn").json()["choices"][0]["message"]["content"] == cut
    )


def test_more_than_four_stop_sequences_is_400(client: httpx.Client) -> None:
    refused(complete(client, model="chat", stop=["a", "b", "c", "d", "e"]), "stop")


class _Recorder(BaseHTTPRequestHandler):
    """An OpenAI-style upstream that records each request body and answers 'ok'."""

    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        body = json.loads(self.rfile.read(length))
        type(self).bodies.append(body)
        answer = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "ok", "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    _Recorder.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_options_reach_a_real_provider(servers: ServerFactory, recorder: str) -> None:
    server = servers.start(
        {"LLMCHAIN_PROVIDER": "openai-compatible", "LLMCHAIN_BASE_URL": recorder}
    )
    options = {"temperature": 0.3, "max_tokens": 7, "stop": ["END"]}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for model in ("product-description", "chat"):
            response = complete(client, model=model, **options)
            assert response.status_code == 200, response.text
        # The service-wide cap (LLMCHAIN_MAX_TOKENS) and a chain's own are upper bounds.
        assert complete(client, model="product-description", max_tokens=9999).status_code == 200
    sent = _Recorder.bodies
    assert len(sent) == 3
    for body in sent[:2]:
        assert body["temperature"] == 0.3  # the chain's own is 0.9
        assert body.get("max_completion_tokens", body.get("max_tokens")) == 7
        assert body["stop"] == ["END"]
    assert sent[2].get("max_completion_tokens", sent[2].get("max_tokens")) == 256  # chains.yaml
