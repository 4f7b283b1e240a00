"""A memory store that cannot write is the store's failure (503 naming it), not the model's."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.app.helpers import assert_error
from tests.conftest import ServerFactory


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs: a disk that really fills up (needs root, as mount does)."""
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {result.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True, check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk has no byte left; returns the file (delete it to free)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_CREAT | os.O_WRONLY)
    try:
        for size in (65536, 4096, 1):  # big blocks, then what is left byte by byte
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    with pytest.raises(OSError, match="No space left") as full:
        (disk / "probe").write_bytes(b"x")
    assert full.value.errno == errno.ENOSPC
    return filler


def test_a_full_disk_is_503_naming_the_memory_store(
    servers: ServerFactory, small_disk: Path
) -> None:
    server = servers.start({"LLMCHAIN_MEMORY_URL": str(small_disk / "chat.sqlite")})
    with httpx.Client(base_url=server.url, timeout=30) as client:
        turn = {"session_id": "full", "message": "hello"}
        assert client.post("/v1/chat", json=turn).status_code == 200
        filler = fill(small_disk)

        response = client.post("/v1/chat", json={**turn, "message": "x" * 20_000})
        assert_error(response, 503, "unavailable", "memory store (SQLite)", "full")
        assert response.json()["error"]["code"] == "memory_store_unavailable"
        assert int(response.headers["retry-after"]) >= 1
        assert "provider" not in response.text  # the model did not fail

        openai = client.post(
            "/v1/chat/completions",
            json={"model": "chat", "user": "full", "messages": [{"role": "user", "content": "x"}]},
        )
        assert_error(openai, 503, "unavailable", "memory store (SQLite)")

        # Forgetting a session needs a write too: the same clear 503, not a 500.
        deleted = client.delete("/v1/chat/full")
        assert_error(deleted, 503, "unavailable", "memory store (SQLite)", "full")
        assert "retry-after" in deleted.headers
        assert client.get("/v1/chat/full").status_code == 200  # reading still works
        ready = client.get("/readyz")  # so an orchestrator sends turns elsewhere
        assert_error(ready, 503, "unavailable", "memory store", "disk is full")

        filler.unlink()  # space again: the service carries on by itself
        assert client.get("/readyz").status_code == 200
        assert client.post("/v1/chat", json=turn).status_code == 200
        assert client.delete("/v1/chat/full").status_code == 204
