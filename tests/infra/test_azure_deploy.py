"""Azure issue 15: what a first `pulumi up` from a fresh subscription trips on, per item."""

from __future__ import annotations

from datetime import date

import pytest

from infra.azure.cluster import KUBERNETES_VERSION
from infra.plan import Plan, PlanConfigError, run_plan
from infra.readiness.facts import dated_facts, lookup

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
