"""Dependencies the routes share: the runtime, its settings, and API-key checking."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.core.errors import Unauthorized
from app.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="An API key from LLMCHAIN_API_KEYS.")
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key from LLMCHAIN_API_KEYS."
)


def get_runtime(request: Request) -> Runtime:
    """The runtime the lifespan built."""
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


async def require_api_key(
    runtime: RuntimeDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    api_key: Annotated[str | None, Security(_api_key)],
) -> None:
    """When LLMCHAIN_API_KEYS is set, a request needs one of them."""
    accepted = runtime.settings.api_key_values()
    if not accepted:
        return
    presented = bearer.credentials if bearer else api_key
    challenge = {"WWW-Authenticate": "Bearer"}
    if not presented:
        raise Unauthorized(
            "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            headers=challenge,
        )
    if not key_matches(presented, accepted):
        raise Unauthorized("invalid API key", headers=challenge)
