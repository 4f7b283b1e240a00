"""Serving benchmark: llmchain against bare FastAPI and LangServe, side by side in one run.

    python -m benchmarks.serving [--seconds 10] [--rounds 3] [--no-write]

Measures (never asserts):
1. invoke throughput of `product-description` on the fake model (0 ms), one worker each,
   as ratios llmchain / LangServe and llmchain / bare FastAPI; the servers take turns,
   round after round, so drift on the machine hits all of them alike;
2. with fake latency 500 ms and 256 concurrent clients, achieved throughput as a fraction
   of the limit 256 / 0.5 s;
3. process start to the first `/readyz` 200.
Load comes from `wrk` (Debian package `wrk`) on 127.0.0.1. Results go to
docs/benchmarks.md (the section between the serving markers).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.report import machine, write_section
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
BODY = '{"input": {"product": "colorful socks"}}'
LUA = f"""wrk.method = "POST"
wrk.body = '{BODY}'
wrk.headers["Content-Type"] = "application/json"
"""


@dataclass
class Proc:
    """A server under test."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    path: str  # the invoke path

    @property
    def url(self) -> str:
        """Full invoke URL."""
        return f"http://127.0.0.1:{self.port}{self.path}"

    def stop(self) -> None:
        """SIGTERM, then wait."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def env(extra: dict[str, str]) -> dict[str, str]:
    """A clean environment for a server process (only our own LLMCHAIN_FAKE_LATENCY_MS)."""
    keep = ("LLMCHAIN_FAKE_LATENCY_MS",)
    base = {k: v for k, v in os.environ.items() if not k.startswith("LLMCHAIN_") or k in keep}
    base.update({"LLMCHAIN_MEMORY_BACKEND": "memory", **extra})
    return base


def wait_ok(url: str, method: str = "GET", timeout: float = 30) -> None:
    """Poll until the URL answers 2xx."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = httpx.request(
                method,
                url,
                content=BODY if method == "POST" else None,
                headers={"content-type": "application/json"},
                timeout=2,
            )
            if response.is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def start_llmchain(extra: dict[str, str] | None = None) -> Proc:
    """The service as `make run` starts it (one worker), on the fake model."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app"],
        cwd=ROOT,
        env=env({"PORT": str(port), **(extra or {})}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Proc("llmchain", proc, port, "/v1/chains/product-description/invoke")
    wait_ok(f"http://127.0.0.1:{port}/readyz")
    return server


def start_baseline(kind: str) -> Proc:
    """Bare FastAPI or LangServe serving the same chain."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.baselines", kind, str(port)],
        cwd=ROOT,
        env=env({}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Proc(kind, proc, port, "/product-description/invoke")
    wait_ok(server.url, "POST")
    return server


@dataclass
class WrkResult:
    """What one wrk run reports."""

    rps: float
    requests: int
    errors: int


def wrk(url: str, connections: int, seconds: float, script: Path) -> WrkResult:
    """Run wrk against one URL and parse its summary."""
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "1",
            "-c",
            str(connections),
            "-d",
            f"{seconds:g}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        errors += sum(int(g) for g in match.groups())
    return WrkResult(rps, requests, errors)


def throughput(seconds: float, rounds: int, script: Path) -> dict[str, list[float]]:
    """Each server in turn, `rounds` times; returns requests/s per server per round."""
    servers = [start_llmchain(), start_baseline("bare"), start_baseline("langserve")]
    results: dict[str, list[float]] = {s.name: [] for s in servers}
    try:
        for server in servers:  # warm-up: first requests pay for lazy imports and caches
            wrk(server.url, 16, 2, script)
        for _ in range(rounds):
            for server in servers:
                result = wrk(server.url, 32, seconds, script)
                if result.errors:
                    raise RuntimeError(f"{server.name}: {result.errors} failed requests")
                results[server.name].append(result.rps)
    finally:
        for server in servers:
            server.stop()
    return results


def latency_bound(seconds: float, script: Path) -> dict[str, WrkResult]:
    """256 clients against a 500 ms model, llmchain and bare FastAPI in turn."""
    os.environ["LLMCHAIN_FAKE_LATENCY_MS"] = "500"  # read by both (the baseline's settings too)
    try:
        results = {}
        for server in (start_llmchain(), start_baseline("bare")):
            try:
                wrk(server.url, 256, 2, script)
                results[server.name] = wrk(server.url, 256, seconds, script)
            finally:
                server.stop()
    finally:
        del os.environ["LLMCHAIN_FAKE_LATENCY_MS"]
    return results


def start_times(repeats: int) -> list[float]:
    """Seconds from spawning `python -m app` to its first /readyz 200."""
    times = []
    for _ in range(repeats):
        port = free_port()
        begin = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "app"],
            cwd=ROOT,
            env=env({"PORT": str(port)}),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with httpx.Client(timeout=1) as client:
            while True:
                try:
                    if client.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.005)
        times.append(time.perf_counter() - begin)
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
    return times


