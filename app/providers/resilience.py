"""Retries, fallbacks, timeouts and circuit breakers around the model: answers keep coming
when a provider flakes.

Built on tenacity (exponential backoff with jitter, bounded in attempts and total time) and
on LangChain's provider-neutral errors (`ModelRateLimitError`, `ModelAPIError`, ... with
`is_retryable`), so the same policy holds for OpenAI, Bedrock, Vertex AI and the fake.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.exceptions import (
    ModelAPIError,
    ModelConnectionError,
    ModelError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import ConfigDict, Field
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from app.core.metrics import MODEL_CIRCUIT, ModelCallMetrics

log = logging.getLogger(__name__)


class ModelUnavailable(Exception):
    """Every model (primary and fallbacks) failed, after retries."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ModelStalled(Exception):
    """A model call or a stream went quiet for longer than its timeout."""


class CircuitOpen(Exception):
    """A model was skipped: its breaker is open (it kept failing) or a probe is under way."""

    def __init__(self, name: str, retry_after: float) -> None:
        super().__init__(
            f"{name}: skipped, failing (circuit open; next try in {retry_after:.0f} s)"
        )
        self.retry_after = retry_after


class CircuitBreaker:
    """Skips a model after `threshold` transient failures in a row, for `cooldown_s`.

    Then one call (a probe) is let through; it closes the breaker when it succeeds and
    opens it again when it fails; while it runs, other calls are skipped. Without this, a
    hung primary costs every request LLMCHAIN_CALL_TIMEOUT_S before its fallback answers.

    A small class rather than a library: purgatory (the asyncio one, 3.0.1) lets every
    call through while half-open and reads the wall clock; pybreaker's async path needs
    Tornado; aiobreaker's last release is from 2021 (PyPI, read 2026-11-29). Its state
    lives in the process (each replica learns on its own, within `threshold` calls).
    """

    CLOSED, OPEN, HALF_OPEN = 0, 1, 2  # also the value of the state metric

    def __init__(
        self,
        name: str,
        threshold: int,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[str, int], None] | None = None,
    ) -> None:
        self.name = name
        self.threshold = threshold  # 0: never opens
        self.cooldown_s = cooldown_s
        self.clock = clock
        self.on_change = on_change
        self.state = self.CLOSED
        self.failures = 0
        self.opened_at = 0.0
        self.probing = False

    def _set(self, state: int) -> None:
        if state != self.state:
            self.state = state
            if state == self.OPEN:
                log.warning(
                    "model %s is failing: skipped for %g s (circuit open after %d failures)",
                    self.name,
                    self.cooldown_s,
                    self.failures,
                )
            if self.on_change is not None:
                self.on_change(self.name, state)

    def admit(self) -> bool:
        """Whether a call may go to the model now (a half-open breaker admits one probe)."""
        if self.state == self.CLOSED:
            return True
        if self.state == self.OPEN:
            if self.clock() - self.opened_at < self.cooldown_s:
                return False
            self._set(self.HALF_OPEN)
        if self.probing:
            return False
        self.probing = True
        return True

    def retry_after(self) -> float:
        """Seconds until the next probe may go (0 when one may go now)."""
        return max(0.0, self.opened_at + self.cooldown_s - self.clock())

    def succeeded(self) -> None:
        """The model answered (a refusal such as a 400 counts: the provider is up)."""
        self.failures = 0
        self.probing = False
        self._set(self.CLOSED)

    def failed(self) -> None:
        """A transient failure: a timeout, a 5xx, a 429, a refused connection."""
        self.failures += 1
        was_probe, self.probing = self.probing, False
        if self.threshold and (was_probe or self.failures >= self.threshold):
            self.opened_at = self.clock()
            self._set(self.OPEN)

    def released(self) -> None:
        """The call ended without telling (cancelled): the next call may probe instead."""
        self.probing = False

    def check(self) -> None:
        """Raise CircuitOpen unless a call may go to the model now (see `admit`).

        Checked once per call, before its first try: a call under way keeps its retries,
        and its error is the model's own, not "skipped"."""
        if not self.admit():
            raise CircuitOpen(self.name, self.retry_after())

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """One try of a call: its outcome recorded."""
        try:
            yield
        except Exception as exc:
            if is_transient(exc):
                self.failed()
            else:
                self.succeeded()  # the provider answered, if only to refuse the request
            raise
        except BaseException:
            self.released()
            raise
        self.succeeded()


