"""Azure vm with `llmchain:ingress.domain`: the 5xx-share and p95 alerts read the gateway's log.

The VMs log to journald behind a layer-4 load balancer; with a domain, Application Gateway
answers every request and its access log (AGWAccessLogs, times in seconds) goes to the stack's
workspace, where the same two log search alerts as serverless and cluster read it. Without a
domain the keys are refused, naming the domain as what is missing.
"""

from __future__ import annotations

import re

import pytest

from infra.image_contract import STREAMING_ROUTES
from infra.plan import Plan, PlanConfigError, Resource, run_plan

ZONE_ID = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/dns"
    "/providers/Microsoft.Network/dnszones/example.com"
)
DOMAIN = {"llmchain:ingress.domain": "chat.example.com", "llmchain:azure.dnsZoneId": ZONE_ID}
ERROR_PCT = 2.5
P95_MS = 4321
KEYS = {
    "llmchain:monitoring.errorRatePercent": str(ERROR_PCT),
    "llmchain:monitoring.latencyP95Ms": str(P95_MS),
}
RULE = "azure-native:monitor:ScheduledQueryRule"
SETTING = "azure-native:monitor:DiagnosticSetting"


def plan_for(mode: str, **config: str) -> Plan:
    return run_plan("azure", {"llmchain:compute": mode, **config})


@pytest.fixture(scope="module")
def vm() -> Plan:
    return plan_for("vm", **DOMAIN, **KEYS)


def rules(plan: Plan) -> dict[str, Resource]:
    return {r.name.removeprefix("llmchain-azure-"): r for r in plan.of_type(RULE)}


def query(plan: Plan, key: str) -> str:
    return str(rules(plan)[key].inputs["criteria"]["allOf"][0]["query"])


def route_of(text: str, uri: str) -> str:
    """The query's `route` for a logged RequestUri, read from the query's own case() arms."""
    assert 'split(RequestUri, "?")[0]' in text
    path = uri.split("?")[0]
    arms = re.findall(r'path matches regex @"([^"]+)", "([^"]+)"', text)
    assert arms, text
    for pattern, route in arms:
        if re.search(pattern, path):
            return route
    return path


def in_p95(text: str, route: str) -> bool:
    """The latency-p95 query's own filter on `route`, applied to one route."""
    (listed,) = re.findall(r'route startswith "/v1/" and route !in \(([^)]*)\)', text)
    excluded = re.findall(r'"([^"]+)"', listed)
    return route.startswith("/v1/") and route not in excluded


# --- what a user gets ----------------------------------------------------------------------


def test_the_gateway_sends_its_access_log_to_the_stack_workspace(vm: Plan) -> None:
    (setting,) = vm.of_type(SETTING)
    gateway = vm.one("azure-native:network:ApplicationGateway")
    workspace = vm.one("azure-native:operationalinsights:Workspace")
    assert setting.inputs["resourceUri"].endswith(f"/{gateway.name}")
    assert setting.inputs["workspaceId"].endswith(f"/{workspace.name}")
    assert setting.inputs["logs"] == [{"category": "ApplicationGatewayAccessLog", "enabled": True}]
    # "Dedicated": the resource-specific table AGWAccessLogs, which the alerts read.
    assert setting.inputs["logAnalyticsDestinationType"] == "Dedicated"


def test_both_alerts_at_the_configured_thresholds_notify_the_action_group(vm: Plan) -> None:
    found = rules(vm)
    assert set(found) == {"error-rate", "latency-p95"}
    group = vm.one("azure-native:monitor:ActionGroup")
    workspace = vm.one("azure-native:operationalinsights:Workspace")
    for rule in found.values():
        assert [g.rsplit("/", 1)[1] for g in rule.inputs["actions"]["actionGroups"]] == [group.name]
        assert [s.rsplit("/", 1)[1] for s in rule.inputs["scopes"]] == [workspace.name]
        assert rule.inputs["enabled"] is True
    error = found["error-rate"].inputs["criteria"]["allOf"][0]
    p95 = found["latency-p95"].inputs["criteria"]["allOf"][0]
    assert (error["threshold"], error["metricMeasureColumn"]) == (ERROR_PCT, "error_percent")
    assert (p95["threshold"], p95["metricMeasureColumn"]) == (P95_MS, "p95_ms")
    assert "errors / requests" in error["query"]
    assert "percentile(duration_ms, 95)" in p95["query"]


