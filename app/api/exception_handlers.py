"""Exception handlers: every error, 4xx or 5xx, leaves as `{"error": {"type", "message", ...}}`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.routing import Match

from app.core.errors import AppError, error_response, storage_error_types, storage_failure

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


def malformed_json(exc: RequestValidationError) -> str | None:
    """The message for a body that is not JSON at all, or None when it is JSON."""
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            detail = (err.get("ctx") or {}).get("error", "")
            return f"malformed JSON body: {detail}".strip()
    return None


def invalid_fields(exc: RequestValidationError, *, prefix: bool = True) -> tuple[str, str | None]:
    """Each failing field with what is wrong, and the first one's top-level name (`param`).

    `prefix=False` drops where the field was (body, path, query), as OpenAI names its params.
    """
    parts, params = [], []
    for err in exc.errors():
        loc = tuple(err["loc"])
        field = _location(loc[1:]) if len(loc) > 1 else _location(loc)
        params.append(str(loc[1]) if len(loc) > 1 else field)  # `stop`, not `stop.list[str]`
        parts.append(f"{_location(loc) if prefix else field}: {err['msg']}")
    return "; ".join(parts), (params[0] if params else None)


async def app_error(_: Request, exc: Exception) -> JSONResponse:
    """Our own errors carry their status, type, message, and the field at fault if known."""
    assert isinstance(exc, AppError)
    return error_response(
        exc.status_code, exc.error_type, exc.message, exc.headers, param=exc.param, code=exc.code
    )


async def storage_error(_: Request, exc: Exception) -> JSONResponse:
    """The memory store failed outside a model run (history, delete): 503 naming the store."""
    err = storage_failure(exc)
    assert err is not None
    return await app_error(_, err)


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    """Malformed JSON is a 400; a body of the wrong shape is a 422 naming each field."""
    assert isinstance(exc, RequestValidationError)
    message = malformed_json(exc)
    if message is not None:
        return error_response(400, "bad_request", message)
    message, param = invalid_fields(exc)
    return error_response(422, "invalid_input", message, param=param)


# The methods the API serves; a 405 lists those of them that the path takes.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes on this path.

    Starlette's 405 names only the first route whose path matches (`GET` for
    `/v1/chat/{id}`, which also takes DELETE): ask every route about every method.
    """
    routes = request.app.router.routes
    return [
        method
        for method in METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (no route, wrong method) in our shape."""
    assert isinstance(exc, StarletteHTTPException)
    message = str(exc.detail)
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route {request.method} {request.url.path}; see /docs"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
        if methods := allowed_methods(request):
            headers["Allow"] = ", ".join(methods)
    error_type = HTTP_TYPES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, error_type, message, headers or None)


def install_handlers(app: FastAPI, *, postgres: bool = False) -> None:
    """Register the handlers on the app (psycopg's errors too when the store is PostgreSQL)."""
    app.add_exception_handler(AppError, app_error)
    if postgres:
        import psycopg  # noqa: F401 - makes storage_error_types() include its errors

    for error_type in storage_error_types():
        app.add_exception_handler(error_type, storage_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
