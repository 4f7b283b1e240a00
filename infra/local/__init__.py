"""The `dev` target: the service on the local Docker engine, no cloud account needed."""

from __future__ import annotations

import pulumi

from infra.config import Location, StackConfig
from infra.local.engine import EngineError, resolve_host
from infra.local.target import LocalTarget, LocalTargetArgs
from infra.spec import WorkloadSpec
from infra.targets import TargetOutputs


def deploy(config: StackConfig, spec: WorkloadSpec, location: Location) -> TargetOutputs:
    """Build the local target and return the output contract (`location` is unused here)."""
    try:
        host = resolve_host()  # before any resource: a wrong context stops `up` cleanly
    except EngineError as exc:
        raise pulumi.RunError(str(exc)) from None  # the message, without a traceback
    target = LocalTarget(spec.name, LocalTargetArgs(spec=spec, docker_host=host))
    return target.outputs