def _show_state(name: str, state: int) -> None:
    provider, _, model = name.partition(":")
    MODEL_CIRCUIT.labels(provider, model).set(state)


class Breakers:
    """Breakers by model name, made on first use; one object shared by the models using it
    (a plain dict field would be copied by pydantic)."""

    def __init__(self) -> None:
        self._by_name: dict[str, CircuitBreaker] = {}

    def get(self, name: str, threshold: int, cooldown_s: float) -> CircuitBreaker:
        """The breaker of the model `name`."""
        breaker = self._by_name.get(name)
        if breaker is None:
            breaker = CircuitBreaker(name, threshold, cooldown_s, on_change=_show_state)
            self._by_name[name] = breaker
            _show_state(name, breaker.state)
        return breaker


# The service's breakers, one per `provider:model`, shared by every chain's model and chat:
# a provider failing for one fails for all.
SERVICE_BREAKERS = Breakers()


def retry_after(exc: BaseException) -> float | None:
    """Seconds the provider asked us to wait (`Retry-After`: seconds or an HTTP date)."""
    value = getattr(exc, "retry_after", None)
    if value is None:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None) or {}
        value = headers.get("retry-after") if hasattr(headers, "get") else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        parsed = email.utils.parsedate_to_datetime(str(value))
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def is_transient(exc: BaseException) -> bool:
    """Worth another try: rate limits, 5xx, connection failures, timeouts."""
    if isinstance(exc, ModelError):
        return bool(exc.is_retryable)
    if isinstance(exc, TimeoutError | ModelStalled | ConnectionError):
        return True
    response = getattr(exc, "response", None)
    status = getattr(exc, "status_code", None) or getattr(response, "status_code", None)
    if isinstance(status, int):
        return status == 429 or status >= 500
    name = type(exc).__name__
    return any(
        word in name for word in ("RateLimit", "Throttl", "Timeout", "Unavailable", "Connection")
    )


def _child(run_manager: Any) -> RunnableConfig | None:
    """Each attempt as a child run of this call, so traces show attempts under the call.

    What `get_child()` does for chains; LLM run managers lack it.
    """
    if run_manager is None:
        return None
    async_run = isinstance(run_manager, AsyncCallbackManagerForLLMRun)
    manager = (AsyncCallbackManager if async_run else CallbackManager)(
        handlers=[], parent_run_id=run_manager.run_id
    )
    manager.set_handlers(run_manager.inheritable_handlers)
    manager.add_tags(run_manager.inheritable_tags)
    manager.add_metadata(run_manager.inheritable_metadata)
    return {"callbacks": manager}


def _abandon(model: Any, run_id: uuid.UUID, exc: BaseException) -> None:
    """Tell the model's call metrics that a cut call has ended (see `abandoned`)."""
    base = getattr(model, "bound", model)
    for handler in getattr(base, "callbacks", None) or []:
        if isinstance(handler, ModelCallMetrics):
            handler.abandoned(run_id, exc)


class _Wait:
    """Exponential backoff with jitter, or the provider's Retry-After when it gave one."""

    def __init__(self, base: float, cap: float) -> None:
        self.backoff = wait_exponential_jitter(initial=base, max=cap, jitter=base)
        self.cap = cap

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after(exc) if exc else None
        if asked is not None:
            return min(asked, self.cap)
        return float(self.backoff(state))


