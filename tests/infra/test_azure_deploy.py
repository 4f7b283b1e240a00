"""Azure issue 15: what a first `pulumi up` from a fresh subscription trips on, per item."""

from __future__ import annotations

from datetime import date
from typing import Any

import pulumi_azure_native as azure_native
import pytest

from infra.azure.cluster import KUBERNETES_VERSION
from infra.azure.roles import NETWORK_CONTRIBUTOR
from infra.plan import Plan, PlanConfigError, run_plan
from infra.readiness.facts import dated_facts, lookup
from infra.readiness.network_azure import azure_network_paths

TODAY = date(2026, 11, 29)
API_KEY = "azure-api-key-never-plain"


def plan_for(mode: str, **overrides: object) -> Plan:
    return run_plan("azure", {"llmchain:compute": mode, **overrides}, {"llmchain:apiKeys": API_KEY})


@pytest.fixture(scope="module")
def serverless() -> Plan:
    return plan_for("serverless")


@pytest.fixture(scope="module")
def cluster() -> Plan:
    return plan_for("cluster")


# --- item 1: the model deployment, item 5: the AKS version -------------------------------


def test_default_model_deployment_is_current_and_takes_the_apps_parameters(
    serverless: Plan,
) -> None:
    deployment = serverless.one("azure-native:cognitiveservices:Deployment").inputs
    model = deployment["properties"]["model"]
    assert (model["name"], model["version"]) == ("gpt-4.1-mini", "2025-04-14")
    assert deployment["sku"]["name"] == "GlobalStandard"
    fact = lookup("azure-openai", model["name"], model["version"])
    assert fact is not None and fact.deadline is not None and fact.deadline > TODAY
    assert fact.accepts_sampling is True  # the app sends temperature and max_tokens
    assert dated_facts(serverless, today=TODAY) == []


