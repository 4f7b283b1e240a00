"""Running a runnable for a request: callbacks, the time limit, and provider errors made clear."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable
from typing import Any, TypeVar

import anyio
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


# A stream cut by a shutdown ends this long before the grace period does, so its error
# event is sent before uvicorn cancels what is left (at most half of a short grace).
STOP_MARGIN_S = 0.5


class StreamDeadlines:
    """When a stop began, and the waits of open streams that a stop must cut short.

    On SIGTERM, uvicorn waits LLMCHAIN_SHUTDOWN_GRACE_S for responses to finish, then
    cancels them: a stream cut that way would just end, and the client could not tell a
    cut answer from a whole one. Streams therefore end themselves just before the grace
    runs out, with an error event (see `guarded`).
    """

    def __init__(self) -> None:
        self.stop_at: float | None = None  # loop time by which open streams must end
        self._waiting: set[asyncio.Timeout] = set()

    def begin_shutdown(self, grace_s: float) -> None:
        """A stop began (called on the event loop): streams still open at grace end."""
        now = asyncio.get_running_loop().time()
        self.stop_at = now + max(0.0, grace_s - min(STOP_MARGIN_S, grace_s / 2))
        for wait in list(self._waiting):
            when = wait.when()
            if when is None or when > self.stop_at:
                wait.reschedule(self.stop_at)

    def deadline(self, request_deadline: float) -> float:
        """The earlier of a stream's own deadline and the stop's, if one began."""
        return request_deadline if self.stop_at is None else min(request_deadline, self.stop_at)

    def watch(self, wait: asyncio.Timeout) -> None:
        """Let a stop reschedule this wait."""
        self._waiting.add(wait)

    def forget(self, wait: asyncio.Timeout) -> None:
        """The wait is over."""
        self._waiting.discard(wait)


STREAM_DEADLINES = StreamDeadlines()


# How long closing a stream's source may take (a LangGraph run cancelling its tasks and
# releasing its session lock) before the response gives up waiting for it.
CLOSE_TIMEOUT_S = 10.0


async def guarded(source: AsyncIterator[T], settings: Settings) -> AsyncGenerator[T, None]:
    """`source`'s items within LLMCHAIN_REQUEST_TIMEOUT_S and a stop's grace period.

    Past either, the source is closed and an AppError raised, for the route to send as
    its error event. The source is closed whenever this generator is (a client that went
    away): an `async for` left by GeneratorExit does not close what it iterates, and a
    LangGraph stream left open goes on calling the model in its own tasks. Callers close
    this generator the same way (`contextlib.aclosing`).

    Each item is awaited in a task of its own, and the source closed under a shield: on a
    client disconnect sse-starlette cancels the response through an anyio cancel scope,
    which cancels again at every await. Cancelled that way, LangGraph's own clean-up (a
    task that cancels the graph's node tasks) was itself cancelled before it ran, and the
    model call went on to the end.
    """
    loop = asyncio.get_running_loop()
    request_deadline = loop.time() + settings.request_timeout_s
    step: asyncio.Task[T] | None = None
    try:
        while True:
            deadline = STREAM_DEADLINES.deadline(request_deadline)
            if loop.time() >= deadline:
                raise _cut(settings)
            step = asyncio.ensure_future(_next(source))
            try:
                async with asyncio.timeout_at(deadline) as wait:
                    STREAM_DEADLINES.watch(wait)
                    try:
                        item = await asyncio.shield(step)
                    finally:
                        STREAM_DEADLINES.forget(wait)
            except StopAsyncIteration:
                step = None
                return
            except TimeoutError:
                if not wait.expired():
                    raise  # the source's own timeout: reported as the source's failure
                raise _cut(settings) from None
            step = None
            yield item
    finally:
        with anyio.move_on_after(CLOSE_TIMEOUT_S, shield=True) as scope:
            await _close(source, step)
        if scope.cancelled_caught:
            log.warning("a stream's source did not close within %g s", CLOSE_TIMEOUT_S)


async def aclose(stream: AsyncIterator[Any]) -> None:
    """Close an async generator (a no-op for other iterators), cancelling what it runs."""
    close = getattr(stream, "aclose", None)
    if close is not None:
        await close()


async def _next(source: AsyncIterator[T]) -> T:
    return await anext(source)


async def _close(source: AsyncIterator[Any], step: asyncio.Task[Any] | None) -> None:
    """Cancel the item being awaited, if any, then close the source, each in a task of its
    own that is cancelled once, then again while it does not finish (see `_settle`)."""
    if step is not None and not step.done():
        step.cancel()
        await _settle(step)
    if step is not None and not step.cancelled() and step.done():
        step.exception()  # retrieved: a failure after the client left is not "never retrieved"
    closing = asyncio.ensure_future(aclose(source))
    await _settle(closing)
    if not closing.cancelled():
        closing.exception()


# A cancelled task is let finish its clean-up this long before it is cancelled again.
CANCEL_AGAIN_S = 1.0


async def _settle(task: asyncio.Task[Any]) -> None:
    """Wait for a task; cancel it again each CANCEL_AGAIN_S it goes on.

    One cancellation lets a LangGraph run clean up (it cancels its node tasks); a second
    is needed where clean-up waits for the work itself, as LangChain's `astream_log`
    does (it awaits its run after its reader stops, "if not cancelled").
    """
    while not task.done():
        done, _ = await asyncio.wait([task], timeout=CANCEL_AGAIN_S)
        if not done:
            task.cancel()


def _cut(settings: Settings) -> AppError:
    """Why a stream is being cut: the service is stopping, or the request took too long."""
    stop_at = STREAM_DEADLINES.stop_at
    if stop_at is not None and asyncio.get_running_loop().time() >= stop_at:
        return NotReady(
            "the service is stopping and the answer did not finish within its grace "
            f"period ({settings.shutdown_grace_s} s, LLMCHAIN_SHUTDOWN_GRACE_S): "
            "the answer is incomplete; retry",
            code="shutting_down",
        )
    return RequestTimeout(
        f"the answer did not finish within {settings.request_timeout_s:g} s "
        "(LLMCHAIN_REQUEST_TIMEOUT_S): it is incomplete"
    )


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
