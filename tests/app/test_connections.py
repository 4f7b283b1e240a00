"""Connections that never finish their request are closed; the fd limit is raised (issue 17 item 21).

Against a real server on 127.0.0.1, with bounded numbers of sockets; waits poll with a
safety bound and assert what happened, not how long it took.
"""

from __future__ import annotations

import re
import resource
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.app.helpers import metric
from tests.conftest import Server, ServerFactory

SLOWLORIS = 50
SAFETY_S = 30.0


def connect(server: Server, first_bytes: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=SAFETY_S)
    if first_bytes:
        sock.sendall(first_bytes)
    return sock


def closed_by_server(sock: socket.socket) -> bytes:
    """Read until the server closes the connection (within the safety bound); what it sent."""
    received = b""
    deadline = time.monotonic() + SAFETY_S
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            break
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"the server kept the connection open; it sent {received!r}")


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    yield opened
    for sock in opened:
        sock.close()


def test_slowloris_connections_are_closed_and_clients_still_served(
    servers: ServerFactory, sockets: list[socket.socket]
) -> None:
    server = servers.start({"LLMCHAIN_HEADER_TIMEOUT_S": "1", "LLMCHAIN_BODY_TIMEOUT_S": "1"})
    # Partial headers, never finished; a connection that sends nothing at all; a body cut short.
    sockets.extend(
        connect(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ") for _ in range(SLOWLORIS)
    )
    sockets.append(connect(server))
    body_cut = connect(
        server,
        b"POST /v1/chains/product-description/invoke HTTP/1.1\r\nHost: x\r\n"
        b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"input":',
    )
    with httpx.Client(base_url=server.url, timeout=SAFETY_S) as client:
        assert client.get("/healthz").status_code == 200  # served while they hang
        for sock in sockets:
            assert closed_by_server(sock).startswith(b"HTTP/1.1 408 ")
        assert closed_by_server(body_cut) == b""  # the app saw a disconnect: no answer
        assert client.get("/healthz").status_code == 200
        closed = metric(client, "llmchain_http_connections_closed_total", reason="header_timeout")
        assert closed == SLOWLORIS + 1
        assert metric(client, "llmchain_http_connections_closed_total", reason="body_timeout") == 1
    body_cut.close()
    assert "did not finish their request headers within 1 s" in server.logs()


def test_a_kept_alive_connection_gets_a_new_header_deadline(
    servers: ServerFactory, sockets: list[socket.socket]
) -> None:
    """A first request answered, then a second one started and never finished: closed."""
    server = servers.start({"LLMCHAIN_HEADER_TIMEOUT_S": "1", "LLMCHAIN_KEEP_ALIVE_S": "60"})
    sock = connect(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    sockets.append(sock)
    sock.settimeout(SAFETY_S)
    first = b""
    while not first.endswith(b'{"status":"ok"}'):  # the whole first answer
        chunk = sock.recv(4096)
        assert chunk, first
        first += chunk
    assert first.startswith(b"HTTP/1.1 200 ")
    time.sleep(1.5)  # idle longer than the header timeout: keep-alive governs idleness
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    assert closed_by_server(sock).startswith(b"HTTP/1.1 408 ")


def test_oversized_headers_are_refused(
    servers: ServerFactory, sockets: list[socket.socket]
) -> None:
    server = servers.start({"LLMCHAIN_MAX_HEADER_BYTES": "4096"})
    sock = connect(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8192)
    sockets.append(sock)
    assert closed_by_server(sock).startswith(b"HTTP/1.1 431 ")


def test_connections_over_the_limit_are_closed_at_once(
    servers: ServerFactory, sockets: list[socket.socket]
) -> None:
    server = servers.start({"LLMCHAIN_MAX_CONNECTIONS": "10", "LLMCHAIN_HEADER_TIMEOUT_S": "60"})
    sockets.extend(connect(server) for _ in range(10))
    extra = [connect(server) for _ in range(5)]
    sockets.extend(extra)
    for sock in extra:
        assert closed_by_server(sock) == b""
    for sock in sockets[:10]:
        sock.close()
    with httpx.Client(base_url=server.url, timeout=SAFETY_S) as client:
        deadline = time.monotonic() + SAFETY_S  # the server sees the closes soon after
        while True:
            try:
                response = client.get("/healthz")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "never served again"
                time.sleep(0.1)
        assert response.status_code == 200
        assert metric(client, "llmchain_http_connections_closed_total", reason="too_many") >= 5
    assert "came while 10 were open (LLMCHAIN_MAX_CONNECTIONS)" in server.logs()


def test_the_open_files_soft_limit_is_raised_to_the_hard_limit(servers: ServerFactory) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowered = min(soft, max(256, hard // 2))  # below the hard limit, so raising it shows
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowered, hard))  # the server inherits it
    try:
        server = servers.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    limits = Path(f"/proc/{server.proc.pid}/limits").read_text()
    match = re.search(r"^Max open files\s+(\d+)\s+(\d+)", limits, re.MULTILINE)
    assert match, limits
    assert lowered < hard
    assert (int(match.group(1)), int(match.group(2))) == (hard, hard)
