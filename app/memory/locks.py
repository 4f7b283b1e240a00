"""One turn at a time per session: in the process, and across replicas on PostgreSQL.

Two turns of one session running at once would both extend the same checkpoint; the later
write would then drop the earlier, already acknowledged, turn. In one process an asyncio
lock per session prevents it; at most LLMCHAIN_SESSION_QUEUE_MAX turns wait for it, and
one more is refused at once (503) rather than queued behind turns that may all fail.
Replicas sharing a PostgreSQL store also take a lease row: short transactions only (no
connection held for the turn, so the pool is never starved), a short lease renewed in the
background while the turn runs, so a crashed replica's lease is gone within one lease.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
import weakref
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from app.core.errors import SessionBusy

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
RENEW = """
UPDATE llmchain_session_leases SET expires_at = now() + make_interval(secs => %s)
WHERE key = %s AND holder = %s
RETURNING holder"""
RELEASE = "DELETE FROM llmchain_session_leases WHERE key = %s AND holder = %s"


class SessionLocks(Protocol):
    """`async with locks.hold(key):` runs one holder of `key` at a time."""

    def hold(self, key: str) -> Any: ...


class ProcessLocks:
    """An asyncio lock per key, forgotten when nobody holds or waits for it.

    `max_waiting`: how many may wait for a held key; one more gets SessionBusy at once.
    """

    def __init__(self, max_waiting: int | None = None) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self.max_waiting = max_waiting
        self._waiting: Counter[str] = Counter()

    def lock(self, key: str) -> asyncio.Lock:
        """The lock of a key (the same object while anyone uses it)."""
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    @asynccontextmanager
    async def _held(self, key: str) -> AsyncIterator[None]:
        lock = self.lock(key)
        if lock.locked():
            waiting = self._waiting[key]
            if self.max_waiting is not None and waiting >= self.max_waiting:
                raise SessionBusy(waiting)
            self._waiting[key] += 1
            try:
                await lock.acquire()
            finally:
                self._waiting[key] -= 1
                if not self._waiting[key]:
                    del self._waiting[key]
        else:
            await lock.acquire()
        try:
            yield
        finally:
            lock.release()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the key in this process."""
        async with self._held(key):
            yield


class PostgresLeases(ProcessLocks):
    """The process lock, then a lease row in PostgreSQL shared by every replica.

    The lease lasts `lease_s` and is renewed every third of that while held, so a turn
    may run longer than a lease; a replica that dies stops renewing, and its lease is
    taken over once expired.
    """

    def __init__(
        self, pool: Any, lease_s: float, poll_s: float = 0.05, max_waiting: int | None = None
    ) -> None:
        super().__init__(max_waiting)
        self.pool = pool
        self.lease_s = lease_s
        self.poll_s = poll_s
        self._renewers: set[asyncio.Task[None]] = set()

    async def setup(self) -> None:
        """Create the lease table (idempotent)."""
        async with self.pool.connection() as conn:
            await conn.execute(CREATE_TABLE)

    async def _try(self, key: str, holder: str) -> bool:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(ACQUIRE, (key, holder, self.lease_s))
            return await cursor.fetchone() is not None

    async def _renew(self, key: str, holder: str) -> None:
        """Extend the lease every third of its length until cancelled (the turn is over)."""
        while True:
            await asyncio.sleep(self.lease_s / 3)
            try:
                async with self.pool.connection() as conn:
                    cursor = await conn.execute(RENEW, (self.lease_s, key, holder))
                    if await cursor.fetchone() is None:
                        # Expired and taken (the database was out of reach for a whole
                        # lease): the turn's own write will tell whether it still can.
                        log.warning("a session lease expired while its turn ran")
                        return
            except Exception as exc:  # retried at the next tick; the lease may yet hold
                log.warning("could not renew a session lease: %s", type(exc).__name__)

    async def _release(self, key: str, holder: str) -> None:
        try:
            async with self.pool.connection() as conn:
                await conn.execute(RELEASE, (key, holder))
        except Exception as exc:  # the lease then expires by itself
            log.warning("could not release the session lease: %s", type(exc).__name__)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the key across replicas; waits (politely) while another replica has it."""
        async with self._held(key):
            holder = uuid.uuid4().hex
            delay = self.poll_s
            while not await self._try(key, holder):
                jitter = 0.5 + random.random()  # noqa: S311 - spreads retries, not a secret
                await asyncio.sleep(delay * jitter)
                delay = min(delay * 2, 1.0)
            renewer = asyncio.create_task(self._renew(key, holder))
            self._renewers.add(renewer)  # a task nobody references may be collected
            renewer.add_done_callback(self._renewers.discard)
            try:
                yield
            finally:
                renewer.cancel()
                # Released even when the turn was cancelled (timeout, client gone).
                await asyncio.shield(self._release(key, holder))
