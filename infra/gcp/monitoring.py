"""Cloud Monitoring: a notification channel, an uptime check, alert policies and a dashboard."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

from infra.component import Component
from infra.image_contract import ACCESS_LOGGER, STREAMING_ROUTES


@dataclass(frozen=True)
class Alarm:
    """One alert policy as data: a filter, how it is aligned, and when it fires."""

    key: str
    name: str
    filter: pulumi.Input[str]
    threshold: float
    aligner: str = "ALIGN_RATE"
    reducer: str = "REDUCE_SUM"
    comparison: str = "COMPARISON_GT"
    denominator: pulumi.Input[str] | None = None  # for ratios
    access_log: AccessLog | None = None  # set: the metric is made from the app's access log


PROMETHEUS = "prometheus.googleapis.com/"


@dataclass(frozen=True)
class AccessLog:
    """Where the app's access-log fields sit in a log entry, and how to read its duration.

    The app writes one JSON line per finished request with the route template and
    duration_ms (app/core/logging.py). Cloud Run's built-in agent stores a JSON line written
    to stdout as jsonPayload (https://cloud.google.com/logging/docs/structured-logging, "Built-in
    logging agents"; only the section's opening was seen, read 2026-11-29); Docker's gcplogs
    driver sends the line as a string in jsonPayload.message (its dockerLogEntry struct in
    moby daemon/logger/gcplogs, second-hand, not Google's docs). A distribution log-based
    metric takes its value with EXTRACT(field) or REGEXP_EXTRACT(field, regex) with one
    capture group, converted to a double; entries whose extraction fails are not recorded.
    https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects.metrics (LogMetric
    valueExtractor) and https://cloud.google.com/logging/docs/logs-based-metrics/distribution-metrics
    (read 2026-11-29).
    """

    filter: str  # the access lines of non-streaming /v1/ routes, within the stack's own logs
    value_extractor: str  # their duration_ms


def _streams_regex() -> str:
    return "|".join(route.replace("{", "[{]").replace("}", "[}]") for route in STREAMING_ROUTES)


# Cloud Run: the line's fields are jsonPayload's.
STRUCTURED_ACCESS_LOG = AccessLog(
    f'jsonPayload.logger = "{ACCESS_LOGGER}" AND jsonPayload.route =~ "^/v1/" AND '
    + " AND ".join(f'jsonPayload.route != "{route}"' for route in STREAMING_ROUTES),
    "EXTRACT(jsonPayload.duration_ms)",
)
# vm (gcplogs): the whole line is the string jsonPayload.message; orjson writes no spaces.
LINE_ACCESS_LOG = AccessLog(
    f'jsonPayload.message =~ "\\"logger\\":\\"{ACCESS_LOGGER.replace(".", "[.]")}\\"" AND '
    'jsonPayload.message =~ "\\"route\\":\\"/v1/" AND '
    f'jsonPayload.message !~ "\\"route\\":\\"({_streams_regex()})\\""',
    'REGEXP_EXTRACT(jsonPayload.message, "\\"duration_ms\\":([0-9.]+)")',
)


def http_policies(
    resource_filter: pulumi.Input[str],
    count_metric: str,
    error_label: str,
    error_pct: float,
    p95_ms: int,
    access_log: AccessLog,
) -> list[Alarm]:
    """5xx ratio of a serving resource (Cloud Run, or the load balancer); p95 from the app's log.

    The platforms' latency metrics (run.googleapis.com/request_latencies, the load balancer's
    total_latencies) have no route label and time a stream to its last byte, so a handful of
    long SSE answers set the p95. The p95 is taken instead from the app's own access log,
    streaming routes left out (issue 16 item 14).
    """
    requests = pulumi.Output.concat(resource_filter, f' AND metric.type = "{count_metric}"')
    return [
        Alarm(
            "errors",
            f"5xx above {error_pct:g}% of requests",
            pulumi.Output.concat(requests, f" AND {error_label}"),
            error_pct / 100,
            denominator=requests,
        ),
        Alarm(
            "latency",
            f"p95 latency above {p95_ms} ms (streams left out)",
            "",  # the log-based metric's, once it exists (Monitoring)
            p95_ms,
            aligner="ALIGN_PERCENTILE_95",
            reducer="REDUCE_MAX",
            access_log=access_log,
        ),
    ]


def prometheus_policies(namespace: str, error_pct: float, p95_ms: int) -> list[Alarm]:
    """5xx ratio and p95 latency from the app's own /metrics, collected by Managed Prometheus.

    An L4 load balancer has no HTTP metrics; the app counts every request by route template
    and status (llmchain_http_requests_total) and times it (llmchain_http_request_duration_
    seconds, a histogram, in seconds). Managed Service for Prometheus stores them as
    prometheus.googleapis.com/<name>/<kind> on the prometheus_target resource; a cumulative
    histogram takes ALIGN_DELTA, then REDUCE_PERCENTILE_95 across series.
    https://cloud.google.com/stackdriver/docs/managed-prometheus/query-cm and
    https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.alertPolicies#aligner
    (read 2026-11-29).
    """
    target = f'resource.type = "prometheus_target" AND resource.labels.namespace = "{namespace}"'
    requests = f'{target} AND metric.type = "{PROMETHEUS}llmchain_http_requests_total/counter"'
    steady = " AND ".join(f'metric.labels.route != "{route}"' for route in STREAMING_ROUTES)
    return [
        Alarm(
            "errors",
            f"5xx above {error_pct:g}% of requests",
            f'{requests} AND metric.labels.status = monitoring.regex.full_match("5..")',
            error_pct / 100,
            denominator=requests,
        ),
        Alarm(
            "latency",
            f"p95 latency above {p95_ms} ms (streams left out)",
            f'{target} AND metric.type = "{PROMETHEUS}'
            'llmchain_http_request_duration_seconds/histogram" AND '
            f'metric.labels.route = monitoring.regex.full_match("/v1/.*") AND {steady}',
            p95_ms / 1000,
            aligner="ALIGN_DELTA",
            reducer="REDUCE_PERCENTILE_95",
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
    alarms: list[Alarm] = field(default_factory=list)
    # The stack's own log entries and the bucket (resource name) they are routed to: the
    # access-log metrics read them there (Logs).
    log_filter: pulumi.Input[str] | None = None
    log_bucket: pulumi.Input[str] | None = None


class Monitoring(Component[MonitoringArgs]):
    """Channel, uptime check (+ its alert), one policy per Alarm, and a dashboard."""

    dashboard_url: pulumi.Output[str]

    def build(self, name: str, args: MonitoringArgs) -> None:
        child = self.child
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
        policies = [
            self._from_access_log(name, policy, args) if policy.access_log else policy
            for policy in args.alarms
        ]
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
                Alarm(
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

    def _from_access_log(self, name: str, policy: Alarm, args: MonitoringArgs) -> Alarm:
        """The policy over a distribution log-based metric of the app's access-log durations.

        Scoped to the stack's log bucket (LogMetric.bucketName; the bucket must be in the
        metric's project): the stack's entries are routed there and excluded from _Default,
        so a project-level metric would depend on how exclusions treat metrics (not found in
        the docs today). The metric's series are logging.googleapis.com/user/<name> (the
        user-defined metric type, known but not re-read today), DELTA DISTRIBUTION, which
        ALIGN_PERCENTILE_95 reads. bucketName: Google's LogMetric client reference and
        `gcloud logging metrics create --bucket-name`. https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects.metrics,
        https://cloud.google.com/logging/docs/logs-based-metrics/distribution-metrics and
        https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.alertPolicies#aligner
        (read 2026-11-29).
        """
        assert policy.access_log is not None
        if args.log_filter is None or args.log_bucket is None:
            raise ValueError(f"{policy.key}: an access-log policy needs log_filter and log_bucket")
        metric = gcp.logging.Metric(
            f"{name}-{policy.key}",
            name=f"{name}-{policy.key}",
            project=args.project,
            description=f"{name}: request duration (ms) from the app's access log, no streams",
            bucket_name=args.log_bucket,
            filter=pulumi.Output.concat("(", args.log_filter, ") AND ", policy.access_log.filter),
            value_extractor=policy.access_log.value_extractor,
            metric_descriptor=gcp.logging.MetricMetricDescriptorArgs(
                metric_kind="DELTA", value_type="DISTRIBUTION", unit="ms"
            ),
            # 1 ms .. about 26 min, each bucket 25% wider than the last.
            bucket_options=gcp.logging.MetricBucketOptionsArgs(
                exponential_buckets=gcp.logging.MetricBucketOptionsExponentialBucketsArgs(
                    num_finite_buckets=64, growth_factor=1.25, scale=1
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return replace(
            policy,
            filter=pulumi.Output.concat(
                'metric.type = "logging.googleapis.com/user/', metric.name, '"'
            ),
        )


@dataclass
class LogsArgs:
    """Whose logs, where, and for how long."""

    project: str
    location: str
    retention_days: int
    log_filter: pulumi.Input[str]  # the service's own log entries


class Logs(Component[LogsArgs]):
    """The service's logs in a bucket of their own, kept `llmchain:monitoring.logRetentionDays`.

    The project's _Default bucket is shared by everything in the project (30 days unless someone
    changed it); changing its retention would change every other workload's. So a sink routes
    this stack's logs to a dedicated bucket with the stack's retention, and an exclusion on the
    _Default sink keeps them out of _Default, or they would stay there 30 days whatever was set.
    A sink into a bucket of its own project needs no writer grant. A deleted bucket stays
    DELETE_REQUESTED for 7 days and its id cannot be reused meanwhile: the id takes a random
    suffix, so destroy then up works. https://cloud.google.com/logging/docs/routing/overview,
    https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects.locations.buckets/delete,
    https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects.exclusions and
    LogSink.writerIdentity in https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects.sinks
    (read 2026-11-29).
    """

    FORMER_TYPES = ("llmchain:gcp:LogStorage",)

    bucket: gcp.logging.ProjectBucketConfig
    bucket_name: pulumi.Output[str]  # projects/<p>/locations/<l>/buckets/<id>

    def build(self, name: str, args: LogsArgs) -> None:
        project, location, retention_days = args.project, args.location, args.retention_days
        log_filter = args.log_filter
        child = self.child
        suffix = random.RandomString(
            f"{name}-logs-suffix", length=6, special=False, upper=False, opts=child
        )
        bucket_id = pulumi.Output.concat(name, "-logs-", suffix.result)
        self.bucket = gcp.logging.ProjectBucketConfig(
            f"{name}-logs",
            project=project,
            location=location,
            bucket_id=bucket_id,
            retention_days=retention_days,
            description=f"{name}: the service's logs",
            opts=child,
        )
        self.bucket_name = pulumi.Output.concat(
            "projects/", project, "/locations/", location, "/buckets/", self.bucket.bucket_id
        )
        destination = pulumi.Output.concat("logging.googleapis.com/", self.bucket_name)
        sink = gcp.logging.ProjectSink(
            f"{name}-logs",
            name=f"{name}-logs",
            project=project,
            destination=destination,
            filter=log_filter,
            unique_writer_identity=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bucket]),
        )
        gcp.logging.ProjectExclusion(
            f"{name}-logs-default",
            name=f"{name}-logs",
            project=project,
            description=f"{name}: kept in its own bucket instead",
            filter=log_filter,
            # Only once the sink routes them: excluded before that, entries would be dropped.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[sink]),
        )
        self.register_outputs({})
