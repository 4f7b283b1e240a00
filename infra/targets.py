"""The output contract every target returns, and the choice of target by `llmchain:cloud`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import pulumi

from infra.component import Component
from infra.config import Cloud, Compute, ConfigError, Location, StackConfig
from infra.spec import WorkloadSpec


@dataclass
class TargetOutputs:
    """What `pulumi stack output` shows for every cloud alike."""

    url: pulumi.Input[str]
    image_ref: pulumi.Input[str]
    health_url: pulumi.Input[str]
    memory_store: pulumi.Input[str]
    dashboard_url: pulumi.Input[str] | None = None  # where the cloud has one

    @classmethod
    def of(
        cls,
        url: pulumi.Input[str],
        image_ref: pulumi.Input[str],
        spec: WorkloadSpec,
        memory_store: pulumi.Input[str],
        dashboard_url: pulumi.Input[str] | None = None,
    ) -> TargetOutputs:
        """The contract from a target's entry URL: the health URL is the URL + the spec's path."""
        return cls(
            url=url,
            image_ref=image_ref,
            health_url=pulumi.Output.concat(url, spec.health_path),
            memory_store=memory_store,
            dashboard_url=dashboard_url,
        )

    def export(self) -> None:
        """Export the contract's keys as stack outputs."""
        pulumi.export("url", self.url)
        pulumi.export("image_ref", self.image_ref)
        pulumi.export("health_url", self.health_url)
        pulumi.export("dashboard_url", self.dashboard_url)
        pulumi.export("memory_store", self.memory_store)


def secret_settings(
    spec: WorkloadSpec, memory_url: pulumi.Input[str] | None, **extra: pulumi.Input[str]
) -> dict[str, pulumi.Input[str]]:
    """The service's secret settings: the stack's secret keys, the database URL, a cloud's own."""
    values: dict[str, pulumi.Input[str]] = dict(spec.secret_env)
    values.update(extra)
    if memory_url is not None:
        values["LLMCHAIN_MEMORY_URL"] = memory_url
    return values


def database_store(product: str, name: pulumi.Input[str] | None) -> pulumi.Output[str]:
    """`postgresql: <product> <name>`, or in-memory when the target made no database."""
    if name is None:
        return pulumi.Output.from_input("memory (lost on restart)")
    return pulumi.Output.concat("postgresql: ", product, " ", name)


def warn_open_control_plane(endpoint: str, authenticator: str, key: str) -> None:
    """Tell the user a cluster's API endpoint admits any address, and the key that narrows it."""
    pulumi.log.warn(
        f"{endpoint} admits any address ({authenticator} still authenticates every call); "
        "restrict it to the networks Pulumi and kubectl run from: pulumi config set --path "
        f"'{key}[0]' <cidr>"
    )


S = TypeVar("S")  # a cloud's own typed settings: AwsConfig, AzureConfig, GcpConfig


@dataclass
class TargetArgs(Generic[S]):
    """A target's input: the workload and its cloud's own settings (`llmchain:<cloud>`)."""

    spec: WorkloadSpec
    settings: S
    location: Location  # region (and GCP project), from the provider's keys


class Target(Component[TargetArgs[S]]):
    """A cloud's target component: `build` runs the steps, in the skeleton's order.

    (a cloud's preamble: provider, APIs or resource group), network, identity, registry and
    image, database, secrets, compute (serverless | vm | cluster), monitoring, outputs. The
    identity comes before the registry, which grants it pulls; the database before the
    secrets, because its URL is one of them. `build` ends by setting `outputs`.
    """

    outputs: TargetOutputs

    def __init__(
        self,
        name: str,
        spec: WorkloadSpec,
        settings: S,
        location: Location,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(name, TargetArgs(spec, settings, location), opts)
        self.register_outputs({"url": self.outputs.url, "image_ref": self.outputs.image_ref})

    # The compute step of each mode, by the name every cloud's target gives it.
    COMPUTE_STEPS: ClassVar[dict[Compute, str]] = {
        Compute.SERVERLESS: "_serverless",
        Compute.VM: "_vm",
        Compute.CLUSTER: "_cluster",
    }

    def compute(self, spec: WorkloadSpec, ctx: Any, parts: Any) -> Any:
        """The compute step: the spec's mode, built by the cloud's `_serverless`, `_vm` or
        `_cluster` from the steps before it (`parts`); what it returns goes to monitoring."""
        return getattr(self, self.COMPUTE_STEPS[spec.compute])(ctx, parts)


Deploy = Callable[[StackConfig, WorkloadSpec, Location], TargetOutputs]

# cloud -> the module whose `deploy(config, spec, location)` builds that cloud's target.
# Imported only when chosen: a local stack should not load three cloud SDKs.
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
