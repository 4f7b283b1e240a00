"""Shared test harness: real service processes on 127.0.0.1 and a real PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import openai
import pytest

from tests.postgres import PostgresServer, find_postgres_bin
from tests.redis import RedisServer

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A `python -m app` process and how to reach it."""

    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    env: dict[str, str] = field(repr=False)

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        """Everything the process wrote to stdout and stderr so far."""
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Poll /readyz until 200; fail with the server's log if it exits or never gets ready."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.logs()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"server not ready within {timeout} s:\n{self.logs()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send a signal and wait for the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def service_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment of a service process: ours only, nothing LLMCHAIN_* leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLMCHAIN_", "OPENAI_"))}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class ServerFactory:
    """Starts service processes for a test and stops them all afterwards."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.servers: list[Server] = []

    def start(
        self, env: dict[str, str] | None = None, *, ready: bool = True, port: int | None = None
    ) -> Server:
        """Start `python -m app` with these settings; by default wait until /readyz is 200."""
        port = port or free_port()
        settings = {
            "PORT": str(port),
            "LLMCHAIN_MEMORY_URL": str(self.workdir / "chat.sqlite"),
        }
        settings.update(env or {})
        log_path = self.workdir / f"server-{port}-{len(self.servers)}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "app"],
                cwd=ROOT,
                env=service_env(settings),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = Server(proc, port, log_path, settings)
        self.servers.append(server)
        if ready:
            server.wait_ready()
        return server

    def run_to_exit(self, env: dict[str, str], timeout: float = 30.0) -> tuple[int, str]:
        """Start a server that is expected to refuse to start; return its code and output."""
        server = self.start(env, ready=False)
        try:
            code = server.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            server.stop()
            raise AssertionError(f"server did not exit:\n{server.logs()}") from None
        return code, server.logs()

    def stop_all(self) -> None:
        """Stop every server this factory started."""
        for server in self.servers:
            server.stop(signal.SIGKILL if server.proc.poll() is None else signal.SIGTERM)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[ServerFactory]:
    """Start service processes inside one test."""
    factory = ServerFactory(tmp_path)
    yield factory
    factory.stop_all()


@pytest.fixture(scope="module")
def module_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """Start service processes shared by a test module."""
    factory = ServerFactory(tmp_path_factory.mktemp("servers"))
    yield factory
    factory.stop_all()


@pytest.fixture(scope="module")
def service(module_servers: ServerFactory) -> Server:
    """One service on its defaults (fake model, SQLite memory), shared by a module."""
    return module_servers.start()


@pytest.fixture(scope="module")
def client(service: Server) -> Iterator[httpx.Client]:
    """An HTTP client of the module's service."""
    with httpx.Client(base_url=service.url, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def oai(service: Server) -> openai.OpenAI:
    """The OpenAI SDK pointed at the module's service (no retries: a test sees each answer)."""
    return openai.OpenAI(base_url=f"{service.url}/v1", api_key="unused", max_retries=0)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A real PostgreSQL server from the machine's binaries, for the whole session."""
    bindir = find_postgres_bin()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) are not installed: "
            "apt-get install postgresql (.ci/run does)"
        )
    server = PostgresServer(bindir)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A real Redis server (Debian's `redis-server`) for one test."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: apt-get install redis-server (.ci/run does)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def http() -> Iterator[Callable[..., httpx.Client]]:
    """httpx clients closed after the test."""
    clients: list[httpx.Client] = []

    def make(base_url: str, **kwargs: object) -> httpx.Client:
        client = httpx.Client(base_url=base_url, timeout=30, **kwargs)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
