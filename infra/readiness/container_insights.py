"""Rule: an AKS cluster with Container Insights sends its logs with managed-identity auth.

Microsoft retired the add-on's legacy (workspace-key) authentication: after 2026-09-30 a
cluster still on it ingests nothing, so log search alerts over its container logs stay silent
while `pulumi up` succeeds (https://learn.microsoft.com/en-us/azure/azure-monitor/containers/
container-insights-authentication, read 2026-11-30). With managed identity the `omsagent`
add-on's config carries `useAADAuth: "true"`, and the agent collects what a data collection
rule associated with the cluster names: a `ContainerInsights` extension data source whose
streams flow to a Log Analytics workspace (Microsoft's onboarding templates:
https://github.com/microsoft/Docker-Provider, scripts/onboarding/aks/onboarding-using-msi-auth/
existingClusterOnboarding.json, read 2026-11-30).

The rule flags a cluster whose monitoring add-on is enabled without `useAADAuth: "true"`, or
with no association (its `resourceUri` from that cluster) to a rule that has such a data
source, sends `Microsoft-ContainerLogV2` and has a Log Analytics destination.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infra.readiness import Finding

if TYPE_CHECKING:
    from infra.plan import Plan, Resource

RULE = "container-insights"
CLUSTER = "azure-native:containerservice:ManagedCluster"
DCR = "azure-native:monitor:DataCollectionRule"
ASSOCIATION = "azure-native:monitor:DataCollectionRuleAssociation"
ADDON = "omsagent"
EXTENSION = "ContainerInsights"
STREAM = "Microsoft-ContainerLogV2"


def _addon(cluster: Resource) -> dict[str, Any] | None:
    """The cluster's monitoring add-on profile when it is enabled, else None."""
    profiles = cluster.inputs.get("addonProfiles") or {}
    for key, profile in profiles.items():
        if key.lower() == ADDON and isinstance(profile, dict) and profile.get("enabled"):
            return profile
    return None


def _collects_container_logs(rule: Resource) -> bool:
    """A Container Insights rule sending ContainerLogV2 to a Log Analytics workspace."""
    inputs = rule.inputs
    extensions = (inputs.get("dataSources") or {}).get("extensions") or []
    if not any(e.get("extensionName") == EXTENSION for e in extensions if isinstance(e, dict)):
        return False
    workspaces = (inputs.get("destinations") or {}).get("logAnalytics") or []
    names = {d.get("name") for d in workspaces if isinstance(d, dict)}
    return any(
        STREAM in (flow.get("streams") or []) and names & set(flow.get("destinations") or [])
        for flow in inputs.get("dataFlows") or []
        if isinstance(flow, dict)
    )


def _associated_rules(plan: Plan, cluster: Resource) -> list[Resource]:
    """The rules associated with this cluster (the association's resourceUri comes from it)."""
    by_urn = plan.by_urn()
    found = []
    for association in plan.of_type(ASSOCIATION):
        scopes = association.property_dependencies.get("resourceUri", [])
        if cluster.urn not in scopes:
            continue
        for urn in association.property_dependencies.get("dataCollectionRuleId", []):
            rule = by_urn.get(urn)
            if rule is not None and rule.type == DCR:
                found.append(rule)
    return found


def container_insights(plan: Plan) -> list[Finding]:
    """AKS clusters whose Container Insights would ingest nothing since legacy auth retired."""
    findings: list[Finding] = []
    for cluster in plan.of_type(CLUSTER):
        addon = _addon(cluster)
        if addon is None:
            continue
        config = addon.get("config") or {}
        if str(config.get("useAADAuth", "")).lower() != "true":
            findings.append(
                Finding(
                    RULE,
                    cluster.urn,
                    "Container Insights add-on without managed-identity auth (config "
                    'useAADAuth: "true"): legacy auth is retired, ingestion stopped after '
                    "2026-09-30",
                )
            )
        if not any(_collects_container_logs(r) for r in _associated_rules(plan, cluster)):
            findings.append(
                Finding(
                    RULE,
                    cluster.urn,
                    "no data collection rule associated with the cluster sends "
                    f"{STREAM} from the {EXTENSION} extension to a Log Analytics workspace: "
                    "the agent collects no container logs",
                )
            )
    return findings