class ResilientChatModel(BaseChatModel):
    """A chat model that retries transient failures and falls back to the next model.

    `models` are tried in order; each gets up to `attempts` tries, each try bounded by
    `call_timeout_s`, all retries of one model bounded by `retry_budget_s`. Streams retry
    only before their first token (after that the client has part of an answer) and fail
    when no token arrives for `idle_timeout_s`.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    models: list[Any] = Field(description="primary first, then fallbacks (chat models or bound)")
    names: list[str]
    call_options: dict[str, Any] = Field(
        default_factory=dict, description="max_tokens, stop, temperature for every call"
    )
    attempts: int = 3
    retry_budget_s: float = 20.0
    base_delay_s: float = 0.5
    call_timeout_s: float = 30.0
    idle_timeout_s: float = 30.0
    breaker_failures: int = Field(default=5, description="0: breakers never open")
    breaker_cooldown_s: float = 30.0
    breakers: Breakers = Field(
        default_factory=Breakers, description="by model name (the service: SERVICE_BREAKERS)"
    )

    @property
    def _llm_type(self) -> str:
        return "llmchain-resilient"

    def breaker(self, name: str) -> CircuitBreaker:
        """The breaker of one of the models."""
        return self.breakers.get(name, self.breaker_failures, self.breaker_cooldown_s)

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"models": self.names}

    def with_call_options(self, options: dict[str, Any]) -> ResilientChatModel:
        """This model, its calls made with `max_tokens`, `stop` and `temperature` from a request.

        A copy rather than `bind()`, so tools can still be bound to it (the agent).
        """
        return self.model_copy(update={"call_options": {**self.call_options, **options}})

    def _options(
        self, model: Any, stop: list[str] | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """The call's keyword arguments for one model, under the names that model takes."""
        options = {**self.call_options, **kwargs}
        if stop is not None:
            options["stop"] = stop
        base = getattr(model, "bound", model)
        fields = getattr(type(base), "model_fields", {})
        if "max_tokens" in options and "max_output_tokens" in fields and "max_tokens" not in fields:
            # ChatGoogleGenerativeAI reads `max_output_tokens` from a call's arguments.
            options["max_output_tokens"] = options.pop("max_tokens")
        return options

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[Any, AIMessage]:
        """Bind the tools to every model, so a fallback can call them too."""
        bound = [model.bind_tools(tools, **kwargs) for model in self.models]
        return self.model_copy(update={"models": bound})

    def _stop(self) -> Any:
        return stop_after_attempt(self.attempts) | stop_after_delay(self.retry_budget_s)

    def _fail(
        self, errors: list[str], last: BaseException | None
    ) -> ModelUnavailable | ModelStalled:
        if isinstance(last, TimeoutError | ModelStalled | ModelTimeoutError):
            return ModelStalled(f"the model did not answer in time ({'; '.join(errors)})")
        wait = retry_after(last) if last else None
        return ModelUnavailable("; ".join(errors), retry_after=wait)

    @staticmethod
    def _describe(name: str, exc: BaseException) -> str:
        kind = {
            ModelRateLimitError: "rate limited (429)",
            ModelAPIError: "server error (5xx)",
            ModelConnectionError: "unreachable",
        }
        for cls, text in kind.items():
            if isinstance(exc, cls):
                return f"{name}: {text}"
        if isinstance(exc, TimeoutError | ModelStalled | ModelTimeoutError):
            return f"{name}: timed out"
        return f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        errors: list[str] = []
        last: BaseException | None = None
        for name, model in zip(self.names, self.models, strict=True):
            try:
                breaker = self.breaker(name)
                breaker.check()
                async for attempt in AsyncRetrying(
                    stop=self._stop(),
                    wait=_Wait(self.base_delay_s, self.retry_budget_s),
                    retry=retry_if_exception(is_transient),
                    reraise=True,
                ):
                    with attempt, breaker.attempt():
                        run_id = uuid.uuid4()
                        try:
                            async with asyncio.timeout(self.call_timeout_s):
                                message = await model.ainvoke(
                                    messages,
                                    {**(_child(run_manager) or {}), "run_id": run_id},
                                    **self._options(model, stop, kwargs),
                                )
                        except BaseException as exc:
                            _abandon(model, run_id, exc)
                            raise
                return ChatResult(generations=[ChatGeneration(message=message)])
            except CircuitOpen as exc:  # known to be failing: straight to the next model
                last = exc
                errors.append(str(exc))
                continue
            except Exception as exc:
                if not is_transient(exc):
                    raise  # a bad request does not get better on another model
                last = exc
                errors.append(self._describe(name, exc))
                log.warning("model %s failed after retries; %s", name, errors[-1])
        raise self._fail(errors, last)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        errors: list[str] = []
        last: BaseException | None = None
        for name, model in zip(self.names, self.models, strict=True):
            stream: AsyncIterator[AIMessageChunk] | None = None
            first: AIMessageChunk | None = None
            breaker = self.breaker(name)
            try:
                breaker.check()
                async for attempt in AsyncRetrying(
                    stop=self._stop(),
                    wait=_Wait(self.base_delay_s, self.retry_budget_s),
                    retry=retry_if_exception(is_transient),
                    reraise=True,
                ):
                    with attempt, breaker.attempt():  # up to the first token
                        stream = model.astream(
                            messages, _child(run_manager), **self._options(model, stop, kwargs)
                        ).__aiter__()
                        first = await asyncio.wait_for(anext(stream), self.call_timeout_s)
            except StopAsyncIteration:
                return
            except CircuitOpen as exc:
                last = exc
                errors.append(str(exc))
                continue
            except Exception as exc:
                if not is_transient(exc):
                    raise
                last = exc
                errors.append(self._describe(name, exc))
                log.warning("model %s failed after retries; %s", name, errors[-1])
                continue
            assert stream is not None and first is not None
            try:
                yield ChatGenerationChunk(message=first)
                while True:
                    try:
                        chunk = await asyncio.wait_for(anext(stream), self.idle_timeout_s)
                    except StopAsyncIteration:
                        return
                    except TimeoutError:
                        breaker.failed()  # hung mid-stream: as failing as hung before it
                        raise ModelStalled(
                            f"{name}: the stream sent nothing for {self.idle_timeout_s:g} s"
                        ) from None
                    yield ChatGenerationChunk(message=chunk)
            finally:
                # Closed when our reader stops (a client gone): the provider's stream (its
                # HTTP response) ends now, not when the garbage collector finds it.
                close = getattr(stream, "aclose", None)
                if close is not None:
                    await close()
        raise self._fail(errors, last)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        errors: list[str] = []
        last: BaseException | None = None
        for name, model in zip(self.names, self.models, strict=True):
            try:
                breaker = self.breaker(name)
                breaker.check()
                for attempt in Retrying(
                    stop=self._stop(),
                    wait=_Wait(self.base_delay_s, self.retry_budget_s),
                    retry=retry_if_exception(is_transient),
                    reraise=True,
                ):
                    with attempt, breaker.attempt():
                        message = model.invoke(
                            messages, _child(run_manager), **self._options(model, stop, kwargs)
                        )
                return ChatResult(generations=[ChatGeneration(message=message)])
            except CircuitOpen as exc:
                last = exc
                errors.append(str(exc))
                continue
            except Exception as exc:
                if not is_transient(exc):
                    raise
                last = exc
                errors.append(self._describe(name, exc))
        raise self._fail(errors, last)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        # The sync path (scripts, not the server) answers in one chunk, with the same retries.
        message = self._generate(messages, stop, run_manager, **kwargs).generations[0].message
        usage = getattr(message, "usage_metadata", None)
        yield ChatGenerationChunk(
            message=AIMessageChunk(content=message.content, usage_metadata=usage)
        )


def with_call_options(model: BaseChatModel, options: dict[str, Any]) -> BaseChatModel:
    """`model` called with these options (none: the model itself); see `with_call_options`."""
    if not options:
        return model
    if isinstance(model, ResilientChatModel):
        return model.with_call_options(options)
    bound: BaseChatModel = model.bind(**options)  # type: ignore[assignment]
    return bound
