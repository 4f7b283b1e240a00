"""One turn at a time per session: in the process, and across replicas on PostgreSQL.

Two turns of one session running at once would both extend the same checkpoint; the later
write would then drop the earlier, already acknowledged, turn. In one process an asyncio
lock per session prevents it. Replicas sharing a PostgreSQL store also take a lease row:
short transactions only (no connection held for the turn, so the pool is never starved),
and a lease that outlives a crashed replica by at most its duration.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

log = logging.getLogger(__name__)

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS llmchain_session_leases (
    key text PRIMARY KEY,
    holder text NOT NULL,
    expires_at timestamptz NOT NULL
)"""
# Take the lease when it is free or expired; RETURNING says whether we got it.
ACQUIRE = """
INSERT INTO llmchain_session_leases AS lease (key, holder, expires_at)
VALUES (%s, %s, now() + make_interval(secs => %s))
ON CONFLICT (key) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
WHERE lease.expires_at < now()
RETURNING holder"""
RELEASE = "DELETE FROM llmchain_session_leases WHERE key = %s AND holder = %s"


class SessionLocks(Protocol):
    """`async with locks.hold(key):` runs one holder of `key` at a time."""

    def hold(self, key: str) -> Any: ...


class ProcessLocks:
    """An asyncio lock per key, forgotten when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def lock(self, key: str) -> asyncio.Lock:
        """The lock of a key (the same object while anyone uses it)."""
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the key in this process."""
        async with self.lock(key):
            yield


class PostgresLeases(ProcessLocks):
    """The process lock, then a lease row in PostgreSQL shared by every replica.

    `lease_s` must exceed the longest turn (the request time limit): a lease is only
    taken over once expired, which is also how a crashed replica's lease is recovered.
    """

    def __init__(self, pool: Any, lease_s: float, poll_s: float = 0.05) -> None:
        super().__init__()
        self.pool = pool
        self.lease_s = lease_s
        self.poll_s = poll_s

    async def setup(self) -> None:
        """Create the lease table (idempotent)."""
        async with self.pool.connection() as conn:
            await conn.execute(CREATE_TABLE)

    async def _try(self, key: str, holder: str) -> bool:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(ACQUIRE, (key, holder, self.lease_s))
            return await cursor.fetchone() is not None

    async def _release(self, key: str, holder: str) -> None:
        try:
            async with self.pool.connection() as conn:
                await conn.execute(RELEASE, (key, holder))
        except Exception as exc:  # the lease then expires by itself
            log.warning("could not release the session lease: %s", type(exc).__name__)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the key across replicas; waits (politely) while another replica has it."""
        async with self.lock(key):
            holder = uuid.uuid4().hex
            delay = self.poll_s
            while not await self._try(key, holder):
                jitter = 0.5 + random.random()  # noqa: S311 - spreads retries, not a secret
                await asyncio.sleep(delay * jitter)
                delay = min(delay * 2, 1.0)
            try:
                yield
            finally:
                # Released even when the turn was cancelled (timeout, client gone).
                await asyncio.shield(self._release(key, holder))
