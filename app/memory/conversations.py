"""What users read back: each session's messages, one row per message, and when it was used.

The LangGraph checkpoint of a session keeps only the window its model needs (bounded), so
the conversation itself lives here, append-only, in the same database as the checkpoints:
storage grows by one row per message, and reading a page costs the page, not the history.
The sessions table records when each session was last used, for retention.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# A session id matches `[A-Za-z0-9._:@-]+` (app/api/schemas.py), so it never holds a
# "/": `chat/<id>` and `agent/<id>` cannot collide, whatever the id.
SEPARATOR = "/"
CHAT = "chat"
AGENT = "agent"
LATEST = 2**62  # `before` when reading the newest page

SQLITE_TABLES = [
    """CREATE TABLE IF NOT EXISTS llmchain_sessions (
        namespace TEXT NOT NULL,
        session TEXT NOT NULL,
        created REAL NOT NULL,
        last_used REAL NOT NULL,
        PRIMARY KEY (namespace, session)
    )""",
    """CREATE TABLE IF NOT EXISTS llmchain_messages (
        namespace TEXT NOT NULL,
        session TEXT NOT NULL,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        created REAL NOT NULL,
        PRIMARY KEY (namespace, session, seq)
    )""",
    "CREATE INDEX IF NOT EXISTS llmchain_sessions_idle ON llmchain_sessions (last_used)",
]
POSTGRES_TABLES = [
    sql.replace("REAL", "double precision").replace("INTEGER", "bigint") for sql in SQLITE_TABLES
]
TOUCH = """
INSERT INTO llmchain_sessions (namespace, session, created, last_used) VALUES (?, ?, ?, ?)
ON CONFLICT (namespace, session) DO UPDATE SET last_used = excluded.last_used"""
LAST_SEQ = "SELECT coalesce(max(seq), 0) FROM llmchain_messages WHERE namespace = ? AND session = ?"
APPEND = "INSERT INTO llmchain_messages VALUES (?, ?, ?, ?, ?, ?)"
EXISTS = "SELECT 1 FROM llmchain_sessions WHERE namespace = ? AND session = ?"
PAGE = """
SELECT seq, role, content, created FROM llmchain_messages
WHERE namespace = ? AND session = ? AND seq < ? ORDER BY seq DESC LIMIT ?"""
FORGET_SESSION = "DELETE FROM llmchain_sessions WHERE namespace = ? AND session = ?"
FORGET_IDLE_SESSION = FORGET_SESSION + " AND last_used < ?"
FORGET_MESSAGES = "DELETE FROM llmchain_messages WHERE namespace = ? AND session = ?"
IDLE = "SELECT namespace, session FROM llmchain_sessions WHERE last_used < ? LIMIT ?"


def thread_id(namespace: str, session: str) -> str:
    """The checkpointer thread (and lock key) of a session in a namespace."""
    return f"{namespace}{SEPARATOR}{session}"


@dataclass(frozen=True)
class StoredMessage:
    """One message of a conversation: its place, role, text and time (Unix seconds)."""

    seq: int
    role: str
    content: str
    created: float


class Conversations(Protocol):
    """Per-session conversations and last-used times; callers hold the session's lock."""

    clock: Callable[[], float]

    async def setup(self) -> None:
        """Create the tables (idempotent)."""

    async def append(
        self, namespace: str, session: str, messages: Sequence[tuple[str, str]]
    ) -> None:
        """Add (role, content) messages at the end and mark the session used."""

    async def touch(self, namespace: str, session: str) -> None:
        """Mark the session used now (created if new)."""

    async def page(
        self, namespace: str, session: str, limit: int, before: int | None = None
    ) -> list[StoredMessage] | None:
        """Up to `limit` messages just before seq `before` (or the newest), oldest first;
        None when there is no such session."""

    async def exists(self, namespace: str, session: str) -> bool:
        """Whether the session exists."""

    async def forget(self, namespace: str, session: str, idle_before: float | None = None) -> bool:
        """Delete the session and its messages (only if unused since `idle_before`, when
        given); whether a session was deleted."""

    async def idle(self, before: float, limit: int) -> list[tuple[str, str]]:
        """Sessions (namespace, id) not used since `before`."""


