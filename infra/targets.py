"""The output contract every target returns, and the choice of target by `llmchain:cloud`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import pulumi

from infra.config import Cloud, ConfigError, StackConfig
from infra.spec import WorkloadSpec


@dataclass
class TargetOutputs:
    """What `pulumi stack output` shows for every cloud alike."""

    url: pulumi.Input[str]
    image_ref: pulumi.Input[str]
    health_url: pulumi.Input[str]
    memory_store: pulumi.Input[str]
    dashboard_url: pulumi.Input[str] | None = None  # where the cloud has one

    def export(self) -> None:
        """Export the contract's keys as stack outputs."""
        pulumi.export("url", self.url)
        pulumi.export("image_ref", self.image_ref)
        pulumi.export("health_url", self.health_url)
        pulumi.export("dashboard_url", self.dashboard_url)
        pulumi.export("memory_store", self.memory_store)


Deploy = Callable[[StackConfig, WorkloadSpec], TargetOutputs]

# cloud -> the module whose `deploy(config, spec)` builds that cloud's target. Imported only
# when chosen: a local stack should not load three cloud SDKs.
TARGET_MODULES: dict[Cloud, str] = {
    Cloud.LOCAL: "infra.local",
    Cloud.AWS: "infra.aws",
    Cloud.AZURE: "infra.azure",
    Cloud.GCP: "infra.gcp",
}


def target_for(cloud: Cloud) -> Deploy:
    """The deploy function of a cloud's target."""
    module = TARGET_MODULES.get(cloud)
    if module is None:
        raise ConfigError(
            f"llmchain:cloud={cloud.value!r}: this cloud's target is not built yet; "
            f"available: {', '.join(c.value for c in TARGET_MODULES)}"
        )
    deploy: Deploy = importlib.import_module(module).deploy
    return deploy
