"""Which Docker engine the dev stack talks to: resolved once, given to both Docker providers.

pulumi-docker-build follows the Docker CLI (DOCKER_HOST, else the CLI's current context);
pulumi-docker knows only DOCKER_HOST (else /var/run/docker.sock) and a context named in
DOCKER_CONTEXT. On Docker Desktop for Linux, Colima, Rancher Desktop or rootless Docker the
current context is not the default socket, so left to themselves the image would be built
into one engine and the container created in another. Sources, read 2026-11-29:
- the CLI's order: https://github.com/docker/cli/blob/master/cli/command/cli.go
  (resolveContextName: DOCKER_HOST, then DOCKER_CONTEXT, then config.json `currentContext`);
- context metadata: https://github.com/docker/cli/blob/master/cli/context/store/store.go
  (`contexts/meta/<sha256 of the name>/meta.json`, `Endpoints.docker.Host`), the config
  directory from DOCKER_CONFIG, else ~/.docker (cli/config/config.go);
- pulumi-docker's `host` default: https://github.com/kreuzwerker/terraform-provider-docker/blob/master/internal/provider/provider.go
- pulumi-docker-build's `host` (DOCKER_HOST, else the CLI's context):
  https://github.com/pulumi/pulumi-docker-build/blob/main/provider/internal/provider.go
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from infra.config import ConfigError

DEFAULT_CONTEXT = "default"
UNIX_DEFAULT = "unix:///var/run/docker.sock"
WINDOWS_DEFAULT = "npipe:////./pipe/docker_engine"


class EngineError(ConfigError):
    """The Docker CLI's configuration names an engine that cannot be found."""


def default_host(platform: str = sys.platform) -> str:
    """The engine's address when nothing else is configured, as the Docker CLI has it."""
    return WINDOWS_DEFAULT if platform.startswith("win") else UNIX_DEFAULT


def config_dir(env: Mapping[str, str], home: Path) -> Path:
    """The Docker CLI's configuration directory: DOCKER_CONFIG, else ~/.docker."""
    return Path(env["DOCKER_CONFIG"]) if env.get("DOCKER_CONFIG") else home / ".docker"


def context_name(env: Mapping[str, str], home: Path) -> str:
    """The context the Docker CLI would use: DOCKER_CONTEXT, else config.json's currentContext."""
    if env.get("DOCKER_CONTEXT"):
        return env["DOCKER_CONTEXT"]
    config = config_dir(env, home) / "config.json"
    try:
        document = json.loads(config.read_text())
    except FileNotFoundError:
        return DEFAULT_CONTEXT
    except (OSError, ValueError) as exc:
        raise EngineError(f"cannot read the Docker CLI's {config}: {exc}") from None
    current = document.get("currentContext") if isinstance(document, dict) else None
    return current if isinstance(current, str) and current else DEFAULT_CONTEXT


def context_host(name: str, env: Mapping[str, str], home: Path) -> str:
    """The Docker endpoint of a named context, from its metadata file."""
    meta = (
        config_dir(env, home)
        / "contexts"
        / "meta"
        / hashlib.sha256(name.encode()).hexdigest()
        / "meta.json"
    )
    try:
        document = json.loads(meta.read_text())
        host = document["Endpoints"]["docker"]["Host"]
    except FileNotFoundError:
        raise EngineError(
            f"the Docker context {name!r} does not exist (no {meta}); "
            "`docker context ls` lists them, `docker context use NAME` picks one, "
            "or set DOCKER_HOST"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EngineError(
            f"the Docker context {name!r} has no docker endpoint ({meta}): {exc}"
        ) from None
    if not isinstance(host, str) or not host:
        raise EngineError(f"the Docker context {name!r} has an empty docker endpoint ({meta})")
    return host


def resolve_host(
    env: Mapping[str, str] | None = None, home: Path | None = None, platform: str = sys.platform
) -> str:
    """The engine both providers use: DOCKER_HOST, else the CLI's context, else the default."""
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    if env.get("DOCKER_HOST"):
        return env["DOCKER_HOST"]
    name = context_name(env, home)
    if name == DEFAULT_CONTEXT:
        return default_host(platform)
    return context_host(name, env, home)
