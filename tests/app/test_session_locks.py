"""Session leases on PostgreSQL: exclusive while held, recovered when a holder dies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from psycopg_pool import AsyncConnectionPool

from app.core.config import load_settings
from app.core.errors import SessionBusy
from app.memory.locks import PostgresLeases, ProcessLocks
from app.memory.store import open_memory_store
from tests.postgres import PostgresServer


@pytest.fixture
async def pool(postgres: PostgresServer) -> AsyncIterator[AsyncConnectionPool]:
    async with AsyncConnectionPool(
        postgres.url, min_size=1, max_size=4, kwargs={"autocommit": True}, open=False
    ) as opened:
        yield opened


async def test_a_lease_is_exclusive_across_replicas(pool: AsyncConnectionPool) -> None:
    first, second = PostgresLeases(pool, lease_s=30), PostgresLeases(pool, lease_s=30)
    await first.setup()
    order: list[str] = []

    async def turn(leases: PostgresLeases, name: str) -> None:
        async with leases.hold("chat:exclusive"):
            order.append(f"{name} in")
            await asyncio.sleep(0.2)
            order.append(f"{name} out")

    await asyncio.wait_for(asyncio.gather(turn(first, "a"), turn(second, "b")), 20)
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT count(*) FROM llmchain_session_leases")
        assert await cursor.fetchone() == (0,)  # released


async def test_the_lease_of_a_dead_replica_expires(pool: AsyncConnectionPool) -> None:
    dead, alive = PostgresLeases(pool, lease_s=0.5), PostgresLeases(pool, lease_s=30)
    await dead.setup()
    assert await dead._try("chat:orphan", "crashed-replica")  # taken, never released
    assert not await alive._try("chat:orphan", "too-early")  # held: nobody barges in
    await asyncio.wait_for(_enter(alive, "chat:orphan"), 20)  # expired: taken over
    await asyncio.wait_for(_enter(alive, "chat:other"), 5)  # other sessions never wait


async def test_a_cancelled_turn_releases_its_lease(pool: AsyncConnectionPool) -> None:
    leases = PostgresLeases(pool, lease_s=30)
    await leases.setup()

    async def stuck() -> None:
        async with leases.hold("chat:cancelled"):
            await asyncio.sleep(3600)

    task = asyncio.create_task(stuck())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(_enter(PostgresLeases(pool, lease_s=30), "chat:cancelled"), 5)


async def _enter(leases: ProcessLocks, key: str) -> None:
    async with leases.hold(key):
        pass


async def test_a_crashed_holders_lease_is_taken_over_after_one_short_lease(
    pool: AsyncConnectionPool,
) -> None:
    """A row nobody renews (its replica died) blocks the session for one lease at most."""
    leases = PostgresLeases(pool, lease_s=1)
    await leases.setup()
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO llmchain_session_leases VALUES ('chat:crashed', 'dead', now() + '1 s')"
        )
    assert not await leases._try("chat:crashed", "too-early")
    await asyncio.wait_for(_enter(leases, "chat:crashed"), 10)


async def test_a_long_turn_keeps_its_lease_past_the_lease_length(
    pool: AsyncConnectionPool,
) -> None:
    """The lease is renewed while the turn runs: another replica waits for the whole turn."""
    first, second = PostgresLeases(pool, lease_s=1), PostgresLeases(pool, lease_s=1)
    await first.setup()
    order: list[str] = []
    inside = asyncio.Event()

    async def long_turn() -> None:
        async with first.hold("chat:long"):
            order.append("long in")
            inside.set()
            await asyncio.sleep(3.5)  # three and a half leases
            order.append("long out")

    async def other_replica() -> None:
        await inside.wait()
        async with second.hold("chat:long"):
            order.append("other in")

    await asyncio.wait_for(asyncio.gather(long_turn(), other_replica()), 20)
    assert order == ["long in", "long out", "other in"]


async def test_turns_waiting_for_one_session_are_bounded() -> None:
    """One more than `max_waiting` is refused at once (503 session_busy), not queued."""
    locks = ProcessLocks(max_waiting=2)
    release = asyncio.Event()

    async def turn() -> None:
        async with locks.hold("chat:busy"):
            await release.wait()

    running = [asyncio.create_task(turn()) for _ in range(3)]  # one holds, two wait
    await asyncio.sleep(0.05)
    with pytest.raises(SessionBusy) as refused:
        await asyncio.wait_for(_enter(locks, "chat:busy"), 5)
    assert refused.value.status_code == 503
    assert refused.value.code == "session_busy"
    await asyncio.wait_for(_enter(locks, "chat:another"), 5)  # other sessions are free
    release.set()
    await asyncio.wait_for(asyncio.gather(*running), 5)
    await asyncio.wait_for(_enter(locks, "chat:busy"), 5)  # the queue drained


@pytest.mark.parametrize("backend", ["sqlite", "memory"])
async def test_every_store_bounds_the_turns_waiting_for_a_session(
    backend: str, tmp_path: Path
) -> None:
    """LLMCHAIN_SESSION_QUEUE_MAX holds on SQLite and in memory too, not only PostgreSQL."""
    settings = load_settings(
        memory_backend=backend, memory_url=str(tmp_path / "chat.sqlite"), session_queue_max=1
    )
    async with open_memory_store(settings) as store:
        assert store.backend.value == backend
        held = asyncio.Event()
        release = asyncio.Event()

        async def holder() -> None:
            async with store.locks.hold("chat/one"):
                held.set()
                await release.wait()

        async def waiter() -> None:
            async with store.locks.hold("chat/one"):
                pass

        first = asyncio.create_task(holder())
        await held.wait()
        queued = asyncio.create_task(waiter())
        await asyncio.sleep(0.05)  # let it queue behind the holder

        async def third() -> None:
            async with asyncio.timeout(5):  # unbounded, it would wait for the holder
                async with store.locks.hold("chat/one"):
                    pass

        with pytest.raises(SessionBusy):
            await third()
        release.set()
        await asyncio.gather(first, queued)
