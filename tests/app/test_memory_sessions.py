"""Sessions (issue 17 items 2-5): agent window, stateless agent calls, retention, namespaces."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.agent.service import AgentService
from app.agent.tools import build_tools
from app.chat.service import ChatService
from app.core.config import load_settings
from app.memory.retention import sweep
from app.memory.store import MemoryStore, open_memory_store
from app.providers.fake import FakeChatModel, count_tokens
from tests.conftest import Server, ServerFactory
from tests.postgres import PostgresServer

DAY = 86_400.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[MemoryStore]:
    settings = load_settings(memory_url=str(tmp_path / "chat.sqlite"))
    async with open_memory_store(settings) as opened:
        yield opened


def agent(store: MemoryStore, model: FakeChatModel | None = None, **kw: int) -> AgentService:
    return AgentService(model or FakeChatModel(), build_tools([], 5.0, 65_536), store, 6, 8, **kw)


def turn_of(reply: str) -> int:
    return int(reply.split("turn ", 1)[1].split(":", 1)[0])


async def test_agent_sessions_are_windowed_by_tokens(store: MemoryStore) -> None:
    service = agent(store, history_tokens=120)
    seen = []
    for i in range(60):
        answer = await service.run("long-agent", f"tell me something about item {i}")
        seen.append(turn_of(answer.reply))
    assert seen[:2] == [1, 2]  # memory works
    assert max(seen) < 15  # but the model sees a window, not 60 user messages
    state = await service.graph.aget_state(service._config("long-agent"))
    stored = state.values["messages"]
    assert sum(count_tokens(m.text) + 4 for m in stored) < 400  # and only the window is kept


def test_one_off_agent_call_stores_nothing(servers: ServerFactory, tmp_path: Path) -> None:
    db = tmp_path / "oneoff.sqlite"
    server = servers.start({"LLMCHAIN_MEMORY_URL": str(db)})
    request = {"model": "agent", "messages": [{"role": "user", "content": "what is 2+3*4?"}]}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for stream in (False, True):
            response = client.post("/v1/chat/completions", json={**request, "stream": stream})
            assert response.status_code == 200, response.text
            assert "14" in response.text
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        count = 'SELECT count(*) FROM "{}"'  # table names from the file's own schema
        rows = {t: conn.execute(count.format(t)).fetchone()[0] for t in tables}
    assert rows and not any(rows.values()), rows


async def check_retention(store: MemoryStore) -> None:
    clock = Clock()
    store.conversations.clock = clock
    chat = ChatService(FakeChatModel(), store, "be brief", 10)
    helper = agent(store)
    for session in ("idle", "active"):
        await chat.delete(session)
        await chat.turn(session, "hello")
        await helper.run(session, "hello agent")
    clock.now += 20 * DAY
    await chat.turn("active", "still here")  # used again: its chat is kept
    clock.now += 15 * DAY
    deleted = await sweep(store, days=30, now=clock())
    assert deleted == 3  # idle's chat, idle's agent, active's agent (35 days idle)
    assert await chat.history("idle") is None
    assert [m["content"] for m in await chat.history("active") or [] if m["role"] == "user"] == [
        "hello",
        "still here",
    ]
    # The agent forgot the deleted session: a new turn is its first again.
    assert turn_of((await helper.run("idle", "who am I?")).reply) == 1
    assert await sweep(store, days=30, now=clock()) == 0  # nothing else is idle


async def test_retention_deletes_idle_sessions_sqlite(store: MemoryStore, tmp_path: Path) -> None:
    await check_retention(store)
    with sqlite3.connect(tmp_path / "chat.sqlite") as conn:
        threads = {r[0] for r in conn.execute("SELECT DISTINCT thread_id FROM checkpoints")}
    assert not any("idle" in t for t in threads - {"agent/idle"}), threads


async def test_retention_deletes_idle_sessions_postgres(postgres: PostgresServer) -> None:
    # A database of its own: the sweep counts every idle session in the store, and the
    # shared server holds other tests' sessions, stored at today's date.
    import psycopg

    name = f"retention_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(postgres.url, autocommit=True) as conn:
        await conn.execute(f'CREATE DATABASE "{name}"')
    url = postgres.url.rsplit("/", 1)[0] + f"/{name}"
    settings = load_settings(memory_backend="postgres", memory_url=url)
    async with open_memory_store(settings) as opened:
        await check_retention(opened)


async def test_retention_deletes_idle_sessions_in_memory() -> None:
    async with open_memory_store(load_settings(memory_backend="memory")) as opened:
        await check_retention(opened)


def test_retention_setting_is_checked() -> None:
    from app.core.config import ConfigError

    assert load_settings().session_retention_days == 0  # forever by default
    with pytest.raises(ConfigError, match="SESSION_RETENTION_DAYS"):
        load_settings(session_retention_days=-1)


def test_chat_session_agent_x_is_not_agent_session_x(service: Server) -> None:
    with httpx.Client(base_url=service.url, timeout=30) as client:
        first = client.post("/v1/agent", json={"session_id": "ns-x", "message": "secret 1"})
        assert first.status_code == 200
        assert client.get("/v1/chat/agent:ns-x").status_code == 404  # not the agent's memory
        assert client.delete("/v1/chat/agent:ns-x").status_code == 204  # erases nothing of it
        second = client.post("/v1/agent", json={"session_id": "ns-x", "message": "secret 2"})
        assert turn_of(second.json()["reply"]) == 2
        chat = client.post("/v1/chat", json={"session_id": "agent:ns-x", "message": "hi"})
        assert turn_of(chat.json()["reply"]) == 1  # and chat does not see the agent's turns


async def test_concurrent_chat_and_agent_turns_lose_nothing(store: MemoryStore) -> None:
    """`agent:X` in chat and `X` in the agent, at once: every acknowledged turn is kept."""
    model = FakeChatModel(latency_ms=5)
    chat = ChatService(model, store, "be brief", 1000)
    helper = agent(store, model)

    async def chat_turn(i: int) -> int:
        return turn_of((await chat.turn("agent:shared", f"chat {i}")).text)

    async def agent_turn(i: int) -> int:
        return turn_of((await helper.run("shared", f"agent {i}")).reply)

    results = await asyncio.gather(
        *(chat_turn(i) for i in range(8)), *(agent_turn(i) for i in range(8))
    )
    assert sorted(results[:8]) == list(range(1, 9))  # each chat turn saw every one before
    assert sorted(results[8:]) == list(range(1, 9))  # and so did each agent turn
    history = await chat.history("agent:shared") or []
    assert sorted(m["content"] for m in history if m["role"] == "user") == sorted(
        f"chat {i}" for i in range(8)
    )


async def test_sessions_stored_before_namespaces_are_adopted(store: MemoryStore) -> None:
    """An upgrade keeps old sessions: a chat thread named by the bare id, an agent thread
    `agent:<id>`, each checkpoint holding the whole history (the previous layout)."""
    from langchain_core.messages import HumanMessage

    from app.agent.service import CallContext
    from app.chat.service import TurnInput

    chat = ChatService(FakeChatModel(), store, "be brief", 10)
    helper = agent(store)
    for i in range(2):  # the old layout: the graphs on the old thread names
        await chat.graph.ainvoke(
            TurnInput(message=f"old {i}"), {"configurable": {"thread_id": "old"}}
        )
        await helper.graph.ainvoke(
            {"messages": [HumanMessage(f"old agent {i}")]},
            {"configurable": {"thread_id": "agent:old"}},
            context=CallContext(),
        )
    history = await chat.history("old")
    assert [m["content"] for m in history or [] if m["role"] == "user"] == ["old 0", "old 1"]
    assert turn_of((await chat.turn("old", "new")).text) == 3  # the old turns reached the model
    assert turn_of((await helper.run("old", "new")).reply) == 3
    threads = {c.config["configurable"]["thread_id"] async for c in store.saver.alist(None)}
    assert threads == {"chat/old", "agent/old"}  # the old threads are gone


async def test_a_failed_agent_turn_leaves_the_session_as_it_was(store: MemoryStore) -> None:
    """Nothing of a turn that failed is kept: the next turn sees only acknowledged turns."""
    healthy, failing = agent(store), agent(store, FakeChatModel(fail_first=10**6))
    assert turn_of((await healthy.run("half", "first")).reply) == 1
    with pytest.raises(Exception, match="fake"):
        await failing.run("half", "this one fails")
    assert turn_of((await healthy.run("half", "second")).reply) == 2
    state = await healthy.graph.aget_state(healthy._config("half"))
    texts = [m.text for m in state.values["messages"]]
    assert "this one fails" not in texts


async def test_a_cancelled_agent_turn_leaves_the_session_as_it_was(store: MemoryStore) -> None:
    """A client that goes away mid-turn (the task cancelled) stores nothing of that turn."""
    healthy, slow = agent(store), agent(store, FakeChatModel(latency_ms=5_000))
    assert turn_of((await healthy.run("cut", "first")).reply) == 1
    task = asyncio.create_task(slow.run("cut", "this one is dropped"))
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert turn_of((await healthy.run("cut", "second")).reply) == 2


async def test_a_dropped_agent_stream_leaves_the_session_as_it_was(store: MemoryStore) -> None:
    """A stream closed after its first token (the client went away) stores nothing."""
    healthy, slow = agent(store), agent(store, FakeChatModel(token_latency_ms=200))
    assert turn_of((await healthy.run("drop", "first")).reply) == 1
    tokens = slow.stream("drop", "this stream is dropped")
    assert await anext(tokens)
    await tokens.aclose()
    assert turn_of((await healthy.run("drop", "second")).reply) == 2
