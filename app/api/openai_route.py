"""The OpenAI routes' error contract: a bad request is 400 `invalid_request_error`.

OpenAI answers every invalid request with 400 and an Error object naming the `param`
(openai/openai-openapi: schema `Error`; the `openai` SDK maps 400 to `BadRequestError`
and 422 to `UnprocessableEntityError`; read 2026-11-29). The service's other routes keep
their 422 `invalid_input`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from app.api.exception_handlers import invalid_fields, malformed_json
from app.core.errors import BadRequest, InvalidInput, InvalidRequest


class OpenAIRoute(APIRoute):
    """A route whose request errors (malformed JSON, wrong fields, bad input) are OpenAI's 400."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The usual handler, with request errors turned into `InvalidRequest`."""
        handler = super().get_route_handler()

        async def openai_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                message = malformed_json(exc)
                if message is not None:
                    raise InvalidRequest(message) from None
                message, param = invalid_fields(exc, prefix=False)
                raise InvalidRequest(message, param=param) from None
            except (InvalidInput, BadRequest) as exc:
                raise InvalidRequest(
                    exc.message, headers=exc.headers, param=exc.param, code=exc.code
                ) from None

        return openai_handler
