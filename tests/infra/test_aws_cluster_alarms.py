"""EKS: the 5xx share and p95 latency alarms, from the app's access log in Container Insights."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

import app.core.logging as app_logging
from infra.image_contract import STREAMING_ROUTES
from infra.plan import Plan, run_plan

SETTINGS = {
    "llmchain:compute": "cluster",
    "llmchain:monitoring.errorRatePercent": 2,
    "llmchain:monitoring.latencyP95Ms": 1500,
    "llmchain:monitoring.logRetentionDays": 90,
}
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
GROUP = "aws:cloudwatch/logGroup:LogGroup"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return run_plan("aws", SETTINGS)


def _filters(plan: Plan) -> dict[str, dict[str, Any]]:
    return {f.inputs["metricTransformation"]["name"]: f.inputs for f in plan.of_type(FILTER)}


# --- a reading of the JSON filter patterns used here (the CloudWatch Logs syntax, as documented:
# `{ SELECTOR OP VALUE && ... }`, nested `$.a.b` selectors, quoted strings with `*` matching any
# text before or after, numeric comparisons). Enough to try the patterns on real access lines.
_CLAUSE = re.compile(r'^(\$(?:\.[\w-]+)+)\s*(>=|<=|!=|=|>|<)\s*(".*"|[-+\d.]+)$')


def _select(record: dict[str, Any], selector: str) -> Any:
    value: Any = record
    for part in selector.split(".")[1:]:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _holds(record: dict[str, Any], clause: str) -> bool:
    match = _CLAUSE.match(clause.strip())
    assert match, f"not a clause this reading knows: {clause}"
    selector, op, raw = match.groups()
    value = _select(record, selector)
    if value is None:
        return False
    if raw.startswith('"'):
        text = raw[1:-1]
        regex = "^" + ".*".join(re.escape(piece) for piece in text.split("*")) + "$"
        equal = isinstance(value, str) and re.match(regex, value) is not None
        return equal if op == "=" else not equal if op == "!=" else False
    number = float(raw)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return {
        "=": value == number,
        "!=": value != number,
        ">=": value >= number,
        "<=": value <= number,
        ">": value > number,
        "<": value < number,
    }[op]


def matches(pattern: str, record: dict[str, Any]) -> bool:
    """True when every `&&` clause of a `{ ... }` JSON filter pattern holds for the record."""
    assert pattern.startswith("{ ") and pattern.endswith(" }") and "||" not in pattern
    return all(_holds(record, c) for c in pattern[2:-2].split(" && "))


@pytest.fixture
def access_lines() -> Iterator[io.StringIO]:
    """What the app's access log writes to stdout, captured."""
    out = io.StringIO()
    saved, level = app_logging._stream, logging.getLogger("llmchain.access").level
    app_logging._stream = out
    logging.getLogger("llmchain.access").setLevel(logging.INFO)
    yield out
    app_logging._stream = saved
    logging.getLogger("llmchain.access").setLevel(level)


def _as_shipped(line: str) -> dict[str, Any]:
    """A line as Container Insights' Fluent Bit ships it: Merge_Log under `log_processed`."""
    return {
        "log": line,
        "stream": "stdout",
        "log_processed": json.loads(line),
        "kubernetes": {"namespace_name": "llmchain-aws", "container_name": "app"},
    }


def _request(out: io.StringIO, route: str, status: int, duration_ms: float) -> dict[str, Any]:
    app_logging.AccessLog().write("r1", "POST", route, route, status, duration_ms)
    return _as_shipped(out.getvalue().splitlines()[-1])


