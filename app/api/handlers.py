"""Exception handlers: every error, 4xx or 5xx, leaves as `{"error": {"type", "message"}}`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from app.core.errors import AppError, error_response

HTTP_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    503: "unavailable",
}


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


async def app_error(_: Request, exc: Exception) -> JSONResponse:
    """Our own errors carry their status, type and message."""
    assert isinstance(exc, AppError)
    return error_response(exc.status_code, exc.error_type, exc.message, exc.headers)


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    """Malformed JSON is a 400; a body of the wrong shape is a 422 naming each field."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    for err in errors:
        if err.get("type") == "json_invalid":
            detail = (err.get("ctx") or {}).get("error", "")
            return error_response(400, "bad_request", f"malformed JSON body: {detail}".strip())
    parts = [f"{_location(tuple(err['loc']))}: {err['msg']}" for err in errors]
    return error_response(422, "invalid_input", "; ".join(parts))


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (no route, wrong method) in our shape."""
    assert isinstance(exc, StarletteHTTPException)
    message = str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route {request.method} {request.url.path}; see /docs"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    error_type = HTTP_TYPES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, error_type, message, dict(exc.headers or {}) or None)


def install_handlers(app: FastAPI) -> None:
    """Register the handlers on the app."""
    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
