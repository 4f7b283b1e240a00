"""The OpenAPI schema: what every route really answers, errors and API-key schemes included.

FastAPI declares 200 and a 422 `{"detail": [...]}` of its own; the service answers every
error as `{"error": {...}}` (app/core/errors.py) from its handlers and middleware, which
FastAPI cannot see. The statuses each operation can answer are added here from what it
takes (a body, path parameters), what it runs (a model, the memory store) and the
settings (API keys, rate limit), so generated clients and schemathesis agree with it.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

from app.api.openai_options import REFUSED
from app.core.config import Settings

if TYPE_CHECKING:
    from app.runtime import Runtime

SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "A key from LLMCHAIN_API_KEYS."},
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "A key from LLMCHAIN_API_KEYS.",
    },
}
KEYS: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]
# "An empty Security Requirement Object ({}) indicates anonymous access is supported"
# (https://github.com/OAI/OpenAPI-Specification/blob/main/versions/3.1.1.md
# #security-requirement-object, read 2026-11-29): the schemes are optional without keys.
KEYS_OPTIONAL = [{}, *KEYS]


class ErrorDetail(BaseModel):
    """What went wrong: the same four fields as OpenAI's `Error` object."""

    model_config = ConfigDict(extra="forbid")
    type: str = Field(examples=["invalid_input"])
    message: str
    param: str | None = Field(description="The request field at fault, if known.")
    code: str | None = Field(description="A machine-readable detail, if any.")


class ErrorResponse(BaseModel):
    """Every error body; OpenAI's `ErrorResponse` shape, so the `openai` SDK reads it too."""

    model_config = ConfigDict(extra="forbid")
    error: ErrorDetail


ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    }
}
# status: (description, headers), the error types are those of app/core/errors.py
# and app/api/exception_handlers.py.
ERRORS: dict[int, tuple[str, dict[str, Any]]] = {
    400: ("`bad_request`: the body is not JSON.", {}),
    401: (
        "`unauthorized`: no API key, or one that is not accepted.",
        {"WWW-Authenticate": {"schema": {"type": "string"}}},
    ),
    404: ("`not_found`: no such chain, model or session.", {}),
    413: ("`payload_too_large`: the body exceeds LLMCHAIN_MAX_BODY_BYTES.", {}),
    422: ("`invalid_input`: a field is wrong; `param` names the first one.", {}),
    429: ("`rate_limited`: this key (or address) used its requests.", RETRY_AFTER),
    500: ("`internal_error`: quote the X-Request-ID.", {}),
    502: ("`provider_error`: the model provider failed.", {}),
    503: ("`unavailable`: a dependency (model provider, memory store) is not there.", RETRY_AFTER),
    504: ("`timeout`: the model did not answer within LLMCHAIN_REQUEST_TIMEOUT_S.", {}),
}
# OpenAI answers every invalid request 400 `invalid_request_error` (app/api/openai_route.py).
OPENAI_400 = "`invalid_request_error`: the request is invalid; `param` names the field."
# What the operation itself may answer beyond what the rules below find.
EXTRA: dict[tuple[str, str], set[int]] = {
    ("post", "/v1/chat/completions"): {404},  # an unknown model
    ("get", "/v1/chat/{session_id}"): {503},  # the memory store
    ("delete", "/v1/chat/{session_id}"): {503},
    ("get", "/readyz"): {503},
}

# The OpenAI options the service refuses (app/api/openai_options.py) parse loosely, so
# that the refusal can name them; the schema declares only the values that are accepted.
NOT_ASKED: dict[str, dict[str, Any]] = {
    "tools": {"type": "array", "maxItems": 0},
    "functions": {"type": "array", "maxItems": 0},
    "tool_choice": {"const": "none"},
    "function_call": {"const": "none"},
    "logprobs": {"const": False},
    "top_logprobs": {"const": 0},
    "response_format": {
        "type": "object",
        "properties": {"type": {"const": "text"}},
        "required": ["type"],
    },
}


def declare_refused_options(schemas: dict[str, Any]) -> None:
    """Narrow each refused option of the chat completion request to what is accepted."""
    properties = schemas.get("ChatCompletionRequest", {}).get("properties", {})
    for name, accepted in NOT_ASKED.items():
        if name in properties:
            properties[name] = {
                "anyOf": [accepted, {"type": "null"}],
                "default": None,
                "description": f"Anything else is a 400: {REFUSED[name]}.",
            }


CHAIN_PREFIX = "/v1/chains/{name}/"


