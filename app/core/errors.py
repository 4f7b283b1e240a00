"""The service's error types and the one JSON shape every error response has."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


class ConfigError(Exception):
    """A setting or the chains file is wrong; the service must not start."""


class AppError(Exception):
    """An error the API reports to its client as `{"error": {"type", "message"}}`."""

    status_code = 500
    error_type = "internal_error"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers


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


class PayloadTooLarge(AppError):
    """The request body exceeds LLMCHAIN_MAX_BODY_BYTES."""

    status_code = 413
    error_type = "payload_too_large"


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


class RequestTimeout(AppError):
    """The model did not answer within LLMCHAIN_REQUEST_TIMEOUT_S."""

    status_code = 504
    error_type = "timeout"


def error_body(error_type: str, message: str) -> dict[str, Any]:
    """The error document, shared by JSON responses and SSE `error` events."""
    return {"error": {"type": error_type, "message": message}}


def error_response(
    status_code: int, error_type: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A JSON response in the service's error shape."""
    return JSONResponse(error_body(error_type, message), status_code=status_code, headers=headers)
