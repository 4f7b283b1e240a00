"""Azure Monitor: Log Analytics, Application Insights, an action group, metric and log alerts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure

from infra.component import Component
from infra.image_contract import ACCESS_LOGGER, STREAMING_ROUTES


@dataclass(frozen=True)
class MetricAlarm:
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


@dataclass(frozen=True)
class LogAlarm:
    """One Log search alert as data: a KQL query over the workspace, one number per window.

    Azure Monitor metric alerts aggregate a metric with Average, Minimum, Maximum, Total or
    Count (azure-native monitor.MetricCriteria time_aggregation; no percentile, no ratio of two
    series), so the 5xx share and p95 latency are computed by KQL from the app's access log in
    the workspace; the rule compares the query's `measure` column with `threshold`
    (metricMeasureColumn, timeAggregation Average|Count|Maximum|Minimum|Total:
    https://learn.microsoft.com/en-us/javascript/api/@azure/arm-previewalertrule/
    logalertrulecondition and .../knowntimeaggregation; schema read in pulumi-azure-native
    3.29.0, monitor.ScheduledQueryRule, Azure REST API 2025-01-01-preview; read 2026-11-29).
    """

    key: str
    description: str
    scope: pulumi.Input[str]  # the Log Analytics workspace the query runs in
    query: str  # ends in one row with the `measure` column
    measure: str
    threshold: float
    severity: int = 2


# The alarms a compute step hands to Monitoring: metric alerts and log search alerts alike.
Alarm = MetricAlarm | LogAlarm


# The requests, as KQL yielding `status`, `duration_ms` and `route` (the route template).
def _json_lines(lines: str) -> str:
    """The app's access log from KQL yielding `text`, each line the JSON the app wrote."""
    return (
        f"{lines}\n"
        f'| where text contains \'"logger":"{ACCESS_LOGGER}"\'\n'
        "| extend line = parse_json(text)\n"
        "| project status = toint(line.status), duration_ms = todouble(line.duration_ms), "
        "route = tostring(line.route)"
    )


# Container Apps with appLogsConfiguration destination `log-analytics` (customer id + shared
# key) writes stdout to the custom table ContainerAppConsoleLogs_CL, the line in Log_s; the
# `_CL` table and `_s` columns belong to that destination, the azure-monitor destination writes
# ContainerAppConsoleLogs with Log (Microsoft's guide, https://raw.githubusercontent.com/
# microsoft/azure-skills/main/skills/appinsights-instrumentation/references/container-apps.md;
# destinations: https://github.com/MicrosoftDocs/azure-docs/blob/main/articles/container-apps/
# log-options.md; read 2026-11-29).
CONTAINER_APPS_REQUESTS = _json_lines(
    "ContainerAppConsoleLogs_CL | project TimeGenerated, text = Log_s"
)


def container_insights_requests(namespace: str) -> str:
    """AKS Container Insights: the service's namespace in ContainerLogV2 (LogMessage, dynamic).

    ContainerLogV2 only: support for the legacy ContainerLog table was retired on 2026-09-30
    (https://learn.microsoft.com/en-us/azure/azure-monitor/containers/container-insights-logs-schema,
    read 2026-11-30), and the cluster's data collection rule sends Microsoft-ContainerLogV2 alone
    (infra/azure/cluster.py), so ContainerLog receives nothing from it. Columns:
    https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/containerlogv2
    (read 2026-11-29).
    """
    return _json_lines(
        f'ContainerLogV2 | where PodNamespace == "{namespace}" '
        "| project TimeGenerated, text = tostring(LogMessage)"
    )


# Application Gateway v2's access log (diagnostic category ApplicationGatewayAccessLog), sent
# with logAnalyticsDestinationType "Dedicated" to the resource-specific table AGWAccessLogs
# rather than the shared AzureDiagnostics (https://learn.microsoft.com/en-us/azure/
# application-gateway/application-gateway-diagnostics, category and table list:
# https://learn.microsoft.com/en-us/azure/azure-monitor/reference/supported-logs/
# microsoft-network-applicationgateways-logs; destination type: https://learn.microsoft.com/
# en-us/rest/api/monitor/diagnostic-settings/create-or-update; read 2026-11-30). Its columns
# (https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/agwaccesslogs, read
# 2026-11-30): HttpStatus (int) is the status returned to the client, TimeTaken (real) is in
# seconds from the request's first byte to the response's last, RequestUri the URI received
# (the v2 sample logs the query apart; cut at `?` all the same), RuleName the routing rule's
# name as configured. Entries
# with ClientIp 127.0.0.1 come from the gateway's internal security process and are to be
# ignored (application-gateway-diagnostics, same reading).
GATEWAY_ACCESS_LOG = "ApplicationGatewayAccessLog"
GATEWAY_LOG_DESTINATION = "Dedicated"


