"""The dev stack's engine: which Docker engine both providers talk to, and the health probe
that engine runs."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from infra.image_contract import health_command as healthcheck_command
from infra.local.engine import (
    UNIX_DEFAULT,
    WINDOWS_DEFAULT,
    EngineError,
    resolve_host,
)
from infra.plan import PlanConfigError, run_plan

COLIMA = "unix:///Users/me/.colima/default/docker.sock"
DESKTOP = "unix:///home/me/.docker/desktop/docker.sock"


def add_context(config: Path, name: str, host: str) -> None:
    """A context as `docker context create NAME --docker host=HOST` stores it."""
    meta = config / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta.mkdir(parents=True)
    document = {"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host}}}
    (meta / "meta.json").write_text(json.dumps(document))


def use_context(config: Path, name: str) -> None:
    """`docker context use NAME`: config.json's currentContext."""
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.json").write_text(json.dumps({"auths": {}, "currentContext": name}))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    add_context(tmp_path / ".docker", "colima", COLIMA)
    add_context(tmp_path / ".docker", "desktop-linux", DESKTOP)
    return tmp_path


def test_nothing_configured_is_the_platform_default(tmp_path: Path) -> None:
    assert resolve_host({}, tmp_path, "linux") == UNIX_DEFAULT
    assert resolve_host({}, tmp_path, "darwin") == UNIX_DEFAULT
    assert resolve_host({}, tmp_path, "win32") == WINDOWS_DEFAULT


def test_the_current_context_is_followed(home: Path) -> None:
    use_context(home / ".docker", "desktop-linux")
    assert resolve_host({}, home, "linux") == DESKTOP
    use_context(home / ".docker", "default")
    assert resolve_host({}, home, "linux") == UNIX_DEFAULT


def test_docker_host_wins_then_docker_context(home: Path) -> None:
    use_context(home / ".docker", "desktop-linux")
    env = {"DOCKER_HOST": "tcp://10.0.0.5:2376", "DOCKER_CONTEXT": "colima"}
    assert resolve_host(env, home, "linux") == "tcp://10.0.0.5:2376"
    assert resolve_host({"DOCKER_CONTEXT": "colima"}, home, "linux") == COLIMA
    assert resolve_host({"DOCKER_HOST": ""}, home, "linux") == DESKTOP  # empty means unset


def test_docker_config_moves_the_configuration(tmp_path: Path) -> None:
    config = tmp_path / "elsewhere"
    add_context(config, "rootless", "unix:///run/user/1000/docker.sock")
    use_context(config, "rootless")
    env = {"DOCKER_CONFIG": str(config)}
    assert resolve_host(env, tmp_path / "home", "linux") == "unix:///run/user/1000/docker.sock"


def test_a_missing_context_is_an_error_naming_it(home: Path) -> None:
    use_context(home / ".docker", "gone")
    with pytest.raises(EngineError, match="the Docker context 'gone' does not exist"):
        resolve_host({}, home, "linux")


def test_a_broken_config_is_an_error(home: Path) -> None:
    (home / ".docker" / "config.json").write_text("{not json")
    with pytest.raises(EngineError, match=r"config\.json"):
        resolve_host({}, home, "linux")


# --- the health probe --------------------------------------------------------------------


class Health(BaseHTTPRequestHandler):
    """Answers 200 on /healthz, 404 elsewhere."""

    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def run_probe(argv: list[str]) -> int:
    """Run the probe's argv the way the engine would, with this interpreter as python3."""
    assert argv[0] == "CMD" and argv[1] == "python3"
    return subprocess.run([sys.executable, *argv[2:]], timeout=10, check=False).returncode


def test_probe_passes_and_fails_on_the_real_endpoint(server: int) -> None:
    assert run_probe(healthcheck_command(server, "/healthz")) == 0
    assert run_probe(healthcheck_command(server, "/missing")) != 0


def test_probe_survives_splitting_on_whitespace(server: int) -> None:
    # Podman's Docker-compatible API joins the exec form and splits it again on spaces.
    command = healthcheck_command(server, "/healthz")
    resplit = " ".join(command).split()
    assert resplit == command
    assert run_probe(resplit) == 0


# --- the program ---------------------------------------------------------------------------


def test_the_plan_follows_the_context_and_stops_on_a_missing_one(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    use_context(home / ".docker", "colima")
    plan = run_plan("dev")
    hosts = {r.inputs["host"] for r in plan.resources if r.type.startswith("pulumi:providers:")}
    assert hosts == {COLIMA}
    use_context(home / ".docker", "gone")
    with pytest.raises(PlanConfigError, match="the Docker context 'gone' does not exist") as info:
        run_plan("dev")
    assert info.value.registered == []  # nothing half-made
