"""JSON logs, one object a line, each carrying the request id of the request that wrote it."""

from __future__ import annotations

import logging
import sys
import time
from contextvars import ContextVar
from typing import Any, TextIO

import orjson
from pythonjsonlogger.json import JsonFormatter

from app.core.tracing import current_trace_id

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
_stream: TextIO = sys.stdout


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        trace_id = current_trace_id()
        if trace_id:
            record.trace_id = trace_id
        record.__dict__.pop("color_message", None)  # uvicorn's ANSI copy of the message
        return True


def configure_logging(level: str) -> None:
    """Send every logger (ours, uvicorn's, LangChain's) as JSON to stdout."""
    global _stream
    _stream = sys.stdout
    handler = logging.StreamHandler(_stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt=TIME_FORMAT,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # Our middleware writes the access log (with route, status, duration, request id).
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs full URLs at INFO; keep provider traffic out of the logs by default.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))


class AccessLog:
    """One JSON line per request, in the same shape and stream as the other logs.

    Written directly rather than through `logging`: a record through the logging module
    (record, filter, JSON formatter, handler lock) cost about 100 µs per request here,
    a tenth of a whole chain call (docs/benchmarks.md). The `llmchain.access` logger's
    level still decides: set it above INFO (or LLMCHAIN_LOG_LEVEL=WARNING) to stop them.
    """

    def __init__(self) -> None:
        self.logger = logging.getLogger("llmchain.access")
        self._second = -1
        self._stamp = ""

    def _time(self) -> str:
        now = int(time.time())
        if now != self._second:  # one strftime a second, not one a request
            self._second, self._stamp = now, time.strftime(TIME_FORMAT, time.localtime(now))
        return self._stamp

    def write(
        self,
        request_id: str,
        method: str,
        path: str,
        route: str,
        status: int,
        duration_ms: float,
        usage: dict[str, Any] | None = None,
    ) -> None:
        """Log one finished request (never its body, query string or headers)."""
        if not self.logger.isEnabledFor(logging.INFO):
            return
        extra: dict[str, Any] = {}
        if usage:  # what the request's model calls used and cost
            extra = {
                "tokens_in": usage["prompt_tokens"],
                "tokens_out": usage["completion_tokens"],
                "cost_usd": usage["cost_usd"],
            }
        trace_id = current_trace_id()
        if trace_id:
            extra["trace_id"] = trace_id
        line = orjson.dumps(
            {
                "time": self._time(),
                "level": "INFO",
                "logger": "llmchain.access",
                "message": "request",
                "request_id": request_id,
                "method": method,
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": duration_ms,
                **extra,
            }
        )
        _stream.write(line.decode() + "\n")
        _stream.flush()