def _path_regex(route: str) -> str:
    """A route template as an anchored RE2 pattern of its paths: `{name}` is one segment."""
    literals = re.split(r"\{[^}/]+\}", route)
    return "^" + "[^/]+".join(re.escape(part) for part in literals) + "$"


# Each streaming route's concrete paths, as the gateway logs them (the app logs the template).
STREAMING_PATHS = tuple((_path_regex(route), route) for route in STREAMING_ROUTES)


def gateway_requests(redirect_rule: str) -> str:
    """Application Gateway's requests (AGWAccessLogs) as `status`, `duration_ms` and `route`.

    `route` is the streaming route's template for a streaming path (so the p95 leaves it out
    as it does on the app's own log), else the path. The gateway's own HTTP-to-HTTPS redirects
    (`redirect_rule`) never reach the app and are left out, as are its internal 127.0.0.1 lines.
    """
    streams = ", ".join(
        f'path matches regex @"{pattern}", "{route}"' for pattern, route in STREAMING_PATHS
    )
    return (
        "AGWAccessLogs\n"
        f'| where RuleName != "{redirect_rule}" and ClientIp != "127.0.0.1"\n'
        '| extend path = tostring(split(RequestUri, "?")[0])\n'
        "| project status = toint(HttpStatus), duration_ms = 1000.0 * TimeTaken, "
        f"route = case({streams}, path)"
    )


def access_log_alarms(
    scope: pulumi.Input[str], requests: str, error_pct: float, p95_ms: int
) -> list[LogAlarm]:
    """The 5xx share of requests and the p95 of /v1/ latency, from the app's access log."""
    streams = ", ".join(f'"{route}"' for route in STREAMING_ROUTES)
    return [
        LogAlarm(
            "error-rate",
            f"5xx above {error_pct:g}% of requests",
            scope,
            requests
            + "\n| summarize requests = count(), errors = countif(status >= 500)\n"
            + "| where requests > 0\n"
            + "| extend error_percent = 100.0 * errors / requests",
            "error_percent",
            error_pct,
        ),
        LogAlarm(
            "latency-p95",
            f"p95 latency above {p95_ms} ms (/v1/ routes, streams left out)",
            scope,
            requests
            + f'\n| where route startswith "/v1/" and route !in ({streams})\n'
            + "| summarize p95_ms = percentile(duration_ms, 95)",
            "p95_ms",
            p95_ms,
        ),
    ]


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


class Logs(Component[MonitoringArgs]):
    """Log Analytics and Application Insights: created first, the compute logs into them."""

    FORMER_TYPES = ("llmchain:azure:Workspace",)

    workspace: azure.operationalinsights.Workspace
    insights: azure.applicationinsights.Component

    def build(self, name: str, args: MonitoringArgs) -> None:
        child = self.child
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


class Monitoring(Component[MonitoringArgs]):
    """The action group (e-mail when set) and one metric or log alert per alarm, wired to it."""

    FORMER_TYPES = ("llmchain:azure:Alerts",)

    def build(self, name: str, args: MonitoringArgs) -> None:
        child = self.child
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
            if isinstance(rule, LogAlarm):
                self._log_alert(name, rule, args, group, child)
            else:
                self._metric_alert(name, rule, args, group, child)
        self.register_outputs({})

    @staticmethod
    def _metric_alert(
        name: str,
        rule: MetricAlarm,
        args: MonitoringArgs,
        group: azure.monitor.ActionGroup,
        child: pulumi.ResourceOptions,
    ) -> azure.monitor.MetricAlert:
        """A metric alert: the metric's aggregation over five minutes, every minute."""
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
        return azure.monitor.MetricAlert(
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

    @staticmethod
    def _log_alert(
        name: str,
        rule: LogAlarm,
        args: MonitoringArgs,
        group: azure.monitor.ActionGroup,
        child: pulumi.ResourceOptions,
    ) -> azure.monitor.ScheduledQueryRule:
        """A Log search alert: the query's measure over the last five minutes, every five."""
        return azure.monitor.ScheduledQueryRule(
            f"{name}-{rule.key}",
            resource_group_name=args.resource_group,
            location=args.location,
            kind="LogAlert",
            description=rule.description,
            severity=rule.severity,
            enabled=True,
            scopes=[rule.scope],
            evaluation_frequency="PT5M",
            window_size="PT5M",
            criteria=azure.monitor.ScheduledQueryRuleCriteriaArgs(
                all_of=[
                    azure.monitor.ConditionArgs(
                        query=rule.query,
                        time_aggregation="Maximum",  # the query yields one row a window
                        metric_measure_column=rule.measure,
                        operator="GreaterThan",
                        threshold=rule.threshold,
                        failing_periods=azure.monitor.ConditionFailingPeriodsArgs(
                            number_of_evaluation_periods=1, min_failing_periods_to_alert=1
                        ),
                    )
                ]
            ),
            auto_mitigate=True,
            actions=azure.monitor.ActionsArgs(action_groups=[group.id]),
            tags=args.tags,
            opts=child,
        )
