"""A throwaway PostgreSQL server from the machine's own binaries (Debian's `postgresql`)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER = "llmchain"


def find_postgres_bin() -> Path | None:
    """The directory holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """initdb + pg_ctl in a temporary directory, listening on 127.0.0.1 only.

    PostgreSQL refuses to run as root, so as root the server runs as the `postgres`
    user that Debian's package creates.
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = _free_port()
        # Not under pytest's tmp dir: that is private to root, and postgres must enter it.
        self.base = Path(tempfile.mkdtemp(prefix="llmchain-pg-"))
        self.base.chmod(0o755)
        self.datadir = self.base / "data"
        self.sockdir = self.base / "sock"

    @property
    def url(self) -> str:
        """A libpq URL for the server's `postgres` database."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        """Create the cluster and start the server; wait until it accepts connections."""
        self.sockdir.mkdir()
        self.datadir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.sockdir, "postgres")
            shutil.chown(self.datadir, "postgres")
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", USER,
            "--auth=trust", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-w", "-t", "60",
            "-l", str(self.sockdir / "server.log"),
            "-o", f"-p {self.port} -h 127.0.0.1 -k {self.sockdir}", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its files."""
        with contextlib.suppress(RuntimeError):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "stop")
        shutil.rmtree(self.base, ignore_errors=True)

    def log(self) -> str:
        """The server's log, for failure messages."""
        path = self.sockdir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""
