"""One VM boot for every cloud: the env file, the hardened `docker run`, the systemd unit and
the cloud-config document around them.

Each cloud's cloud_init.py supplies only what differs: how Docker logs in to its registry,
how the secrets are fetched to HOST_SECRETS_DIR, and the Docker log driver.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from infra import image_contract as contract

ENV_FILE = "/etc/llmchain/env"  # the app's settings (docker --env-file), mode 0600
HOST_SECRETS_DIR = "/run/llmchain/secrets"  # tmpfs: secrets never touch the disk
UNIT_PATH = "/etc/systemd/system/llmchain.service"
CONTAINER = "llmchain"


@dataclass(frozen=True)
class Limits:
    """What one replica may use: `llmchain:resources.cpu` and `.memory`, as on every platform."""

    cpus: float
    memory_mib: int


def env_file(env: Mapping[str, str]) -> str:
    """`KEY=value` lines for `--env-file`, with where the secrets are mounted."""
    lines = "".join(f"{k}={v}\n" for k, v in sorted(env.items()))
    return lines + f"LLMCHAIN_SECRETS_DIR={contract.SECRETS_DIR}\n"


def docker_run(*, image: str, port: int, log_flags: Sequence[str], limits: Limits) -> str:
    """The container as every platform runs it: read-only, non-root, no capabilities, and
    limited like a replica elsewhere (the VM may be larger: its type is its own setting)."""
    return " ".join(
        [
            f"/usr/bin/docker run --rm --name {CONTAINER}",
            f"-p {port}:{port}",
            f"--read-only --tmpfs {contract.TMPFS}:rw,noexec,nosuid,size=64m",
            f"--user {contract.APP_USER} --cap-drop ALL --security-opt no-new-privileges",
            f"--cpus {limits.cpus:g} --memory {limits.memory_mib}m",
            f"--env-file {ENV_FILE}",
            f"-v {HOST_SECRETS_DIR}:{contract.SECRETS_DIR}:ro",
            *log_flags,
            image,
        ]
    )


def unit(
    *,
    prepare: Sequence[str],
    image: str,
    run: str,
    stop_timeout: int,
    conditions: Sequence[str] = (),
    environment_files: Sequence[str] = (),
) -> str:
    """The systemd unit: `prepare` (registry login, secrets), pull, run; drained on stop.

    systemd kills the unit STOP_MARGIN_S after `docker stop -t` would have.
    """
    return "\n".join(
        [
            "[Unit]",
            "Description=llmchain",
            "After=docker.service network-online.target",
            "Requires=docker.service",
            *conditions,
            "[Service]",
            *(f"EnvironmentFile={path}" for path in environment_files),
            "Restart=always",
            "RestartSec=5",
            "TimeoutStartSec=600",
            *(f"ExecStartPre={command}" for command in prepare),
            f"ExecStartPre=/usr/bin/docker pull {image}",
            f"ExecStart={run}",
            f"ExecStop=/usr/bin/docker stop -t {stop_timeout} {CONTAINER}",
            f"TimeoutStopSec={stop_timeout + contract.STOP_MARGIN_S}",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ]
    )


def file(path: str, content: str, permissions: str = "0644") -> dict[str, str]:
    """One cloud-config `write_files` entry."""
    return {"path": path, "permissions": permissions, "content": content}


def cloud_config(
    *,
    files: Sequence[Mapping[str, str]],
    apt_packages: Sequence[str] = (),
    setup: Sequence[Sequence[str]] = (),
    start: bool = True,
) -> str:
    """The `#cloud-config` document: files, packages, then Docker and the unit enabled.

    setup: commands run before Docker is enabled (e.g. a package manager other than apt).
    start: False leaves the unit enabled but stopped (something else starts it later).
    """
    document: dict[str, Any] = {"package_update": bool(apt_packages)}
    if apt_packages:
        document["packages"] = list(apt_packages)
    document["write_files"] = [dict(f) for f in files]
    enable = (
        ["systemctl", "enable", "--now", "llmchain"]
        if start
        else ["systemctl", "enable", "llmchain"]
    )
    document["runcmd"] = [
        *[list(c) for c in setup],
        ["systemctl", "enable", "--now", "docker"],
        ["systemctl", "daemon-reload"],
        enable,
    ]
    return "#cloud-config\n" + yaml.safe_dump(document, sort_keys=False, width=1000)


def quote(value: str) -> str:
    """A shell word (systemd ExecStart lines are split like a shell's)."""
    return shlex.quote(value)
