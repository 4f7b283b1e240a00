"""monitoring.errorRatePercent / latencyP95Ms: a 5xx-share and a p95 alarm wherever honoured.

Each cloud x mode that honours the keys must plan an alarm whose threshold is the configured
value, computed as a ratio of requests (not a count) and as a 95th percentile (not a mean),
wired to the same notification as the other alarms; elsewhere the keys are refused.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import KEY_SUPPORT, Cloud, Compute
from infra.plan import Plan, PlanConfigError, run_plan

ERROR_PCT = 3.5
P95_MS = 4321
KEYS = {
    "llmchain:monitoring.errorRatePercent": str(ERROR_PCT),
    "llmchain:monitoring.latencyP95Ms": str(P95_MS),
    "llmchain:alerts.email": "ops@example.com",  # GCP wires a channel only with an address
}
EXTRA = {"gcp": {"gcp:project": "demo-project"}}
ZONE_ID = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/dns/providers/"
    "Microsoft.Network/dnszones/example.com"
)
# Azure vm sees every HTTP answer only through Application Gateway, which a domain brings.
DOMAIN = {"llmchain:ingress.domain": "api.example.com", "llmchain:azure.dnsZoneId": ZONE_ID}
SUPPORT = KEY_SUPPORT["monitoring.errorRatePercent"]
HONOURED = [
    (cloud.value, mode.value)
    for cloud in (Cloud.AWS, Cloud.AZURE, Cloud.GCP)
    for mode in SUPPORT.places.get(cloud, ())
]
REFUSED = [
    (cloud.value, mode.value)
    for cloud in (Cloud.AWS, Cloud.AZURE, Cloud.GCP)
    for mode in Compute
    if mode not in SUPPORT.places.get(cloud, ())
] + [("azure", "vm-without-domain")]


def _plan(cloud: str, mode: str) -> Plan:
    extra = dict(EXTRA.get(cloud, {}))
    if mode.endswith("-without-domain"):
        mode = mode.removesuffix("-without-domain")
    elif (Cloud(cloud), Compute(mode)) in SUPPORT.only_if:
        extra |= DOMAIN  # azure vm: with its domain
    return run_plan(cloud, {**extra, "llmchain:compute": mode, **KEYS})


@pytest.fixture(scope="module", params=HONOURED, ids=lambda p: f"{p[0]}-{p[1]}")
def plan(request: pytest.FixtureRequest) -> tuple[str, Plan]:
    cloud, mode = request.param
    return cloud, _plan(cloud, mode)


def _aws(plan: Plan) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    alarms = [r.inputs for r in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")]
    topics = {r.name for r in plan.of_type("aws:sns/topic:Topic")}
    assert topics and all(a["alarmActions"] for a in alarms)
    ratio = [
        a
        for a in alarms
        if a["threshold"] == ERROR_PCT
        and any("/" in (q.get("expression") or "") for q in a.get("metricQueries", []))
    ]
    # The ALB's TargetResponseTime is in seconds; EKS's DurationMs (from the access log) in ms.
    in_unit = {"TargetResponseTime": P95_MS / 1000, "DurationMs": P95_MS}
    p95 = [
        a
        for a in alarms
        if a.get("extendedStatistic") == "p95"
        and a["threshold"] == in_unit.get(a.get("metricName", ""))
    ]
    return ratio, p95


def _azure(plan: Plan) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rules = [r.inputs for r in plan.of_type("azure-native:monitor:ScheduledQueryRule")]
    (group,) = plan.of_type("azure-native:monitor:ActionGroup")
    metric_groups = {
        g["actionGroupId"]
        for r in plan.of_type("azure-native:monitor:MetricAlert")
        for g in r.inputs["actions"]
    }
    for rule in rules:  # the same action group as the metric alerts
        assert set(rule["actions"]["actionGroups"]) == metric_groups
        assert group.name in rule["actions"]["actionGroups"][0]
    conditions = [(r, r["criteria"]["allOf"][0]) for r in rules]
    ratio = [
        c
        for _, c in conditions
        if c["threshold"] == ERROR_PCT
        and "errors / requests" in c["query"]
        and c["metricMeasureColumn"] in c["query"]
    ]
    p95 = [
        c
        for _, c in conditions
        if c["threshold"] == P95_MS
        and "percentile(duration_ms, 95)" in c["query"]
        and "avg(" not in c["query"]
    ]
    return ratio, p95


def _gcp(plan: Plan) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    policies = [r.inputs for r in plan.of_type("gcp:monitoring/alertPolicy:AlertPolicy")]
    assert all(p.get("notificationChannels") for p in policies)
    conditions = [c["conditionThreshold"] for p in policies for c in p["conditions"]]
    ratio = [
        c
        for c in conditions
        if c["thresholdValue"] == ERROR_PCT / 100 and c.get("denominatorFilter")
    ]
    p95 = [
        c
        for c in conditions
        if c["thresholdValue"] in (P95_MS, P95_MS / 1000)
        and any("PERCENTILE_95" in str(a.values()) for a in c["aggregations"])
    ]
    return ratio, p95


READERS = {"aws": _aws, "azure": _azure, "gcp": _gcp}


def test_an_alarm_on_the_5xx_share_at_the_configured_percent(plan: tuple[str, Plan]) -> None:
    cloud, built = plan
    ratio, _ = READERS[cloud](built)
    assert len(ratio) == 1, f"{cloud}: no 5xx-ratio alarm at {ERROR_PCT}%"


def test_an_alarm_on_p95_latency_at_the_configured_ms(plan: tuple[str, Plan]) -> None:
    cloud, built = plan
    _, p95 = READERS[cloud](built)
    assert len(p95) == 1, f"{cloud}: no p95 alarm at {P95_MS} ms"


def test_no_azure_alarm_compares_the_p95_key_with_a_mean() -> None:
    """The metric alerts have no percentile: none may carry latencyP95Ms as its threshold."""
    for mode in ("serverless", "vm", "cluster"):
        built = _plan("azure", mode)
        for rule in built.of_type("azure-native:monitor:MetricAlert"):
            for criterion in rule.inputs["criteria"]["allOf"]:
                assert criterion["threshold"] != P95_MS, (mode, rule.name)


def test_every_cloud_has_a_place_that_honours_both_keys() -> None:
    assert KEY_SUPPORT["monitoring.latencyP95Ms"].places == SUPPORT.places
    assert {cloud for cloud, _ in HONOURED} == {"aws", "azure", "gcp"}


@pytest.mark.parametrize("place", REFUSED, ids=lambda p: f"{p[0]}-{p[1]}")
def test_refused_where_no_alarm_sees_http(place: tuple[str, str]) -> None:
    cloud, mode = place
    with pytest.raises(PlanConfigError, match=r"monitoring\.errorRatePercent") as failure:
        _plan(cloud, mode)
    assert "layer 4" in str(failure.value)
