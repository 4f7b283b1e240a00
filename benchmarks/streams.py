"""The price of guarding a stream: a chain's tokens read directly vs through `guarded()`.

`app.api.running.guarded` awaits each item in a task of its own under a deadline, so that
a client that goes away cancels the model call and a stream honours the request timeout
and a stop's grace. In-process, no HTTP: the default chain streamed on the fake model
(no latency), consumed directly and through the guard, in alternating rounds.
Run as `python -m benchmarks.streams [--streams N] [--rounds R] [--no-write]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from typing import Any

from app.api.running import guarded
from app.chains.registry import load_chains
from app.core.config import Settings, load_settings
from benchmarks.report import machine, write_section


async def per_chunk_us(settings: Settings, streams: int, guard: bool) -> tuple[float, int]:
    """Mean microseconds per streamed chunk over `streams` streams, and the chunk count."""
    chain = load_chains(settings).get_chain("product-description")
    chunks = 0

    async def one() -> int:
        source: AsyncIterator[Any] = chain.runnable.astream({"product": "warm wool socks"})
        if guard:
            source = guarded(source, settings)
        return len([c async for c in source])

    for _ in range(50):  # warm-up
        await one()
    start = time.perf_counter()
    for _ in range(streams):
        chunks += await one()
    return (time.perf_counter() - start) / chunks * 1e6, chunks // streams


async def measure(streams: int, rounds: int) -> tuple[list[float], list[float], int]:
    """Per-chunk times, direct and guarded, by round; chunks per stream."""
    settings = load_settings(memory_backend="memory")
    direct, guarded_ = [], []
    per_stream = 0
    for _ in range(rounds):
        us, per_stream = await per_chunk_us(settings, streams, guard=False)
        direct.append(us)
        us, _ = await per_chunk_us(settings, streams, guard=True)
        guarded_.append(us)
    return direct, guarded_, per_stream


def report(direct: list[float], guarded_: list[float], per_stream: int, shown: str) -> str:
    """The markdown section."""
    ratios = [d / g for d, g in zip(direct, guarded_, strict=True)]
    extra = statistics.median(g - d for d, g in zip(direct, guarded_, strict=True))
    return "\n".join(
        [
            "## Streams (`benchmarks/streams.py`)",
            "",
            f"{machine()}; `python -m benchmarks.streams {shown}`. In-process: the default "
            f"chain streamed on the fake model ({per_stream} chunks a stream), one event "
            "loop, no HTTP.",
            "",
            "| measure | result |",
            "|---|---|",
            f"| chunks per second, guarded / read directly | "
            f"**{statistics.median(ratios):.2f}×** "
            f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)}) |",
            f"| time added per chunk (median of the rounds' differences) | **{extra:.0f} µs** "
            f"(medians "
            f"{statistics.median(guarded_):.0f} µs vs {statistics.median(direct):.0f} µs) |",
            "",
            "The guard awaits each chunk in a task of its own under a deadline (a client",
            "that goes away must cancel the model call, and a stream must end with an error",
            "event at the request timeout or a stop). A real model's tokens come",
            "milliseconds apart; these come as fast as the fake model makes them, so the",
            "ratio is the guard's whole cost, not what a client would notice. The machine is",
            "shared: rounds vary widely, and the medians are what to read.",
        ]
    )


def main() -> None:
    """Measure, print, and by default write docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    direct, guarded_, per_stream = asyncio.run(measure(args.streams, args.rounds))
    section = report(
        direct, guarded_, per_stream, f"--streams {args.streams} --rounds {args.rounds}"
    )
    print(section)
    if not args.no_write:
        write_section("streams", section)


if __name__ == "__main__":
    main()