def chain_paths(paths: dict[str, Any], schemas: dict[str, Any], runtime: Runtime) -> None:
    """One path per chain and route, its body and answer typed by the chain, as LangServe's
    add_routes declares each runnable; `{name}` stays for clients that take any chain."""
    generic = {path: ops for path, ops in paths.items() if path.startswith(CHAIN_PREFIX)}
    for chain in runtime.chains.values():
        typed = {"input": chain.input_schema(), "output": chain.output_schema()}
        for variable in typed["input"]["properties"].values():  # a number is taken as text
            variable["type"] = ["string", "number"]
        most = runtime.settings.max_batch_size
        for path, operations in generic.items():
            concrete: dict[str, Any] = {}
            for method, operation in operations.items():
                op = copy.deepcopy(operation)
                op["operationId"] = re.sub(r"\W", "_", f"{op['operationId']}_{chain.name}")
                op["parameters"] = [p for p in op.get("parameters", []) if p["name"] != "name"]
                if not op["parameters"]:
                    del op["parameters"]
                    op["responses"].pop("404")  # the chain is there
                    if "requestBody" not in op:
                        op["responses"].pop("422")
                for holder in (op.get("requestBody"), op["responses"].get("200")):
                    content = (holder or {}).get("content", {}).get("application/json")
                    if content and "$ref" in content.get("schema", {}):
                        content["schema"] = typed_body(content["schema"], schemas, typed, most)
                concrete[method] = op
            paths[path.replace("{name}", chain.name)] = concrete


def typed_body(
    ref: dict[str, str], schemas: dict[str, Any], typed: dict[str, Any], most: int
) -> Any:
    """A chain route's body or answer with the chain's own input and output schemas."""
    body = copy.deepcopy(schemas[ref["$ref"].rsplit("/", 1)[-1]])
    properties = body.get("properties", {})
    for name, schema in typed.items():
        if properties.get(name, {}).get("type") == "array":  # batch: `output` is a list
            properties[name] = {"type": "array", "items": schema}
        elif name in properties:  # invoke, stream...: one input, one output
            properties[name] = schema
        if f"{name}s" in properties:  # batch: a list of them
            properties[f"{name}s"] = {"type": "array", "items": schema, "minItems": 1}
            if name == "input":  # LLMCHAIN_MAX_BATCH_SIZE
                properties[f"{name}s"]["maxItems"] = most
    return body


def statuses(method: str, path: str, operation: dict[str, Any], settings: Settings) -> set[int]:
    """The error statuses one operation can answer."""
    found = {500} | EXTRA.get((method, path), set())
    if path.startswith("/v1/"):  # the key check and the rate limit guard /v1/ only
        found |= {401} if settings.api_keys else set()
        found |= {429} if settings.rate_limit_per_minute else set()
        if method == "post":  # every POST runs a model, chat and agent with their memory
            found |= {502, 503, 504}
    if "requestBody" in operation:
        found |= {400, 413, 422}
    params = operation.get("parameters", [])
    if params:
        found.add(422)
    if any(p.get("in") == "path" for p in params):
        found.add(404)
    return found


def error_responses(openai: bool, codes: set[int]) -> dict[str, Any]:
    """The response objects of these statuses, in the service's error shape."""
    if openai and 422 in codes:  # the OpenAI routes answer 400 where the others answer 422
        codes = (codes - {422}) | {400}
    responses: dict[str, Any] = {}
    for status in sorted(codes):
        description, headers = ERRORS[status]
        if openai and status == 400:
            description = OPENAI_400
        response: dict[str, Any] = {
            "description": description,
            "content": {"application/json": {"schema": ERROR_REF}},
        }
        if headers:
            response["headers"] = headers
        responses[str(status)] = response
    return responses


def build_schema(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """FastAPI's schema, with the real error responses and the API-key schemes."""
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {})
    components["securitySchemes"] = SCHEMES
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422, never sent
        schemas.pop(unused, None)
    error_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs"))
    schemas["ErrorResponse"] = error_schema
    declare_refused_options(schemas)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            openai = "openai" in operation.get("tags", [])
            codes = statuses(method, path, operation, settings)
            responses.update(error_responses(openai, codes))
            if path.startswith("/v1/"):
                operation["security"] = KEYS if settings.api_keys else KEYS_OPTIONAL
    runtime = getattr(app.state, "runtime", None)  # there once the app has started
    if runtime is not None:
        chain_paths(schema["paths"], schemas, runtime)
    return schema


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Serve `build_schema` at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            app.openapi_schema = build_schema(app, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
