"""Deploy readiness: rules over the offline plan for what a real `pulumi up` would refuse.

Mocks accept any name, any order and any value. Each rule here is a plain function over the
recorded plan (resources, their inputs, their dependencies) encoding one documented behaviour
of a cloud; `python -m infra.plan --stack X --check` and the tests run them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from infra.plan import Plan


@dataclass(frozen=True)
class Finding:
    """One thing a real deployment would trip on: which rule, which resource, and why."""

    rule: str
    resource: str  # the resource's URN
    message: str

    @property
    def name(self) -> str:
        """The resource's logical name (the URN's last part)."""
        return self.resource.rsplit("::", 1)[-1]

    def line(self) -> str:
        """One line for the command line: rule, resource type and name, message."""
        parts = self.resource.split("::")
        kind = parts[2].rsplit("$", 1)[-1] if len(parts) == 4 else "resource"
        return f"{self.rule}: {kind} {self.name}: {self.message}"


Rule = Callable[["Plan"], list[Finding]]


def rules() -> dict[str, Rule]:
    """Every readiness rule by name (imported here so each module stays independent)."""
    from infra.readiness.container_insights import container_insights
    from infra.readiness.facts import dated_facts
    from infra.readiness.images import image_tags
    from infra.readiness.names import unique_names
    from infra.readiness.network_aws import aws_network_paths
    from infra.readiness.network_azure import azure_network_paths
    from infra.readiness.network_gcp import gcp_network_paths
    from infra.readiness.network_kubernetes import kubernetes_network_paths
    from infra.readiness.order import creation_order

    found: dict[str, Rule] = {
        "unique-names": unique_names,
        "creation-order": creation_order,
        "network-aws": aws_network_paths,
        "network-azure": azure_network_paths,
        "network-gcp": gcp_network_paths,
        "network-kubernetes": kubernetes_network_paths,
        "dated-facts": dated_facts,
        "image-tags": image_tags,
        "container-insights": container_insights,
    }
    return found


def check(plan: Plan, only: list[str] | None = None) -> list[Finding]:
    """Run every rule (or those named) over a plan; findings sorted by rule and resource."""
    findings: list[Finding] = []
    for name, rule in rules().items():
        if only is None or name in only:
            findings.extend(rule(plan))
    return sorted(set(findings), key=lambda f: (f.rule, f.resource, f.message))
