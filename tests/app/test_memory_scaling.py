"""Memory that scales (issue 17 item 1): storage per turn stays flat, history pages.

The services run in the test's own process on the real stores (SQLite file, PostgreSQL),
so a few hundred turns take seconds. Sizes are what the database holds, summed over every
table, so the measure does not depend on how the store lays its tables out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.chat.service import ChatService
from app.core.config import load_settings
from app.memory.store import MemoryStore, open_memory_store
from app.providers.fake import FakeChatModel
from benchmarks.memory import drive, postgres_bytes, sqlite_bytes
from tests.conftest import Server
from tests.postgres import PostgresServer

TURNS = 150  # storage after N and after 2N turns


async def chat_turns(chat: ChatService, session: str, first: int, last: int) -> None:
    for i in range(first, last):
        await chat.turn(session, f"message number {i} of a long session")


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[MemoryStore]:
    settings = load_settings(memory_url=str(tmp_path / "chat.sqlite"))
    async with open_memory_store(settings) as store:
        yield store


def flat(first_half: int, second_half: int) -> bool:
    # Whole-history checkpoints make the second N turns cost three times the first N
    # (the sum of 1..2N against 1..N); one row per message makes them cost the same.
    return second_half < 1.5 * first_half


async def test_sqlite_storage_per_turn_does_not_grow(tmp_path: Path) -> None:
    path = tmp_path / "chat.sqlite"
    settings = load_settings(memory_url=str(path), chat_history_limit=10)
    async with open_memory_store(settings) as store:
        chat = ChatService(FakeChatModel(), store, "be brief", 10)
        await chat_turns(chat, "long", 0, TURNS)
        at_n = sqlite_bytes(path)
        await chat_turns(chat, "long", TURNS, 2 * TURNS)
        at_2n = sqlite_bytes(path)
        history = await chat.history("long")
    assert history is not None  # and the whole conversation is still there to read
    assert flat(at_n, at_2n - at_n), (at_n, at_2n)


async def test_postgres_storage_per_turn_does_not_grow(postgres: PostgresServer) -> None:
    settings = load_settings(
        memory_backend="postgres", memory_url=postgres.url, chat_history_limit=10
    )
    async with open_memory_store(settings) as store:
        chat = ChatService(FakeChatModel(), store, "be brief", 10)
        await chat.delete("pg-long")
        await chat.delete("pg-other")
        before = postgres_bytes(postgres.url)
        await chat_turns(chat, "pg-long", 0, TURNS)
        at_n = postgres_bytes(postgres.url) - before
        await chat_turns(chat, "pg-long", TURNS, 2 * TURNS)
        at_2n = postgres_bytes(postgres.url) - before
        await chat.delete("pg-long")
        # Deleting a session gives its rows back.
        assert postgres_bytes(postgres.url) - before < at_n / 10
    assert flat(at_n, at_2n - at_n), (at_n, at_2n)


async def test_in_memory_store_keeps_one_checkpoint_per_session() -> None:
    settings = load_settings(memory_backend="memory", chat_history_limit=6)
    async with open_memory_store(settings) as store:
        chat = ChatService(FakeChatModel(), store, "be brief", 6)
        await chat_turns(chat, "m", 0, 40)
        checkpoints = [c async for c in store.saver.alist(None)]
        assert len(checkpoints) == 1  # superseded checkpoints are pruned
        messages = checkpoints[0].checkpoint["channel_values"]["messages"]
        assert len(messages) <= 6  # the window the model needs, not the whole history
        history = await chat.history("m")
        assert history is not None and len(history) == 80


async def test_the_model_is_sent_the_window_only(sqlite_store: MemoryStore) -> None:
    chat = ChatService(FakeChatModel(), sqlite_store, "be brief", 4)
    for i in range(30):
        reply = await chat.turn("w", f"m{i}")
    assert "turn 2: m29" in reply.text  # two user messages reached the model, not 30


def test_history_pages_every_message_once_in_order(service: Server) -> None:
    session = "paged"
    with httpx.Client(base_url=service.url, timeout=30) as client:
        client.delete(f"/v1/chat/{session}")
        for i in range(13):
            response = client.post("/v1/chat", json={"session_id": session, "message": f"q{i}"})
            assert response.status_code == 200, response.text
        pages: list[list[dict[str, Any]]] = []
        params: dict[str, int] = {"limit": 4}
        while True:
            body = client.get(f"/v1/chat/{session}", params=params).json()
            assert len(body["messages"]) <= 4
            pages.append(body["messages"])
            if body.get("before") is None:
                break
            params = {"limit": 4, "before": body["before"]}
        # Newest page first; each page oldest first: the whole conversation, once, in order.
        messages = [m for page in reversed(pages) for m in page]
        assert len(pages) == 7
        users = [m["content"] for m in messages if m["role"] == "user"]
        assert users == [f"q{i}" for i in range(13)]
        assert [m["role"] for m in messages] == ["user", "assistant"] * 13
        seqs = [m["seq"] for m in messages]
        assert seqs == sorted(set(seqs))
        # A bad page size names the parameter.
        response = client.get(f"/v1/chat/{session}", params={"limit": 0})
        assert response.status_code == 422
        assert "limit" in response.text


async def test_memory_benchmark_smoke(tmp_path: Path) -> None:
    """The benchmark's measuring loop runs (a few turns; `make bench` runs 5,000)."""
    found = await drive("sqlite", str(tmp_path / "bench.sqlite"), 12)
    assert set(found["marks"]) == {"10"}
    assert found["marks"]["10"]["bytes"] > 0