def test_model_and_version_are_stack_settings() -> None:
    plan = plan_for(
        "serverless",
        **{"llmchain:llm.model": "gpt-5.4-mini", "llmchain:azure.openaiModelVersion": "2026-03-17"},
    )
    model = plan.one("azure-native:cognitiveservices:Deployment").inputs["properties"]["model"]
    assert (model["name"], model["version"]) == ("gpt-5.4-mini", "2026-03-17")
    (container,) = plan.one("azure-native:app:ContainerApp").inputs["template"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["LLMCHAIN_MODEL"] == "gpt-5.4-mini"


def test_aks_runs_a_supported_kubernetes_version_by_default(cluster: Plan) -> None:
    aks = cluster.one("azure-native:containerservice:ManagedCluster").inputs
    assert aks["kubernetesVersion"] == KUBERNETES_VERSION
    fact = lookup("aks", KUBERNETES_VERSION)
    assert fact is not None and fact.deadline is not None and fact.deadline > TODAY
    assert dated_facts(cluster, today=TODAY) == []


def test_aks_version_is_a_setting_and_is_validated() -> None:
    plan = plan_for("cluster", **{"llmchain:azure.kubernetesVersion": "1.36"})
    aks = plan.one("azure-native:containerservice:ManagedCluster").inputs
    assert aks["kubernetesVersion"] == "1.36"
    with pytest.raises(PlanConfigError, match="kubernetesVersion"):
        plan_for("cluster", **{"llmchain:azure.kubernetesVersion": "latest"})


# --- items 7, 8: creation order -------------------------------------------------------------


@pytest.fixture(scope="module")
def vm() -> Plan:
    return plan_for("vm")


def _waits_for(plan: Plan, workload: str) -> set[str]:
    """Names of every resource the workload waits for, directly or transitively."""
    by_urn = {r.urn: r for r in plan.resources}
    start = next(r for r in plan.resources if r.name == workload and r.custom)
    seen: set[str] = set()
    todo = list(start.dependencies)
    while todo:
        urn = todo.pop()
        if urn in seen or urn not in by_urn:
            continue
        seen.add(urn)
        todo += by_urn[urn].dependencies
    return {by_urn[u].name for u in seen}


def test_database_is_created_after_the_tls_setting_never_beside_it(serverless: Plan) -> None:
    tls = serverless.one("azure-native:dbforpostgresql:Configuration")
    database = serverless.one("azure-native:dbforpostgresql:Database")
    assert tls.urn in database.dependencies  # one change at a time on the server


def test_container_app_waits_for_its_grants_secrets_database_and_model(serverless: Plan) -> None:
    waits = _waits_for(serverless, "llmchain-azure-app")
    assert {
        "llmchain-azure-acr-pull",
        "llmchain-azure-kv-read",
        "llmchain-azure-openai-user",
        "llmchain-azure-model",
        "llmchain-azure-memory-db",
        "llmchain-azure-llmchain-memory-url",
        "llmchain-azure-applicationinsights-connection-string",
    } <= waits


def test_scale_set_waits_for_its_grants_secret_values_and_database(vm: Plan) -> None:
    waits = _waits_for(vm, "llmchain-azure-vmss")
    assert {
        "llmchain-azure-acr-pull",
        "llmchain-azure-kv-read",
        "llmchain-azure-openai-user",
        "llmchain-azure-memory-db",
        "llmchain-azure-llmchain-memory-url",
        "llmchain-azure-applicationinsights-connection-string",
    } <= waits


def test_aks_pods_wait_for_pull_federation_grants_and_database(cluster: Plan) -> None:
    deployment = cluster.one("kubernetes:apps/v1:Deployment")
    waits = _waits_for(cluster, deployment.name)
    assert {
        "llmchain-azure-nodes-acr-pull",
        "llmchain-azure-federation",
        "llmchain-azure-openai-user",
        "llmchain-azure-memory-db",
    } <= waits


# --- items 2, 3, 4, 14 (cluster): network paths ----------------------------------------------


def _inbound(plan: Plan, nsg: str) -> list[dict[str, object]]:
    rules = next(
        r for r in plan.of_type("azure-native:network:NetworkSecurityGroup") if r.name == nsg
    ).inputs["securityRules"]
    return [r for r in rules if r["direction"] == "Inbound" and r["access"] == "Allow"]


def _admits_internet(plan: Plan, nsg: str, port: str) -> bool:
    return any(
        r["sourceAddressPrefix"] == "Internet" and r["destinationPortRange"] == port
        for r in _inbound(plan, nsg)
    )


@pytest.fixture(scope="module")
def vm_private() -> Plan:
    return plan_for("vm", **{"llmchain:ingress.public": False})


@pytest.fixture(scope="module")
def cluster_private() -> Plan:
    return plan_for("cluster", **{"llmchain:ingress.public": False})


def test_public_scale_set_admits_users_not_only_the_probe(vm: Plan, vm_private: Plan) -> None:
    assert _admits_internet(vm, "llmchain-azure-vms-nsg", "8000")
    assert not _admits_internet(vm_private, "llmchain-azure-vms-nsg", "8000")
    assert azure_network_paths(vm) == [] and azure_network_paths(vm_private) == []


def test_public_aks_subnet_admits_the_service_port(cluster: Plan, cluster_private: Plan) -> None:
    assert _admits_internet(cluster, "llmchain-azure-aks-nsg", "80")
    assert not any(
        r["sourceAddressPrefix"] == "Internet"
        for r in _inbound(cluster_private, "llmchain-azure-aks-nsg")
    )
    assert azure_network_paths(cluster) == []


def test_aks_control_plane_may_build_load_balancers_in_its_subnet(cluster: Plan) -> None:
    aks = cluster.one("azure-native:containerservice:ManagedCluster")
    assert aks.inputs["identity"]["type"] == "UserAssigned"
    (identity_id,) = aks.inputs["identity"]["userAssignedIdentities"]
    grants = [
        r
        for r in cluster.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs["roleDefinitionId"].endswith(NETWORK_CONTRIBUTOR)
    ]
    (subnet_grant,) = grants
    assert subnet_grant.inputs["scope"].endswith("/llmchain-azure-aks")  # the AKS subnet only
    assert identity_id.endswith("/llmchain-azure-aks-id")
    assert subnet_grant.inputs["principalId"] == "llmchain-azure-aks-id-principal"
    assert subnet_grant.urn in aks.dependencies  # granted before the cluster exists


def test_private_cluster_gets_an_internal_load_balancer(cluster_private: Plan) -> None:
    service = cluster_private.one("kubernetes:core/v1:Service").inputs
    assert service["spec"]["type"] == "LoadBalancer"
    annotations = service["metadata"]["annotations"]
    assert annotations["service.beta.kubernetes.io/azure-load-balancer-internal"] == "true"
    assert azure_network_paths(cluster_private) == []


# --- item 9: repairs follow liveness, traffic follows readiness ------------------------------


def test_scale_set_repairs_on_healthz_while_the_lb_routes_on_readyz(vm: Plan) -> None:
    vmss = vm.one("azure-native:compute:VirtualMachineScaleSet").inputs
    profile = vmss["virtualMachineProfile"]
    assert vmss["automaticRepairsPolicy"]["enabled"] is True
    # One health source for the scale set: the extension, never the LB's /readyz probe.
    assert "healthProbe" not in profile["networkProfile"]
    (health,) = [
        e
        for e in profile["extensionProfile"]["extensions"]
        if e["type"] == "ApplicationHealthLinux"
    ]
    assert health["settings"] == {"protocol": "http", "port": 8000, "requestPath": "/healthz"}
    (probe,) = vm.one("azure-native:network:LoadBalancer").inputs["probes"]
    assert probe["requestPath"] == "/readyz"


# --- item 11: deletion protection, item 13: the password's character classes ----------------


def _server_protected(monkeypatch: pytest.MonkeyPatch, **overrides: object) -> tuple[bool, Plan]:
    """Whether the program asks Pulumi to protect the server (mocks do not record it)."""
    seen: list[bool] = []
    server_class = azure_native.dbforpostgresql.Server

    class Recording(server_class):  # type: ignore[misc, valid-type]
        def __init__(self, name: str, *args: Any, opts: Any = None, **kwargs: Any) -> None:
            seen.append(bool(opts and opts.protect))
            super().__init__(name, *args, opts=opts, **kwargs)

    monkeypatch.setattr(azure_native.dbforpostgresql, "Server", Recording)
    plan = plan_for("serverless", **overrides)
    monkeypatch.undo()
    (protected,) = seen
    return protected, plan


def test_database_refuses_deletion_unless_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    protected, plan = _server_protected(monkeypatch)
    assert protected  # destroy and replacement stop at the server
    server = plan.one("azure-native:dbforpostgresql:Server")
    lock = plan.one("azure-native:authorization:ManagementLockByScope")
    assert lock.inputs["level"] == "CanNotDelete"  # and ARM refuses it outside Pulumi
    assert server.urn in lock.dependencies
    protected, plan = _server_protected(
        monkeypatch, **{"llmchain:database.deletionProtection": False}
    )
    assert not protected
    assert plan.of_type("azure-native:authorization:ManagementLockByScope") == []


def test_database_password_has_every_class_azure_counts(serverless: Plan) -> None:
    password = serverless.one("random:index/randomPassword:RandomPassword").inputs
    assert password["length"] >= 8
    assert min(password["minUpper"], password["minLower"], password["minNumeric"]) >= 1


# --- item 18: Container Apps cuts requests at 240 s ------------------------------------------


def test_a_request_timeout_past_container_apps_ingress_is_refused() -> None:
    settings = {"llmchain:appSettings": {"LLMCHAIN_REQUEST_TIMEOUT_S": 600}}
    with pytest.raises(PlanConfigError, match=r"LLMCHAIN_REQUEST_TIMEOUT_S='600'.*240 s"):
        plan_for("serverless", **settings)
    plan = plan_for("vm", **settings)  # a scale set has no such limit
    assert plan.of_type("azure-native:compute:VirtualMachineScaleSet")
    ok = plan_for("serverless", **{"llmchain:appSettings": {"LLMCHAIN_REQUEST_TIMEOUT_S": 200}})
    (container,) = ok.one("azure-native:app:ContainerApp").inputs["template"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["LLMCHAIN_REQUEST_TIMEOUT_S"] == "200"
