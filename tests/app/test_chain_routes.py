"""The chain routes over real HTTP: listing, invoke, batch, stream, schemas, and bad input."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.app.helpers import PRODUCT, assert_error, sse_events


def test_health_and_readiness(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["provider"] == "fake"
    assert ready["memory"] == "sqlite"


def test_list_chains_with_input_variables(client: httpx.Client) -> None:
    chains = {c["name"]: c for c in client.get("/v1/chains").json()["chains"]}
    assert chains["product-description"]["input_variables"] == ["product"]
    assert chains["summarize"]["input_variables"] == ["text", "max_words"]


def test_invoke_answers_from_the_input(client: httpx.Client) -> None:
    socks = client.post(f"{PRODUCT}/invoke", json={"input": {"product": "wool socks"}}).json()
    mugs = client.post(f"{PRODUCT}/invoke", json={"input": {"product": "enamel mugs"}}).json()
    assert "Write a product description for wool socks." in socks["output"]
    assert "enamel mugs" in mugs["output"]
    assert socks["output"] != mugs["output"]
    assert socks["metadata"]["run_id"]


def test_json_chain_returns_an_object(client: httpx.Client) -> None:
    response = client.post(
        "/v1/chains/extract-keywords/invoke", json={"input": {"text": "tea", "count": 3}}
    )
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["output"], dict)


def test_batch_keeps_input_order(client: httpx.Client) -> None:
    products = [f"product {i}" for i in range(5)]
    response = client.post(f"{PRODUCT}/batch", json={"inputs": [{"product": p} for p in products]})
    body = response.json()
    assert response.status_code == 200
    assert [p in out for p, out in zip(products, body["output"], strict=True)] == [True] * 5
    assert len(set(body["metadata"]["run_ids"])) == 5


def test_stream_sends_langserve_events(client: httpx.Client) -> None:
    response = client.post(f"{PRODUCT}/stream", json={"input": {"product": "rain boots"}})
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    kinds = [e for e, _ in events]
    assert kinds[0] == "metadata" and kinds[-1] == "end"
    assert kinds.count("data") > 3
    text = "".join(json.loads(d) for e, d in events if e == "data")
    invoked = client.post(f"{PRODUCT}/invoke", json={"input": {"product": "rain boots"}})
    assert text == invoked.json()["output"]


def test_schemas(client: httpx.Client) -> None:
    schema = client.get("/v1/chains/summarize/input_schema").json()
    assert schema["required"] == ["text", "max_words"]
    assert client.get(f"{PRODUCT}/output_schema").json()["type"] == "string"
    assert client.get("/v1/chains/extract-keywords/output_schema").json()["type"] == "object"


def test_openapi_docs_are_served(client: httpx.Client) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/chains/{name}/invoke", "/v1/chat/completions", "/v1/chat"} <= set(paths)


def test_unknown_chain_is_404_listing_known(client: httpx.Client) -> None:
    response = client.post("/v1/chains/poem/invoke", json={"input": {"x": "y"}})
    assert_error(response, 404, "not_found", "unknown chain 'poem'", "product-description")


@pytest.mark.parametrize(
    ("payload", "fragments"),
    [
        ({"input": {}}, ["missing input variable(s): product"]),
        ({"input": {"product": "a", "color": "b"}}, ["unexpected input variable(s): color"]),
        ({"input": "socks"}, ["input must be an object with product"]),
        ({"input": {"product": ["a"]}}, ["'product' must be a string"]),
        ({"inptu": {"product": "a"}}, ["body.input: Field required"]),
    ],
)
def test_bad_input_is_422_naming_it(client: httpx.Client, payload: dict, fragments: list) -> None:
    response = client.post(f"{PRODUCT}/invoke", json=payload)
    assert_error(response, 422, "invalid_input", *fragments)


def test_missing_variables_named_on_stream_and_batch(client: httpx.Client) -> None:
    stream = client.post("/v1/chains/summarize/stream", json={"input": {"text": "t"}})
    assert_error(stream, 422, "invalid_input", "missing input variable(s): max_words")
    batch = client.post(f"{PRODUCT}/batch", json={"inputs": [{"product": "a"}, {}]})
    assert_error(batch, 422, "invalid_input", "inputs[1]: ", "missing input variable(s): product")


def test_malformed_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        f"{PRODUCT}/invoke",
        content=b'{"input": {"product": ',
        headers={"content-type": "application/json"},
    )
    assert_error(response, 400, "bad_request", "malformed JSON body")


def test_unknown_route_and_method(client: httpx.Client) -> None:
    assert_error(client.get("/v2/nothing"), 404, "not_found", "no route GET /v2/nothing")
    assert_error(client.get(f"{PRODUCT}/invoke"), 405, "method_not_allowed")
