"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from app.api.deps import runtime_of
from app.core.config import MemoryBackend
from app.core.errors import NotReady
from app.memory.store import MemoryStore

router = APIRouter(tags=["operations"])

# Below this much free space a SQLite store is as good as full: a turn appends its
# checkpoint to the write-ahead log, and SQLite's write check (the ping) writes nothing.
MIN_FREE_BYTES = 1 << 20


def disk_full(store: MemoryStore) -> str | None:
    """Why a SQLite store's disk cannot take a turn, or None when it can (or is not SQLite)."""
    if store.backend is not MemoryBackend.SQLITE:
        return None
    free = shutil.disk_usage(Path(store.location.removeprefix("sqlite:")).parent).free
    if free < MIN_FREE_BYTES:
        return f"its disk is full ({free} bytes free)"
    return None


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
    if full := disk_full(runtime.store):
        raise NotReady(f"memory store {runtime.store.location} cannot write: {full}")
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
