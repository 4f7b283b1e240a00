"""Azure Monitor: Log Analytics, Application Insights, an action group, and metric alerts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure

from infra.targets import renamed


@dataclass(frozen=True)
class Alarm:
    """One metric alert as data."""

    key: str
    description: str
    scope: pulumi.Input[str]  # the one resource it watches
    namespace: str
    metric: str
    threshold: float
    aggregation: str = "Average"  # Average, Total, Maximum...
    operator: str = "GreaterThan"
    dimensions: Sequence[tuple[str, str]] = ()  # (name, value) filters
    severity: int = 2


def portal_url(tenant: pulumi.Input[str], resource_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """The Azure portal's page of one resource (its overview charts the platform metrics)."""
    return pulumi.Output.concat(
        "https://portal.azure.com/#@", tenant, "/resource", resource_id, "/overview"
    )


@dataclass
class MonitoringArgs:
    """Where, how long, who hears, what is watched (alarms can be added before the alerts)."""

    resource_group: pulumi.Input[str]
    location: pulumi.Input[str]
    tags: dict[str, str]
    retention_days: int
    email: str | None
    tenant: pulumi.Input[str]
    alarms: list[Alarm] = field(default_factory=list)


class Workspace(pulumi.ComponentResource):
    """Log Analytics and Application Insights: created first, the compute logs into them."""

    workspace: azure.operationalinsights.Workspace
    insights: azure.applicationinsights.Component

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("llmchain:azure:Workspace", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.workspace = azure.operationalinsights.Workspace(
            f"{name}-logs",
            resource_group_name=args.resource_group,
            location=args.location,
            sku=azure.operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=args.retention_days,
            tags=args.tags,
            opts=child,
        )
        self.insights = azure.applicationinsights.Component(
            f"{name}-insights",
            resource_group_name=args.resource_group,
            location=args.location,
            kind="web",
            application_type="web",
            workspace_resource_id=self.workspace.id,
            ingestion_mode="LogAnalytics",
            # For an exporter added to the app (its connection string is among the secrets);
            # the app exports nothing to it today, so no alert reads it.
            disable_local_auth=False,
            tags=args.tags,
            opts=child,
        )
        keys = azure.operationalinsights.get_shared_keys_output(
            resource_group_name=args.resource_group,
            workspace_name=self.workspace.name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        primary: pulumi.Output[str] = keys.primary_shared_key.apply(lambda k: k or "")
        self.shared_key: pulumi.Output[str] = pulumi.Output.secret(primary)
        self.connection_string: pulumi.Output[str] = pulumi.Output.secret(
            self.insights.connection_string
        )
        self.register_outputs({"workspace": self.workspace.name})


class Monitoring(pulumi.ComponentResource):
    """The action group (e-mail when set) and one metric alert per alarm, each wired to it."""

    TYPE = "llmchain:azure:Monitoring"
    FORMER_TYPES = ("llmchain:azure:Alerts",)

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, {}, renamed(opts, *self.FORMER_TYPES))
        child = pulumi.ResourceOptions(parent=self)
        receivers = (
            [
                azure.monitor.MicrosoftCommonEmailReceiverArgs(
                    name="ops", email_address=args.email, use_common_alert_schema=True
                )
            ]
            if args.email
            else []
        )
        group = azure.monitor.ActionGroup(
            f"{name}-alerts",
            resource_group_name=args.resource_group,
            location="Global",
            group_short_name="llmchain",
            enabled=True,
            email_receivers=receivers,
            tags=args.tags,
            opts=child,
        )
        for rule in args.alarms:
            criterion = azure.monitor.MetricCriteriaArgs(
                criterion_type="StaticThresholdCriterion",
                name=rule.key,
                metric_name=rule.metric,
                metric_namespace=rule.namespace,
                operator=rule.operator,
                threshold=rule.threshold,
                time_aggregation=rule.aggregation,
                dimensions=[
                    azure.monitor.MetricDimensionArgs(name=key, operator="Include", values=[value])
                    for key, value in rule.dimensions
                ]
                or None,
                # Every rule reads a platform metric the resource type defines: ARM checks the
                # name and dimensions at create time, so a wrong one fails `up`, not silently.
                skip_metric_validation=False,
            )
            azure.monitor.MetricAlert(
                f"{name}-{rule.key}",
                resource_group_name=args.resource_group,
                location="global",
                description=rule.description,
                severity=rule.severity,
                enabled=True,
                scopes=[rule.scope],
                evaluation_frequency="PT1M",
                window_size="PT5M",
                criteria=azure.monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
                    odata_type="Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                    all_of=[criterion],
                ),
                actions=[azure.monitor.MetricAlertActionArgs(action_group_id=group.id)],
                tags=args.tags,
                opts=child,
            )
        self.register_outputs({})
