"""Provider faults: retries, fallbacks, timeouts, and nothing lost or doubled in chat memory."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage
from tenacity import RetryCallState, Retrying

from app.providers.fake import FakeChatModel, FakeRateLimited, FakeServerError
from app.providers.resilience import (
    ModelStalled,
    ModelUnavailable,
    ResilientChatModel,
    _Wait,
    is_transient,
    retry_after,
)
from tests.app.helpers import assert_error, sse_events
from tests.conftest import ServerFactory


def resilient(*models: FakeChatModel, **kwargs: Any) -> ResilientChatModel:
    options: dict[str, Any] = {"base_delay_s": 0.01, "call_timeout_s": 5.0}
    options.update(kwargs)
    return ResilientChatModel(models=list(models), names=[m.model_name for m in models], **options)


async def test_fails_twice_then_succeeds_on_the_primary() -> None:
    primary = FakeChatModel(model_name="primary", fail_first=2, failure_kind="500")
    answer = await resilient(primary, attempts=3).ainvoke([HumanMessage("hi")])
    assert "[primary" in answer.text and answer.text.endswith("turn 1: hi")


async def test_always_rate_limited_primary_falls_back() -> None:
    primary = FakeChatModel(model_name="primary", failure_rate=1.0, failure_kind="429")
    fallback = FakeChatModel(model_name="fallback")
    answer = await resilient(primary, fallback, attempts=2).ainvoke([HumanMessage("hi")])
    assert answer.text.startswith("[fallback ")


async def test_stream_falls_back_before_its_first_token() -> None:
    primary = FakeChatModel(model_name="primary", failure_rate=1.0, failure_kind="500")
    fallback = FakeChatModel(model_name="fallback")
    model = resilient(primary, fallback, attempts=2)
    text = "".join([chunk.text async for chunk in model.astream([HumanMessage("hi")])])
    assert text.startswith("[fallback ")


async def test_every_model_down_names_each_failure() -> None:
    primary = FakeChatModel(model_name="primary", failure_rate=1.0, failure_kind="429")
    fallback = FakeChatModel(model_name="fallback", failure_rate=1.0, failure_kind="500")
    with pytest.raises(ModelUnavailable) as caught:
        await resilient(primary, fallback, attempts=2).ainvoke([HumanMessage("hi")])
    assert str(caught.value) == "primary: rate limited (429); fallback: server error (5xx)"


async def test_a_hung_model_is_cut_by_the_call_timeout() -> None:
    hung = FakeChatModel(model_name="hung", failure_rate=1.0, failure_kind="hang")
    with pytest.raises(ModelStalled, match="did not answer in time"):
        await asyncio.wait_for(
            resilient(hung, attempts=2, call_timeout_s=0.2).ainvoke([HumanMessage("hi")]), 10
        )


async def test_a_stream_that_goes_quiet_is_cut_by_the_idle_timeout() -> None:
    slow = FakeChatModel(model_name="slow", token_latency_ms=5000)
    model = resilient(slow, idle_timeout_s=0.2)
    received: list[str] = []

    async def consume() -> None:
        async with asyncio.timeout(10):
            async for chunk in model.astream([HumanMessage("a long answer")]):
                received.append(chunk.text)

    with pytest.raises(ModelStalled, match=r"the stream sent nothing for 0\.2 s"):
        await consume()
    assert len(received) == 1  # the first token came; the stream then went quiet


async def test_a_bad_request_is_not_retried_nor_sent_to_a_fallback() -> None:
    class Refusing(FakeChatModel):
        calls: int = 0

        async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            raise ValueError("the prompt is too long for this model")

    primary, fallback = Refusing(model_name="primary"), FakeChatModel(model_name="fallback")
    model = resilient(primary, fallback, attempts=3)
    with pytest.raises(ValueError, match="too long"):
        await model.ainvoke([HumanMessage("hi")])
    assert model.models[0].calls == 1


def test_what_counts_as_transient() -> None:
    assert is_transient(FakeRateLimited())
    assert is_transient(FakeServerError())
    assert is_transient(TimeoutError())
    assert not is_transient(ValueError("bad request"))

    class Status(Exception):
        def __init__(self, status_code: int) -> None:
            self.status_code = status_code

    assert is_transient(Status(503)) and is_transient(Status(429))
    assert not is_transient(Status(400)) and not is_transient(Status(401))


def test_retry_after_in_seconds_or_an_http_date_is_honoured() -> None:
    class WithHeaders(Exception):
        def __init__(self, value: str) -> None:
            self.response = httpx.Response(429, headers={"Retry-After": value})

    assert retry_after(FakeRateLimited(retry_after=2.5)) == 2.5
    assert retry_after(WithHeaders("7")) == 7.0
    assert retry_after(WithHeaders("Wed, 21 Oct 2015 07:28:00 GMT")) == 0.0  # in the past
    assert retry_after(ValueError()) is None

    def state(exc: BaseException, attempt: int) -> RetryCallState:
        call = RetryCallState(Retrying(), lambda: None, (), {})
        call.attempt_number = attempt
        call.set_exception((type(exc), exc, None))
        return call

    wait = _Wait(base=0.5, cap=20)
    assert wait(state(WithHeaders("7"), 1)) == 7.0  # the provider's word over our backoff
    assert wait(state(WithHeaders("600"), 1)) == 20  # never past the retry budget
    random.seed(1)
    first, third = wait(state(FakeServerError(), 1)), wait(state(FakeServerError(), 3))
    assert 0.5 <= first <= 1.0 and 2.0 <= third <= 2.5  # exponential, with jitter


# --- over HTTP --------------------------------------------------------------------------


def chat(client: httpx.Client, session: str, message: str) -> httpx.Response:
    return client.post("/v1/chat", json={"session_id": session, "message": message})


def test_over_http_two_failures_then_success(servers: ServerFactory) -> None:
    server = servers.start({"LLMCHAIN_FAKE_FAIL_FIRST": "2", "LLMCHAIN_RETRY_ATTEMPTS": "3"})
    with httpx.Client(base_url=server.url, timeout=30) as client:
        response = chat(client, "retry", "hello")
        assert response.status_code == 200, response.text
        metrics = client.get("/metrics").text
    assert 'llmchain_model_calls_total{model="fake-echo",outcome="error",provider="fake"} 2.0' in (
        metrics
    )


def test_over_http_always_429_falls_back(servers: ServerFactory) -> None:
    server = servers.start(
        {
            "LLMCHAIN_FAKE_FAILURE_RATE": "1",
            "LLMCHAIN_FAKE_FAILURE_KIND": "429",
            "LLMCHAIN_RETRY_ATTEMPTS": "2",
            "LLMCHAIN_FALLBACK_MODELS": "fake:fake-backup",
        }
    )
    with httpx.Client(base_url=server.url, timeout=30) as client:
        response = chat(client, "fallback", "hello")
        assert response.status_code == 200, response.text
        assert response.json()["reply"].startswith("[fake-backup ")
        streamed = client.post(
            "/v1/chat/completions",
            json={"model": "chat", "stream": True, "messages": [{"role": "user", "content": "x"}]},
        )
        chunks = [json.loads(d) for _, d in sse_events(streamed.text) if d != "[DONE]"]
        text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
        assert text.startswith("[fake-backup ")


def test_over_http_always_429_without_fallback_is_503_with_retry_after(
    servers: ServerFactory,
) -> None:
    server = servers.start(
        {
            "LLMCHAIN_FAKE_FAILURE_RATE": "1",
            "LLMCHAIN_FAKE_FAILURE_KIND": "429",
            "LLMCHAIN_RETRY_ATTEMPTS": "2",
        }
    )
    with httpx.Client(base_url=server.url, timeout=30) as client:
        response = chat(client, "limited", "hello")
        assert_error(response, 503, "unavailable", "rate limit", "fake:fake-echo")
        assert response.headers["retry-after"] == "1"
        assert client.get("/v1/chat/limited").status_code == 404  # the failed turn is not kept


def test_over_http_a_hung_provider_is_504_within_the_timeout(servers: ServerFactory) -> None:
    server = servers.start(
        {
            "LLMCHAIN_FAKE_FAILURE_RATE": "1",
            "LLMCHAIN_FAKE_FAILURE_KIND": "hang",
            "LLMCHAIN_CALL_TIMEOUT_S": "0.5",
            "LLMCHAIN_RETRY_ATTEMPTS": "2",
        }
    )
    # The client's own timeout is far beyond the service's: the service must answer first.
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert_error(chat(client, "hung", "hello"), 504, "timeout", "did not answer in time")
        streamed = client.post(
            "/v1/chat/completions",
            json={"model": "chat", "stream": True, "messages": [{"role": "user", "content": "x"}]},
        )
        assert '"type":"timeout"' in streamed.text


def test_200_concurrent_turns_with_10_percent_faults(servers: ServerFactory) -> None:
    """Every request gets a right answer or a clear error; memory holds each success once."""
    server = servers.start(
        {
            "LLMCHAIN_FAKE_FAILURE_RATE": "0.1",
            "LLMCHAIN_FAKE_FAILURE_KIND": "500",
            "LLMCHAIN_FAKE_FAILURE_SEED": "7",
            "LLMCHAIN_FAKE_LATENCY_MS": "20",
            "LLMCHAIN_FALLBACK_MODELS": "fake-backup",
            "LLMCHAIN_RETRY_ATTEMPTS": "1",  # so the fallback, not a retry, takes each fault
            # All 10 turns of a session are sent at once, so 9 queue behind the first: room
            # for them (the default bound, 8, would rightly answer the 10th 503 session_busy;
            # tests/app/test_session_locks.py tests the bound).
            "LLMCHAIN_SESSION_QUEUE_MAX": "9",
        }
    )
    sessions, turns = 20, 10

    async def one(client: httpx.AsyncClient, session: str, n: int) -> tuple[str, str, int, Any]:
        message = f"{session} message {n}"
        response = await client.post("/v1/chat", json={"session_id": session, "message": message})
        return session, message, response.status_code, response.json()

    async def run() -> list[tuple[str, str, int, Any]]:
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:
            jobs = [one(client, f"load-{s}", n) for s in range(sessions) for n in range(turns)]
            return await asyncio.gather(*jobs)

    results = asyncio.run(run())
    assert len(results) == sessions * turns
    succeeded: dict[str, list[str]] = {}
    for session, message, status, body in results:
        if status == 200:
            assert body["reply"].endswith(f": {message}"), body  # its own answer, not another's
            succeeded.setdefault(session, []).append(message)
        else:  # a clear error, never a bare 500
            assert status in (502, 503, 504), body
            assert body["error"]["message"]
    # About 20 faults hit the primary; without the fallback they would be errors.
    assert sum(map(len, succeeded.values())) >= 195
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for session, messages in succeeded.items():
            history = client.get(f"/v1/chat/{session}").json()["messages"]
            users = Counter(m["content"] for m in history if m["role"] == "user")
            assert users == Counter(messages), session  # each acknowledged turn exactly once
            assistants = [m for m in history if m["role"] == "assistant"]
            assert len(assistants) == len(messages)
        metrics = client.get("/metrics").text
    # Faults did happen, and the fallback answered them.
    assert 'outcome="error",provider="fake"}' in metrics
    assert 'model="fake-backup",outcome="ok"' in metrics
