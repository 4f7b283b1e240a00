"""Retention: whole sessions unused for `LLMCHAIN_SESSION_RETENTION_DAYS` are deleted.

Every replica sweeps on its own; deletion is idempotent, and each session is deleted under
its lock, re-checking its last use, so a session used meanwhile is kept.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from app.memory.conversations import thread_id
from app.memory.locks import PostgresLeases
from app.memory.store import MemoryStore

log = logging.getLogger(__name__)

DAY_S = 86_400.0
SWEEP_EVERY_S = 3_600.0
BATCH = 500
# Lease rows expired this long ago belong to replicas that crashed mid-turn; any live
# holder renews long before. Deleting them changes nothing a lease decides.
STALE_LEASES = "DELETE FROM llmchain_session_leases WHERE expires_at < now() - interval '1 day'"


async def sweep(store: MemoryStore, days: float, now: float | None = None) -> int:
    """Delete the sessions (chat and agent) unused for `days`; how many were deleted."""
    cutoff = (time.time() if now is None else now) - days * DAY_S
    deleted = 0
    while idle := await store.conversations.idle(cutoff, BATCH):
        progressed = 0
        for namespace, session in idle:
            async with store.locks.hold(thread_id(namespace, session)):
                if await store.forget(namespace, session, idle_before=cutoff):
                    progressed += 1
        deleted += progressed
        if not progressed:  # all of them were used meanwhile
            break
    if isinstance(store.locks, PostgresLeases):
        async with store.locks.pool.connection() as conn:
            await conn.execute(STALE_LEASES)
    return deleted


async def keep_sweeping(
    store: MemoryStore,
    days: float,
    every_s: float = SWEEP_EVERY_S,
    clock: Callable[[], float] = time.time,
) -> None:
    """Sweep now and then every `every_s` until cancelled; a failed sweep is retried later."""
    while True:
        try:
            deleted = await sweep(store, days, clock())
            if deleted:
                log.info("retention deleted %d idle sessions (older than %g days)", deleted, days)
        except Exception as exc:  # the store may be down for a while: try again next time
            log.warning("retention sweep failed: %s: %s", type(exc).__name__, exc)
        await asyncio.sleep(every_s)
