"""The PostgreSQL pool: a start-up error that names the cause, short waits, prompt reconnection.

psycopg_pool's defaults suit a database that is always there: a request waits 30 s for a
connection, and a lost connection is re-made with exponential backoff (1, 2, 4, 8... s) for
up to 5 minutes, so after a 40 s outage the next attempt may come half a minute after the
database is back. Here a request waits LLMCHAIN_MEMORY_POOL_TIMEOUT_S, then gets 503; a
reconnection effort gives up after the same few seconds, and the next request that needs a
connection starts a fresh one (whose first attempt is immediate); and every connection is
checked before it is lent, so the dead ones left over from an outage are never used.
(https://psycopg.org/psycopg3/docs/api/pool.html: `timeout`, `reconnect_timeout`, `check`
and `check_connection`; https://psycopg.org/psycopg3/docs/advanced/pool.html, "Connection
quality"; read 2026-11-29, psycopg_pool 3.3.3.)
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from app.core.config import Settings

log = logging.getLogger(__name__)

# A server that answered FATAL refused us for good (no such database or role, failed
# authentication), except while it starts, stops or is full: those are worth retrying.
TRANSIENT_FATAL = ("starting up", "shutting down", "too many clients", "recovery mode")
RETRY_EVERY_S = 1.0


class PostgresUnavailable(Exception):
    """PostgreSQL could not be reached or refused us; the message is libpq's reason."""


def reason(exc: Exception) -> str:
    """libpq's message, first line, without psycopg's `connection failed:` prefix."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.removeprefix("connection failed: ")


def permanent(exc: Exception) -> bool:
    """True when retrying cannot help: the server answered and said no."""
    text = str(exc)
    return "FATAL:" in text and not any(word in text for word in TRANSIENT_FATAL)


def connect_timeout(settings: Settings) -> int:
    """libpq's connect_timeout (whole seconds, at least 2) for one connection attempt."""
    return max(2, math.ceil(settings.memory_pool_timeout_s))


async def first_connection(settings: Settings) -> None:
    """Connect once before the pool opens, so start-up fails at once with the real cause.

    A refused or timed-out connection is retried until LLMCHAIN_MEMORY_CONNECT_TIMEOUT_S
    (the database may be starting beside us); a missing database, an unknown role or a
    wrong password are not. Either way the error says what libpq said, not PoolTimeout.
    """
    deadline = time.monotonic() + settings.memory_connect_timeout_s
    while True:
        try:
            conn = await psycopg.AsyncConnection.connect(
                settings.memory_url, connect_timeout=connect_timeout(settings)
            )
        except psycopg.OperationalError as exc:
            if permanent(exc) or time.monotonic() + RETRY_EVERY_S >= deadline:
                raise PostgresUnavailable(reason(exc)) from None
            log.warning("PostgreSQL is not reachable yet, retrying: %s", reason(exc))
            await asyncio.sleep(RETRY_EVERY_S)
        else:
            await conn.close()
            return


def make_pool(settings: Settings) -> AsyncConnectionPool[Any]:
    """The pool AsyncPostgresSaver and the session leases share (opened by the caller)."""
    return AsyncConnectionPool(
        settings.memory_url,
        min_size=1,
        max_size=10,
        open=False,
        kwargs={
            # What AsyncPostgresSaver needs of its connections.
            "autocommit": True,
            "prepare_threshold": 0,
            "row_factory": dict_row,
            # One attempt never hangs on an address that drops packets.
            "connect_timeout": connect_timeout(settings),
        },
        timeout=settings.memory_pool_timeout_s,
        reconnect_timeout=max(2.0, settings.memory_pool_timeout_s),
        check=AsyncConnectionPool.check_connection,
    )
