"""Memory that scales: one long chat session, its storage and turn latency as it grows.

In-process through the chat service (`ChatService.turn`, what `POST /v1/chat` runs) on the
fake model, on a SQLite file and on a throwaway PostgreSQL (tests/postgres.py). At turns
10, 100, 1000 and 5000 it records the bytes the store holds (every value of every table:
SQLite `length()`, PostgreSQL `pg_column_size` of live rows), the bytes the last 10 turns
added, and the median latency of the last 10 turns. The previous design (every checkpoint
holds the whole history) runs side by side from a git worktree of `--baseline`, for fewer
turns (`--baseline-turns`): at 5,000 turns it needs ~23 GB of SQLite and hours.

Run as `python -m benchmarks.memory [--turns N] [--baseline REF] [--baseline-turns N]
[--backends sqlite,postgres] [--no-write]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MARKS = (10, 100, 1000, 5000)
WINDOW = 10  # turns each mark's bytes per turn are taken over; the reference session's length
SAMPLES = 15  # turns of each session timed at a mark
BASELINE = "a4ca3b9"  # the last commit where checkpoints held the whole history


def sqlite_bytes(path: Path) -> int:
    """Bytes of every value in every table of a SQLite file."""
    with sqlite3.connect(path) as db:
        total = 0
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
            columns = [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]
            summed = " + ".join(f'coalesce(length("{c}"), 0)' for c in columns)
            query = f'SELECT coalesce(sum({summed}), 0) FROM "{table}"'  # noqa: S608 - names from the file's own schema
            total += db.execute(query).fetchone()[0]
        return int(total)


def postgres_bytes(url: str) -> int:
    """Bytes of every live row of every table in the public schema (as stored)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as db:
        total = 0
        tables = db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for (table,) in tables.fetchall():
            query = sql.SQL("SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM {} t")
            row = db.execute(query.format(sql.Identifier(table))).fetchone()
            total += int(row[0]) if row else 0
        return total


async def timed(chat: Any, session: str, n: int) -> float:
    """One turn's seconds."""
    start = time.perf_counter()
    await chat.turn(session, f"message {n}: tell me more about the weather today")
    return time.perf_counter() - start


async def drive(backend: str, url: str, turns: int) -> dict[str, Any]:
    """Run `turns` turns of one session; the figures at each mark reached.

    At a mark, the latency of the long session's turns is taken alternately with turns of
    a fresh 10-turn session (`ref`), SAMPLES of each: the ratio of their medians does not
    move with the machine's load (2 cores shared here), as a turn-10 figure taken minutes
    earlier would.
    """
    from app.chat.service import ChatService
    from app.core.config import load_settings
    from app.memory.store import open_memory_store
    from app.providers.fake import FakeChatModel

    settings = load_settings(memory_backend=backend, memory_url=url)
    size = (
        (lambda: sqlite_bytes(Path(url))) if backend == "sqlite" else (lambda: postgres_bytes(url))
    )
    marks: dict[str, Any] = {}
    async with open_memory_store(settings) as store:
        chat = ChatService(FakeChatModel(), store, "be brief", settings.chat_history_limit)
        await chat.delete("long")
        stored = [size()]  # before the session
        n = 0
        while n < turns:
            n += 1
            await timed(chat, "long", n)
            if n + WINDOW in MARKS or n in MARKS:
                stored.append(size())
            if n not in MARKS:
                continue
            added = stored[-1] - (stored[-2] if n > WINDOW else stored[0])
            ref = f"ref-{n}"
            for i in range(WINDOW - 1):
                await chat.turn(ref, f"message {i}: tell me more about the weather today")
            long_s, ref_s = [], []
            for i in range(SAMPLES):  # alternate, so both see the same load
                long_s.append(await timed(chat, "long", n + 1 + i))
                ref_s.append(await timed(chat, ref, WINDOW + i))
            await chat.delete(ref)
            marks[str(n)] = {
                "bytes": stored[-1] - stored[0],
                "bytes_per_turn": added / min(n, WINDOW),
                "latency_ms": statistics.median(long_s) * 1000,
                "ref_latency_ms": statistics.median(ref_s) * 1000,
            }
            n += SAMPLES
        await chat.delete("long")
    return {"marks": marks}


def child(args: argparse.Namespace) -> None:
    """Measure in this process (the code imported is the tree on PYTHONPATH)."""
    result = asyncio.run(drive(args.backend, args.url, args.turns))
    if args.backend == "sqlite":
        result["file_bytes"] = Path(args.url).stat().st_size
    print(json.dumps(result))


