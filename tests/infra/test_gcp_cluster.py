"""GKE: control-plane networks, an internal Service when private, the other modes' monitoring (issue 16 item 20)."""

from __future__ import annotations

import pytest

from infra.image_contract import STREAMING_ROUTES
from infra.plan import Plan, PlanConfigError, run_plan

BASE = {"gcp:project": "demo-project", "llmchain:compute": "cluster"}
POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"


@pytest.fixture(scope="module")
def public() -> Plan:
    return run_plan("gcp", BASE)


@pytest.fixture(scope="module")
def private() -> Plan:
    return run_plan("gcp", {**BASE, "llmchain:ingress.public": False})


def _filters(plan: Plan) -> dict[str, str]:
    return {
        p.name.removeprefix("llmchain-gcp-"): p.inputs["conditions"][0]["conditionThreshold"][
            "filter"
        ]
        for p in plan.of_type(POLICY)
    }


def test_authorized_networks_restrict_the_control_plane() -> None:
    nets = ["203.0.113.0/24", "198.51.100.7/32"]
    plan = run_plan("gcp", {**BASE, "llmchain:gcp.authorizedNetworks": nets})
    config = plan.one("gcp:container/cluster:Cluster").inputs["masterAuthorizedNetworksConfig"]
    assert [b["cidrBlock"] for b in config["cidrBlocks"]] == nets
    assert config["gcpPublicCidrsAccessEnabled"] is False  # not every Google Cloud address
    assert not [w for w in plan.warnings if "control plane" in w]


def test_without_authorized_networks_preview_says_the_endpoint_is_open(public: Plan) -> None:
    cluster = public.one("gcp:container/cluster:Cluster").inputs
    assert "masterAuthorizedNetworksConfig" not in cluster  # the deployer can reach it
    assert [w for w in public.warnings if "llmchain:gcp.authorizedNetworks" in w]


def test_a_bad_network_is_refused_naming_the_key() -> None:
    with pytest.raises(PlanConfigError, match=r"llmchain:gcp\.authorizedNetworks"):
        run_plan("gcp", {**BASE, "llmchain:gcp.authorizedNetworks": ["10.0.0.1"]})


def test_a_private_stack_is_an_internal_load_balancer(private: Plan, public: Plan) -> None:
    service = private.one("kubernetes:core/v1:Service").inputs
    assert service["spec"]["type"] == "LoadBalancer"  # GKE ignores the annotation elsewhere
    assert service["metadata"]["annotations"] == {
        "networking.gke.io/load-balancer-type": "Internal"
    }
    assert public.one("kubernetes:core/v1:Service").inputs["spec"]["type"] == "LoadBalancer"
    assert "annotations" not in public.one("kubernetes:core/v1:Service").inputs["metadata"] or (
        not public.one("kubernetes:core/v1:Service").inputs["metadata"]["annotations"]
    )


def test_cluster_has_the_other_modes_alerts_and_an_uptime_check(
    public: Plan, private: Plan
) -> None:
    serverless = run_plan("gcp", {"gcp:project": "demo-project"})
    assert set(_filters(serverless)) <= set(_filters(public))  # errors, latency, uptime
    assert {"errors", "latency", "uptime", "restarts"} == set(_filters(public))
    check = public.one("gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig").inputs
    assert check["httpCheck"]["path"] == "/healthz" and check["httpCheck"]["port"] == 80
    # A private Service is not reachable from the uptime checkers.
    assert private.of_type("gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig") == []
    assert {"errors", "latency", "restarts"} == set(_filters(private))


def test_alerts_read_the_apps_metrics_collected_from_its_pods(public: Plan) -> None:
    monitor = public.one("kubernetes:monitoring.googleapis.com/v1:PodMonitoring").inputs
    pods = public.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["metadata"]
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pods["labels"].items()
    assert monitor["spec"]["endpoints"] == [{"port": 8000, "path": "/metrics", "interval": "30s"}]
    filters = _filters(public)
    assert 'resource.labels.namespace = "llmchain-gcp"' in filters["errors"]
    assert "llmchain_http_requests_total/counter" in filters["errors"]
    assert 'monitoring.regex.full_match("5..")' in filters["errors"]


def test_latency_leaves_out_streams(public: Plan) -> None:
    """Issue 16 item 14: a stream's duration is not the service's latency."""
    latency = next(p for p in public.of_type(POLICY) if p.name.endswith("-latency")).inputs
    condition = latency["conditions"][0]["conditionThreshold"]
    for route in STREAMING_ROUTES:
        assert f'metric.labels.route != "{route}"' in condition["filter"]
    assert condition["thresholdValue"] == 10.0  # 10 000 ms, in the histogram's seconds
    (aggregation,) = condition["aggregations"]
    assert (aggregation["perSeriesAligner"], aggregation["crossSeriesReducer"]) == (
        "ALIGN_DELTA",
        "REDUCE_PERCENTILE_95",
    )


def test_kubeconfig_is_a_secret_output(public: Plan) -> None:
    assert public.outputs["kubeconfig"] == "[secret]"
