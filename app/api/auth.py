"""API keys: when LLMCHAIN_API_KEYS is set, every /v1/ request must carry one of them."""

from __future__ import annotations

import hmac
import re
from urllib.parse import quote

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.middleware import send_json
from app.core.errors import error_body

PROTECTED_PREFIX = "/v1/"
CHALLENGE = (b"www-authenticate", b"Bearer")
# LangServe's playground URL, opened from a browser's address bar (which sends no key): it
# only leads to the service's own page, which asks for the key. Answered here, without the
# app, so a caller without a key learns nothing (not even whether the chain exists).
PLAYGROUND = re.compile(r"^/v1/chains/([^/]+)/playground(/.*)?$")


def key_matches(presented: str, accepted: list[bytes]) -> bool:
    """Compare against every accepted key in constant time (no early exit)."""
    candidate = presented.encode()
    found = False
    for key in accepted:
        found |= hmac.compare_digest(candidate, key)
    return found


def presented_key(scope: Scope) -> str | None:
    """The key a request carries: `Authorization: Bearer <key>` or `X-API-Key: <key>`."""
    bearer = api_key = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                bearer = credentials.strip()
        elif name == b"x-api-key":
            api_key = value.decode("latin-1")
    return bearer or api_key or None


class ApiKeyMiddleware:
    """Rejects /v1/ requests without an accepted key with 401; other paths stay open.

    A middleware rather than a FastAPI dependency: it runs on every request, and a
    dependency costs more per request than the check itself. The OpenAPI schema still
    declares both schemes (app/api/openapi.py), so /docs offers "Authorize".
    """

    def __init__(self, app: ASGIApp, keys: list[bytes]) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PROTECTED_PREFIX):
            presented = presented_key(scope)
            if not presented:
                message = (
                    "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
                )
            elif not key_matches(presented, self.keys):
                message = "invalid API key"
            else:
                message = ""
            if message and scope["method"] in ("GET", "HEAD"):
                playground = PLAYGROUND.match(scope["path"])
                if playground:
                    location = f"/?chain={quote(playground.group(1), safe='')}"
                    await send_redirect(send, location)
                    return
            if message:
                await send_json(send, 401, error_body("unauthorized", message), [CHALLENGE])
                return
        await self.app(scope, receive, send)


async def send_redirect(send: Send, location: str) -> None:
    """A bodiless 307 to `location` (a path on this service)."""
    headers = [(b"location", location.encode("latin-1")), (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": 307, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
