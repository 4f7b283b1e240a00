"""What each path allows (405 with a true `Allow`) and which session ids can be read back."""

from __future__ import annotations

import httpx
import pytest


def allowed(response: httpx.Response) -> set[str]:
    assert response.status_code == 405, response.text
    assert response.json()["error"]["type"] == "method_not_allowed"
    return {method.strip() for method in response.headers["allow"].split(",")}


def test_get_chat_completions_is_405_not_a_chat_session(client: httpx.Client) -> None:
    response = client.get("/v1/chat/completions")
    assert allowed(response) == {"POST"}
    assert "no chat session" not in response.text
    assert allowed(client.delete("/v1/chat/completions")) == {"POST"}


def test_405_on_a_session_lists_every_method_it_takes(client: httpx.Client) -> None:
    assert {"GET", "DELETE"} <= allowed(client.put("/v1/chat/someone"))
    assert {"GET", "DELETE"} <= allowed(client.post("/v1/chat/someone"))
    assert allowed(client.get("/v1/chat")) == {"POST"}


@pytest.mark.parametrize("session", [".", "..", "..."])
def test_session_ids_made_only_of_dots_are_refused(client: httpx.Client, session: str) -> None:
    for path in ("/v1/chat", "/v1/agent"):
        response = client.post(path, json={"session_id": session, "message": "hello"})
        assert response.status_code == 422, response.text
        assert "session_id" in response.json()["error"]["message"]
        assert response.json()["error"]["param"] == "session_id"
    response = client.post(
        "/v1/chat/completions",
        json={"model": "chat", "user": session, "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == "user"


def test_a_session_id_with_dots_and_more_is_fine(client: httpx.Client) -> None:
    response = client.post("/v1/chat", json={"session_id": "a.b..c", "message": "hello"})
    assert response.status_code == 200, response.text
    assert client.get("/v1/chat/a.b..c").status_code == 200
    raw = client.get("/v1/chat/...")  # not a dot-segment: reaches the route, which refuses it
    assert raw.status_code == 422 and "session_id" in raw.text
