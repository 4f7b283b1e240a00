"""LangServe-compatible chain routes: invoke, batch, stream, schemas (RemoteRunnable works)."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from typing import Any, NamedTuple
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Request, Response
from langchain_core._api import LangChainDeprecationWarning
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse
from starlette.responses import RedirectResponse

from app.api.deps import runtime_of
from app.api.running import (
    as_client_error,
    bounded,
    dumps,
    guarded,
    json_response,
    run_config,
    sse_response,
)
from app.api.schemas import BatchRequest, InvokeRequest, StreamLogRequest
from app.chains.registry import Chain
from app.core.config import Settings
from app.core.errors import InvalidInput

router = APIRouter(prefix="/v1/chains", tags=["chains"])

# `stream_log` exists for LangServe's `RemoteRunnable.astream_log`; LangChain deprecates the
# method in favour of astream_events, and would warn on the first call of every process.
warnings.filterwarnings(
    "ignore", message="astream_log is deprecated", category=LangChainDeprecationWarning
)


class RunMetadata(BaseModel):
    """LangServe's metadata of one run."""

    run_id: str
    feedback_tokens: list[Any] = Field(default_factory=list)


class InvokeResponse(BaseModel):
    """The chain's answer: a string, or an object for chains with `output: json`."""

    output: Any
    metadata: RunMetadata


class BatchMetadata(BaseModel):
    """LangServe's metadata of a batch."""

    run_ids: list[str]


class BatchResponse(BaseModel):
    """The answers, in input order."""

    output: list[Any]
    metadata: BatchMetadata


class ChainInfo(BaseModel):
    """A chain as listed by GET /v1/chains."""

    name: str
    description: str
    input_variables: list[str]
    output: str


@router.get("", summary="List the chains")
async def list_chains(request: Request) -> dict[str, list[ChainInfo]]:
    """Every chain with its input variables."""
    runtime = runtime_of(request)
    return {"chains": [ChainInfo(**chain.describe()) for chain in runtime.chains.values()]}


class OneRun(NamedTuple):
    """What invoke and stream need to run a chain once."""

    chain: Chain
    settings: Settings
    chain_input: dict[str, str]
    run_id: uuid.UUID


def one_run(name: str, body: InvokeRequest, request: Request) -> OneRun:
    """Look up the chain and check its input (404 and 422 before anything runs)."""
    runtime = runtime_of(request)
    chain = runtime.chains.get_chain(name)
    chain_input = chain.check_input(body.input, runtime.settings.max_input_chars)
    return OneRun(chain, runtime.settings, chain_input, uuid.uuid4())


@router.post("/{name}/invoke", summary="Run a chain once", response_model=InvokeResponse)
async def invoke(name: str, body: InvokeRequest, request: Request) -> Response:
    """Run the chain on one input; the answer is under `output`."""
    chain, settings, chain_input, run_id = one_run(name, body, request)
    config = run_config(run_id)
    output = await bounded(chain.runnable.ainvoke(chain_input, config), settings)
    # A ready response skips FastAPI's re-validation of what we just built (hot path).
    return json_response(
        {"output": output, "metadata": {"run_id": str(run_id), "feedback_tokens": []}}
    )


@router.post("/{name}/batch", summary="Run a chain on several inputs", response_model=BatchResponse)
async def batch(name: str, body: BatchRequest, request: Request) -> Response:
    """Run the chain on each input concurrently; outputs come back in input order."""
    runtime = runtime_of(request)
    chain = runtime.chains.get_chain(name)
    settings = runtime.settings
    if not body.inputs:
        raise InvalidInput("inputs: give at least one input")
    if len(body.inputs) > settings.max_batch_size:
        raise InvalidInput(
            f"inputs: {len(body.inputs)} inputs; the limit is {settings.max_batch_size} "
            "(LLMCHAIN_MAX_BATCH_SIZE)"
        )
    inputs = []
    for index, item in enumerate(body.inputs):
        try:
            inputs.append(chain.check_input(item, settings.max_input_chars))
        except InvalidInput as exc:
            raise InvalidInput(f"inputs[{index}]: {exc.message}") from None
    run_ids = [uuid.uuid4() for _ in inputs]
    configs = [run_config(run_id) for run_id in run_ids]
    outputs = await bounded(chain.runnable.abatch(inputs, configs), settings)
    return json_response({"output": outputs, "metadata": {"run_ids": [str(r) for r in run_ids]}})


SSE_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {"text/event-stream": {}}}}


@router.post(
    "/{name}/stream",
    summary="Stream a chain's answer (SSE)",
    response_class=EventSourceResponse,
    responses=SSE_RESPONSES,
)
async def stream(name: str, body: InvokeRequest, request: Request) -> EventSourceResponse:
    """Server-sent events as LangServe sends them: `metadata`, `data`..., then `end` or `error`."""
    chain, settings, chain_input, run_id = one_run(name, body, request)
    # Closed with the response: a client that goes away cancels the model call.
    chunks = chain.runnable.astream(chain_input, run_config(run_id))
    metadata = {"event": "metadata", "data": dumps({"run_id": str(run_id)})}
    return sse_response(run_events(chunks, dumps, settings, first=metadata), settings)


