"""Dependencies the routes share: the runtime, and API-key checking."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from app.core.errors import Unauthorized
from app.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    """The runtime the lifespan built (async: a sync dependency would cost a thread hop)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def key_matches(presented: str, accepted: list[bytes]) -> bool:
    """Compare against every accepted key in constant time (no early exit)."""
    candidate = presented.encode()
    found = False
    for key in accepted:
        found |= hmac.compare_digest(candidate, key)
    return found


def presented_key(request: Request) -> str | None:
    """The key a request carries: `Authorization: Bearer <key>` or `X-API-Key: <key>`."""
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
    return request.headers.get("x-api-key") or None


async def require_api_key(request: Request) -> None:
    """When LLMCHAIN_API_KEYS is set, a request needs one of them.

    Plain header reads rather than FastAPI's security classes: this runs on every
    request, and those cost a dependency each. The OpenAPI schema still declares both
    schemes (see app/api/openapi.py), so /docs offers "Authorize".
    """
    runtime: Runtime = request.app.state.runtime
    if not runtime.api_keys:
        return
    presented = presented_key(request)
    challenge = {"WWW-Authenticate": "Bearer"}
    if not presented:
        raise Unauthorized(
            "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            headers=challenge,
        )
    if not key_matches(presented, runtime.api_keys):
        raise Unauthorized("invalid API key", headers=challenge)
