"""OpenTelemetry: request, chain, model and tool spans, exported by OTLP when an endpoint is set.

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set; then the
standard `OTEL_*` variables configure the exporter (headers, protocol, service name).
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import ChatGeneration, LLMResult

ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def tracing_enabled() -> bool:
    """True when an OTLP endpoint is configured."""
    return any(os.environ.get(name) for name in ENDPOINT_VARS)


def current_trace_id() -> str | None:
    """The trace id of the span in progress (for logs), or None without tracing."""
    if not tracing_enabled():
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


class SpanHandler(BaseCallbackHandler):
    """LangChain runs as OpenTelemetry spans, nested as the runs are."""

    run_inline = True

    def __init__(self, tracer: Any) -> None:
        from opentelemetry import trace

        self.tracer = tracer
        self.trace = trace
        self.spans: dict[UUID, Any] = {}

    def _start(
        self,
        name: str,
        run_id: UUID,
        parent_run_id: UUID | None,
        attributes: dict[str, Any] | None = None,
    ) -> None:
        parent = self.spans.get(parent_run_id) if parent_run_id else None
        context = self.trace.set_span_in_context(parent) if parent is not None else None
        span = self.tracer.start_span(name, context=context)
        for key, value in (attributes or {}).items():
            if value is not None:
                span.set_attribute(key, value)
        self.spans[run_id] = span

    def _end(
        self,
        run_id: UUID,
        error: BaseException | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> None:
        span = self.spans.pop(run_id, None)
        if span is None:
            return
        for key, value in (attributes or {}).items():
            span.set_attribute(key, value)
        if error is not None:
            span.record_exception(error)
            span.set_status(self.trace.Status(self.trace.StatusCode.ERROR, type(error).__name__))
        span.end()

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """A chain, graph or graph node began."""
        name = kwargs.get("name") or (serialized or {}).get("name") or "chain"
        self._start(f"chain {name}", run_id, parent_run_id)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """A chain finished."""
        self._end(run_id)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """A chain failed."""
        self._end(run_id, error)

    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """A model call began."""
        params = kwargs.get("invocation_params") or {}
        model = params.get("model_name") or params.get("model") or params.get("model_id")
        if model is None and params.get("models"):  # the retrying wrapper: attempts nest in it
            models = ",".join(params["models"])
            self._start("model call", run_id, parent_run_id, {"llmchain.models": models})
            return
        self._start(
            f"llm {model or 'model'}", run_id, parent_run_id, {"gen_ai.request.model": model}
        )

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """A model call finished: its token usage on the span."""
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
        self._end(
            run_id,
            None,
            {"gen_ai.usage.input_tokens": tokens_in, "gen_ai.usage.output_tokens": tokens_out},
        )

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """A model call failed."""
        self._end(run_id, error)

    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """A tool call began (its input is not recorded: it may hold user text)."""
        self._start(f"tool {(serialized or {}).get('name', 'tool')}", run_id, parent_run_id)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """A tool call finished."""
        self._end(run_id)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """A tool call failed."""
        self._end(run_id, error)


_handler: ContextVar[SpanHandler | None] | None = None


def setup_tracing(app: Any, service_name: str = "llmchain") -> bool:
    """Install the exporter, instrument FastAPI, and hook LangChain runs; False when off."""
    global _handler
    if not tracing_enabled():
        return False
    from langchain_core.tracers.context import register_configure_hook
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service_name)})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls="healthz,readyz,metrics",
        exclude_spans=["receive", "send"],  # one span per ASGI message is noise
    )
    if _handler is None:
        # Every LangChain run in the process reports to this handler (LangChain's own hook).
        # The default (not .set()) so that every context, however it was copied, sees it.
        handler = SpanHandler(trace.get_tracer("llmchain"))
        _handler = ContextVar("llmchain_spans", default=handler)
        register_configure_hook(_handler, inheritable=True)
    app.state.tracer_provider = provider
    return True
