"""Issue 16 item 14 on Cloud Run and vm: p95 latency from the app's access log, streams left out."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from app.core import logging as app_logging
from infra.gcp.monitoring import LINE_ACCESS_LOG, STRUCTURED_ACCESS_LOG, AccessLog
from infra.image_contract import STREAMING_ROUTES
from infra.plan import Plan, run_plan

PROJECT = {"gcp:project": "demo-project"}
POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
METRIC = "gcp:logging/metric:Metric"
MODES = {"serverless": STRUCTURED_ACCESS_LOG, "vm": LINE_ACCESS_LOG}


@pytest.fixture(scope="module", params=sorted(MODES))
def plan(request: pytest.FixtureRequest) -> Plan:
    return run_plan("gcp", {**PROJECT, "llmchain:compute": request.param})


def _latency(plan: Plan) -> dict[str, Any]:
    policy = next(p for p in plan.of_type(POLICY) if p.name.endswith("-latency"))
    condition: dict[str, Any] = policy.inputs["conditions"][0]["conditionThreshold"]
    return condition


def test_p95_is_not_the_platforms_whole_stream_latency(plan: Plan) -> None:
    """run.googleapis.com/request_latencies and the LB's total_latencies time streams to the end."""
    for policy in plan.of_type(POLICY):
        for condition in policy.inputs["conditions"]:
            text = condition["conditionThreshold"]["filter"]
            assert "request_latencies" not in text and "total_latencies" not in text
    metric = plan.one(METRIC)
    condition = _latency(plan)
    assert condition["filter"] == (
        f'metric.type = "logging.googleapis.com/user/{metric.inputs["name"]}"'
    )
    assert condition["thresholdValue"] == 10000  # ms, the metric's unit
    (aggregation,) = condition["aggregations"]
    assert aggregation["perSeriesAligner"] == "ALIGN_PERCENTILE_95"
    descriptor = metric.inputs["metricDescriptor"]
    assert (descriptor["metricKind"], descriptor["valueType"], descriptor["unit"]) == (
        "DELTA",
        "DISTRIBUTION",
        "ms",
    )


def test_the_metric_reads_this_stacks_logs_where_they_are_kept(plan: Plan) -> None:
    """The stack's logs go to its own bucket (and not _Default): the metric is scoped to it."""
    metric = plan.one(METRIC).inputs
    sink = plan.one("gcp:logging/projectSink:ProjectSink").inputs
    assert sink["destination"] == f"logging.googleapis.com/{metric['bucketName']}"
    assert metric["filter"].startswith(f"({sink['filter']}) AND ")


@pytest.fixture
def access_lines() -> Iterator[list[dict[str, Any]]]:
    """What the app's access log writes, one parsed line per request."""
    stream = io.StringIO()
    logger = logging.getLogger("llmchain.access")
    saved = (app_logging._stream, logger.level)
    app_logging._stream = stream
    logger.setLevel(logging.INFO)
    try:
        log = app_logging.AccessLog()
        for route, ms in [
            ("/v1/chains/{name}/invoke", 812.5),
            ("/v1/chains/{name}/stream", 95000.0),
            ("/v1/chat/completions", 61000.25),
            ("/v1/chat", 1500.0),
            ("/healthz", 0.75),
        ]:
            log.write("r1", "POST", route.replace("{name}", "qa"), route, 200, ms)
        yield [{"route": line.split('"route":"')[1].split('"')[0], "line": line}
               for line in stream.getvalue().splitlines()]  # fmt: skip
    finally:
        app_logging._stream = saved[0]
        logger.setLevel(saved[1])


def _entry(mode: str, line: str) -> dict[str, Any]:
    """The log entry Cloud Logging stores for one stdout line, as the docstrings say."""
    if mode == "serverless":  # structured logging: the JSON object is jsonPayload
        return {"jsonPayload": json.loads(line)}
    return {"jsonPayload": {"message": line}}  # gcplogs: the line is jsonPayload.message


def _field(entry: dict[str, Any], path: str) -> Any:
    value: Any = entry
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


TERM = re.compile(r'^([\w.]+) (=~|!~|!=|=) "((?:[^"\\]|\\.)*)"$')


def _matches(filter_text: str, entry: dict[str, Any]) -> bool:
    """Evaluate the conjunction of comparisons AccessLog filters are written in."""
    for term in filter_text.split(" AND "):
        found = TERM.match(term)
        assert found, term
        path, op, literal = found.groups()
        value, wanted = _field(entry, path), _unquote(literal)
        text = "" if value is None else str(value)
        if op in ("=~", "!~"):
            ok = (re.search(wanted, text) is not None) == (op == "=~")
        else:
            ok = (text == wanted) == (op == "=")
        if not ok:
            return False
    return True


def _extract(extractor: str, entry: dict[str, Any]) -> float:
    plain = re.fullmatch(r"EXTRACT\(([\w.]+)\)", extractor)
    if plain:
        return float(_field(entry, plain.group(1)))
    found = re.fullmatch(r'REGEXP_EXTRACT\(([\w.]+), "((?:[^"\\]|\\.)*)"\)', extractor)
    assert found, extractor
    match = re.search(_unquote(found.group(2)), str(_field(entry, found.group(1))))
    assert match and len(match.groups()) == 1  # exactly one capture group
    return float(match.group(1))


@pytest.mark.parametrize("mode", sorted(MODES))
def test_the_metric_times_requests_and_leaves_out_streams(
    mode: str, access_lines: list[dict[str, Any]]
) -> None:
    """On the app's real access lines: streams and non-/v1 routes out, duration_ms read."""
    access: AccessLog = MODES[mode]
    kept = {}
    for line in access_lines:
        entry = _entry(mode, line["line"])
        if _matches(access.filter, entry):
            kept[line["route"]] = _extract(access.value_extractor, entry)
    assert kept == {"/v1/chains/{name}/invoke": 812.5, "/v1/chat": 1500.0}
    assert not set(kept) & set(STREAMING_ROUTES)
