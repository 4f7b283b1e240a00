"""The stack x compute x variant matrix the readiness rules run over."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from infra.config import COMPUTE_BY_CLOUD, DOMAIN_SUPPORT, KEY_SUPPORT, Cloud, Compute
from infra.plan import ROOT

DOMAIN = "api.example.com"
# What each variant changes on top of the stack file.
VARIANTS: dict[str, dict[str, Any]] = {
    "public": {},
    "private": {"llmchain:ingress.public": False},
    "domain": {"llmchain:ingress.domain": DOMAIN},
    "ha": {"llmchain:ha": True},
}
# Provider settings the user must set before a stack plans at all.
REQUIRED: dict[Cloud, dict[str, Any]] = {Cloud.GCP: {"gcp:project": "demo-project"}}
# What a user must set with a variant on some clouds (the configuration says so if not).
EXTRA: dict[tuple[str, Cloud], dict[str, Any]] = {
    ("domain", Cloud.AWS): {"llmchain:aws.hostedZoneId": "Z0123456789ABCDEFGHIJ"},
    # The Azure DNS zone that proves the domain to Let's Encrypt and carries its A record.
    ("domain", Cloud.AZURE): {
        "llmchain:azure.dnsZoneId": "/subscriptions/00000000-1111-2222-3333-444444444444"
        "/resourceGroups/dns/providers/Microsoft.Network/dnszones/example.com"
    },
    # Zone-redundant HA is refused on the Burstable tier the Azure database defaults to.
    ("ha", Cloud.AZURE): {"llmchain:database.instance": "Standard_D2ds_v5"},
}


@dataclass(frozen=True)
class Case:
    """One stack, compute mode and variant, with the config it sets."""

    stack: str
    cloud: Cloud
    compute: Compute
    variant: str
    overrides: dict[str, Any] = field(hash=False, compare=False)

    @property
    def id(self) -> str:
        """`aws-vm-private`: how tests and the report name the case."""
        return f"{self.stack}-{self.compute.value}-{self.variant}"


def stack_cloud(stack: str) -> Cloud:
    """The cloud a stack file deploys to."""
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return Cloud(config["llmchain:cloud"])


def stacks() -> list[str]:
    """Every stack that has a file."""
    return sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))


def matrix(only_stack: str | None = None) -> list[Case]:
    """Every case that the configuration accepts (domains, ha only where they take effect)."""
    cases = []
    for stack in stacks():
        if only_stack and stack != only_stack:
            continue
        cloud = stack_cloud(stack)
        for compute in COMPUTE_BY_CLOUD[cloud]:
            for variant, changes in VARIANTS.items():
                if variant == "domain" and compute not in DOMAIN_SUPPORT.get(cloud, ()):
                    continue
                # `ha` is refused where it has no effect (local: one container).
                if variant == "ha" and compute not in KEY_SUPPORT["ha"].places.get(cloud, ()):
                    continue
                overrides = {
                    **REQUIRED.get(cloud, {}),
                    "llmchain:compute": compute.value,
                    **changes,
                    **EXTRA.get((variant, cloud), {}),
                }
                cases.append(Case(stack, cloud, compute, variant, overrides))
    return cases
