"""The agent's tools: small, safe, bounded. A failure is reported to the model, not raised."""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from langchain_core.tools import BaseTool, StructuredTool, ToolException

DOCS_DIR = Path(__file__).resolve().parent / "docs"
MAX_EXPRESSION = 200
MAX_POWER = 100

_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def calculate(expression: str) -> str:
    """Evaluate arithmetic (+ - * / // % ** and parentheses) by walking its syntax tree; no eval."""
    if len(expression) > MAX_EXPRESSION:
        raise ToolException(f"expression longer than {MAX_EXPRESSION} characters")
    try:
        tree = ast.parse(expression.replace("^", "**"), mode="eval")
    except SyntaxError:
        raise ToolException(f"not an arithmetic expression: {expression!r}") from None

    def value(node: ast.AST) -> float:
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, int | float)
            and not isinstance(node.value, bool)
        ):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            left, right = value(node.left), value(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > MAX_POWER:
                raise ToolException(f"exponent above {MAX_POWER}")
            try:
                result: float = _OPERATORS[type(node.op)](left, right)
            except ZeroDivisionError:
                raise ToolException("division by zero") from None
            return result
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
            unary: float = _OPERATORS[type(node.op)](value(node.operand))
            return unary
        raise ToolException(
            f"only numbers and + - * / // % ** ( ) are allowed, not {type(node).__name__}"
        )

    result = value(tree.body)
    if isinstance(result, float) and result.is_integer() and abs(result) < 1e15:
        result = int(result)
    return str(result)


def current_time(timezone: str) -> str:
    """The current date and time in an IANA time zone such as Europe/Paris or UTC."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ToolException(
            f"unknown time zone {timezone!r}; use an IANA name like Europe/Paris"
        ) from None
    return datetime.now(zone).strftime("%Y-%m-%d %H:%M:%S %Z (UTC%z)")


STOP_WORDS = frozenset(
    {
        "the",
        "and",
        "for",
        "how",
        "what",
        "which",
        "who",
        "why",
        "when",
        "where",
        "does",
        "can",
        "with",
        "from",
        "this",
        "that",
        "are",
        "you",
    }
)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9_]+", text.lower())


def _documents() -> dict[str, str]:
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(DOCS_DIR.glob("*.md"))}


def lookup(query: str) -> str:
    """Search the service's own documents; returns the best matching passages."""
    words = {w for w in _words(query) if len(w) > 2} - STOP_WORDS
    if not words:
        raise ToolException("the query needs at least one word of three letters or more")
    scored = []
    for name, text in _documents().items():
        for paragraph in text.split("\n\n"):
            hits = sum(1 for w in _words(paragraph) if w in words)
            if hits:
                scored.append((hits, name, " ".join(paragraph.split())))
    if not scored:
        return f"no document mentions {query!r}"
    scored.sort(key=lambda item: -item[0])
    return "\n".join(f"[{name}] {text}" for _, name, text in scored[:2])


def make_http_get(
    allowed_hosts: list[str], timeout_s: float, max_bytes: int
) -> Callable[[str], str]:
    """A GET limited to the allowed hosts, in time and in size."""
    allowed = {h.lower() for h in allowed_hosts}

    def http_get(url: str) -> str:
        """Fetch a web page (only from the hosts this service allows); returns its text."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ToolException(f"not an http(s) URL: {url!r}")
        if parts.hostname.lower() not in allowed:
            raise ToolException(
                f"host {parts.hostname!r} is not allowed; allowed: {', '.join(sorted(allowed))}"
            )
        try:
            with (
                httpx.Client(timeout=timeout_s, follow_redirects=False) as client,
                client.stream("GET", url) as response,
            ):
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        body = body[:max_bytes]
                        break
        except httpx.HTTPError as exc:
            raise ToolException(f"request failed: {type(exc).__name__}") from None
        text = body.decode(response.encoding or "utf-8", errors="replace")
        return f"HTTP {response.status_code}\n{text}"

    return http_get


def build_tools(allowed_hosts: list[str], timeout_s: float, max_bytes: int) -> list[BaseTool]:
    """The tool set; the HTTP tool only when hosts are allowed."""
    functions: list[Callable[..., str]] = [calculate, current_time, lookup]
    names = ["calculator", "current_time", "lookup"]
    if allowed_hosts:
        functions.append(make_http_get(allowed_hosts, timeout_s, max_bytes))
        names.append("http_get")
    return [
        StructuredTool.from_function(func=function, name=name, handle_tool_error=True)
        for function, name in zip(functions, names, strict=True)
    ]