@router.get("/{name}/input_schema", summary="JSON schema of a chain's input")
async def input_schema(name: str, request: Request) -> dict[str, Any]:
    """The object a chain takes: its input variables, all strings."""
    runtime = runtime_of(request)
    return runtime.chains.get_chain(name).input_schema()


@router.get("/{name}/output_schema", summary="JSON schema of a chain's output")
async def output_schema(name: str, request: Request) -> dict[str, Any]:
    """A string, or an object for chains with `output: json`."""
    runtime = runtime_of(request)
    return runtime.chains.get_chain(name).output_schema()


@router.get("/{name}/config_schema", summary="JSON schema of a chain's config")
async def config_schema(name: str, request: Request) -> dict[str, Any]:
    """What a client may put under `config.configurable`, as LangServe's route gives it.

    LangServe answers `runnable.config_schema(include=["configurable"])` (its default
    `config_keys`); the chains declare no configurable fields, so the object is empty.
    """
    runtime = runtime_of(request)
    runnable = runtime.chains.get_chain(name).runnable
    return runnable.config_schema(include=["configurable"]).model_json_schema()


def lc_dumps(value: Any) -> str:
    """JSON for LangChain objects (messages, prompt values) as LangServe's serializer writes
    them: a pydantic model as its fields, so `RemoteRunnable` rebuilds the object."""

    def default(obj: Any) -> Any:
        if isinstance(obj, BaseModel):
            return obj.model_dump()
        raise TypeError(f"{type(obj).__name__} is not JSON serializable")

    return orjson.dumps(value, default=default).decode()


def run_events(
    items: AsyncIterator[Any],
    data: Callable[[Any], str],
    settings: Settings,
    first: dict[str, Any] | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """LangServe's SSE framing: `first` (if any), a `data` event per item, then `end` or `error`.

    Bounded by LLMCHAIN_REQUEST_TIMEOUT_S and a stop; `items` is closed with the response, so a
    client that goes away cancels the model call. `stream` sends a `metadata` event first;
    astream_log/astream_events do not (RemoteRunnable's log it as unknown).
    """

    async def events() -> AsyncIterator[dict[str, Any]]:
        if first is not None:
            yield first
        try:
            async with aclosing(guarded(items, settings)) as guarded_items:
                async for item in guarded_items:
                    yield {"event": "data", "data": data(item)}
        except Exception as exc:
            err = as_client_error(exc)
            yield {
                "event": "error",
                "data": dumps({"status_code": err.status_code, "message": err.message}),
            }
            return
        yield {"event": "end"}

    return events()


@router.post(
    "/{name}/stream_log",
    summary="Stream a chain's run log (SSE, JSON patches)",
    response_class=EventSourceResponse,
    responses=SSE_RESPONSES,
)
async def stream_log(name: str, body: StreamLogRequest, request: Request) -> EventSourceResponse:
    """`RemoteRunnable.astream_log`: `data` events of `{"ops": [...]}` (JSON patch), then `end`."""
    chain, settings, chain_input, run_id = one_run(name, body, request)
    # LangServe always streams diffs; the client asks for them (`diff: true`) too.
    log = chain.runnable.astream_log(chain_input, run_config(run_id), diff=True, **body.filters())
    return sse_response(
        run_events(log, lambda patch: lc_dumps({"ops": patch.ops}), settings), settings
    )


@router.post(
    "/{name}/stream_events",
    summary="Stream a chain's events (SSE, astream_events v2)",
    response_class=EventSourceResponse,
    responses=SSE_RESPONSES,
)
async def stream_events(name: str, body: StreamLogRequest, request: Request) -> EventSourceResponse:
    """`RemoteRunnable.astream_events`: one `data` event per LangChain event (v2), then `end`."""
    chain, settings, chain_input, run_id = one_run(name, body, request)
    events = chain.runnable.astream_events(
        chain_input, run_config(run_id), version="v2", **body.filters()
    )
    return sse_response(run_events(events, lc_dumps, settings), settings)


@router.get(
    "/{name}/playground/{rest:path}",
    summary="LangServe's playground: the service's page, this chain chosen",
    response_class=RedirectResponse,
    include_in_schema=False,  # a browser's way in, not an API
)
async def playground(name: str, rest: str, request: Request) -> RedirectResponse:
    """The service's own page at `/` replaces LangServe's playground (no build step)."""
    runtime_of(request).chains.get_chain(name)  # 404 for an unknown chain, as elsewhere
    return RedirectResponse(f"/?chain={quote(name)}", status_code=307)
