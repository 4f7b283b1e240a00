"""The service's own /openapi.json is what it answers: schemathesis, and each error provoked."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from tests.conftest import Server, ServerFactory

KEY = "contract-key"


def schemathesis(server: Server, workdir: Path, *extra: str) -> None:
    """Run schemathesis over every operation, every check, bounded and repeatable."""
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "run", f"{server.url}/openapi.json"),
        *("--checks", "all", "--max-examples", "5", "--seed", "1"),
        "--generation-deterministic",  # no example database either
        *("--workers", "1", "--no-color", "--request-timeout", "30"),
        *extra,
    ]
    # cwd: schemathesis and hypothesis leave their caches where they run.
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stdout[-20_000:] + result.stderr[-5_000:]
    assert "generated" in result.stdout and " passed" in result.stdout, result.stdout


def test_schemathesis_finds_nothing(service: Server, tmp_path: Path) -> None:
    """Declared statuses, bodies, content types and headers; no 5xx; valid data accepted."""
    schemathesis(service, tmp_path)


def test_schemathesis_with_api_keys(servers: ServerFactory, tmp_path: Path) -> None:
    """With keys, auth is required in the schema, and a request without one is refused."""
    server = servers.start({"LLMCHAIN_API_KEYS": KEY})
    schema = httpx.get(f"{server.url}/openapi.json").json()
    assert schema["paths"]["/v1/chat"]["post"]["security"] == [{"bearer": []}, {"apiKey": []}]
    assert "401" in schema["paths"]["/v1/chat"]["post"]["responses"]
    # ignored_auth (among --checks all) sends requests without the key and expects 401.
    schemathesis(server, tmp_path, "--header", f"Authorization: Bearer {KEY}", "-n", "2")


def test_auth_is_optional_without_keys(service: Server) -> None:
    schema = httpx.get(f"{service.url}/openapi.json").json()
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            if path.startswith("/v1/"):
                assert {} in operation["security"], path  # optional: no key needed
                assert "401" not in operation["responses"], path
            else:
                assert "security" not in operation, path
    assert set(schema["components"]["securitySchemes"]) == {"bearer", "apiKey"}


def test_fastapi_422_shape_is_gone(service: Server) -> None:
    schema = httpx.get(f"{service.url}/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert "detail" not in str(schema["components"]["schemas"]["ErrorResponse"])
    # The OpenAI routes answer 400 where the others answer 422, as OpenAI does.
    completions = schema["paths"]["/v1/chat/completions"]["post"]["responses"]
    assert "422" not in completions and "400" in completions
    assert "422" in schema["paths"]["/v1/chat"]["post"]["responses"]


# --- every declared error status, provoked, validates against its declaration -----------


def validator(schema: dict[str, Any], path: str, method: str, status: int) -> Callable[..., None]:
    """Validate a body against what the schema declares for this operation and status."""
    declared = schema["paths"][path][method]["responses"]
    assert str(status) in declared, f"{method.upper()} {path} does not declare {status}"
    body_schema = declared[str(status)]["content"]["application/json"]["schema"]
    # The declared schema as the root, beside the components its `$ref`s point into.
    check = jsonschema.Draft202012Validator({**body_schema, "components": schema["components"]})
    return lambda body: check.validate(body)


Provoke = tuple[str, str, int, dict[str, Any]]  # path, method, status, request kwargs

BIG = {"session_id": "s", "message": "x" * 4000}
SUMMARIZE = {"text": "t", "max_words": "3"}
JSON = {"Content-Type": "application/json"}
HI = {"role": "user", "content": "hi"}
CASES: dict[str, tuple[dict[str, str], list[Provoke]]] = {
    "defaults": (
        {"LLMCHAIN_MAX_BODY_BYTES": "2048"},
        [
            ("/v1/chat", "post", 400, {"content": b"{not json", "headers": JSON}),
            ("/v1/chat/completions", "post", 400, {"json": {"model": "chat", "messages": []}}),
            ("/v1/chains/{name}/invoke", "post", 404, {"json": {"input": {}}}),
            ("/v1/models/{model}", "get", 404, {}),
            ("/v1/chat/{session_id}", "get", 404, {}),
            ("/v1/chat/completions", "post", 404, {"json": {"model": "x", "messages": [HI]}}),
            ("/v1/chat", "post", 413, {"json": BIG}),
            ("/v1/chat", "post", 422, {"json": {"session_id": "s"}}),
            ("/v1/chains/summarize/invoke", "post", 422, {"json": {"input": {"text": "t"}}}),
        ],
    ),
    "keys and rate limit": (
        {"LLMCHAIN_API_KEYS": KEY, "LLMCHAIN_RATE_LIMIT_PER_MINUTE": "1"},
        [
            ("/v1/chains", "get", 401, {}),
            ("/v1/chains", "get", 200, {"headers": {"X-API-Key": KEY}}),
            ("/v1/chains", "get", 429, {"headers": {"X-API-Key": KEY}}),
        ],
    ),
    "provider fails": (
        {"LLMCHAIN_FAKE_FAILURE_RATE": "1", "LLMCHAIN_RETRY_ATTEMPTS": "1"},
        [("/v1/chat", "post", 502, {"json": {"session_id": "s", "message": "hi"}})],
    ),
    "provider rate limits": (
        {
            "LLMCHAIN_FAKE_FAILURE_RATE": "1",
            "LLMCHAIN_FAKE_FAILURE_KIND": "429",
            "LLMCHAIN_RETRY_ATTEMPTS": "1",
        },
        [("/v1/chains/summarize/batch", "post", 503, {"json": {"inputs": [SUMMARIZE]}})],
    ),
    "provider hangs": (
        {
            "LLMCHAIN_FAKE_FAILURE_RATE": "1",
            "LLMCHAIN_FAKE_FAILURE_KIND": "hang",
            "LLMCHAIN_CALL_TIMEOUT_S": "0.3",
            "LLMCHAIN_RETRY_ATTEMPTS": "1",
        },
        [("/v1/agent", "post", 504, {"json": {"session_id": "s", "message": "hi"}})],
    ),
}
CONCRETE = {"{name}": "poem", "{model}": "gpt-9", "{session_id}": "nobody"}


@pytest.mark.parametrize("case", list(CASES))
def test_each_error_status_answers_what_it_declares(servers: ServerFactory, case: str) -> None:
    settings, provocations = CASES[case]
    server = servers.start(settings)
    schema = httpx.get(f"{server.url}/openapi.json").json()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for path, method, status, kwargs in provocations:
            url = path
            for template, value in CONCRETE.items():
                url = url.replace(template, value)
            response = client.request(method.upper(), url, **kwargs)
            assert response.status_code == status, (path, response.text)
            if status >= 400:
                validator(schema, path, method, status)(response.json())
                declared = schema["paths"][path][method]["responses"][str(status)]
                for header in declared.get("headers", {}):  # Retry-After, WWW-Authenticate
                    assert header.lower() in response.headers, (path, status, header)


def test_every_declared_error_status_is_provoked(service: Server) -> None:
    """The provocations above cover each error status the schema declares (500 aside: no
    request makes it, by design; it is declared as the unhandled-error answer)."""
    schema = httpx.get(f"{service.url}/openapi.json").json()
    declared = {
        int(status)
        for operations in schema["paths"].values()
        for operation in operations.values()
        for status in operation["responses"]
        if int(status) >= 400
    }
    provoked = {status for _, cases in CASES.values() for _, _, status, _ in cases}
    assert declared - {401, 429} <= provoked | {500}  # 401/429 appear with keys and limits
    assert {401, 429} <= provoked
