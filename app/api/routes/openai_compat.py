"""OpenAI-compatible `/v1/models` and `/v1/chat/completions`, for the `openai` SDK."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from typing import Any, Literal

from fastapi import APIRouter, Request
from langchain_core.messages import BaseMessage
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse
from starlette.responses import Response

from app.api.deps import runtime_of
from app.api.openai_options import OpenAIOptions
from app.api.openai_route import OpenAIRoute
from app.api.routes.chat import SESSION_ID_PATTERN, not_only_dots
from app.api.running import aclose, as_client_error, bounded, dumps, guarded, sse_response
from app.chains.registry import Chain
from app.chat.service import chat_messages
from app.core.errors import InvalidInput, MethodNotAllowed, NotFound, error_body
from app.core.metrics import track_usage
from app.core.text import check_text
from app.providers.resilience import with_call_options
from app.runtime import Runtime

router = APIRouter(prefix="/v1", tags=["openai"], route_class=OpenAIRoute)

CHAT_MODEL = "chat"
AGENT_MODEL = "agent"
CREATED = int(time.time())


class ContentPart(BaseModel):
    """One part of a multi-part message; only text parts are understood."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class Message(BaseModel):
    """A chat message in OpenAI's shape."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text, joining text parts."""
        if isinstance(self.content, list):
            return "".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    """OpenAI's stream options: the usage chunk is sent only when asked for."""

    include_usage: bool = False


class ChatCompletionRequest(OpenAIOptions):
    """OpenAI's request: what the service honours, refuses (OpenAIOptions) or ignores (the rest)."""

    model_config = ConfigDict(extra="ignore")
    model: str = Field(description="A chain name, 'chat' (memory by `user`) or 'agent'.")
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = Field(
        default=None,
        description=(
            "With model 'chat' or 'agent': the session id whose memory is used (letters, "
            "digits and . _ : @ -; 1 to 128; not only dots). Any string for a chain."
        ),
    )
    n: int = Field(default=1, ge=1, le=1, description="Only one choice is supported.")


def _session_of(user: str, model: str) -> str:
    """`user` as the session id of a memory model: the session-id rules apply only there."""
    try:
        if not re.fullmatch(SESSION_ID_PATTERN, user):
            raise ValueError("use letters, digits and . _ : @ -; 1 to 128 characters")
        return not_only_dots(user)
    except ValueError as exc:
        raise InvalidInput(
            f"user: with model '{model}', user is the session id: {exc}", param="user"
        ) from None


def _known_models(runtime: Runtime) -> list[str]:
    return [CHAT_MODEL, AGENT_MODEL, *runtime.chains]


def _unknown_model(model: str, runtime: Runtime) -> NotFound:
    return NotFound(
        f"unknown model '{model}'; known models: {', '.join(_known_models(runtime))}",
        param="model",
        code="model_not_found",
    )


def _model_object(name: str) -> dict[str, Any]:
    """OpenAI's Model object (openai/openai-openapi, schema `Model`, read 2026-11-29)."""
    return {"id": name, "object": "model", "created": CREATED, "owned_by": "llmchain"}


@router.get("/models", summary="List the models (chains, 'chat' and 'agent')")
async def list_models(request: Request) -> dict[str, Any]:
    """Every chain, `chat` and `agent`, as OpenAI model objects."""
    runtime = runtime_of(request)
    return {"object": "list", "data": [_model_object(name) for name in _known_models(runtime)]}


@router.get("/models/{model}", summary="One model (a chain, 'chat' or 'agent')")
async def retrieve_model(model: str, request: Request) -> dict[str, Any]:
    """The model object, or 404 in OpenAI's error shape when there is no such model."""
    runtime = runtime_of(request)
    if model not in _known_models(runtime):
        raise _unknown_model(model, runtime)
    return _model_object(model)


def _chain_input(chain: Chain, body: ChatCompletionRequest, max_chars: int) -> dict[str, str]:
    """Fill the chain's variable from the last user message (a JSON object when it has several)."""
    users = [m for m in body.messages if m.role == "user"]
    if not users:
        raise InvalidInput(f"messages: model '{chain.name}' needs a user message", param="messages")
    text = users[-1].text()
    variables = chain.spec.input_variables
    if len(variables) == 1:
        return chain.check_input({variables[0]: text}, max_chars)
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InvalidInput(
            f"model '{chain.name}' takes {', '.join(variables)}: send the last user message "
            f'as a JSON object, for example {{"{variables[0]}": "..."}}',
            param="messages",
        )
    try:
        return chain.check_input(value, max_chars)
    except InvalidInput as exc:
        exc.param = "messages"  # the chain's variables come from the messages
        raise