def test_the_alerts_read_the_gateways_log_in_milliseconds(vm: Plan) -> None:
    for key in ("error-rate", "latency-p95"):
        text = query(vm, key)
        assert text.startswith("AGWAccessLogs\n")
        assert "status = toint(HttpStatus)" in text  # what the client got from the gateway
        assert "duration_ms = 1000.0 * TimeTaken" in text  # TimeTaken is in seconds


def test_the_p95_leaves_every_streaming_path_out(vm: Plan) -> None:
    text = query(vm, "latency-p95")
    streamed = {
        "/v1/chains/rag/stream": "/v1/chains/{name}/stream",
        "/v1/chains/my-chain/stream_log": "/v1/chains/{name}/stream_log",
        "/v1/chains/rag/stream_events?x=1": "/v1/chains/{name}/stream_events",
        "/v1/chat/completions": "/v1/chat/completions",
    }
    assert set(streamed.values()) == set(STREAMING_ROUTES)
    for uri, route in streamed.items():
        assert route_of(text, uri) == route, uri
        assert not in_p95(text, route_of(text, uri)), uri
    for uri in (
        "/v1/chains/rag/invoke",
        "/v1/chains/stream/invoke",  # a chain named "stream" is not a stream
        "/v1/chains/rag/streamer",
        "/v1/chains/a/b/stream",  # a name is one path segment
        "/v1/models",
        "/v1/chat/completions/extra",
    ):
        assert route_of(text, uri) == uri.split("?")[0], uri
        assert in_p95(text, route_of(text, uri)), uri
    assert not in_p95(text, route_of(text, "/healthz"))  # /v1/ routes only


def test_the_gateways_own_answers_are_not_counted(vm: Plan) -> None:
    """Port 80's redirects never reach the app; 127.0.0.1 lines are the gateway's own."""
    gateway = vm.one("azure-native:network:ApplicationGateway").inputs
    (redirect,) = [r for r in gateway["requestRoutingRules"] if "redirectConfiguration" in r]
    for key in ("error-rate", "latency-p95"):
        text = query(vm, key)
        assert f'RuleName != "{redirect["name"]}"' in text
        assert 'ClientIp != "127.0.0.1"' in text


def test_the_cluster_gateway_sends_no_second_log() -> None:
    """AKS already has the app's own access log (Container Insights): one pair of alerts."""
    cluster = plan_for("cluster", **DOMAIN, **KEYS)
    assert cluster.of_type(SETTING) == []
    assert set(rules(cluster)) == {"error-rate", "latency-p95"}
    assert all(
        query(cluster, k).startswith("ContainerLogV2") for k in ("error-rate", "latency-p95")
    )


@pytest.mark.parametrize("key", sorted(KEYS))
def test_without_a_domain_each_key_is_refused_naming_the_domain(key: str) -> None:
    with pytest.raises(PlanConfigError) as failure:
        plan_for("vm", **{key: KEYS[key]})
    message = str(failure.value)
    assert f"{key}=" in message and "has no effect on azure vm" in message
    assert "without llmchain:ingress.domain" in message
    assert "layer 4" in message  # why: nothing else sees every HTTP answer
    assert "set llmchain:ingress.domain" in message  # what to do besides unsetting it
    assert failure.value.registered == []


def test_without_a_domain_and_the_keys_the_vm_has_no_gateway_log() -> None:
    plain = plan_for("vm")
    assert plain.of_type(SETTING) == []
    assert plain.of_type(RULE) == []
