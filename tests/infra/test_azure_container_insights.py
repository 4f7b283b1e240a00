"""AKS Container Insights: managed-identity auth and a data collection rule (legacy auth retired).

Since 2026-09-30 a cluster whose monitoring add-on still uses legacy auth ingests nothing, so
the error-rate and p95 alerts over the pods' stdout would stay silent on a fresh stack.
"""

from __future__ import annotations

import copy

import pytest

from infra.plan import Plan
from infra.readiness import check
from infra.readiness.container_insights import RULE, container_insights
from tests.infra.plan_cache import Plans

CLUSTER = "azure-native:containerservice:ManagedCluster"
DCR = "azure-native:monitor:DataCollectionRule"
DCRA = "azure-native:monitor:DataCollectionRuleAssociation"
WORKSPACE = "azure-native:operationalinsights:Workspace"
LOG_ALERT = "azure-native:monitor:ScheduledQueryRule"


@pytest.fixture(scope="module")
def plan(plans: Plans) -> Plan:
    return plans.get("azure", {"llmchain:compute": "cluster"})


def _workspace_id(plan: Plan) -> str:
    addon = plan.one(CLUSTER).inputs["addonProfiles"]["omsagent"]
    return str(addon["config"]["logAnalyticsWorkspaceResourceID"])


def test_the_monitoring_add_on_authenticates_with_the_clusters_managed_identity(
    plan: Plan,
) -> None:
    addon = plan.one(CLUSTER).inputs["addonProfiles"]["omsagent"]
    assert addon["enabled"] is True
    assert addon["config"]["useAADAuth"] == "true"
    assert _workspace_id(plan).endswith("/Workspace/llmchain-azure-logs")


def test_a_rule_sends_container_logs_v2_to_the_workspace_the_alerts_query(plan: Plan) -> None:
    rule = plan.one(DCR).inputs
    (source,) = rule["dataSources"]["extensions"]
    assert source["extensionName"] == "ContainerInsights"
    assert source["extensionSettings"]["dataCollectionSettings"]["enableContainerLogV2"] is True
    assert "Microsoft-ContainerLogV2" in source["streams"]
    (destination,) = rule["destinations"]["logAnalytics"]
    assert destination["workspaceResourceId"] == _workspace_id(plan)
    (flow,) = rule["dataFlows"]
    assert "Microsoft-ContainerLogV2" in flow["streams"]
    assert flow["destinations"] == [destination["name"]]
    assert rule["kind"] == "Linux"
    assert rule["tags"] == plan.one(CLUSTER).inputs["tags"]
    # the alerts' scope is that same workspace
    for alert in plan.of_type(LOG_ALERT):
        assert alert.inputs["scopes"] == [_workspace_id(plan)]


def test_the_rule_is_associated_with_the_cluster_after_both_exist(plan: Plan) -> None:
    association = plan.one(DCRA)
    cluster, rule = plan.one(CLUSTER), plan.one(DCR)
    assert association.inputs["associationName"] == "ContainerInsightsExtension"
    assert association.inputs["resourceUri"].endswith("/ManagedCluster/llmchain-azure-aks")
    assert association.inputs["dataCollectionRuleId"].endswith("/llmchain-azure-ci-dcr")
    assert cluster.urn in association.property_dependencies["resourceUri"]
    assert rule.urn in association.property_dependencies["dataCollectionRuleId"]


def test_the_alerts_read_container_log_v2_not_the_retired_table(plan: Plan) -> None:
    queries = [c["query"] for a in plan.of_type(LOG_ALERT) for c in a.inputs["criteria"]["allOf"]]
    assert len(queries) == 2  # error-rate and latency-p95
    for query in queries:
        assert query.startswith('ContainerLogV2 | where PodNamespace == "llmchain-azure"')
        assert "LogEntry" not in query
        assert "ContainerLog " not in query and "(ContainerLog |" not in query


@pytest.mark.parametrize("mode", ["serverless", "vm"])
def test_other_modes_create_no_collection_rule(plans: Plans, mode: str) -> None:
    plan = plans.get("azure", {"llmchain:compute": mode})
    assert not plan.of_type(DCR) and not plan.of_type(DCRA)


# --- readiness rule container-insights --------------------------------------------------------


def test_the_shipped_cluster_plan_passes_the_rule(plan: Plan) -> None:
    assert check(plan, only=[RULE]) == []


def test_the_rule_flags_legacy_auth(plan: Plan) -> None:
    legacy = copy.deepcopy(plan)
    cluster = legacy.one(CLUSTER)
    del cluster.inputs["addonProfiles"]["omsagent"]["config"]["useAADAuth"]
    (finding,) = container_insights(legacy)
    assert finding.rule == RULE and finding.resource == cluster.urn
    assert "useAADAuth" in finding.message


def test_the_rule_flags_a_cluster_with_no_associated_rule(plan: Plan) -> None:
    bare = copy.deepcopy(plan)
    bare.resources = [r for r in bare.resources if r.type != DCRA]
    (finding,) = container_insights(bare)
    assert "Microsoft-ContainerLogV2" in finding.message


def test_the_rule_flags_a_rule_that_drops_container_logs(plan: Plan) -> None:
    narrow = copy.deepcopy(plan)
    rule = narrow.one(DCR)
    rule.inputs["dataFlows"][0]["streams"] = ["Microsoft-KubeEvents"]
    (finding,) = container_insights(narrow)
    assert "no data collection rule" in finding.message


def test_the_rule_ignores_a_cluster_without_the_add_on(plan: Plan) -> None:
    unmonitored = copy.deepcopy(plan)
    unmonitored.one(CLUSTER).inputs["addonProfiles"] = {}
    unmonitored.resources = [r for r in unmonitored.resources if r.type not in (DCR, DCRA)]
    assert container_insights(unmonitored) == []
