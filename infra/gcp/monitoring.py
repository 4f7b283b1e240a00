"""Cloud Monitoring: a notification channel, an uptime check, alert policies and a dashboard."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp


@dataclass(frozen=True)
class Policy:
    """One alert policy as data: a filter, how it is aligned, and when it fires."""

    key: str
    name: str
    filter: pulumi.Input[str]
    threshold: float
    aligner: str = "ALIGN_RATE"
    reducer: str = "REDUCE_SUM"
    comparison: str = "COMPARISON_GT"
    denominator: pulumi.Input[str] | None = None  # for ratios


def http_policies(
    resource_filter: pulumi.Input[str],
    count_metric: str,
    latency_metric: str,
    error_label: str,
    error_pct: float,
    p95_ms: int,
) -> list[Policy]:
    """5xx ratio and p95 latency for a serving resource (Cloud Run, or the load balancer)."""
    requests = pulumi.Output.concat(resource_filter, f' AND metric.type = "{count_metric}"')
    return [
        Policy(
            "errors",
            f"5xx above {error_pct:g}% of requests",
            pulumi.Output.concat(requests, f" AND {error_label}"),
            error_pct / 100,
            denominator=requests,
        ),
        Policy(
            "latency",
            f"p95 latency above {p95_ms} ms",
            pulumi.Output.concat(resource_filter, f' AND metric.type = "{latency_metric}"'),
            p95_ms,
            aligner="ALIGN_PERCENTILE_95",
            reducer="REDUCE_MAX",
        ),
    ]


def dashboard_json(name: str, policies: Sequence[dict[str, str]]) -> str:
    """One chart per alert policy's metric (filters already resolved)."""
    tiles = [
        {
            "width": 6,
            "height": 4,
            "xPos": (index % 2) * 6,
            "yPos": (index // 2) * 4,
            "widget": {
                "title": policy["name"],
                "xyChart": {
                    "dataSets": [
                        {"timeSeriesQuery": {"timeSeriesFilter": {"filter": policy["filter"]}}}
                    ]
                },
            },
        }
        for index, policy in enumerate(policies)
    ]
    return json.dumps({"displayName": name, "mosaicLayout": {"columns": 12, "tiles": tiles}})


@dataclass
class MonitoringArgs:
    """Who hears, what is probed, what is watched."""

    project: str
    email: str | None
    uptime_host: pulumi.Input[str] | None  # public host to probe, or None when private
    health_path: str
    https: bool
    policies: list[Policy] = field(default_factory=list)


class Monitoring(pulumi.ComponentResource):
    """Channel, uptime check (+ its alert), one policy per Policy, and a dashboard."""

    dashboard_url: pulumi.Output[str]

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("llmchain:gcp:Monitoring", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        channels: list[pulumi.Input[str]] = []
        if args.email:
            channel = gcp.monitoring.NotificationChannel(
                f"{name}-email",
                type="email",
                display_name=f"{name} alerts",
                labels={"email_address": args.email},
                opts=child,
            )
            channels.append(channel.name)
        policies = list(args.policies)
        if args.uptime_host is not None:
            check = gcp.monitoring.UptimeCheckConfig(
                f"{name}-uptime",
                display_name=f"{name} {args.health_path}",
                timeout="10s",
                period="60s",
                http_check=gcp.monitoring.UptimeCheckConfigHttpCheckArgs(
                    path=args.health_path,
                    port=443 if args.https else 80,
                    use_ssl=args.https,
                    validate_ssl=args.https,
                ),
                monitored_resource=gcp.monitoring.UptimeCheckConfigMonitoredResourceArgs(
                    type="uptime_url", labels={"project_id": args.project, "host": args.uptime_host}
                ),
                opts=child,
            )
            policies.append(
                Policy(
                    "uptime",
                    "the health check fails",
                    pulumi.Output.concat(
                        'metric.type = "monitoring.googleapis.com/uptime_check/check_passed" AND '
                        'resource.type = "uptime_url" AND metric.label.check_id = "',
                        check.uptime_check_id,
                        '"',
                    ),
                    1,
                    aligner="ALIGN_NEXT_OLDER",
                    reducer="REDUCE_COUNT_FALSE",
                    comparison="COMPARISON_GT",
                )
            )
        for policy in policies:
            threshold = gcp.monitoring.AlertPolicyConditionConditionThresholdArgs(
                filter=policy.filter,
                comparison=policy.comparison,
                threshold_value=policy.threshold,
                duration="300s",
                aggregations=[
                    gcp.monitoring.AlertPolicyConditionConditionThresholdAggregationArgs(
                        alignment_period="60s",
                        per_series_aligner=policy.aligner,
                        cross_series_reducer=policy.reducer,
                    )
                ],
                denominator_filter=policy.denominator,
                denominator_aggregations=[
                    gcp.monitoring.AlertPolicyConditionConditionThresholdDenominatorAggregationArgs(
                        alignment_period="60s",
                        per_series_aligner="ALIGN_RATE",
                        cross_series_reducer="REDUCE_SUM",
                    )
                ]
                if policy.denominator is not None
                else None,
            )
            gcp.monitoring.AlertPolicy(
                f"{name}-{policy.key}",
                display_name=f"{name}: {policy.name}",
                combiner="OR",
                conditions=[
                    gcp.monitoring.AlertPolicyConditionArgs(
                        display_name=policy.name, condition_threshold=threshold
                    )
                ],
                notification_channels=channels,
                severity="ERROR",
                opts=child,
            )
        resolved = pulumi.Output.all(
            *[pulumi.Output.all(p.name, p.filter) for p in policies]
        ).apply(lambda items: [{"name": n, "filter": f} for n, f in items])
        dashboard = gcp.monitoring.Dashboard(
            f"{name}-dashboard",
            dashboard_json=resolved.apply(lambda p: dashboard_json(name, p)),
            opts=child,
        )
        console = "https://console.cloud.google.com/monitoring/dashboards/custom/"
        self.dashboard_url = dashboard.id.apply(
            lambda ident: f"{console}{ident.rsplit('/', 1)[-1]}?project={args.project}"
        )
        self.register_outputs({"dashboard_url": self.dashboard_url})
