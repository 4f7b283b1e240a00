"""`python -m app`: validate settings and chains, then serve with uvicorn."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import uvicorn

from app.api.running import STREAM_DEADLINES
from app.chains.registry import load_chains
from app.core.config import load_settings, unknown_variables
from app.core.connections import (
    ConnectionLimits,
    max_connections_for,
    raise_fd_limit,
    uvicorn_options,
)
from app.core.errors import ConfigError
from app.core.logging import configure_logging
from app.main import create_app


class Server(uvicorn.Server):
    """uvicorn's server, but a graceful stop on SIGTERM or SIGINT exits 0.

    uvicorn re-raises the signal once it has shut down, so the process dies of it
    (exit 143). Here the in-flight requests have finished and nothing was lost: that
    is a clean stop, and container runtimes and tests should see it as one.
    """

    loop: asyncio.AbstractEventLoop | None = None

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Let uvicorn handle the signals, then forget them instead of re-raising."""
        with super().capture_signals():
            yield
            self._captured_signals.clear()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Remember the event loop, for the signal handler."""
        self.loop = asyncio.get_running_loop()
        await super().startup(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Begin the stop; open streams are told when their grace period ends."""
        stopping = self.should_exit
        super().handle_exit(sig, frame)
        grace = self.config.timeout_graceful_shutdown
        if not stopping and self.loop is not None and grace is not None:
            # A signal handler runs between two bytecodes of the loop's thread: hand over.
            self.loop.call_soon_threadsafe(STREAM_DEADLINES.begin_shutdown, float(grace))


def warn_unknown_variables() -> None:
    """Log each LLMCHAIN_ variable no setting reads: most likely a misspelt one."""
    for name, close in unknown_variables():
        hint = f"; did you mean {close}?" if close else ""
        logging.getLogger("llmchain").warning("%s is not a setting and is ignored%s", name, hint)


def main() -> int:
    """Start the service; exit 2 with a readable message when the configuration is wrong."""
    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        warn_unknown_variables()
        chains = load_chains(settings)
    except ConfigError as exc:
        print(f"llmchain: configuration error: {exc}", file=sys.stderr)
        return 2
    fd_soft, fd_hard = raise_fd_limit()
    limits = ConnectionLimits(
        header_timeout_s=settings.header_timeout_s,
        body_timeout_s=settings.body_timeout_s,
        max_header_bytes=settings.max_header_bytes,
        max_connections=max_connections_for(settings.max_connections, fd_soft),
    )
    logging.getLogger("llmchain").info(
        "connections: at most %d (open-files limit %d, hard %d); headers within %g s, "
        "bodies within %g s",
        limits.max_connections,
        fd_soft,
        fd_hard,
        limits.header_timeout_s,
        limits.body_timeout_s,
    )
    config = uvicorn.Config(
        create_app(settings, chains),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=settings.shutdown_grace_s,
        timeout_keep_alive=settings.keep_alive_s,
        **uvicorn_options(limits),
    )
    server = Server(config)
    server.run()
    return 0 if server.started else 3  # 3: start-up failed (e.g. memory store unreachable)


if __name__ == "__main__":
    sys.exit(main())