def test_the_container_log_group_is_made_first_with_the_retention(plan: Plan) -> None:
    group = next(g for g in plan.of_type(GROUP) if "containerinsights" in g.inputs["name"])
    cluster = plan.one("aws:eks/cluster:Cluster")
    assert group.inputs["name"] == "/aws/containerinsights/llmchain-aws-eks/application"
    assert group.inputs["retentionInDays"] == 90
    assert group.inputs["logGroupClass"] == "STANDARD"  # metric filters work on no other class
    assert cluster.urn in group.dependencies
    addon = next(
        a
        for a in plan.of_type("aws:eks/addon:Addon")
        if a.inputs["addonName"] == "amazon-cloudwatch-observability"
    )
    assert group.urn in addon.dependencies  # else Fluent Bit makes it, with no retention
    for f in plan.of_type(FILTER):
        assert f.inputs["logGroupName"] == group.inputs["name"]


def test_the_filters_count_requests_and_5xx_and_time_non_streaming_v1(
    plan: Plan, access_lines: io.StringIO
) -> None:
    filters = _filters(plan)
    assert set(filters) == {"Requests", "Errors5xx", "DurationMs"}
    requests, errors, duration = (
        filters[m]["pattern"] for m in ("Requests", "Errors5xx", "DurationMs")
    )
    assert all(len(f["pattern"]) <= 1024 for f in filters.values())  # the API's limit
    failed = _request(access_lines, "/v1/chains/{name}/invoke", 503, 120.5)
    ok = _request(access_lines, "/v1/chains/{name}/invoke", 200, 80.0)
    probe = _request(access_lines, "/healthz", 200, 1.0)
    assert matches(requests, failed) and matches(requests, ok) and matches(requests, probe)
    assert matches(errors, failed)
    assert not matches(errors, ok) and not matches(errors, _request(access_lines, "/v1/x", 499, 1))
    assert matches(duration, ok) and matches(duration, failed)
    assert not matches(duration, probe)  # not a /v1/ route
    for route in STREAMING_ROUTES:
        assert not matches(duration, _request(access_lines, route, 200, 90_000.0))
    # Another pod's JSON, or a line Fluent Bit could not parse, counts for nothing.
    other = {"log_processed": {"logger": "uvicorn.error", "status": 500}, "log": "x"}
    unparsed = {"log": access_lines.getvalue().splitlines()[0]}
    for pattern in (requests, errors, duration):
        assert not matches(pattern, other) and not matches(pattern, unparsed)
    assert filters["DurationMs"]["metricTransformation"]["value"] == "$.log_processed.duration_ms"
    assert filters["DurationMs"]["metricTransformation"]["unit"] == "Milliseconds"
    assert matches(duration, ok) and _select(ok, "$.log_processed.duration_ms") == 80.0


def test_the_alarms_have_the_thresholds_and_go_to_the_topic(plan: Plan) -> None:
    topic = plan.one("aws:sns/topic:Topic")
    found = {a.name.removeprefix("llmchain-aws-"): a for a in plan.of_type(ALARM)}
    namespace = next(iter(_filters(plan).values()))["metricTransformation"]["namespace"]
    errors, latency = found["errors"].inputs, found["latency"].inputs
    assert errors["threshold"] == 2
    queries = {q["id"]: q for q in errors["metricQueries"]}
    assert {q["metric"]["metricName"] for q in queries.values() if "metric" in q} == {
        "Errors5xx",
        "Requests",
    }
    assert all(q["metric"]["namespace"] == namespace for q in queries.values() if "metric" in q)
    assert queries["rate"]["returnData"] is True and "100 *" in queries["rate"]["expression"]
    assert latency["threshold"] == 1500  # ms: the metric's unit
    assert latency["extendedStatistic"] == "p95"
    assert (latency["namespace"], latency["metricName"]) == (namespace, "DurationMs")
    for key in ("errors", "latency"):
        assert topic.urn in found[key].dependencies
        actions = found[key].inputs["alarmActions"]
        assert len(actions) == 1 and actions[0].startswith("arn:aws:sns:")


def test_the_thresholds_are_no_longer_refused_on_aws_cluster(plan: Plan) -> None:
    assert not [w for w in plan.warnings if "monitoring.errorRatePercent" in w]
    assert not [w for w in plan.warnings if "monitoring.latencyP95Ms" in w]
