"""Renamed components keep deployed stacks: each carries an alias to its former type token.

A component's type token is part of its URN and of every child's URN. Without an alias, a
stack deployed before the rename would delete and recreate the component's resources (the
database included). https://www.pulumi.com/docs/iac/concepts/options/aliases/ (read 2026-11-29)
"""

from __future__ import annotations

from typing import Any

import pytest

from infra import plan as plan_module
from infra.azure.cluster import Cluster as AzureCluster
from infra.azure.monitoring import Logs as AzureLogs
from infra.azure.monitoring import Monitoring as AzureMonitoring
from infra.azure.secrets import Secrets as AzureSecrets
from infra.azure.serverless import Serverless as AzureServerless
from infra.azure.vm import Vm as AzureVm
from infra.gcp.cluster import Cluster as GcpCluster
from infra.gcp.monitoring import Logs as GcpLogs
from infra.gcp.serverless import Serverless as GcpServerless
from infra.gcp.vm import Vm as GcpVm
from infra.plan import run_plan

# The component, its former type token, and a stack x compute that registers it.
RENAMED: list[tuple[Any, str, str, dict[str, Any]]] = [
    (AzureServerless, "llmchain:azure:ContainerApp", "azure", {"llmchain:compute": "serverless"}),
    (AzureSecrets, "llmchain:azure:Vault", "azure", {"llmchain:compute": "serverless"}),
    (AzureMonitoring, "llmchain:azure:Alerts", "azure", {"llmchain:compute": "serverless"}),
    (AzureLogs, "llmchain:azure:Workspace", "azure", {"llmchain:compute": "serverless"}),
    (AzureVm, "llmchain:azure:ScaleSet", "azure", {"llmchain:compute": "vm"}),
    (AzureCluster, "llmchain:azure:Aks", "azure", {"llmchain:compute": "cluster"}),
    (GcpServerless, "llmchain:gcp:CloudRun", "gcp", {"llmchain:compute": "serverless"}),
    (GcpLogs, "llmchain:gcp:LogStorage", "gcp", {"llmchain:compute": "serverless"}),
    (GcpVm, "llmchain:gcp:InstanceGroup", "gcp", {"llmchain:compute": "vm"}),
    (GcpCluster, "llmchain:gcp:Gke", "gcp", {"llmchain:compute": "cluster"}),
]
GCP = {"gcp:project": "demo-project"}


def _registered_aliases(
    stack: str, overrides: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> dict[str, list[Any]]:
    """type token -> the alias specs its registration sent to the engine."""
    seen: dict[str, list[Any]] = {}
    original = plan_module.RecordingMonitor.RegisterResource

    def record(self: Any, request: Any) -> Any:
        seen.setdefault(request.type, []).extend(request.aliases)
        return original(self, request)

    monkeypatch.setattr(plan_module.RecordingMonitor, "RegisterResource", record)
    run_plan(stack, {**(GCP if stack == "gcp" else {}), **overrides})
    return seen


@pytest.mark.parametrize(
    ("component", "former", "stack", "overrides"),
    RENAMED,
    ids=[f"{stack}-{former.rsplit(':', 1)[-1]}" for _, former, stack, _ in RENAMED],
)
def test_renamed_component_is_aliased_to_its_former_type(
    component: Any,
    former: str,
    stack: str,
    overrides: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert former in component.FORMER_TYPES
    aliases = _registered_aliases(stack, overrides, monkeypatch)[component.TYPE]
    # An alias spec that keeps the name and parent and names the old type.
    assert [a.spec.type for a in aliases if a.WhichOneof("alias") == "spec"] == [former]
    assert all(a.spec.name == "" and not a.spec.noParent for a in aliases)


def test_a_childs_former_urn_derives_from_its_parents_alias() -> None:
    """The SDK's rule (the engine applies the same to alias specs): the children of a renamed
    component need no alias of their own; their old URN is built on the parent's old one."""
    from pulumi.runtime.resource import inherited_child_alias

    from infra.pulumi_sdk import sync_await

    target = "llmchain:gcp:GcpTarget"
    old_parent = f"urn:pulumi:gcp::llmchain::{target}$llmchain:gcp:InstanceGroup::llmchain-gcp"
    child_type = "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager"
    derived = inherited_child_alias("llmchain-gcp-group", "llmchain-gcp", old_parent, child_type)
    assert sync_await(derived.future()) == (
        f"urn:pulumi:gcp::llmchain::{target}$llmchain:gcp:InstanceGroup${child_type}"
        "::llmchain-gcp-group"
    )


def test_the_children_of_a_renamed_component_keep_their_names_and_types() -> None:
    """Only the parent's type changed: the custom children are the ones the old type had."""
    plan = run_plan("gcp", {**GCP, "llmchain:compute": "vm"})
    vm = plan.one(GcpVm.TYPE)
    children = {(r.type, r.name) for r in plan.resources if r.parent == vm.urn}
    assert (
        "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
        "llmchain-gcp-group",
    ) in children
    # the load balancer moved to its own module, not to another parent
    assert ("gcp:compute/globalForwardingRule:GlobalForwardingRule", "llmchain-gcp-80") in children
