"""OpenAI-compatible `/v1/models` and `/v1/chat/completions`, for the `openai` SDK."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from typing import Any

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse
from starlette.responses import Response

from app.api.deps import runtime_of
from app.api.openai_route import OpenAIRoute
from app.api.responders import known_models, resolve, unknown_model
from app.api.running import as_client_error, dumps, guarded, sse_response
from app.api.schemas import ChatCompletionRequest
from app.core.errors import MethodNotAllowed, error_body
from app.core.metrics import track_usage

router = APIRouter(prefix="/v1", tags=["openai"], route_class=OpenAIRoute)

CREATED = int(time.time())


def _model_object(name: str) -> dict[str, Any]:
    """OpenAI's Model object (openai/openai-openapi, schema `Model`, read 2026-11-29)."""
    return {"id": name, "object": "model", "created": CREATED, "owned_by": "llmchain"}


@router.get("/models", summary="List the models (chains, 'chat' and 'agent')")
async def list_models(request: Request) -> dict[str, Any]:
    """Every chain, `chat` and `agent`, as OpenAI model objects."""
    runtime = runtime_of(request)
    return {"object": "list", "data": [_model_object(name) for name in known_models(runtime)]}


@router.get("/models/{model}", summary="One model (a chain, 'chat' or 'agent')")
async def retrieve_model(model: str, request: Request) -> dict[str, Any]:
    """The model object, or 404 in OpenAI's error shape when there is no such model."""
    runtime = runtime_of(request)
    if model not in known_models(runtime):
        raise unknown_model(model, runtime)
    return _model_object(model)


def _completion(
    cid: str, created: int, model: str, text: str, usage: dict[str, int]
) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                # OpenAI requires both, nullable: nothing is refused, no logprobs kept.
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
    }


def _chunker(cid: str, created: int, model: str, with_usage: bool) -> Callable[..., dict[str, Any]]:
    """Chunks of one stream: the same `id` and `created` in each (OpenAI's stream schema).

    With `stream_options.include_usage`, every chunk has `usage: null` but the last, which
    has the usage and `choices: []`; without it, no chunk has `usage` and none is empty.
    """

    def chunk(delta: dict[str, str], finish: str | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if with_usage:
            doc["usage"] = None
        return doc

    return chunk


@router.post(
    "/chat/completions",
    summary="OpenAI-compatible chat completion",
    response_model=None,
    responses={200: {"content": {"application/json": {}, "text/event-stream": {}}}},
)
async def chat_completions(
    body: ChatCompletionRequest, request: Request
) -> dict[str, Any] | EventSourceResponse:
    """What `model` resolves to (a chain, `chat` or `agent`) answers, plain or streamed."""
    runtime = runtime_of(request)
    body.refuse_unsupported()
    body.check_input(runtime.settings.max_input_chars)
    usage = track_usage()
    cid = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    responder = resolve(runtime, body.model, body.user)
    if not body.stream:
        text = await responder.answer(body.messages, body)
        return _completion(cid, created, body.model, text, usage.as_openai())
    stream = responder.stream(body.messages, body)  # the request checked before the 200
    with_usage = body.with_usage()
    chunk = _chunker(cid, created, body.model, with_usage)

    async def events() -> AsyncIterator[dict[str, Any]]:
        yield {"data": dumps(chunk({"role": "assistant", "content": ""}))}
        try:
            # Closed with this generator: a client that goes away cancels the model call
            # (and a turn with memory stores nothing).
            async with aclosing(guarded(stream, runtime.settings)) as pieces:
                async for piece in pieces:
                    if piece:
                        yield {"data": dumps(chunk({"content": piece}))}
        except Exception as exc:
            err = as_client_error(exc)
            yield {"data": dumps(error_body(err.error_type, err.message, err.param, err.code))}
            return
        yield {"data": dumps(chunk({}, finish="stop"))}
        if with_usage:
            usage_chunk = chunk({})
            usage_chunk["choices"] = []
            usage_chunk["usage"] = usage.as_openai()
            yield {"data": dumps(usage_chunk)}
        yield {"data": "[DONE]"}

    return sse_response(events(), runtime.settings)


@router.api_route(
    "/chat/completions",
    methods=["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"],
    include_in_schema=False,
)
async def completions_other_methods(request: Request) -> Response:
    """405: without it, `GET /v1/chat/{session_id}` would answer for session 'completions'."""
    raise MethodNotAllowed(
        f"method {request.method} is not allowed on {request.url.path}",
        headers={"Allow": "POST"},
    )