def _rows(found: Sequence[Sequence[Any]]) -> list[StoredMessage]:
    return [StoredMessage(int(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in reversed(found)]


class MemoryConversations:
    """In the process, for the `memory` backend (lost on restart, like its checkpoints)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.used: dict[tuple[str, str], float] = {}
        self.messages: dict[tuple[str, str], list[StoredMessage]] = {}

    async def setup(self) -> None:
        """Nothing to create."""

    async def append(
        self, namespace: str, session: str, messages: Sequence[tuple[str, str]]
    ) -> None:
        """Add messages at the end and mark the session used."""
        await self.touch(namespace, session)
        stored = self.messages.setdefault((namespace, session), [])
        now = self.clock()
        for role, content in messages:
            stored.append(StoredMessage(len(stored) + 1, role, content, now))

    async def touch(self, namespace: str, session: str) -> None:
        """Mark the session used now."""
        self.used[(namespace, session)] = self.clock()

    async def page(
        self, namespace: str, session: str, limit: int, before: int | None = None
    ) -> list[StoredMessage] | None:
        """A page of messages, oldest first; None when there is no such session."""
        if (namespace, session) not in self.used:
            return None
        stored = self.messages.get((namespace, session), [])
        end = min(len(stored), (before or LATEST) - 1)  # seq n is at index n-1
        return stored[max(0, end - limit) : max(0, end)]

    async def exists(self, namespace: str, session: str) -> bool:
        """Whether the session exists."""
        return (namespace, session) in self.used

    async def forget(self, namespace: str, session: str, idle_before: float | None = None) -> bool:
        """Delete the session (if idle, when asked)."""
        used = self.used.get((namespace, session))
        if used is None or (idle_before is not None and used >= idle_before):
            return False
        del self.used[(namespace, session)]
        self.messages.pop((namespace, session), None)
        return True

    async def idle(self, before: float, limit: int) -> list[tuple[str, str]]:
        """Sessions not used since `before`."""
        return [key for key, used in self.used.items() if used < before][:limit]


class SqlConversations(ABC):
    """The SQL stores' reads, the same queries on SQLite and PostgreSQL."""

    @abstractmethod
    async def _read(self, query: str, params: Sequence[Any]) -> list[Any]:
        """Rows of a query written with `?` placeholders."""

    async def page(
        self, namespace: str, session: str, limit: int, before: int | None = None
    ) -> list[StoredMessage] | None:
        """A page of messages, oldest first; None when there is no such session."""
        if not await self._read(EXISTS, (namespace, session)):
            return None
        return _rows(await self._read(PAGE, (namespace, session, before or LATEST, limit)))

    async def exists(self, namespace: str, session: str) -> bool:
        """Whether the session exists."""
        return bool(await self._read(EXISTS, (namespace, session)))

    async def idle(self, before: float, limit: int) -> list[tuple[str, str]]:
        """Sessions not used since `before`."""
        return [(str(r[0]), str(r[1])) for r in await self._read(IDLE, (before, limit))]


class SqliteConversations(SqlConversations):
    """In the checkpointer's own SQLite connection, under its lock (one writer at a time)."""

    def __init__(self, saver: Any, clock: Callable[[], float] = time.time) -> None:
        self.saver = saver
        self.clock = clock

    async def setup(self) -> None:
        """Create the tables."""
        async with self.saver.lock:
            for statement in SQLITE_TABLES:
                await self.saver.conn.execute(statement)
            await self.saver.conn.commit()

    async def _write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> int:
        """Run statements in one transaction; the rows changed by the last."""
        conn = self.saver.conn
        async with self.saver.lock:
            try:
                changed = 0
                for query, params in statements:
                    cursor = await conn.execute(query, params)
                    changed = cursor.rowcount
                await conn.commit()
                return changed
            except BaseException:
                await conn.rollback()
                raise

    async def _read(self, query: str, params: Sequence[Any]) -> list[Any]:
        async with self.saver.lock, self.saver.conn.execute(query, params) as cursor:
            return list(await cursor.fetchall())

    async def append(
        self, namespace: str, session: str, messages: Sequence[tuple[str, str]]
    ) -> None:
        """Add messages at the end and mark the session used."""
        now = self.clock()
        conn = self.saver.conn
        async with self.saver.lock:
            try:
                await conn.execute(TOUCH, (namespace, session, now, now))
                async with conn.execute(LAST_SEQ, (namespace, session)) as cursor:
                    row = await cursor.fetchone()
                last = int(row[0]) if row else 0
                await conn.executemany(
                    APPEND,
                    [
                        (namespace, session, last + i, role, content, now)
                        for i, (role, content) in enumerate(messages, start=1)
                    ],
                )
                await conn.commit()
            except BaseException:
                await conn.rollback()
                raise

    async def touch(self, namespace: str, session: str) -> None:
        """Mark the session used now."""
        now = self.clock()
        await self._write([(TOUCH, (namespace, session, now, now))])

    async def forget(self, namespace: str, session: str, idle_before: float | None = None) -> bool:
        """Delete the session (if idle, when asked) and its messages."""
        first = (
            (FORGET_SESSION, (namespace, session))
            if idle_before is None
            else (FORGET_IDLE_SESSION, (namespace, session, idle_before))
        )
        conn = self.saver.conn
        async with self.saver.lock:
            try:
                cursor = await conn.execute(*first)
                deleted = cursor.rowcount > 0
                if deleted or idle_before is None:
                    await conn.execute(FORGET_MESSAGES, (namespace, session))
                await conn.commit()
                return deleted
            except BaseException:
                await conn.rollback()
                raise


def _pg(query: str) -> str:
    return query.replace("?", "%s")


class PostgresConversations(SqlConversations):
    """In the checkpointer's PostgreSQL, through its pool (autocommit connections)."""

    def __init__(self, pool: Any, clock: Callable[[], float] = time.time) -> None:
        self.pool = pool
        self.clock = clock

    async def setup(self) -> None:
        """Create the tables."""
        async with self.pool.connection() as conn, conn.transaction():
            for statement in POSTGRES_TABLES:
                await conn.execute(statement)

    async def _read(self, query: str, params: Sequence[Any]) -> list[Any]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(_pg(query), params)
            return [
                tuple(r.values()) if isinstance(r, dict) else r for r in await cursor.fetchall()
            ]

    async def append(
        self, namespace: str, session: str, messages: Sequence[tuple[str, str]]
    ) -> None:
        """Add messages at the end and mark the session used."""
        now = self.clock()
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(_pg(TOUCH), (namespace, session, now, now))
            cursor = await conn.execute(_pg(LAST_SEQ), (namespace, session))
            row = await cursor.fetchone()
            last = int(next(iter(row.values())) if isinstance(row, dict) else row[0]) if row else 0
            async with conn.cursor() as many:
                await many.executemany(
                    _pg(APPEND),
                    [
                        (namespace, session, last + i, role, content, now)
                        for i, (role, content) in enumerate(messages, start=1)
                    ],
                )

    async def touch(self, namespace: str, session: str) -> None:
        """Mark the session used now."""
        now = self.clock()
        async with self.pool.connection() as conn:
            await conn.execute(_pg(TOUCH), (namespace, session, now, now))

    async def forget(self, namespace: str, session: str, idle_before: float | None = None) -> bool:
        """Delete the session (if idle, when asked) and its messages."""
        async with self.pool.connection() as conn, conn.transaction():
            if idle_before is None:
                cursor = await conn.execute(_pg(FORGET_SESSION), (namespace, session))
            else:
                cursor = await conn.execute(
                    _pg(FORGET_IDLE_SESSION), (namespace, session, idle_before)
                )
            deleted = cursor.rowcount > 0
            if deleted or idle_before is None:
                await conn.execute(_pg(FORGET_MESSAGES), (namespace, session))
            return deleted
