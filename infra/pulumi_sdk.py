"""The one place this project uses the Pulumi SDK's private API (the offline plan needs it).

`infra/plan.py` runs the real program under Pulumi's mocks and records what the engine would
receive; `infra/config.py` reads the whole `llmchain:` config map to refuse typos. Neither is
possible through the public API, so both go through this module. The SDK is pinned exactly in
requirements.txt, and tests/infra/test_pulumi_sdk.py fails, naming the symbol, when an upgrade
moves or changes any of what is used here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pulumi
from pulumi.runtime import config as _config
from pulumi.runtime import mocks as _mocks
from pulumi.runtime import settings as _settings
from pulumi.runtime.stack import run_pulumi_func as _run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

T = TypeVar("T")

# Markers in Pulumi's wire format (the engine's property values; sdk/go/common/resource/
# properties.go names them): a secret, a resource reference, the key that carries the
# marker, and a value not known until the resource exists.
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - a wire marker, not a secret
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
SIG_KEY = "4dabf18193072939515e22adb298388d"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# The mock engine's resource monitor; the plan subclasses it to record registrations.
MockMonitor = _mocks.MockMonitor

# What the plan uses, by module and name: the test checks each still exists.
USED: dict[str, tuple[str, ...]] = {
    "pulumi.runtime.mocks": ("MockMonitor", "Mocks", "set_mocks"),
    "pulumi.runtime.settings": ("SETTINGS", "set_root_resource", "get_root_resource"),
    "pulumi.runtime.config": ("set_all_config", "get_config_env", "CONFIG"),
    "pulumi.runtime.stack": ("run_pulumi_func",),
    "pulumi.runtime.sync_await": ("_sync_await",),
}


def sync_await(awaitable: Awaitable[T]) -> T:
    """Wait for a Pulumi future from synchronous code, on the SDK's own loop."""
    return _sync_await(awaitable)


def install_mocks(
    mocks: pulumi.runtime.Mocks,
    *,
    project: str,
    stack: str,
    logger: logging.Logger,
    monitor: Any,
) -> None:
    """Make the mocks the engine for the next program run, starting from a clean state."""
    _settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(
        mocks, project=project, stack=stack, preview=False, logger=logger, monitor=monitor
    )
    # A run that failed may have left work behind: start from nothing.
    _settings.SETTINGS.rpc_manager.clear()
    _settings.SETTINGS.outputs.clear()


def set_stack_config(config: dict[str, str], secret_keys: list[str]) -> None:
    """Hand the program its config as the CLI would: strings, with the secret keys named."""
    _config.set_all_config(config, secret_keys)


def stack_config_map() -> dict[str, Any]:
    """Every config key of the stack (the CLI's PULUMI_CONFIG, or the mocks' config)."""
    return {**_config.get_config_env(), **_config.CONFIG.get()}


def run_program(program: Callable[[], None]) -> None:
    """Run a program function to completion, as the language host does."""
    _sync_await(_run_pulumi_func(program))


def root_outputs() -> dict[str, Any]:
    """The stack's exports, as registered by the last run."""
    root = _settings.get_root_resource()
    outputs: dict[str, Any] = getattr(root, "outputs", {})
    return outputs
