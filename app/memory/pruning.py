"""Drop a thread's superseded checkpoints: only the latest is ever read (nobody time-travels).

PostgreSQL's saver prunes itself (`aprune(..., strategy="keep_latest")`); the SQLite and
in-memory savers of langgraph-checkpoint do not implement `prune`, so it is done here on
their tables. The graphs of this service use no DeltaChannel, whose history would need the
older checkpoints (see BaseCheckpointSaver.prune in langgraph-checkpoint).
"""

from __future__ import annotations

from typing import Any

# Keep the newest checkpoint of each namespace (checkpoint ids sort by time, uuid6).
SQLITE_PRUNE_WRITES = """
DELETE FROM writes WHERE thread_id = ? AND (checkpoint_ns, checkpoint_id) NOT IN (
    SELECT checkpoint_ns, max(checkpoint_id) FROM checkpoints
    WHERE thread_id = ? GROUP BY checkpoint_ns)"""
SQLITE_PRUNE_CHECKPOINTS = """
DELETE FROM checkpoints WHERE thread_id = ? AND (checkpoint_ns, checkpoint_id) NOT IN (
    SELECT checkpoint_ns, max(checkpoint_id) FROM checkpoints
    WHERE thread_id = ? GROUP BY checkpoint_ns)"""


async def prune_sqlite(saver: Any, thread_id: str) -> None:
    """Keep the latest checkpoint of the thread (and its pending writes) in SQLite."""
    async with saver.lock:
        try:
            await saver.conn.execute(SQLITE_PRUNE_WRITES, (thread_id, thread_id))
            await saver.conn.execute(SQLITE_PRUNE_CHECKPOINTS, (thread_id, thread_id))
            await saver.conn.commit()
        except BaseException:
            await saver.conn.rollback()
            raise


async def prune_postgres(saver: Any, thread_id: str) -> None:
    """Keep the latest checkpoint of the thread, with the saver's own pruning."""
    await saver.aprune([thread_id], strategy="keep_latest")


async def prune_memory(saver: Any, thread_id: str) -> None:
    """Keep the latest checkpoint of the thread in an InMemorySaver, and the blobs it uses."""
    for ns, checkpoints in saver.storage.get(thread_id, {}).items():
        if len(checkpoints) < 2:
            continue
        latest = max(checkpoints)
        kept = saver.serde.loads_typed(checkpoints[latest][0])["channel_versions"]
        for checkpoint_id in [c for c in checkpoints if c != latest]:
            versions = saver.serde.loads_typed(checkpoints.pop(checkpoint_id)[0])[
                "channel_versions"
            ]
            saver.writes.pop((thread_id, ns, checkpoint_id), None)
            for channel, version in versions.items():
                if kept.get(channel) != version:
                    saver.blobs.pop((thread_id, ns, channel, version), None)
