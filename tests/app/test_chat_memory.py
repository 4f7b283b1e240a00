"""Chat memory on LangGraph checkpointers: turns, history, deletion, and surviving kill -9."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.app.helpers import assert_error
from tests.conftest import Server, ServerFactory
from tests.postgres import PostgresServer


def turn(client: httpx.Client, session: str, message: str) -> str:
    response = client.post("/v1/chat", json={"session_id": session, "message": message})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["session_id"] == session
    reply: str = body["reply"]
    return reply


def check_memory_round_trip(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert "turn 1: my name is Ada" in turn(client, "ada", "my name is Ada")
        assert "turn 2: what is my name?" in turn(client, "ada", "what is my name?")
        assert "turn 1: hello" in turn(client, "bob", "hello")  # sessions are separate
        history = client.get("/v1/chat/ada").json()
        assert history["session_id"] == "ada"
        assert [(m["role"], m["content"].split(": ", 1)[-1]) for m in history["messages"]] == [
            ("user", "my name is Ada"),
            ("assistant", "my name is Ada"),
            ("user", "what is my name?"),
            ("assistant", "what is my name?"),
        ]
        assert client.delete("/v1/chat/bob").status_code == 204
        assert_error(client.get("/v1/chat/bob"), 404, "not_found", "no chat session 'bob'")
        assert client.delete("/v1/chat/bob").status_code == 204  # idempotent


def check_survives_kill(servers: ServerFactory, env: dict[str, str]) -> None:
    server = servers.start(env)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        replies = [turn(client, "durable", f"message {i}") for i in range(3)]
    server.stop(signal.SIGKILL)  # no shutdown hook runs: only what was committed remains
    restarted = servers.start(env)
    with httpx.Client(base_url=restarted.url, timeout=30) as client:
        messages = client.get("/v1/chat/durable").json()["messages"]
        assert [m["content"] for m in messages if m["role"] == "assistant"] == replies
        assert "turn 4: after restart" in turn(client, "durable", "after restart")


def test_sqlite_memory(service: Server) -> None:
    check_memory_round_trip(service)


def test_sqlite_turn_survives_kill_and_restart(servers: ServerFactory, tmp_path) -> None:
    check_survives_kill(servers, {"LLMCHAIN_MEMORY_URL": str(tmp_path / "durable.sqlite")})


def test_in_memory_backend_works_and_forgets_on_restart(servers: ServerFactory) -> None:
    env = {"LLMCHAIN_MEMORY_BACKEND": "memory"}
    server = servers.start(env)
    check_memory_round_trip(server)
    server.stop()
    with httpx.Client(base_url=servers.start(env).url, timeout=30) as client:
        assert client.get("/v1/chat/ada").status_code == 404


def test_postgres_memory(servers: ServerFactory, postgres: PostgresServer) -> None:
    server = servers.start(
        {"LLMCHAIN_MEMORY_BACKEND": "postgres", "LLMCHAIN_MEMORY_URL": postgres.url}
    )
    with httpx.Client(base_url=server.url, timeout=30) as client:
        ready = client.get("/readyz").json()
        assert ready["memory"] == "postgres"
        client.delete("/v1/chat/ada")
    check_memory_round_trip(server)


def test_postgres_turn_survives_kill_and_restart(
    servers: ServerFactory, postgres: PostgresServer
) -> None:
    env = {"LLMCHAIN_MEMORY_BACKEND": "postgres", "LLMCHAIN_MEMORY_URL": postgres.url}
    with httpx.Client(base_url=servers.start(env).url, timeout=30) as client:
        client.delete("/v1/chat/durable")
    check_survives_kill(servers, env)


def test_concurrent_turns_in_one_session_are_all_kept(service: Server) -> None:
    with httpx.Client(base_url=service.url, timeout=30) as client:
        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(lambda i: turn(client, "busy", f"msg {i}"), range(16)))
        history = client.get("/v1/chat/busy").json()["messages"]
    stored = [m["content"] for m in history if m["role"] == "assistant"]
    assert sorted(stored) == sorted(replies)  # every acknowledged turn is in the history
    turns = sorted(int(r.split("turn ")[1].split(":")[0]) for r in replies)
    assert turns == list(range(1, 17))  # and each saw all the turns before it


def test_bad_session_ids_are_422(service: Server) -> None:
    with httpx.Client(base_url=service.url, timeout=30) as client:
        response = client.post("/v1/chat", json={"session_id": "a b/c", "message": "x"})
        assert_error(response, 422, "invalid_input", "body.session_id")
        response = client.post("/v1/chat", json={"session_id": "ok", "message": ""})
        assert_error(response, 422, "invalid_input", "body.message")
        assert_error(client.get("/v1/chat/" + "x" * 200), 422, "invalid_input", "session_id")


def test_unreachable_postgres_makes_readyz_503(
    servers: ServerFactory, postgres: PostgresServer
) -> None:
    own = PostgresServer(postgres.bindir)
    own.start()
    try:
        server = servers.start(
            {"LLMCHAIN_MEMORY_BACKEND": "postgres", "LLMCHAIN_MEMORY_URL": own.url}
        )
    finally:
        own.stop()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        response = client.get("/readyz")
        assert_error(response, 503, "unavailable", "memory store", "is unreachable")
        assert "127.0.0.1" in response.json()["error"]["message"]
        assert client.get("/healthz").status_code == 200  # alive, just not ready


def test_unreachable_postgres_at_start_fails_with_a_clear_log(servers: ServerFactory) -> None:
    from tests.conftest import free_port

    url = f"postgresql://llmchain:hunter2@127.0.0.1:{free_port()}/postgres"
    env = {
        "LLMCHAIN_MEMORY_BACKEND": "postgres",
        "LLMCHAIN_MEMORY_URL": url,
        "LLMCHAIN_MEMORY_CONNECT_TIMEOUT_S": "2",
    }
    server = servers.start(env, ready=False)
    code = server.proc.wait(60)
    assert code != 0
    assert "memory store (postgres) could not be opened" in server.logs()
    assert "hunter2" not in server.logs()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_history_limit_trims_what_the_model_sees(servers: ServerFactory, backend: str) -> None:
    server = servers.start({"LLMCHAIN_CHAT_HISTORY_LIMIT": "3"})
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for i in range(4):
            reply = turn(client, "long", f"m{i}")
        # Three messages at most reach the model: two turns' worth, starting on a user message.
        assert "turn 2: m3" in reply
        assert len(client.get("/v1/chat/long").json()["messages"]) == 8  # all are stored


def test_two_replicas_on_one_postgres_never_lose_a_turn(
    servers: ServerFactory, postgres: PostgresServer
) -> None:
    """Concurrent turns of one session through two replicas: each is stored, none forks."""
    env = {
        "LLMCHAIN_MEMORY_BACKEND": "postgres",
        "LLMCHAIN_MEMORY_URL": postgres.url,
        "LLMCHAIN_FAKE_LATENCY_MS": "150",  # long enough for turns to overlap
    }
    replicas = [servers.start(env), servers.start(env)]
    session = "shared-across-replicas"
    httpx.delete(f"{replicas[0].url}/v1/chat/{session}", timeout=30)
    agent_session = "agent-across-replicas"

    def send(n: int) -> tuple[str, str]:
        server = replicas[n % 2]
        message = f"message {n}"
        response = httpx.post(
            f"{server.url}/v1/chat", json={"session_id": session, "message": message}, timeout=60
        )
        assert response.status_code == 200, response.text
        return message, response.json()["reply"]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(send, range(8)))
    history = httpx.get(f"{replicas[1].url}/v1/chat/{session}", timeout=30).json()["messages"]
    users = [m["content"] for m in history if m["role"] == "user"]
    assert sorted(users) == sorted(message for message, _ in results)  # all 8, once each
    # Turns ran one after another: each saw all the turns before it.
    turns = sorted(int(reply.split("turn ", 1)[1].split(":", 1)[0]) for _, reply in results)
    assert turns == list(range(1, 9))

    def ask(n: int) -> int:
        response = httpx.post(
            f"{replicas[n % 2].url}/v1/agent",
            json={"session_id": agent_session, "message": f"hello {n}"},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return int(response.json()["reply"].split("turn ", 1)[1].split(":", 1)[0])

    with ThreadPoolExecutor(4) as pool:
        assert sorted(pool.map(ask, range(4))) == [1, 2, 3, 4]


def test_read_only_sqlite_makes_readyz_503(servers: ServerFactory, tmp_path) -> None:
    """SELECT 1 works on a read-only file; readiness must prove the store can write."""
    import os
    import shutil
    import subprocess

    db = tmp_path / "ro" / "chat.sqlite"
    env = {"LLMCHAIN_MEMORY_URL": str(db)}
    with httpx.Client(base_url=servers.start(env).url, timeout=30) as client:
        turn(client, "ada", "hello")  # the store and its tables exist
    servers.stop_all()
    os.chmod(db, 0o444)
    chattr = shutil.which("chattr")
    if os.geteuid() == 0 and chattr:  # root ignores file modes; an immutable file it cannot
        subprocess.run([chattr, "+i", str(db)], check=False, capture_output=True)
    try:
        try:
            os.close(os.open(db, os.O_RDWR))
            pytest.skip("cannot make a file read-only here")
        except PermissionError:
            pass
        server = servers.start(env, ready=False)
        with httpx.Client(base_url=server.url, timeout=30) as client:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and server.proc.poll() is None:
                try:
                    response = client.get("/readyz")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            else:
                raise AssertionError(f"server never answered:\n{server.logs()}")
            assert_error(response, 503, "unavailable", "memory store", "readonly")
            assert client.get("/healthz").status_code == 200
    finally:
        if chattr:
            subprocess.run([chattr, "-i", str(db)], check=False, capture_output=True)
        os.chmod(db, 0o644)


async def test_sqlite_write_check_leaves_nothing(tmp_path) -> None:
    """The readiness write check rolls back: no open transaction (which would block turns), no rows."""
    from app.core.config import load_settings
    from app.memory.store import open_memory_store

    settings = load_settings(memory_url=str(tmp_path / "chat.sqlite"))
    async with open_memory_store(settings) as store:
        for _ in range(20):
            await store.ping()
        assert not store.saver.conn.in_transaction
        async with store.saver.conn.execute("SELECT count(*) FROM checkpoints") as cur:
            assert (await cur.fetchone()) == (0,)
