"""The HTTP server's connection limits: header and body read time, header size, connections.

uvicorn bounds only the idle time between two requests (`timeout_keep_alive`): a
connection that never finishes its request headers or body is held for ever, and a few
hundred of them ("slowloris") exhaust the process's file descriptors so that no client
gets in, with nothing logged. Its `limit_concurrency` does not help: it answers 503 only
once a request's headers are complete, and counts idle keep-alive connections against
every client. So the server's own HTTP protocol (httptools) is extended here, the same
class with deadlines: headers must arrive within LLMCHAIN_HEADER_TIMEOUT_S of the first
byte (or of the connection), a body within LLMCHAIN_BODY_TIMEOUT_S of its headers,
headers may not exceed LLMCHAIN_MAX_HEADER_BYTES, and past LLMCHAIN_MAX_CONNECTIONS open
connections a new one is closed at once. Each closing is counted in /metrics and logged
(a summary at most every 10 s: a flood must not flood the log too).
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.core.metrics import HTTP_CONNECTIONS_CLOSED

log = logging.getLogger("llmchain.connections")

FD_RESERVE = 256  # descriptors kept for the memory store, the model providers, files
LOG_EVERY_S = 10.0
REASONS = {
    "header_timeout": "did not finish their request headers within {header_timeout_s:g} s "
    "(LLMCHAIN_HEADER_TIMEOUT_S)",
    "body_timeout": "did not finish their request body within {body_timeout_s:g} s "
    "(LLMCHAIN_BODY_TIMEOUT_S)",
    "header_too_large": "sent request headers over {max_header_bytes} bytes "
    "(LLMCHAIN_MAX_HEADER_BYTES)",
    "too_many": "came while {max_connections} were open (LLMCHAIN_MAX_CONNECTIONS)",
}


@dataclass(frozen=True)
class ConnectionLimits:
    """How long and how large a request may be in coming, and how many connections."""

    header_timeout_s: float
    body_timeout_s: float
    max_header_bytes: int
    max_connections: int


def raise_fd_limit() -> tuple[int, int]:
    """Raise the soft limit of open files to the hard one; return (soft, hard) after.

    Each connection is a descriptor, and the soft limit (often 1,024) is what runs out;
    the hard limit is what the container or systemd grants and a process may take.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-files limit from %d to %d: %s", soft, target, exc)
    return soft, hard


def max_connections_for(configured: int, fd_soft_limit: int) -> int:
    """The connection cap: as configured, or (0) what the descriptors allow after a reserve."""
    if configured:
        return configured
    return max(64, fd_soft_limit - FD_RESERVE)


class _Reporter:
    """Counts closed connections; logs a summary at most every LOG_EVERY_S."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.counts: dict[str, int] = {}
        self.last = -LOG_EVERY_S

    def closed(self, reason: str, open_now: int) -> None:
        HTTP_CONNECTIONS_CLOSED.labels(reason).inc()
        self.counts[reason] = self.counts.get(reason, 0) + 1
        now = time.monotonic()
        if now - self.last < LOG_EVERY_S:
            return
        self.last = now
        parts = [
            f"{count} {REASONS[reason].format(**vars(self.limits))}"
            for reason, count in sorted(self.counts.items())
        ]
        self.counts.clear()
        log.warning(
            "closed connections: %s; %d open",
            "; ".join(parts),
            open_now,
            extra={"open_connections": open_now},
        )


def limited_protocol(limits: ConnectionLimits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol class with these limits (pass as `http=`)."""
    reporter = _Reporter(limits)

    class LimitedHttpToolsProtocol(HttpToolsProtocol):
        """A connection with a deadline for each request's headers, then for its body."""

        _deadline: asyncio.TimerHandle | None = None
        _header_bytes = 0
        _in_headers = True

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            """Accept, unless too many are open; headers are due from now."""
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                self._close("too_many")
                return
            self._arm(limits.header_timeout_s, "header_timeout")

        def connection_lost(self, exc: Exception | None) -> None:
            """Forget the deadline with the connection."""
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            """Count what a request's headers take, then let the parser have it."""
            if self._in_headers:
                self._header_bytes += len(data)
                if self._header_bytes > limits.max_header_bytes:
                    self._reply_and_close(431, "request headers too large", "header_too_large")
                    return
            super().data_received(data)

        def on_message_begin(self) -> None:
            """A request's first byte: its headers are due (on a new connection, they have
            been due since it was made)."""
            super().on_message_begin()
            self._in_headers = True
            if self._deadline is None:
                self._arm(limits.header_timeout_s, "header_timeout")

        def on_headers_complete(self) -> None:
            """Headers in time: now the body is due (a request without one completes at once)."""
            self._in_headers = False
            self._arm(limits.body_timeout_s, "body_timeout")
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            """The whole request is in: no deadline while the app answers."""
            self._disarm()
            super().on_message_complete()

        def on_response_complete(self) -> None:
            """Idle until the next request (uvicorn's keep-alive timeout applies), whose
            header bytes count from its first."""
            self._in_headers = True
            self._header_bytes = 0
            super().on_response_complete()

        def _arm(self, seconds: float, reason: str) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, self._expire, reason)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self, reason: str) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            if reason == "header_timeout":
                self._reply_and_close(408, "request headers took too long", reason)
            else:  # the app may be reading the body: it sees a disconnect
                self._close(reason)

        def _reply_and_close(self, status: int, text: str, reason: str) -> None:
            body = text.encode()
            head = (
                f"HTTP/1.1 {status} {text}\r\ncontent-type: text/plain; charset=utf-8\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
            )
            self.transport.write(head.encode() + body)
            self._close(reason)

        def _close(self, reason: str) -> None:
            self._disarm()
            reporter.closed(reason, len(self.connections))
            self.transport.close()

    return LimitedHttpToolsProtocol


def uvicorn_options(limits: ConnectionLimits) -> dict[str, Any]:
    """The uvicorn.Config arguments that apply the limits."""
    return {"http": limited_protocol(limits)}
