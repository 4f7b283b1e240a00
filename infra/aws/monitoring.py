"""CloudWatch: the app's log group, an SNS topic for alarms, the alarms, and a dashboard."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.component import Component
from infra.image_contract import ACCESS_LOGGER, STREAMING_ROUTES
from infra.pulumi_outputs import all_dict

PERIOD_S = 60


@dataclass(frozen=True)
class Alarm:
    """One alarm as data: what to watch, how, and when it fires."""

    key: str  # short id: `errors`, `latency`...
    description: str
    namespace: str
    metric: str
    dimensions: Mapping[str, pulumi.Input[str]]
    threshold: float
    statistic: str = "Average"  # or an extended statistic such as p95
    comparison: str = "GreaterThanThreshold"
    periods: int = 5
    # For a rate: (numerator metrics, denominator metric); percent of the denominator.
    ratio_of: tuple[Sequence[str], str] | None = None


def alb_alarms(
    lb: pulumi.Input[str], tg: pulumi.Input[str], error_pct: float, p95_ms: int
) -> list[Alarm]:
    """HTTP errors, latency and target health, from the load balancer's view."""
    both = {"LoadBalancer": lb, "TargetGroup": tg}
    return [
        Alarm(
            "errors",
            f"5xx above {error_pct:g}% of requests",
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            {"LoadBalancer": lb},
            error_pct,
            "Sum",
            ratio_of=(["HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count"], "RequestCount"),
        ),
        Alarm(
            "latency",
            f"p95 response time above {p95_ms} ms",
            "AWS/ApplicationELB",
            "TargetResponseTime",
            {"LoadBalancer": lb},
            p95_ms / 1000,
            "p95",
        ),
        Alarm(
            "unhealthy",
            "a target fails its health check",
            "AWS/ApplicationELB",
            "UnHealthyHostCount",
            both,
            0,
            "Maximum",
            periods=3,
        ),
    ]


def utilisation_alarms(
    namespace: str, dimensions: Mapping[str, pulumi.Input[str]], cpu: str, memory: str
) -> list[Alarm]:
    """CPU and memory above 85% for five minutes."""
    return [
        Alarm("cpu", "CPU above 85%", namespace, cpu, dimensions, 85),
        Alarm("memory", "memory above 85%", namespace, memory, dimensions, 85),
    ]


