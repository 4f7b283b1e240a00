"""Build and run the app image with podman: the engine the tests use where Docker is absent."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGE = os.environ.get("LLMCHAIN_TEST_BASE_IMAGE", "localhost/llmchain-base:bookworm")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# runc (crun fails on these machines' cgroups) and no default ulimits (not permitted here).
CONTAINERS_CONF = '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n'


def why_no_engine() -> str | None:
    """None when podman can build and run here, else the reason it cannot."""
    if not shutil.which("podman"):
        return "podman is not installed (.ci/run installs podman, buildah, runc, debootstrap)"
    if not shutil.which("runc"):
        return "runc is not installed (apt-get install runc)"
    return None


def configure(workdir: Path) -> None:
    """Point podman at a containers.conf that works on these machines (unless one is set)."""
    if "CONTAINERS_CONF" not in os.environ:
        conf = workdir / "containers.conf"
        conf.write_text(CONTAINERS_CONF)
        os.environ["CONTAINERS_CONF"] = str(conf)


def podman(
    *args: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run one podman command; raise with its output when it fails (and `check`)."""
    result = subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def ensure_base_image() -> None:
    """The Debian-based Python base, made from Debian's packages when missing (cached)."""
    subprocess.run(
        [str(ROOT / "scripts" / "local-base-image.sh"), BASE_IMAGE],
        check=True,
        timeout=900,
        capture_output=True,
    )


def build_flags() -> str:
    """What builds need here: the host network and CA bundle for pip inside the build."""
    flags = ["--network", "host"]
    if CA_BUNDLE.exists():
        flags += ["-v", f"{CA_BUNDLE}:{CA_BUNDLE}:ro"]
    return " ".join(flags)


def build_image(tag: str, providers: str = "fake,openai") -> subprocess.CompletedProcess[str]:
    """`make image` on the local base, as a user would run it."""
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            "image",
            "ENGINE=podman",
            f"IMAGE={tag}",
            f"BASE_IMAGE={BASE_IMAGE}",
            f"PROVIDERS={providers}",
            f"IMAGE_BUILD_FLAGS={build_flags()}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )


def image_size(tag: str) -> int:
    """The image's size in bytes, as podman reports it."""
    return int(podman("image", "inspect", "--format", "{{.Size}}", tag).stdout.strip())


@dataclass
class Container:
    """A running (or stopped) container of the app image."""

    name: str
    port: int

    @property
    def url(self) -> str:
        """Where its port is published on 127.0.0.1."""
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        """stdout and stderr so far."""
        out = podman("logs", self.name, check=False)
        return out.stdout + out.stderr

    def state(self) -> dict[str, object]:
        """`podman inspect`'s State."""
        state: dict[str, object] = json.loads(podman("inspect", self.name).stdout)[0]["State"]
        return state

    def wait_ready(self, timeout: float = 60) -> None:
        """Poll /readyz until 200; fail with the logs if the container stops first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.state().get("Running") is False:
                raise AssertionError(f"container {self.name} stopped:\n{self.logs()}")
            time.sleep(0.1)
        raise AssertionError(f"container {self.name} not ready in {timeout} s:\n{self.logs()}")

    def exec(self, *command: str) -> subprocess.CompletedProcess[str]:
        """Run a command inside the container."""
        return podman("exec", self.name, *command, check=False)


class Containers:
    """Starts containers for tests and removes them, by name, afterwards."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def run(
        self,
        image: str,
        port: int,
        env: dict[str, str] | None = None,
        *,
        volume: str | None = None,
        extra: tuple[str, ...] = (),
        ready: bool = True,
    ) -> Container:
        """`podman run -d` with the root filesystem read-only and /tmp a tmpfs."""
        name = f"llmchain-test-{uuid.uuid4().hex[:8]}"
        args = ["run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8000"]
        args += ["--read-only", "--tmpfs", "/tmp"]
        if volume:
            args += ["-v", f"{volume}:/data"]
        for key, value in (env or {}).items():
            args += ["-e", f"{key}={value}"]
        podman(*args, *extra, image)
        self.names.append(name)
        container = Container(name, port)
        if ready:
            container.wait_ready()
        return container

    def cleanup(self) -> None:
        """Remove every container this test started."""
        for name in self.names:
            podman("rm", "-f", "-t", "0", name, check=False)
