"""AKS access: Entra ID sign-in, Azure RBAC, no local accounts, authorized IP ranges, kubeconfig."""

from __future__ import annotations

import pytest
import yaml

from infra.azure.cluster import AKS_SERVER_APP, token_kubeconfig
from infra.azure.roles import AKS_RBAC_CLUSTER_ADMIN
from infra.plan import Plan, PlanConfigError, run_plan

CLUSTER = "azure-native:containerservice:ManagedCluster"
GROUP = "0b6f1c2e-3d4a-4b5c-8d9e-0f1a2b3c4d5e"


def plan_for(**overrides: object) -> Plan:
    return run_plan("azure", {"llmchain:compute": "cluster", **overrides})


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_for()


def test_cluster_signs_in_with_entra_and_authorizes_with_azure_rbac(plan: Plan) -> None:
    cluster = plan.one(CLUSTER).inputs
    assert cluster["aadProfile"]["managed"] is True
    assert cluster["aadProfile"]["enableAzureRBAC"] is True
    # no static admin certificate: listClusterAdminCredentials is refused on such a cluster
    assert cluster["disableLocalAccounts"] is True


def test_admin_groups_come_from_the_stack() -> None:
    cluster = plan_for(**{"llmchain:azure.adminGroupObjectIds": [GROUP]}).one(CLUSTER).inputs
    assert cluster["aadProfile"]["adminGroupObjectIDs"] == [GROUP]


def test_a_malformed_admin_group_is_refused_naming_the_setting() -> None:
    with pytest.raises(PlanConfigError, match=r"azure\.adminGroupObjectIds"):
        plan_for(**{"llmchain:azure.adminGroupObjectIds": ["admins"]})


def test_authorized_ranges_restrict_the_api_server(plan: Plan) -> None:
    assert plan.one(CLUSTER).inputs.get("apiServerAccessProfile") is None
    assert any("authorizedIpRanges" in w for w in plan.warnings)
    ranges = ["203.0.113.0/24", "198.51.100.7/32"]
    restricted = plan_for(**{"llmchain:azure.authorizedIpRanges": ranges})
    access = restricted.one(CLUSTER).inputs["apiServerAccessProfile"]
    assert access["authorizedIPRanges"] == ranges
    assert not any("authorizedIpRanges" in w for w in restricted.warnings)


def test_the_deployer_is_cluster_admin_by_azure_rbac_before_pulumi_deploys(plan: Plan) -> None:
    (admin,) = [
        a
        for a in plan.of_type("azure-native:authorization:RoleAssignment")
        if a.inputs["roleDefinitionId"].endswith(AKS_RBAC_CLUSTER_ADMIN)
    ]
    assert admin.inputs["principalId"] == "deployer-object"  # getClientConfig's object id
    assert "/managedClusters/" in admin.inputs["scope"] or "ManagedCluster" in admin.inputs["scope"]
    (provider,) = plan.of_type("pulumi:providers:kubernetes")
    assert admin.urn in provider.dependencies
    (deployment,) = plan.of_type("kubernetes:apps/v1:Deployment")
    assert admin.urn in plan.ancestors(deployment)


def test_the_user_kubeconfig_is_a_secret_output(plan: Plan) -> None:
    assert plan.outputs["kubeconfig"] == "[secret]"


def test_provider_kubeconfig_carries_a_token_not_an_exec_plugin() -> None:
    user = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "aks",
                "cluster": {"server": "https://x:443", "certificate-authority-data": "Q0E="},
            }
        ],
        "users": [{"name": "u", "user": {"exec": {"command": "kubelogin"}}}],
    }
    config = yaml.safe_load(token_kubeconfig(yaml.safe_dump(user), "entra-token"))
    assert config["clusters"] == user["clusters"]
    (entry,) = config["users"]
    assert entry["user"] == {"token": "entra-token"}  # no kubelogin needed where Pulumi runs
    assert config["contexts"][0]["context"] == {"cluster": "aks", "user": "pulumi"}
    assert config["current-context"] == "pulumi"
    assert AKS_SERVER_APP == "6dae42f8-4368-4678-94ff-3960e28e3630"