def dashboard_body(region: str, alarms: Sequence[dict[str, Any]]) -> str:
    """A dashboard with one graph per alarm's metric (dimensions already resolved)."""
    widgets = []
    for index, alarm in enumerate(alarms):
        dims = [x for pair in sorted(alarm["dimensions"].items()) for x in pair]
        stat = alarm["statistic"]
        widgets.append(
            {
                "type": "metric",
                "x": (index % 2) * 12,
                "y": (index // 2) * 6,
                "width": 12,
                "height": 6,
                "properties": {
                    "title": alarm["description"],
                    "region": region,
                    "stat": stat,
                    "period": PERIOD_S,
                    "metrics": [[alarm["namespace"], alarm["metric"], *dims]],
                },
            }
        )
    return json.dumps({"widgets": widgets})


def app_log_group(
    name: str, retention_days: int, opts: pulumi.ResourceOptions
) -> aws.cloudwatch.LogGroup:
    """The app's one log group: tasks, instances and the dashboard all use this one.

    Log group names are unique per account and region: a second group asking for the same
    name fails with ResourceAlreadyExistsException
    (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html,
    read 2026-11-29), so exactly one resource owns it.
    """
    return aws.cloudwatch.LogGroup(
        f"{name}-logs", name=f"/llmchain/{name}/app", retention_in_days=retention_days, opts=opts
    )


# EKS (Container Insights): the access line's fields, once Fluent Bit has parsed it. The
# amazon-cloudwatch-observability add-on's Fluent Bit reads every container's stdout and runs the
# kubernetes filter with `Merge_Log On` and `Merge_Log_Key log_processed` (chart values.yaml,
# application-log.conf: https://github.com/aws-observability/helm-charts/blob/main/charts/
# amazon-cloudwatch-observability/values.yaml, read 2026-11-30). Merge_Log: when the `log` field
# is a JSON map, its fields are added to the record; with Merge_Log_Key they go under that key
# (https://docs.fluentbit.io/manual/pipeline/filters/kubernetes, read 2026-11-30). So the app's
# line `{"logger": "llmchain.access", "status": 503, ...}` arrives as
# `{"log": "<the line>", "log_processed": {"logger": ..., "status": 503, ...}, "kubernetes": ...}`.
ACCESS_FIELDS = "$.log_processed"


@dataclass(frozen=True)
class LogMetric:
    """One CloudWatch metric made from the app's access log by a metric filter."""

    key: str  # resource-name suffix
    metric: str  # CloudWatch metric name
    pattern: str  # CloudWatch Logs filter pattern
    value: str  # "1" (count) or a selector whose number is published
    unit: str


def _json_pattern(conditions: Sequence[str]) -> str:
    """A JSON filter pattern: every condition must hold (`&&`)."""
    return "{ " + " && ".join(conditions) + " }"


def access_log_metrics() -> list[LogMetric]:
    """Requests, 5xx answers, and the duration of non-streaming /v1/ requests.

    JSON filter patterns (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/
    FilterAndPatternSyntax.html, read 2026-11-30 in its GitHub copy awsdocs/amazon-cloudwatch-
    logs-user-guide doc_source/FilterAndPatternSyntax.md): `{ SELECTOR = STRING }` with nested
    selectors such as `$.a.b`, a string in double quotes when it holds characters other than
    letters and digits, `*` matching any text at, before or after a term; numeric `>=`; `&&`.
    A pattern is at most 1024 characters (https://docs.aws.amazon.com/AmazonCloudWatchLogs/
    latest/APIReference/API_MetricFilter.html, read 2026-11-30). The cluster runs this stack's
    workload only, so the access logger's name picks its lines out of every pod's. Streams are
    left out of the duration by their route templates, which is what `route` holds.
    """
    access = [f'{ACCESS_FIELDS}.logger = "{ACCESS_LOGGER}"']
    steady = [
        *access,
        f'{ACCESS_FIELDS}.route = "/v1/*"',
        *(f'{ACCESS_FIELDS}.route != "{route}"' for route in STREAMING_ROUTES),
    ]
    return [
        LogMetric("requests", "Requests", _json_pattern(access), "1", "Count"),
        LogMetric(
            "errors",
            "Errors5xx",
            _json_pattern([*access, f"{ACCESS_FIELDS}.status >= 500"]),
            "1",
            "Count",
        ),
        LogMetric(
            "latency",
            "DurationMs",
            _json_pattern(steady),
            f"{ACCESS_FIELDS}.duration_ms",
            "Milliseconds",
        ),
    ]


def access_log_filters(
    name: str, log_group: pulumi.Input[str], namespace: str, opts: pulumi.ResourceOptions
) -> list[aws.cloudwatch.LogMetricFilter]:
    """One metric filter per access-log metric, on the log group the container logs go to.

    Metrics from metric filters take any statistic, percentiles included, as long as no value is
    negative (a duration never is); metric filters work on Standard-class log groups only
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/MonitoringLogData.html, read
    2026-11-30). No default value: a minute without requests reports nothing rather than zeros,
    which would drag the p95 down; the error-rate alarm fills the gaps itself.
    """
    return [
        aws.cloudwatch.LogMetricFilter(
            f"{name}-access-{m.key}",
            name=f"{name}-access-{m.key}",
            log_group_name=log_group,
            pattern=m.pattern,
            metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                name=m.metric, namespace=namespace, value=m.value, unit=m.unit
            ),
            opts=opts,
        )
        for m in access_log_metrics()
    ]


def access_log_alarms(namespace: str, error_pct: float, p95_ms: int) -> list[Alarm]:
    """The 5xx share of requests and the p95 of /v1/ durations, from the access-log metrics."""
    return [
        Alarm(
            "errors",
            f"5xx above {error_pct:g}% of requests",
            namespace,
            "Errors5xx",
            {},
            error_pct,
            "Sum",
            ratio_of=(["Errors5xx"], "Requests"),
        ),
        Alarm(
            "latency",
            f"p95 latency above {p95_ms} ms (/v1/ routes, streams left out)",
            namespace,
            "DurationMs",
            {},
            p95_ms,
            "p95",
        ),
    ]


def alarm_topic_key_policy(account: str, region: str, alarm_prefix: str) -> dict[str, Any]:
    """The alarm topic's key: the account administers it, CloudWatch alarms may publish with it.

    CloudWatch can publish to an encrypted topic only when the topic's key is customer managed
    and its key policy gives `cloudwatch.amazonaws.com` `kms:GenerateDataKey*` and
    `kms:Decrypt`, best conditioned on `aws:SourceAccount` / `aws:SourceArn`; the AWS managed
    `alias/aws/sns` key's policy cannot be changed, so alarms cannot use it
    (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html, "Enable compatibility
    between event sources from AWS services and encrypted topics", read 2026-11-29). The first
    statement is KMS's default key policy: without it no one could manage the key
    (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
    """
    alarms = f"arn:aws:cloudwatch:{region}:{account}:alarm:{alarm_prefix}*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": alarms},
                },
            },
        ],
    }


