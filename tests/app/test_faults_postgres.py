"""PostgreSQL stopped under load and started again; PostgreSQL wrong at start-up."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.app.helpers import assert_error
from tests.conftest import ServerFactory, free_port
from tests.postgres import PostgresServer

SESSIONS = ["drill-a", "drill-b", "drill-c"]


def pg_stop(db: PostgresServer) -> None:
    """Stop the server (fast shutdown: sessions are cut) and keep its data."""
    db._run(str(db.bindir / "pg_ctl"), "-D", str(db.datadir), "-m", "fast", "-w", "stop")


def pg_start(db: PostgresServer) -> None:
    """Start it again on the same port, with the same data."""
    db._run(
        str(db.bindir / "pg_ctl"), "-D", str(db.datadir), "-w", "-t", "60",
        "-l", str(db.sockdir / "server.log"),
        "-o", f"-p {db.port} -h 127.0.0.1 -k {db.sockdir}", "start",
    )  # fmt: skip


@pytest.fixture
def own_postgres(postgres: PostgresServer) -> Iterator[PostgresServer]:
    """A PostgreSQL of this test's own, which it may stop and start."""
    db = PostgresServer(postgres.bindir)
    db.start()
    yield db
    db.stop()


def post_turn(url: str, session: str, message: str) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/chat", json={"session_id": session, "message": message}, timeout=60
    )


def test_postgres_down_is_503_fast_and_service_resumes_when_it_returns(
    servers: ServerFactory, own_postgres: PostgresServer
) -> None:
    env = {
        "LLMCHAIN_MEMORY_BACKEND": "postgres",
        "LLMCHAIN_MEMORY_URL": own_postgres.url,
        "LLMCHAIN_MEMORY_POOL_TIMEOUT_S": "1",
        "LLMCHAIN_SESSION_QUEUE_MAX": "2",
        "LLMCHAIN_REQUEST_TIMEOUT_S": "30",
    }
    server = servers.start(env)
    for session in SESSIONS:
        assert post_turn(server.url, session, "before").status_code == 200

    pg_stop(own_postgres)
    # Bounded load while it is down: 4 threads, 18 turns over 3 sessions (turns of one
    # session queue behind each other's locks).
    with ThreadPoolExecutor(4) as pool:
        down = list(
            pool.map(lambda n: post_turn(server.url, SESSIONS[n % 3], f"down {n}"), range(18))
        )
    statuses = sorted({r.status_code for r in down})
    assert statuses == [503], [(r.status_code, r.text) for r in down]  # never 502 or 504
    for response in down:
        assert_error(response, 503, "unavailable")
        error = response.json()["error"]
        assert error["code"] in ("memory_store_unavailable", "session_busy"), error
        if error["code"] == "memory_store_unavailable":
            assert "memory store (PostgreSQL)" in error["message"]
        assert int(response.headers["retry-after"]) >= 1
    assert any(r.json()["error"]["code"] == "memory_store_unavailable" for r in down)
    ready = httpx.get(f"{server.url}/readyz", timeout=30)
    assert_error(ready, 503, "unavailable", "memory store")
    assert_error(
        httpx.get(f"{server.url}/v1/chat/drill-a", timeout=30),
        503,
        "unavailable",
        "memory store (PostgreSQL)",
    )

    pg_start(own_postgres)
    polls = 0
    while polls < 15:  # the pool reconnects within a few seconds: a few polls, not minutes
        polls += 1
        if httpx.get(f"{server.url}/readyz", timeout=30).status_code == 200:
            break
        time.sleep(0.25)
    else:
        raise AssertionError(f"/readyz not 200 after {polls} polls:\n{server.logs()[-3000:]}")
    print(f"ready again after {polls} polls")
    for session in SESSIONS:  # every session takes turns again; nothing acknowledged lost
        assert post_turn(server.url, session, "after").status_code == 200
        history = httpx.get(f"{server.url}/v1/chat/{session}", timeout=30).json()["messages"]
        users = [m["content"] for m in history if m["role"] == "user"]
        assert users == ["before", "after"]


@pytest.mark.parametrize(
    ("path", "cause"),
    [
        ("/no_such_db", 'database "no_such_db" does not exist'),
        ("/postgres?user=nobody", 'role "nobody" does not exist'),
    ],
)
def test_a_wrong_database_stops_start_up_at_once_naming_the_cause(
    servers: ServerFactory, postgres: PostgresServer, path: str, cause: str
) -> None:
    url = postgres.url.removesuffix("/postgres") + path
    env = {
        "LLMCHAIN_MEMORY_BACKEND": "postgres",
        "LLMCHAIN_MEMORY_URL": url,
        # Retrying could not help: start-up must not wait this long (the test's 60 s
        # bound would fail first).
        "LLMCHAIN_MEMORY_CONNECT_TIMEOUT_S": "600",
    }
    code, logs = servers.run_to_exit(env, timeout=60)
    assert code != 0
    assert "memory store (postgres) could not be opened" in logs
    assert cause.replace('"', '\\"') in logs  # the log lines are JSON
    assert "PoolTimeout" not in logs


def test_an_unreachable_database_at_start_names_the_refusal(servers: ServerFactory) -> None:
    url = f"postgresql://llmchain:hunter2@127.0.0.1:{free_port()}/postgres"
    env = {
        "LLMCHAIN_MEMORY_BACKEND": "postgres",
        "LLMCHAIN_MEMORY_URL": url,
        "LLMCHAIN_MEMORY_CONNECT_TIMEOUT_S": "3",
    }
    code, logs = servers.run_to_exit(env, timeout=60)
    assert code != 0
    assert "Connection refused" in logs
    assert "PostgreSQL is not reachable yet, retrying" in logs  # retried meanwhile
    assert "PoolTimeout" not in logs
    assert "hunter2" not in logs
