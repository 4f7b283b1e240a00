"""Prometheus metrics, and the callback that counts model calls and tokens."""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import ChatGeneration, LLMResult
from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "llmchain_http_requests_total",
    "HTTP requests by route template, method and status code.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "llmchain_http_request_duration_seconds",
    "Time to the end of the response, by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
HTTP_IN_FLIGHT = Gauge("llmchain_http_requests_in_flight", "HTTP requests being served.")
HTTP_CONNECTIONS_CLOSED = Counter(
    "llmchain_http_connections_closed_total",
    "Connections the server closed for a limit: header_timeout, body_timeout, "
    "header_too_large, too_many.",
    ["reason"],
)
MODEL_CALLS = Counter(
    "llmchain_model_calls_total",
    "Model calls by provider, model and outcome (ok, error, cancelled).",
    ["provider", "model", "outcome"],
)
MODEL_IN_FLIGHT = Gauge(
    "llmchain_model_calls_in_flight", "Model calls under way.", ["provider", "model"]
)
MODEL_CIRCUIT = Gauge(
    "llmchain_model_circuit_state",
    "Each model's circuit breaker: 0 closed (called), 1 open (skipped), 2 half-open (probing).",
    ["provider", "model"],
)
MODEL_COST = Counter(
    "llmchain_model_cost_usd_total",
    "Estimated model spend in USD (LLMCHAIN_PRICES: list prices per million tokens).",
    ["provider", "model"],
)
MODEL_TOKENS = Counter(
    "llmchain_model_tokens_total",
    "Tokens sent to (in) and received from (out) the model.",
    ["provider", "model", "direction"],
)

RATE_LIMITER_FAILURES = Counter(
    "llmchain_rate_limiter_failures_total",
    "Calls to the rate limiter's Redis that failed or timed out, by error; each such "
    "request was counted by this replica alone.",
    ["error"],
)
RATE_LIMITER_BREAKER_OPEN = Gauge(
    "llmchain_rate_limiter_breaker_open",
    "1 while the rate limiter skips a failing Redis for a cool-down (limits per replica).",
)


class Usage:
    """Token totals of one request, in the OpenAI `usage` shape."""

    def __init__(self) -> None:
        self.input_tokens = 0
        self.output_tokens = 0
        self.cost_usd = 0.0

    def as_openai(self) -> dict[str, Any]:
        """`prompt_tokens`, `completion_tokens`, `total_tokens`, and the estimated `cost_usd`."""
        return {
            "prompt_tokens": self.input_tokens,
            "completion_tokens": self.output_tokens,
            "total_tokens": self.input_tokens + self.output_tokens,
            "cost_usd": round(self.cost_usd, 8),
        }


def current_usage() -> Usage | None:
    """The usage of the request being served, if it counts one."""
    return _usage.get()


# The usage of the request being served; each request sets its own (see track_usage).
_usage: ContextVar[Usage | None] = ContextVar("llmchain_usage", default=None)


def track_usage() -> Usage:
    """Start counting this request's tokens; model calls made from here on add to it."""
    usage = Usage()
    _usage.set(usage)
    return usage


class ModelCallMetrics(BaseCallbackHandler):
    """Attached to each model: counts its calls, outcomes and tokens into /metrics.

    It sits on the model, not on the chain, so LangChain calls it for model runs only;
    a per-chain handler would be called for every step of every chain.
    """

    run_inline = True  # cheap and thread-free: runs on the event loop, not an executor

    def __init__(
        self, provider: str, model: str, prices: dict[str, tuple[float, float]] | None = None
    ) -> None:
        self.price_in, self.price_out = (prices or {}).get(model, (0.0, 0.0))
        self.cost = MODEL_COST.labels(provider, model)
        self.in_flight = MODEL_IN_FLIGHT.labels(provider, model)
        self.tokens_in = MODEL_TOKENS.labels(provider, model, "in")
        self.tokens_out = MODEL_TOKENS.labels(provider, model, "out")
        self.calls = {
            outcome: MODEL_CALLS.labels(provider, model, outcome)
            for outcome in ("ok", "error", "cancelled")
        }
        self._open: set[UUID] = set()

    def _start(self, run_id: UUID) -> None:
        self._open.add(run_id)
        self.in_flight.inc()

    def _finish(self, run_id: UUID, outcome: str) -> None:
        if run_id in self._open:
            self._open.discard(run_id)
            self.in_flight.dec()
        self.calls[outcome].inc()

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: Any, *, run_id: UUID, **kwargs: Any
    ) -> None:
        """A model call began."""
        self._start(run_id)

    def on_llm_start(
        self, serialized: dict[str, Any], prompts: list[str], *, run_id: UUID, **kwargs: Any
    ) -> None:
        """A completion-style model call began."""
        self._start(run_id)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """A model call finished: add its token usage to /metrics and to the request."""
        tokens_in = tokens_out = 0
        for generations in response.generations:
            for generation in generations:
                usage = (
                    getattr(generation.message, "usage_metadata", None)
                    if isinstance(generation, ChatGeneration)
                    else None
                )
                if usage:
                    tokens_in += usage.get("input_tokens", 0)
                    tokens_out += usage.get("output_tokens", 0)
        self.tokens_in.inc(tokens_in)
        self.tokens_out.inc(tokens_out)
        cost = (tokens_in * self.price_in + tokens_out * self.price_out) / 1_000_000
        self.cost.inc(cost)
        request = _usage.get()
        if request is not None:
            request.input_tokens += tokens_in
            request.output_tokens += tokens_out
            request.cost_usd += cost
        self._finish(run_id, "ok")

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """A model call failed or was cancelled (a client went away)."""
        cancelled = isinstance(error, asyncio.CancelledError | GeneratorExit)
        self._finish(run_id, "cancelled" if cancelled else "error")

    def abandoned(self, run_id: UUID, error: BaseException) -> None:
        """End a call LangChain never reported as ended, if it is still open.

        `BaseChatModel.agenerate` awaits its calls in `asyncio.gather`; cancelled there (a
        timeout around `ainvoke`), it skips `on_llm_error`, and the call would stay in
        flight for ever in /metrics.
        """
        if run_id in self._open:
            self.on_llm_error(error, run_id=run_id)