def report(
    tput: dict[str, list[float]], lat: dict[str, WrkResult], starts: list[float], args: str
) -> str:
    """The markdown section for docs/benchmarks.md."""
    med = {name: statistics.median(values) for name, values in tput.items()}
    vs_langserve = [a / b for a, b in zip(tput["llmchain"], tput["langserve"], strict=True)]
    vs_bare = [a / b for a, b in zip(tput["llmchain"], tput["bare"], strict=True)]

    def fmt(values: list[float]) -> str:
        return ", ".join(f"{v:.0f}" for v in values)

    def mark(ok: bool) -> str:
        return "met" if ok else "**not met**"

    def rounds(values: list[float]) -> str:
        return ", ".join(f"{v:.2f}" for v in values)

    ls, bare = statistics.median(vs_langserve), statistics.median(vs_bare)
    limit = 256 / 0.5
    fraction = lat["llmchain"].rps / limit
    ours, base = lat["llmchain"], lat["bare"]
    start = statistics.median(starts)
    lines = [
        "## Serving (`benchmarks/serving.py`)",
        "",
        f"{machine()}; "
        f"`python -m benchmarks.serving {args}`. Load from `wrk` on 127.0.0.1 "
        "(1 thread); each server one uvicorn worker on the fake model.",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| invoke throughput, llmchain / LangServe `add_routes` | **{ls:.2f}×** "
        f"(rounds: {rounds(vs_langserve)}) | ≥ 1.0× ({mark(ls >= 1.0)}) |",
        f"| invoke throughput, llmchain / bare FastAPI | **{bare:.2f}×** "
        f"(rounds: {rounds(vs_bare)}) | ≥ 0.9× ({mark(bare >= 0.9)}) |",
        f"| 256 clients, 500 ms model: achieved / (256 / 0.5 s) | **{fraction:.2f}** "
        f"({ours.rps:.0f} req/s, {ours.requests} requests, {ours.errors} errors; bare FastAPI "
        f"on the same load: {base.rps / limit:.2f}) | ≥ 0.9 ({mark(fraction >= 0.9)}) |",
        f"| process start → first `/readyz` 200 | **{start:.2f} s** median "
        f"(min {min(starts):.2f}, max {max(starts):.2f}, n={len(starts)}) "
        f"| ≤ 1.5 s ({mark(start <= 1.5)}) |",
        "",
        "Requests per second, 32 connections, by round:",
        "",
        "| server | req/s by round | median |",
        "|---|---|---|",
        *[f"| {name} | {fmt(values)} | {med[name]:.0f} |" for name, values in tput.items()],
        "",
        "llmchain does more per request than either baseline — API-key check, input",
        "validation naming each variable, request id, JSON access log line, Prometheus",
        "metrics, a model-call callback that counts tokens, the time limit — and the figure",
        "above is that full path with the default settings (`LLMCHAIN_LOG_LEVEL=INFO`).",
    ]
    return "\n".join(lines)


def main() -> None:
    """Run everything and print (and by default write) the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("benchmarks need wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(LUA)
        tput = throughput(args.seconds, args.rounds, script)
        lat = latency_bound(args.seconds, script)
    starts = start_times(args.starts)
    shown = f"--seconds {args.seconds:g} --rounds {args.rounds} --starts {args.starts}"
    section = report(tput, lat, starts, shown)
    print(section)
    if not args.no_write:
        write_section("serving", section)


if __name__ == "__main__":
    main()
