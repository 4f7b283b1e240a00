"""The chat-memory store: a LangGraph checkpointer on memory, SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from app.core.config import MemoryBackend, Settings
from app.memory import pruning
from app.memory.conversations import (
    Conversations,
    MemoryConversations,
    PostgresConversations,
    SqliteConversations,
    thread_id,
)
from app.memory.locks import PostgresLeases, ProcessLocks, SessionLocks

log = logging.getLogger(__name__)

PING_TIMEOUT_S = 2.0


@dataclass
class MemoryStore:
    """A checkpointer, the name of what backs it, a reachability check, and session locks.

    Also each session's conversation (app/memory/conversations.py) and a way to drop a
    thread's superseded checkpoints: a checkpoint holds only a bounded window, and only
    the latest is kept, so storage grows by the messages of a turn, not by its history.
    """

    backend: MemoryBackend
    saver: BaseCheckpointSaver[str]
    location: str
    _ping: Callable[[], Awaitable[object]]
    locks: SessionLocks = field(default_factory=ProcessLocks)
    conversations: Conversations = field(default_factory=MemoryConversations)
    _prune: Callable[[Any, str], Awaitable[None]] = pruning.prune_memory

    async def ping(self) -> None:
        """Raise if the store cannot answer (SQLite: cannot write) within a short time."""
        async with asyncio.timeout(PING_TIMEOUT_S):
            await self._ping()

    async def prune(self, namespace: str, session: str) -> None:
        """Keep only the latest checkpoint of a session (after a durable turn)."""
        await self._prune(self.saver, thread_id(namespace, session))

    async def forget(self, namespace: str, session: str, idle_before: float | None = None) -> bool:
        """Delete a whole session: conversation and checkpoints (the caller holds its lock).

        With `idle_before`, only a session unused since then (retention); says whether
        a session was deleted.
        """
        deleted = await self.conversations.forget(namespace, session, idle_before)
        if deleted or idle_before is None:
            await self.saver.adelete_thread(thread_id(namespace, session))
        return deleted


def redact_url(url: str) -> str:
    """A connection string without its password, safe for logs and /readyz."""
    url = re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
    return re.sub(r"(password=)\S+", r"\1***", url)


async def _noop() -> None:
    return None


@asynccontextmanager
async def _sqlite(settings: Settings) -> AsyncIterator[MemoryStore]:
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path = Path(settings.memory_url.removeprefix("sqlite:///").removeprefix("sqlite://"))
    path.parent.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
        await saver.setup()  # WAL journal; every put is committed before it returns

        async def ping() -> None:
            # SELECT 1 succeeds on a file SQLite opened read-only; a turn would not. So
            # open a write transaction and run a write that changes nothing (SQLite checks
            # it may write when the statement starts), then roll back. Under the saver's
            # lock, so it never interleaves with a turn's own transaction; that holds turns
            # for well under a millisecond (tests/app/test_chat_memory.py measures it).
            async with saver.lock:
                try:
                    await saver.conn.execute("BEGIN IMMEDIATE")
                    await saver.conn.execute("DELETE FROM checkpoints WHERE rowid = -1")
                finally:
                    # Queued after the statements above even if the ping timed out, so
                    # the connection is never left inside this transaction.
                    await asyncio.shield(saver.conn.rollback())

        conversations = SqliteConversations(saver)
        await conversations.setup()
        yield MemoryStore(
            MemoryBackend.SQLITE,
            saver,
            f"sqlite:{path}",
            ping,
            locks=ProcessLocks(settings.session_queue_max),
            conversations=conversations,
            _prune=pruning.prune_sqlite,
        )


@asynccontextmanager
async def _postgres(settings: Settings) -> AsyncIterator[MemoryStore]:
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    from app.memory.pg_pool import first_connection, make_pool

    await first_connection(settings)  # a wrong URL fails now, naming libpq's reason
    pool = make_pool(settings)
    await pool.open(wait=True, timeout=settings.memory_connect_timeout_s)
    try:
        saver = AsyncPostgresSaver(pool)
        await saver.setup()

        async def ping() -> None:
            # A write that changes nothing: a standby or read-only database refuses it.
            async with pool.connection(timeout=PING_TIMEOUT_S) as conn:
                await conn.execute("DELETE FROM llmchain_session_leases WHERE false")

        # Replicas share this store: a turn also holds a lease row, so two replicas never
        # run turns of one session at once. Short, renewed while the turn runs.
        leases = PostgresLeases(
            pool, lease_s=settings.session_lease_s, max_waiting=settings.session_queue_max
        )
        await leases.setup()
        location = redact_url(settings.memory_url)
        conversations = PostgresConversations(pool)
        await conversations.setup()
        yield MemoryStore(
            MemoryBackend.POSTGRES,
            saver,
            location,
            ping,
            leases,
            conversations=conversations,
            _prune=pruning.prune_postgres,
        )
    finally:
        await pool.close()


@asynccontextmanager
async def _memory(settings: Settings) -> AsyncIterator[MemoryStore]:
    from langgraph.checkpoint.memory import InMemorySaver

    locks = ProcessLocks(settings.session_queue_max)
    yield MemoryStore(MemoryBackend.MEMORY, InMemorySaver(), "memory", _noop, locks=locks)


@asynccontextmanager
async def open_memory_store(settings: Settings) -> AsyncIterator[MemoryStore]:
    """Open the configured store for the life of the app, creating its tables.

    With LLMCHAIN_SESSION_RETENTION_DAYS set, idle sessions are swept meanwhile.
    """
    opener = {MemoryBackend.SQLITE: _sqlite, MemoryBackend.POSTGRES: _postgres}
    async with opener.get(settings.memory_backend, _memory)(settings) as store:
        if not settings.session_retention_days:
            yield store
            return
        from app.memory.retention import keep_sweeping

        sweeper = asyncio.create_task(keep_sweeping(store, settings.session_retention_days))
        try:
            yield store
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
