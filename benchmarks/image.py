"""Image benchmark: size per provider set, and start-to-ready of the container vs the bare process.

    python -m benchmarks.image [--starts 5] [--sets fake,openai bedrock ...] [--no-write]

Builds with `make image` on the local Debian base (scripts/local-base-image.sh) with
podman, as tests/container does. Measures (never asserts):
1. the size each image adds on top of its base, per provider set;
2. seconds from `podman run -d` to the first `/readyz` 200 with the fake provider, beside
   the same figure for `python -m app` started directly on this machine.
Results go to docs/benchmarks.md (the section between the image markers).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.report import machine, write_section
from tests.conftest import free_port
from tests.container.engine import (
    BASE_IMAGE,
    ROOT,
    build_image,
    configure,
    ensure_base_image,
    image_size,
    podman,
    why_no_engine,
)

SETS = ["fake,openai", "fake", "bedrock", "azure-openai", "vertexai"]
MB = 1_000_000


def until_ready(url: str, timeout: float = 60) -> float:
    """Poll /readyz every 10 ms; the moment it first answers 200."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1) as client:
        while time.monotonic() < deadline:
            try:
                if client.get(f"{url}/readyz").status_code == 200:
                    return time.perf_counter()
            except httpx.HTTPError:
                pass
            time.sleep(0.01)
    raise RuntimeError(f"{url} not ready within {timeout} s")


def container_start(image: str) -> float:
    """`podman run -d` (read-only root, like the tests) to the first /readyz 200."""
    port = free_port()
    name = f"llmchain-bench-{port}"
    begin = time.perf_counter()
    podman("run", "-d", "--name", name, "--read-only", "--tmpfs", "/tmp",
           "-p", f"127.0.0.1:{port}:8000", image)  # fmt: skip
    try:
        return until_ready(f"http://127.0.0.1:{port}") - begin
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


def process_start(workdir: Path) -> float:
    """`python -m app` on this machine to the first /readyz 200."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMCHAIN_")}
    env.update(PORT=str(port), LLMCHAIN_MEMORY_URL=str(workdir / f"{port}.sqlite"))
    begin = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return until_ready(f"http://127.0.0.1:{port}") - begin
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)


def main() -> None:
    """Build each provider set, measure, print and (by default) write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--sets", nargs="+", default=SETS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    reason = why_no_engine()
    if reason:
        sys.exit(f"benchmarks.image: {reason}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        configure(workdir)
        ensure_base_image()
        base = image_size(BASE_IMAGE)
        sizes: dict[str, int] = {}
        tags: dict[str, str] = {}
        for providers in args.sets:
            tag = f"localhost/llmchain-bench:{providers.replace(',', '-')}"
            result = build_image(tag, providers)
            if result.returncode != 0:
                sys.exit(f"build of {providers} failed:\n{result.stdout}\n{result.stderr}")
            tags[providers], sizes[providers] = tag, image_size(tag) - base
        default = tags[args.sets[0]]
        container_start(default)  # warm the page cache: measure starts, not first reads
        process_start(workdir)
        in_container, bare = [], []
        for _ in range(args.starts):  # side by side, alternating
            in_container.append(container_start(default))
            bare.append(process_start(workdir))
        for tag in tags.values():
            podman("rmi", "-f", tag, check=False)

    def row(values: list[float]) -> str:
        return (
            f"**{statistics.median(values):.2f} s** median (min {min(values):.2f}, "
            f"max {max(values):.2f}, n={len(values)})"
        )

    first = args.sets[0]
    ratio = statistics.median(in_container) / statistics.median(bare)
    lines = [
        "## Image (`benchmarks/image.py`)",
        "",
        f"{machine()}; `python -m benchmarks.image --starts {args.starts}`. Built with "
        f"`make image` and podman on `{BASE_IMAGE}` (Debian bookworm's Python 3.11, "
        f"{base / MB:.0f} MB, from scripts/local-base-image.sh).",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| size added on top of the base, default set (`{first}`) | "
        f"**{sizes[first] / MB:.0f} MB** | ≤ 100 MB "
        f"({'met' if sizes[first] <= 100 * MB else '**not met**'}) |",
        f"| container start → first `/readyz` 200 | {row(in_container)} | ≤ 2 s "
        f"({'met' if statistics.median(in_container) <= 2 else '**not met**'}) |",
        f"| the bare process, same measure | {row(bare)} | (baseline; container / bare: "
        f"{ratio:.2f}×) |",
        "",
        "Size added per provider set (`--build-arg PROVIDERS=...`):",
        "",
        "| providers | added to the base |",
        "|---|---|",
        *[f"| `{name}` | {size / MB:.0f} MB |" for name, size in sizes.items()],
        "",
        "The image keeps compiled bytecode (its root filesystem is read-only at run time, so",
        "without it every start would compile every module, about a second more) and strips",
        "the debug symbols wheels ship with (about 30 MB).",
    ]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        write_section("image", section)


if __name__ == "__main__":
    main()
