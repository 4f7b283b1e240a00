"""The FastAPI application: lifespan (build chains, open memory), middleware, routes."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import __version__
from app.agent.service import AgentService
from app.agent.tools import build_tools
from app.api.auth import ApiKeyMiddleware
from app.api.exception_handlers import install_handlers
from app.api.middleware import BodyLimitMiddleware, RequestContextMiddleware
from app.api.openapi import install_openapi
from app.api.ratelimit import Bucket, MemoryBucket, RateLimitMiddleware, RedisBucket
from app.api.routes import agent, chains, chat, health, openai_compat
from app.chains.registry import ChainRegistry, load_chains
from app.chat.service import ChatService
from app.core.config import MemoryBackend, Settings, get_settings
from app.core.tracing import setup_tracing
from app.memory.store import open_memory_store
from app.providers.factory import build_chat_model
from app.runtime import Runtime
from app.web import install_web

log = logging.getLogger("llmchain")

# Objects allocated before this many new ones trigger a young-generation collection
# (Python's default is 700). A request through LangChain allocates thousands, so the
# default collects several times per request; see docs/benchmarks.md for the effect.
GC_GEN0_THRESHOLD = 20_000


def tune_gc() -> None:
    """Take start-up objects out of the collector's scans, and collect less often."""
    gc.collect()
    gc.freeze()  # modules, models, chains: they live as long as the process
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)


DESCRIPTION = """
LangChain chains declared in YAML, chat with memory, LangServe- and OpenAI-compatible routes.

* `/v1/chains/{name}/invoke|batch|stream`: works with LangServe's `RemoteRunnable`.
* `/v1/chat/completions`, `/v1/models`: works with the `openai` SDK; `model` is a chain
  name or `chat`.
* `/v1/chat`: chat with memory per `session_id`.
* `/v1/agent`: an agent with tools (calculator, time, the service's documents, allowed
  web pages), memory per `session_id`; also model `agent` on `/v1/chat/completions`.
"""


def create_app(
    settings: Settings | None = None, chain_registry: ChainRegistry | None = None
) -> FastAPI:
    """Build the app; chains and the memory store are set up when it starts."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        registry = chain_registry if chain_registry is not None else load_chains(settings)
        chat_model = build_chat_model(settings)
        try:
            store_cm = open_memory_store(settings)
            store = await store_cm.__aenter__()
        except Exception as exc:
            log.error(
                "memory store (%s) could not be opened: %s: %s",
                settings.memory_backend.value,
                type(exc).__name__,
                exc,
            )
            raise
        runtime = Runtime(
            settings=settings,
            chains=registry,
            chat=ChatService(
                chat_model, store, settings.chat_system_prompt, settings.chat_history_limit
            ),
            agent=AgentService(
                chat_model,
                build_tools(
                    settings.agent_http_allowed_hosts,
                    settings.agent_http_timeout_s,
                    settings.agent_http_max_bytes,
                ),
                store,
                settings.agent_max_model_calls,
                settings.agent_max_tool_calls,
                settings.agent_history_tokens,
            ),
            store=store,
        )
        app.state.runtime = runtime
        tune_gc()
        log.info(
            "ready",
            extra={
                "provider": settings.provider.value,
                "model": settings.model,
                "memory": store.location,
                "chains": list(registry),
            },
        )
        try:
            yield
        finally:
            runtime.shutting_down = True
            await store_cm.__aexit__(None, None, None)
            provider = getattr(app.state, "tracer_provider", None)
            if provider is not None:
                provider.shutdown()  # flush the last spans
            log.info("stopped")

    app = FastAPI(
        title="llmchain",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    install_openapi(app, settings)
    install_handlers(app, postgres=settings.memory_backend is MemoryBackend.POSTGRES)
    if settings.rate_limit_per_minute:
        burst = settings.rate_limit_burst or settings.rate_limit_per_minute
        bucket: Bucket = (
            RedisBucket(
                settings.redis_url,
                settings.rate_limit_per_minute,
                burst,
                timeout_s=settings.redis_timeout_s,
                cooldown_s=settings.redis_breaker_cooldown_s,
            )
            if settings.redis_url
            else MemoryBucket(settings.rate_limit_per_minute, burst)
        )
        app.add_middleware(RateLimitMiddleware, bucket=bucket)  # runs after the key check
    if settings.api_keys:
        app.add_middleware(ApiKeyMiddleware, keys=settings.api_key_values())
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)  # added last: runs first, sees everything
    setup_tracing(app)  # only with OTEL_EXPORTER_OTLP_ENDPOINT set
    # Routes match in order, and each miss costs: the busiest go first.
    app.include_router(chains.router)
    app.include_router(openai_compat.router)
    app.include_router(chat.router)
    app.include_router(agent.router)
    app.include_router(health.router)
    install_web(app)  # the page at / (app/web)
    return app
