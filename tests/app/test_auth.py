"""API keys: /v1/* needs one when LLMCHAIN_API_KEYS is set; operations routes stay open."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from langserve import RemoteRunnable

from app.api.auth import key_matches
from tests.app.helpers import PRODUCT, assert_error
from tests.conftest import Server, ServerFactory

BODY = {"input": {"product": "a lamp"}}


@pytest.fixture(scope="module")
def guarded(module_servers: ServerFactory) -> Server:
    return module_servers.start({"LLMCHAIN_API_KEYS": "key-one,key-two"})


@pytest.fixture(scope="module")
def client(guarded: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=guarded.url, timeout=30) as c:
        yield c


def test_no_key_is_401_with_a_challenge(client: httpx.Client) -> None:
    response = client.post(f"{PRODUCT}/invoke", json=BODY)
    assert_error(response, 401, "unauthorized", "missing API key", "X-API-Key")
    assert response.headers["www-authenticate"] == "Bearer"
    for path in ("/v1/chains", "/v1/models", "/v1/chat/someone"):
        assert client.get(path).status_code == 401


def test_wrong_key_is_401(client: httpx.Client) -> None:
    response = client.post(f"{PRODUCT}/invoke", json=BODY, headers={"X-API-Key": "key-three"})
    assert_error(response, 401, "unauthorized", "invalid API key")
    basic = client.post(f"{PRODUCT}/invoke", json=BODY, headers={"Authorization": "Basic a2V5"})
    assert basic.status_code == 401


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer key-one"}, {"X-API-Key": "key-two"}])
def test_either_header_with_any_key_works(client: httpx.Client, headers: dict) -> None:
    assert client.post(f"{PRODUCT}/invoke", json=BODY, headers=headers).status_code == 200


def test_operations_routes_need_no_key(client: httpx.Client) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/docs"):
        assert client.get(path).status_code == 200, path


def test_clients_pass_their_keys(guarded: Server) -> None:
    oai = openai.OpenAI(base_url=f"{guarded.url}/v1", api_key="key-one", max_retries=0)
    assert oai.models.list().data
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{guarded.url}/v1", api_key="nope", max_retries=0).models.list()
    remote = RemoteRunnable(f"{guarded.url}{PRODUCT}/", headers={"X-API-Key": "key-two"})
    assert "a lamp" in remote.invoke({"product": "a lamp"})


def test_key_comparison() -> None:
    assert key_matches("b", [b"a", b"b"])
    assert not key_matches("c", [b"a", b"b"])
    assert not key_matches("", [b"a"])


def test_the_playground_link_opens_the_page_without_a_key_and_reveals_nothing(
    client: httpx.Client,
) -> None:
    """A browser's address bar sends no key: LangServe's playground URL still reaches the page,
    which asks for one; known and unknown chains look the same, and nothing else opens."""
    for chain in ("product-description", "no-such-chain"):
        response = client.get(f"/v1/chains/{chain}/playground/")
        assert response.status_code == 307
        assert response.headers["location"] == f"/?chain={chain}"
        assert response.content == b""
    assert client.post("/v1/chains/product-description/playground/").status_code == 401
    assert client.get("/v1/chains/product-description/playgroundx").status_code == 401
    assert client.get("/v1/chains/a/b/playground/").status_code == 401
