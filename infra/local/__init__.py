"""The `dev` target: the service on the local Docker engine, no cloud account needed."""

from __future__ import annotations

from infra.config import StackConfig
from infra.local.engine import resolve_host
from infra.local.target import LocalTarget, LocalTargetArgs
from infra.spec import WorkloadSpec
from infra.targets import TargetOutputs


def deploy(config: StackConfig, spec: WorkloadSpec) -> TargetOutputs:
    """Build the local target and return the output contract."""
    target = LocalTarget(spec.name, LocalTargetArgs(spec=spec, docker_host=resolve_host()))
    return target.outputs
