"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from app.api.deps import runtime_of
from app.core.errors import NotReady

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    """200 while the process serves requests."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness")
async def readyz(request: Request) -> dict[str, Any]:
    """200 when the model is configured and the memory store answers; 503 with the reason."""
    runtime = runtime_of(request)
    if runtime.shutting_down:
        raise NotReady("shutting down")
    try:
        await runtime.store.ping()
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        raise NotReady(f"memory store {runtime.store.location} is unreachable: {reason}") from None
    settings = runtime.settings
    return {
        "status": "ready",
        "provider": settings.provider.value,
        "model": settings.model,
        "memory": runtime.store.backend.value,
        "chains": len(runtime.chains),
    }


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    """Requests, latency, in-flight, model calls and tokens, in Prometheus text format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
