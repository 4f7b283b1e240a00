"""The Azure target: Container Apps, a VM scale set or AKS; ACR, Key Vault, PostgreSQL, OpenAI."""

from __future__ import annotations

from infra.azure.target import AzureTarget
from infra.config import Location, StackConfig
from infra.spec import WorkloadSpec
from infra.targets import TargetOutputs


def deploy(config: StackConfig, spec: WorkloadSpec, location: Location) -> TargetOutputs:
    """Build the Azure target and return the output contract."""
    return AzureTarget(spec.name, spec, config.azure, location).outputs
