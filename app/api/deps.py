"""What the routes share: the runtime the lifespan built."""

from __future__ import annotations

from fastapi import Request

from app.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    """The runtime the lifespan built.

    Routes take `request: Request` and call this rather than `Depends(...)`: a
    dependency costs FastAPI more per request than the whole lookup (measured in
    docs/benchmarks.md), and every route is on the hot path.
    """
    runtime: Runtime = request.app.state.runtime
    return runtime