def _check_messages(body: ChatCompletionRequest, max_chars: int) -> None:
    """Every text (messages, model, stop) is Unicode as /v1/chat's; messages within the limit."""
    check_text(body.model, "model", param="model")  # echoed in a 404 when unknown
    stops = [body.stop] if isinstance(body.stop, str) else body.stop or []
    for stop in stops:
        check_text(stop, "stop", param="stop")
    for index, message in enumerate(body.messages):
        check_text(message.text(), f"messages[{index}].content", param="messages")
    size = sum(len(m.text()) for m in body.messages)
    if size > max_chars:
        raise InvalidInput(
            f"messages: {size} characters; the limit is {max_chars} (LLMCHAIN_MAX_INPUT_CHARS)",
            param="messages",
        )


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


async def _texts(chunks: AsyncIterator[BaseMessage]) -> AsyncIterator[str]:
    """The text of each chunk; closing this closes the model's stream (cancels the call)."""
    try:
        async for chunk in chunks:
            yield chunk.text
    finally:
        await aclose(chunks)


def _history(body: ChatCompletionRequest) -> list[BaseMessage]:
    """Every message sent, as LangChain messages: what a stateless model answers."""
    return chat_messages([{"role": m.role, "content": m.text()} for m in body.messages])


async def _run(
    runtime: Runtime, body: ChatCompletionRequest
) -> tuple[str, AsyncIterator[str] | None]:
    """Pick what answers: a chain, chat with memory (`user` set) or stateless chat."""
    settings = runtime.settings
    options = body.model_options(settings.max_tokens)
    if body.model == AGENT_MODEL:
        users = [m for m in body.messages if m.role == "user"]
        if not users:
            raise InvalidInput("messages: model 'agent' needs a user message", param="messages")
        # With `user`, the session's memory and the new message; without, a stateless
        # call (nothing stored) given the whole conversation sent, as stateless `chat` is.
        turn: str | list[BaseMessage]
        session: str | None
        if body.user:
            session, turn = _session_of(body.user, body.model), users[-1].text()
        else:
            session, turn = None, _history(body)
        if body.stream:
            return "", runtime.agent.stream(session, turn, options)
        answer = await bounded(runtime.agent.run(session, turn, options), settings)
        return answer.reply, None
    if body.model == CHAT_MODEL:
        if body.user:
            session = _session_of(body.user, body.model)
            users = [m for m in body.messages if m.role == "user"]
            if not users:
                raise InvalidInput("messages: model 'chat' needs a user message", param="messages")
            message = users[-1].text()
            if body.stream:
                return "", runtime.chat.stream_turn(session, message, options=options)
            reply = await bounded(runtime.chat.turn(session, message, options=options), settings)
            return reply.text, None
        history = _history(body)
        model = with_call_options(runtime.chat.model, options)
        if body.stream:
            return "", _texts(model.astream(history))
        reply = await bounded(model.ainvoke(history), settings)
        return reply.text, None
    chain = runtime.chains.get(body.model)
    if chain is None:
        raise _unknown_model(body.model, runtime)
    chain_input = _chain_input(chain, body, settings.max_input_chars)
    cap = chain.spec.model.max_tokens or settings.max_tokens
    chain = chain.with_model_options(body.model_options(cap))
    if body.stream:
        return "", chain.text_runnable.astream(chain_input)
    output = await bounded(chain.runnable.ainvoke(chain_input), settings)
    text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
    return text, None


@router.post(
    "/chat/completions",
    summary="OpenAI-compatible chat completion",
    response_model=None,
    responses={200: {"content": {"application/json": {}, "text/event-stream": {}}}},
)
async def chat_completions(
    body: ChatCompletionRequest, request: Request
) -> dict[str, Any] | EventSourceResponse:
    """A chain (its variable filled from the last user message) or `chat`, plain or streamed."""
    runtime = runtime_of(request)
    body.refuse_unsupported()
    _check_messages(body, runtime.settings.max_input_chars)
    usage = track_usage()
    cid = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    text, stream = await _run(runtime, body)
    if stream is None:
        return _completion(cid, created, body.model, text, usage.as_openai())
    with_usage = body.stream_options is not None and body.stream_options.include_usage
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
