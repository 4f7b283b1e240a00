"""GCP vm mode: a private stack stays inside the VPC; alerts watch this stack's balancer (issue 16)."""

from __future__ import annotations

import pytest
import uvicorn

from infra.gcp.network import PROXY_SUBNET_CIDR
from infra.plan import Plan, PlanConfigError, run_plan
from infra.readiness.facts import env_values

PROJECT = {"gcp:project": "demo-project", "llmchain:compute": "vm"}


@pytest.fixture(scope="module")
def private() -> Plan:
    return run_plan("gcp", {**PROJECT, "llmchain:ingress.public": False})


@pytest.fixture(scope="module")
def public() -> Plan:
    return run_plan("gcp", PROJECT)


def test_private_vm_has_only_an_internal_load_balancer(private: Plan) -> None:
    assert private.of_type("gcp:compute/globalForwardingRule:GlobalForwardingRule") == []
    addresses = private.of_type("gcp:compute/globalAddress:GlobalAddress")
    assert [a.inputs.get("purpose") for a in addresses] == ["VPC_PEERING"]  # Cloud SQL's range
    rule = private.one("gcp:compute/forwardingRule:ForwardingRule")
    assert rule.inputs["loadBalancingScheme"] == "INTERNAL_MANAGED"
    backend = private.one("gcp:compute/regionBackendService:RegionBackendService").inputs
    assert backend["loadBalancingScheme"] == "INTERNAL_MANAGED"
    assert private.outputs["url"] == "http://10.60.0.50"


def test_the_internal_balancer_has_its_proxy_subnet_and_firewall(private: Plan) -> None:
    (proxy,) = [
        s
        for s in private.of_type("gcp:compute/subnetwork:Subnetwork")
        if s.inputs.get("purpose") == "REGIONAL_MANAGED_PROXY"
    ]
    assert (proxy.inputs["ipCidrRange"], proxy.inputs["role"]) == (PROXY_SUBNET_CIDR, "ACTIVE")
    rule = private.one("gcp:compute/forwardingRule:ForwardingRule")
    assert proxy.urn in private.ancestors(rule)
    sources = [f.inputs["sourceRanges"] for f in private.of_type("gcp:compute/firewall:Firewall")]
    assert [PROXY_SUBNET_CIDR] in sources


def test_private_vm_is_not_probed_from_the_internet(private: Plan) -> None:
    assert private.of_type("gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig") == []


def test_public_vm_is_unchanged_and_has_no_proxy_subnet(public: Plan) -> None:
    assert public.of_type("gcp:compute/forwardingRule:ForwardingRule") == []
    assert public.of_type("gcp:compute/globalForwardingRule:GlobalForwardingRule")
    purposes = [
        s.inputs.get("purpose") for s in public.of_type("gcp:compute/subnetwork:Subnetwork")
    ]
    assert "REGIONAL_MANAGED_PROXY" not in purposes


@pytest.mark.parametrize(
    ("fixture", "kind"), [("public", "https_lb_rule"), ("private", "internal_http_lb_rule")]
)
def test_alerts_watch_this_stacks_forwarding_rule(
    fixture: str, kind: str, request: pytest.FixtureRequest
) -> None:
    plan: Plan = request.getfixturevalue(fixture)
    # The 5xx ratio's numerator and denominator; p95 reads the app's access log
    # (tests/infra/test_gcp_latency.py).
    filters = [
        c["conditionThreshold"][key]
        for p in plan.of_type("gcp:monitoring/alertPolicy:AlertPolicy")
        for c in p.inputs["conditions"]
        for key in ("filter", "denominatorFilter")
        if "loadbalancing" in c["conditionThreshold"].get(key, "")
    ]
    assert len(filters) == 2
    for text in filters:
        assert f'resource.type = "{kind}"' in text
        assert 'resource.labels.forwarding_rule_name = "llmchain-gcp-80"' in text


def test_streams_may_last_as_long_as_on_cloud_run(public: Plan, private: Plan) -> None:
    assert public.one("gcp:compute/backendService:BackendService").inputs["timeoutSec"] == 900
    regional = private.one("gcp:compute/regionBackendService:RegionBackendService")
    assert regional.inputs["timeoutSec"] == 900


def test_a_domain_on_a_private_vm_stack_is_refused_naming_the_keys() -> None:
    overrides = {"llmchain:ingress.public": False, "llmchain:ingress.domain": "chat.example.com"}
    with pytest.raises(PlanConfigError, match=r"llmchain:ingress\.domain='chat\.example\.com'"):
        run_plan("gcp", {**PROJECT, **overrides})


def test_the_app_keeps_idle_connections_longer_than_the_balancer(
    public: Plan, private: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.__main__ as entry  # the container's entry point

    for plan in (public, private):
        env = dict(env_values(plan.one("gcp:compute/instanceTemplate:InstanceTemplate").inputs))
        assert int(env["LLMCHAIN_KEEP_ALIVE_S"]) > 600  # Google's backend keep-alive
    seen: list[uvicorn.Config] = []
    monkeypatch.setattr(entry.Server, "run", lambda self: seen.append(self.config))
    monkeypatch.setenv("LLMCHAIN_KEEP_ALIVE_S", env["LLMCHAIN_KEEP_ALIVE_S"])
    entry.main()
    assert [c.timeout_keep_alive for c in seen] == [620]
