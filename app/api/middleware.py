"""Pure ASGI middleware: request ids, access log, metrics, unhandled errors, body size limit."""

from __future__ import annotations

import json
import logging
import os
import re
import time

from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import error_body
from app.core.logging import AccessLog, request_id_var
from app.core.metrics import HTTP_IN_FLIGHT, HTTP_LATENCY, HTTP_REQUESTS, current_usage

error_log = logging.getLogger("llmchain.error")

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def send_json(
    send: Send,
    status: int,
    body: dict[str, object],
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Send a complete JSON response from middleware (before any app has answered)."""
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *(extra_headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class RequestContextMiddleware:
    """Gives each request an id (honouring X-Request-ID), logs and measures it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.access_log = AccessLog()
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def _series(self, route: str, method: str, status: int) -> tuple[Counter, Histogram]:
        """The metric children of one route/method/status, looked up once, then cached."""
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = (
                HTTP_REQUESTS.labels(route, method, str(status)),
                HTTP_LATENCY.labels(route, method),
            )
            self._children[key] = children
        return children

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = (
            incoming if incoming and _VALID_REQUEST_ID.match(incoming) else os.urandom(16).hex()
        )
        request_id_var.set(request_id)
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        begin = time.perf_counter()
        HTTP_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            error_log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not started:
                status = 500
                body = error_body(
                    "internal_error", f"internal error; quote request id {request_id}"
                )
                await send_json(send, 500, body, [(b"x-request-id", request_id.encode())])
        finally:
            HTTP_IN_FLIGHT.dec()
            elapsed = time.perf_counter() - begin
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            count, latency = self._series(template, method, status)
            count.inc()
            latency.observe(elapsed)
            usage = current_usage()
            self.access_log.write(
                request_id,
                method,
                scope["path"],
                template,
                status,
                round(elapsed * 1000, 2),
                usage.as_openai() if usage and usage.input_tokens + usage.output_tokens else None,
            )


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a body outgrows the limit; FastAPI lets it through."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds {limit} bytes (LLMCHAIN_MAX_BODY_BYTES)")


class BodyLimitMiddleware:
    """Rejects request bodies over the limit with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            body = error_body(
                "payload_too_large",
                f"request body is {declared} bytes; the limit is {self.max_bytes} "
                "(LLMCHAIN_MAX_BODY_BYTES)",
            )
            await send_json(send, 413, body)  # the outer middleware adds X-Request-ID
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)