def measure(tree: Path, backend: str, url: str, turns: int) -> dict[str, Any]:
    """Run the measurement on the code of `tree` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env = {k: v for k, v in env.items() if not k.startswith("LLMCHAIN_")}
    command = [sys.executable, str(Path(__file__).resolve()), "--child", backend, url, str(turns)]
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"measuring {backend} in {tree} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(
    turns: int, baseline: str | None, baseline_turns: int, backends: list[str]
) -> dict[str, Any]:
    """Both designs on each backend: {backend: {"current": ..., "baseline": ...}}."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="llmchain-bench-memory-") as scratch:
        work = Path(scratch)
        old: Path | None = None
        if baseline:
            old = work / "baseline"
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), baseline],
                check=True,
                capture_output=True,
            )
        server = None
        try:
            for backend in backends:
                url = str(work / "current.sqlite")
                if backend == "postgres":
                    sys.path.insert(0, str(ROOT))
                    from tests.postgres import PostgresServer, find_postgres_bin

                    bindir = find_postgres_bin()
                    if bindir is None:
                        print("PostgreSQL binaries not installed: skipped", file=sys.stderr)
                        continue
                    server = PostgresServer(bindir)
                    server.start()
                    url = server.url
                results[backend] = {"current": measure(ROOT, backend, url, turns)}
                if old is not None:
                    if backend == "sqlite":
                        url = str(work / "baseline.sqlite")
                    results[backend]["baseline"] = measure(old, backend, url, baseline_turns)
                if server is not None:
                    server.stop()
                    server = None
        finally:
            if server is not None:
                server.stop()
            if old is not None:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)],
                    check=False,
                    capture_output=True,
                )
    return results


def _row(design: str, found: dict[str, Any]) -> list[str]:
    marks = found["marks"]
    rows = []
    for mark, figures in marks.items():
        rows.append(
            f"| {design} | {int(mark):,} | {figures['bytes'] / 1e6:,.2f} MB | "
            f"{figures['bytes_per_turn']:,.0f} B | {figures['latency_ms']:.1f} ms | "
            f"{figures['ref_latency_ms']:.1f} ms | "
            f"{figures['latency_ms'] / figures['ref_latency_ms']:.2f}× |"
        )
    first, last = min(marks, key=int), max(marks, key=int)
    per_turn = marks[last]["bytes_per_turn"] / marks[first]["bytes_per_turn"]
    rows.append(
        f"| {design}: turn {int(last):,} against turn {first} | | | **{per_turn:.2f}×** | "
        f"{marks[last]['latency_ms'] / marks[first]['latency_ms']:.2f}× (minutes apart) | | "
        f"**{marks[last]['latency_ms'] / marks[last]['ref_latency_ms']:.2f}×** (side by side) |"
    )
    return rows


def report(results: dict[str, Any], shown: str, baseline: str | None) -> str:
    """The markdown section."""
    from benchmarks.report import machine

    lines = [
        "## Memory (`benchmarks/memory.py`)",
        "",
        f"{machine()}; `python -m benchmarks.memory {shown}`. One chat session driven "
        "in-process through `ChatService.turn` (what `POST /v1/chat` runs) on the fake "
        "model, default `LLMCHAIN_CHAT_HISTORY_LIMIT` (40). *Stored*: bytes of every value "
        "of every table (SQLite `length()`, PostgreSQL `pg_column_size` of live rows); "
        f"*per turn*: what the last {WINDOW} turns added, divided by {WINDOW}; *latency*: "
        f"median of {SAMPLES} turns of the long session, timed alternately with {SAMPLES} "
        f"turns of a fresh session at turn {WINDOW} (*fresh session*), so that their *ratio* "
        f"is not moved by the machine's load; the long session is then {SAMPLES} turns longer.",
        "",
        "Current design: the checkpoint holds the model's window only, superseded "
        "checkpoints are pruned after each turn, the conversation is one row per message. "
        + (
            f"Previous design (`{baseline}`, every checkpoint holds the whole history) run "
            "side by side from a git worktree, for fewer turns."
            if baseline
            else "The previous design was not run (`--baseline` not given)."
        )
        + " Bytes per turn at turn 10 include what a session's first turn creates (its "
        "sessions row, its first checkpoint); after that they are the turn's two messages "
        "and nothing else.",
    ]
    for backend, designs in results.items():
        lines += [
            "",
            f"### {backend}",
            "",
            "| design | turn | stored | per turn | latency | latency, fresh session | ratio |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += _row("current", designs["current"])
        if "baseline" in designs:
            lines += _row("previous", designs["baseline"])
        file_bytes = designs["current"].get("file_bytes")
        if file_bytes:
            lines += ["", f"SQLite file at the end (current design): {file_bytes / 1e6:,.1f} MB."]
    return "\n".join(lines)


def main() -> None:
    """Measure, print, and write the section into docs/benchmarks.md."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        parsed = argparse.Namespace(backend=sys.argv[2], url=sys.argv[3], turns=int(sys.argv[4]))
        child(parsed)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=5000)
    parser.add_argument("--baseline", default=BASELINE, help="git ref; '' to skip")
    parser.add_argument("--baseline-turns", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    results = run(args.turns, args.baseline or None, args.baseline_turns, args.backends.split(","))
    shown = " ".join(sys.argv[1:])
    section = report(results, shown, args.baseline or None)
    print(section)
    if not args.no_write:
        from benchmarks.report import write_section

        write_section("memory", section)


if __name__ == "__main__":
    main()
