"""Running a runnable for a request: callbacks, the time limit, and provider errors made clear."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

import orjson
from langchain_core.exceptions import OutputParserException
from langchain_core.runnables import RunnableConfig
from sse_starlette import EventSourceResponse
from starlette.responses import Response

from app.core.config import Settings
from app.core.errors import AppError, NotReady, ProviderError, RequestTimeout, storage_failure
from app.providers.resilience import ModelStalled, ModelUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def run_config(run_id: uuid.UUID | None = None) -> RunnableConfig:
    """The LangChain config of one run: its run id (what LangSmith traces are keyed by)."""
    return {"run_id": run_id} if run_id is not None else {}


def as_client_error(exc: BaseException) -> AppError:
    """What the client is told when a model run fails."""
    if isinstance(exc, AppError):
        return exc
    # The graph reads and writes the checkpointer around the model: its failures are the
    # memory store's (503 naming it), not the provider's.
    if (store_error := storage_failure(exc)) is not None:
        log.warning("memory store failed: %s", store_error.message)
        return store_error
    if isinstance(exc, ModelStalled):
        return RequestTimeout(str(exc))
    if isinstance(exc, ModelUnavailable):
        if exc.retry_after is not None:  # the provider is rate limiting us: say when to retry
            return NotReady(
                f"the model provider is rate limiting; retried and tried fallbacks: {exc}",
                headers={"Retry-After": str(max(1, round(exc.retry_after)))},
            )
        return ProviderError(f"the model provider failed after retries: {exc}")
    if isinstance(exc, OutputParserException):
        return ProviderError("the model's answer could not be parsed as the chain's output (JSON)")
    log.warning("model provider failed: %s: %s", type(exc).__name__, exc)
    text = str(exc).splitlines()[0][:300] if str(exc) else ""
    return ProviderError(f"the model provider failed: {type(exc).__name__}: {text}".rstrip(": "))


async def bounded(awaitable: Awaitable[T], settings: Settings) -> T:
    """Await a model run within LLMCHAIN_REQUEST_TIMEOUT_S; map its failures to API errors."""
    try:
        async with asyncio.timeout(settings.request_timeout_s):
            return await awaitable
    except TimeoutError:
        raise RequestTimeout(
            f"the model did not answer within {settings.request_timeout_s:g} s "
            "(LLMCHAIN_REQUEST_TIMEOUT_S)"
        ) from None
    except Exception as exc:
        raise as_client_error(exc) from exc


def sse_response(events: AsyncIterator[dict[str, Any]], settings: Settings) -> EventSourceResponse:
    """An SSE response that survives proxies: keep-alive comments, no caching or buffering.

    On SIGTERM, sse-starlette would end streams at once; the grace period lets a stream
    under way finish (up to LLMCHAIN_SHUTDOWN_GRACE_S) before it is cut.
    """
    return EventSourceResponse(
        events,
        ping=settings.sse_ping_s,
        headers=SSE_HEADERS,
        shutdown_grace_period=settings.shutdown_grace_s,
    )


def json_response(value: Any, status_code: int = 200) -> Response:
    """A JSON response from plain data, without FastAPI's response-model pass."""
    return Response(orjson.dumps(value), status_code=status_code, media_type="application/json")


def dumps(value: Any) -> str:
    """Compact JSON for SSE data lines."""
    return orjson.dumps(value).decode()
