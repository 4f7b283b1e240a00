"""Session leases on PostgreSQL: exclusive while held, recovered when a holder dies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from psycopg_pool import AsyncConnectionPool

from app.memory.locks import PostgresLeases
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


async def _enter(leases: PostgresLeases, key: str) -> None:
    async with leases.hold(key):
        pass