@dataclass
class MonitoringArgs:
    """Who is told, and what is watched."""

    region: str
    account: pulumi.Input[str]
    email: str | None
    alarms: list[Alarm] = field(default_factory=list)


class Monitoring(Component[MonitoringArgs]):
    """SNS topic (own KMS key, + email), one CloudWatch alarm per Alarm, one dashboard."""

    topic: aws.sns.Topic
    dashboard_url: pulumi.Output[str]

    def build(self, name: str, args: MonitoringArgs) -> None:
        child = self.child
        # Alarms are autonamed `<name>-<key>-<suffix>`: the key admits exactly those.
        key = aws.kms.Key(
            f"{name}-alarms",
            description=f"{name}: the alarm topic (CloudWatch alarms publish with it)",
            enable_key_rotation=True,
            deletion_window_in_days=7,
            policy=pulumi.Output.from_input(args.account).apply(
                lambda acct: json.dumps(alarm_topic_key_policy(acct, args.region, f"{name}-"))
            ),
            opts=child,
        )
        self.topic = aws.sns.Topic(f"{name}-alarms", kms_master_key_id=key.arn, opts=child)
        if args.email:
            aws.sns.TopicSubscription(
                f"{name}-alarms-email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=args.email,
                opts=child,
            )
        self.alarms = [self._alarm(name, alarm, child) for alarm in args.alarms]
        resolved = pulumi.Output.all(*[self._resolved(a) for a in args.alarms])
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=name,
            dashboard_body=resolved.apply(lambda alarms: dashboard_body(args.region, alarms)),
            opts=child,
        )
        self.dashboard_url = pulumi.Output.concat(
            f"https://{args.region}.console.aws.amazon.com/cloudwatch/home?region={args.region}",
            "#dashboards:name=",
            dashboard.dashboard_name,
        )
        self.register_outputs({"dashboard_url": self.dashboard_url})

    @staticmethod
    def _resolved(alarm: Alarm) -> pulumi.Output[dict[str, Any]]:
        dims = all_dict(alarm.dimensions)
        return dims.apply(
            lambda d: {
                "description": alarm.description,
                "namespace": alarm.namespace,
                "metric": alarm.metric,
                "statistic": alarm.statistic,
                "dimensions": d,
            }
        )

    def _alarm(
        self, name: str, alarm: Alarm, child: pulumi.ResourceOptions
    ) -> aws.cloudwatch.MetricAlarm:
        common: dict[str, Any] = {
            "alarm_description": alarm.description,
            "comparison_operator": alarm.comparison,
            "evaluation_periods": alarm.periods,
            "threshold": alarm.threshold,
            "treat_missing_data": "notBreaching",
            "alarm_actions": [self.topic.arn],
            "ok_actions": [self.topic.arn],
        }
        if alarm.ratio_of is not None:
            numerators, denominator = alarm.ratio_of
            queries = [
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id=f"m{i}",
                    metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                        namespace=alarm.namespace,
                        metric_name=metric,
                        dimensions=dict(alarm.dimensions),
                        period=PERIOD_S,
                        stat="Sum",
                    ),
                )
                for i, metric in enumerate([*numerators, denominator])
            ]
            errors = " + ".join(f"FILL(m{i}, 0)" for i in range(len(numerators)))
            total = f"m{len(numerators)}"
            queries.append(
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="rate",
                    expression=f"100 * ({errors}) / IF({total} > 0, {total}, 1)",
                    label="percent",
                    return_data=True,
                )
            )
            return aws.cloudwatch.MetricAlarm(
                f"{name}-{alarm.key}", metric_queries=queries, **common, opts=child
            )
        statistic: dict[str, Any] = (
            {"extended_statistic": alarm.statistic}
            if alarm.statistic.startswith("p")
            else {"statistic": alarm.statistic}
        )
        return aws.cloudwatch.MetricAlarm(
            f"{name}-{alarm.key}",
            namespace=alarm.namespace,
            metric_name=alarm.metric,
            dimensions=dict(alarm.dimensions),
            period=PERIOD_S,
            **statistic,
            **common,
            opts=child,
        )
