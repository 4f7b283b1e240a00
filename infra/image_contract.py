"""What the app image promises every platform that runs it, in one place.

app/Dockerfile states the same values; tests/infra/test_image_contract.py fails when the two
disagree. Every target (local container, ECS, Container Apps, Cloud Run, VMs, Kubernetes)
takes its user, port, paths, health probe and stop timeout from here.
"""

from __future__ import annotations

APP_UID = 10001  # the image's non-root user and group (fixed, so volumes can name it)
APP_USER = f"{APP_UID}:{APP_UID}"
PORT = 8000  # the image's default PORT; targets pass PORT explicitly
DATA_DIR = "/data"  # the image's volume: SQLite memory when no database is configured
SECRETS_DIR = "/run/secrets/llmchain"  # where platforms mount secret files (read-only)
HEALTH_PATH = "/healthz"  # liveness: the process answers
READY_PATH = "/readyz"  # readiness: the model provider and memory store answer
TMPFS = "/tmp"  # noqa: S108 - the only writable path besides DATA_DIR (read-only root)
# SIGTERM -> in-flight requests and streams finish within the app's shutdown grace -> exit.
# The platform's kill comes this long after the grace, so a clean exit is never cut short.
STOP_MARGIN_S = 10
# The app's access log: one JSON line per request from this logger, with `route` the route
# template (app/core/logging.py). The clouds' error-rate and p95 alarms read it.
ACCESS_LOGGER = "llmchain.access"
# Routes that answer with a server-sent event stream: a stream's duration is how long the answer
# took to write, not how slow the service is, so the p95 latency alarms leave them out.
# /v1/chat/completions streams only with `stream: true`, which the route cannot tell apart.
STREAMING_ROUTES = (
    "/v1/chains/{name}/stream",
    "/v1/chains/{name}/stream_log",
    "/v1/chains/{name}/stream_events",
    "/v1/chat/completions",
)


def stop_timeout(grace_s: int, *, cap: int | None = None) -> int:
    """Seconds from SIGTERM to SIGKILL for a shutdown grace; `cap` is the platform's maximum."""
    seconds = grace_s + STOP_MARGIN_S
    return min(seconds, cap) if cap is not None else seconds


def health_command(port: int, path: str = HEALTH_PATH) -> list[str]:
    """The container health check, exec form (`CMD ...`), with no whitespace in any argument.

    The image has python3 but no curl. Podman's Docker-compatible API joins and re-splits
    the probe on whitespace, so a one-liner with spaces reaches python3 in pieces and the
    container never turns healthy; one expression without a space survives any splitting.
    """
    url = f"http://127.0.0.1:{port}{path}"
    probe = f"__import__('urllib.request').request.urlopen('{url}',timeout=2)"
    return ["CMD", "python3", "-c", probe]
