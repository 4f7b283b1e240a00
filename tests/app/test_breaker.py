"""Circuit breakers: a hung primary is skipped for a cool-down, then probed once (issue 17 item 20).

Counts, not times: the primary's own call counter says whether a request reached it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from langchain_core.messages import HumanMessage

from app.providers.fake import FakeChatModel
from app.providers.resilience import Breakers, CircuitBreaker, ResilientChatModel
from tests.app.helpers import metric
from tests.conftest import ServerFactory

FAILURES = 3
COOLDOWN_S = 30.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def hung_primary_with_fallback(clock: Clock) -> tuple[ResilientChatModel, FakeChatModel]:
    primary = FakeChatModel(model_name="primary", failure_rate=1.0, failure_kind="hang")
    fallback = FakeChatModel(model_name="fallback")
    breakers = Breakers()
    for name in ("primary", "fallback"):  # made up front, on the test's clock
        breakers._by_name[name] = CircuitBreaker(name, FAILURES, COOLDOWN_S, clock=clock)
    model = ResilientChatModel(
        models=[primary, fallback],
        names=["primary", "fallback"],
        attempts=1,
        base_delay_s=0.01,
        call_timeout_s=0.05,  # the hang: each call to the primary ends by this timeout
        breaker_failures=FAILURES,
        breakers=breakers,
    )
    return model, primary


def calls(model: FakeChatModel) -> int:
    return int(model._calls)


async def ask(model: ResilientChatModel, streamed: bool = False) -> str:
    if streamed:
        return "".join([c.text async for c in model.astream([HumanMessage("hi")])])
    return (await model.ainvoke([HumanMessage("hi")])).text


async def test_a_failing_primary_is_skipped_until_the_cooldown_ends() -> None:
    clock = Clock()
    model, primary = hung_primary_with_fallback(clock)
    for _ in range(FAILURES):
        assert (await ask(model)).startswith("[fallback ")
    assert calls(primary) == FAILURES
    # Open: invokes and streams go straight to the fallback; the primary is not called.
    for streamed in (False, True) * 5:
        assert (await ask(model, streamed)).startswith("[fallback ")
    assert calls(primary) == FAILURES
    assert model.breaker("primary").state == CircuitBreaker.OPEN
    clock.now += COOLDOWN_S - 1
    await ask(model)
    assert calls(primary) == FAILURES


async def test_after_the_cooldown_one_probe_reaches_the_primary() -> None:
    clock = Clock()
    model, primary = hung_primary_with_fallback(clock)
    for _ in range(FAILURES):
        await ask(model)
    clock.now += COOLDOWN_S + 1
    # Five requests at once: one probes the (still hung) primary, all are answered.
    answers = await asyncio.gather(*(ask(model) for _ in range(5)))
    assert all(a.startswith("[fallback ") for a in answers)
    assert calls(primary) == FAILURES + 1
    # The probe failed: open again, for a whole new cool-down.
    assert model.breaker("primary").state == CircuitBreaker.OPEN
    await ask(model)
    assert calls(primary) == FAILURES + 1
    # The primary recovers; after the cool-down the probe succeeds and closes the breaker.
    primary.failure_rate = 0.0
    clock.now += COOLDOWN_S + 1
    assert (await ask(model)).startswith("[primary ")
    assert model.breaker("primary").state == CircuitBreaker.CLOSED
    for _ in range(3):
        assert (await ask(model)).startswith("[primary ")


async def test_a_refusal_is_not_a_failure() -> None:
    """A 400 (the provider answered) neither opens the breaker nor goes to the fallback."""
    breaker = CircuitBreaker("m", threshold=1, cooldown_s=COOLDOWN_S)

    for _ in range(3):
        breaker.check()
        try:
            with breaker.attempt():
                raise ValueError("bad request")
        except ValueError:
            pass
    assert breaker.state == CircuitBreaker.CLOSED


async def test_breakers_off_with_zero_failures() -> None:
    clock = Clock()
    breaker = CircuitBreaker("m", threshold=0, cooldown_s=COOLDOWN_S, clock=clock)
    for _ in range(10):
        breaker.failed()
    assert breaker.admit()


def test_the_service_skips_a_hung_primary_and_shows_the_breaker(servers: ServerFactory) -> None:
    """Against a real server: after 2 timed-out calls the hung primary gets no more, the
    fallback answers every request, and /metrics shows the primary's breaker open."""
    server = servers.start(
        {
            "LLMCHAIN_FAKE_FAILURE_RATE": "1",
            "LLMCHAIN_FAKE_FAILURE_KIND": "hang",
            "LLMCHAIN_FALLBACK_MODELS": "fake:backup",
            "LLMCHAIN_CALL_TIMEOUT_S": "0.5",
            "LLMCHAIN_RETRY_ATTEMPTS": "1",
            "LLMCHAIN_BREAKER_FAILURES": "2",
            "LLMCHAIN_BREAKER_COOLDOWN_S": "3600",
        }
    )
    body: dict[str, Any] = {"model": "chat", "messages": [{"role": "user", "content": "hi"}]}
    with httpx.Client(base_url=server.url, timeout=30) as client:

        def primary_calls() -> float:
            return sum(
                metric(client, "llmchain_model_calls_total", model="fake-echo", outcome=o)
                for o in ("ok", "error", "cancelled")
            )

        for index in range(8):
            answer = client.post("/v1/chat/completions", json={**body, "stream": index % 2})
            assert answer.status_code == 200, answer.text
            assert "[backup " in answer.text
        assert primary_calls() == 2
        # Both ended in /metrics (a cut non-streamed call too): none is left in flight.
        assert metric(client, "llmchain_model_calls_in_flight", model="fake-echo") == 0
        assert metric(client, "llmchain_model_circuit_state", model="fake-echo") == 1
        assert metric(client, "llmchain_model_circuit_state", model="backup") == 0
