"""The service's error types and the one JSON shape every error response has."""

from __future__ import annotations

import sqlite3
import sys
from typing import Any

from starlette.responses import JSONResponse

# How long a client should wait before retrying a turn the memory store could not take.
STORE_RETRY_AFTER_S = 5


class ConfigError(Exception):
    """A setting or the chains file is wrong; the service must not start."""


class AppError(Exception):
    """An error the API reports as `{"error": {"type", "message", "param", "code"}}`.

    `param` names the request field at fault and `code` is a machine-readable detail,
    as in OpenAI's error object; both are null when they do not apply.
    """

    status_code = 500
    error_type = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers
        self.param = param
        self.code = code


class BadRequest(AppError):
    """The request body is not what the route takes (malformed JSON, wrong shape)."""

    status_code = 400
    error_type = "bad_request"


class Unauthorized(AppError):
    """No API key, or one that is not accepted."""

    status_code = 401
    error_type = "unauthorized"


class NotFound(AppError):
    """An unknown chain, model or session."""

    status_code = 404
    error_type = "not_found"


class MethodNotAllowed(AppError):
    """A method the path does not take; `Allow` lists those it does."""

    status_code = 405
    error_type = "method_not_allowed"


class PayloadTooLarge(AppError):
    """The request body exceeds LLMCHAIN_MAX_BODY_BYTES."""

    status_code = 413
    error_type = "payload_too_large"


class InvalidRequest(AppError):
    """A request the OpenAI-compatible routes refuse: 400 `invalid_request_error`, as OpenAI."""

    status_code = 400
    error_type = "invalid_request_error"


class InvalidInput(AppError):
    """The body parses but its content is wrong (missing variables, too long...)."""

    status_code = 422
    error_type = "invalid_input"


class ProviderError(AppError):
    """The model provider failed or answered something unusable."""

    status_code = 502
    error_type = "provider_error"


class NotReady(AppError):
    """A dependency the service needs (the memory store) is unavailable."""

    status_code = 503
    error_type = "unavailable"


class StoreUnavailable(NotReady):
    """The memory store failed (disk full, database down or read-only): not the model."""

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            headers={"Retry-After": str(STORE_RETRY_AFTER_S)},
            code="memory_store_unavailable",
        )


class SessionBusy(NotReady):
    """Too many turns of one session are already waiting (LLMCHAIN_SESSION_QUEUE_MAX)."""

    def __init__(self, waiting: int) -> None:
        super().__init__(
            f"{waiting} turns of this session are already waiting for the one under way "
            "(LLMCHAIN_SESSION_QUEUE_MAX); retry later",
            headers={"Retry-After": str(STORE_RETRY_AFTER_S)},
            code="session_busy",
        )


def storage_error_types() -> tuple[type[Exception], ...]:
    """The exceptions that mean the memory store, not the request, failed.

    SQLite's OperationalError covers a full disk, a read-only file, I/O errors and
    locks; psycopg's covers a server that is down, restarting, out of disk or a pool
    that gave no connection in time (psycopg_pool's PoolTimeout derives from it); a
    read-only transaction is a standby after a failover. psycopg is looked up only if
    something already imported it: without it no psycopg error can be raised.
    """
    types: list[type[Exception]] = [sqlite3.OperationalError]
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None:
        types += [psycopg.OperationalError, psycopg.errors.ReadOnlySqlTransaction]
    return tuple(types)


def storage_failure(exc: BaseException) -> StoreUnavailable | None:
    """The 503 to answer when `exc` (or what caused it) is a memory-store failure, else None."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    types = storage_error_types()
    while todo:
        err = todo.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, types):
            name = "SQLite" if isinstance(err, sqlite3.Error) else "PostgreSQL"
            text = str(err).strip().splitlines()[0][:300] if str(err).strip() else ""
            detail = f"{type(err).__name__}: {text}".rstrip(": ")
            return StoreUnavailable(f"the memory store ({name}) is unavailable: {detail}")
        if isinstance(err, BaseExceptionGroup):
            todo.extend(err.exceptions)
        todo.extend(e for e in (err.__cause__, err.__context__) if e is not None)
    return None


class RequestTimeout(AppError):
    """The model did not answer within LLMCHAIN_REQUEST_TIMEOUT_S."""

    status_code = 504
    error_type = "timeout"


def error_body(
    error_type: str, message: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """The error document, shared by JSON responses and SSE `error` events.

    OpenAI's Error object requires all four fields, `param` and `code` nullable
    (openai/openai-openapi, schema `Error`, read 2026-11-29).
    """
    return {"error": {"type": error_type, "message": message, "param": param, "code": code}}


def error_response(
    status_code: int,
    error_type: str,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    param: str | None = None,
    code: str | None = None,
) -> JSONResponse:
    """A JSON response in the service's error shape."""
    body = error_body(error_type, message, param, code)
    return JSONResponse(body, status_code=status_code, headers=headers)
