"""Text that is not Unicode (a lone surrogate) is the client's mistake on every route, never a 5xx."""

from __future__ import annotations

import httpx
import pytest

from tests.app.helpers import PRODUCT, assert_error

# JSON may escape a lone surrogate ("\ud800"); it decodes to a str that no UTF-8 encoder,
# and so no provider SDK, accepts. Sent raw, since httpx's json= cannot encode it.
BAD = '"bad \\ud800 text"'


def post(client: httpx.Client, path: str, raw_json: str) -> httpx.Response:
    return client.post(path, content=raw_json, headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/chat", '{"session_id": "s1", "message": %s}'),
        ("/v1/agent", '{"session_id": "s1", "message": %s}'),
        (f"{PRODUCT}/invoke", '{"input": {"product": %s}}'),
        (f"{PRODUCT}/batch", '{"inputs": [{"product": "fine"}, {"product": %s}]}'),
        (f"{PRODUCT}/stream", '{"input": {"product": %s}}'),
    ],
)
def test_lone_surrogate_is_422_on_service_routes(
    client: httpx.Client, path: str, body: str
) -> None:
    assert_error(post(client, path, body % BAD), 422, "invalid_input")


@pytest.mark.parametrize(
    "body",
    [
        '{"model": "product-description", "messages": [{"role": "user", "content": %s}]}',
        '{"model": "chat", "messages": [{"role": "user", "content": %s}]}',
        '{"model": "chat", "stream": true, "messages": [{"role": "user", "content": %s}]}',
        '{"model": "agent", "messages": [{"role": "user", "content": %s}]}',
        '{"model": "chat", "messages": [{"role": "system", "content": %s},'
        ' {"role": "user", "content": "hi"}]}',
        '{"model": "chat", "messages": [{"role": "user",'
        ' "content": [{"type": "text", "text": %s}]}]}',
    ],
)
def test_lone_surrogate_is_400_on_the_openai_route(client: httpx.Client, body: str) -> None:
    response = post(client, "/v1/chat/completions", body % BAD)
    assert_error(response, 400, "invalid_request_error", "messages", "Unicode")
    assert response.json()["error"]["param"] == "messages"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ('{"model": %s, "messages": [{"role": "user", "content": "hi"}]}', "model"),
        (
            '{"model": "chat", "stop": [%s], "messages": [{"role": "user", "content": "hi"}]}',
            "stop",
        ),
        ('{"model": "chat", "stop": %s, "messages": [{"role": "user", "content": "hi"}]}', "stop"),
    ],
)
def test_lone_surrogate_in_other_openai_fields_is_400(
    client: httpx.Client, body: str, param: str
) -> None:
    response = post(client, "/v1/chat/completions", body % BAD)
    assert_error(response, 400, "invalid_request_error", param, "Unicode")
    assert response.json()["error"]["param"] == param


def test_lone_surrogate_in_a_variable_name_is_422(client: httpx.Client) -> None:
    raw = '{"input": {"product": "x", NAME: "y"}}'.replace("NAME", BAD)
    response = post(client, f"{PRODUCT}/invoke", raw)
    assert_error(response, 422, "invalid_input", "Unicode")
