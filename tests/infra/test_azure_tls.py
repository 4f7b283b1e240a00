"""Issue 15 item 12: HTTPS with `llmchain:ingress.domain` on the Azure vm and cluster modes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.access import warnings
from infra.azure.gateway import record_name, zone_parts
from infra.azure.roles import KEY_VAULT_SECRETS_USER
from infra.config import StackConfig
from infra.plan import Plan, PlanConfigError, Resource, run_plan
from infra.readiness.network_azure import azure_network_paths
from infra.readiness.variants import matrix

ZONE_ID = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/dns"
    "/providers/Microsoft.Network/dnszones/example.com"
)
DOMAIN = "chat.example.com"
GATEWAY = "azure-native:network:ApplicationGateway"
NSG = "azure-native:network:NetworkSecurityGroup"
LB = "azure-native:network:LoadBalancer"
ROLE = "azure-native:authorization:RoleAssignment"


def plan_for(mode: str, **overrides: object) -> Plan:
    return run_plan(
        "azure",
        {
            "llmchain:compute": mode,
            "llmchain:ingress.domain": DOMAIN,
            "llmchain:azure.dnsZoneId": ZONE_ID,
            **overrides,
        },
    )


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {mode: plan_for(mode) for mode in ("vm", "cluster")}


@pytest.fixture(scope="module", params=["vm", "cluster"])
def plan(request: pytest.FixtureRequest, plans: dict[str, Plan]) -> Plan:
    return plans[request.param]


def gateway_of(plan: Plan) -> dict[str, Any]:
    return plan.one(GATEWAY).inputs


def by_name(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (found,) = [i for i in items if i.get("name") == name]
    return found


# --- what a user gets ----------------------------------------------------------------------


def test_the_url_is_https_on_the_domain(plan: Plan) -> None:
    assert plan.outputs["url"] == f"https://{DOMAIN}"
    assert plan.outputs["health_url"] == f"https://{DOMAIN}/healthz"
    assert not any("plain HTTP" in w for w in plan.warnings)


def test_https_listener_on_443_with_the_certificate_and_http_redirects(plan: Plan) -> None:
    gateway = gateway_of(plan)
    assert gateway["sku"] == {"name": "Standard_v2", "tier": "Standard_v2"}
    ports = {p["name"]: p["port"] for p in gateway["frontendPorts"]}
    https = by_name(gateway["httpListeners"], "https")
    assert https["protocol"] == "Https"
    assert ports[https["frontendPort"]["id"].rsplit("/", 1)[1]] == 443
    assert https["sslCertificate"]["id"].endswith("/sslCertificates/domain")
    assert gateway["sslPolicy"]["policyName"] == "AppGwSslPolicy20220101"  # TLS 1.2 minimum
    redirect = by_name(gateway["requestRoutingRules"], "http-to-https")
    assert redirect["httpListener"]["id"].endswith("/httpListeners/http")
    assert "backendAddressPool" not in redirect  # port 80 only redirects
    target = by_name(gateway["redirectConfigurations"], "to-https")
    assert target["redirectType"] == "Permanent"
    assert target["targetListener"]["id"].endswith("/httpListeners/https")
    # a model call takes longer than the gateway's 20 s default: the app times out first
    assert gateway["backendHttpSettingsCollection"][0]["requestTimeout"] > 3600


def test_the_certificate_is_lets_encrypt_for_the_domain_by_dns_in_the_zone(plan: Plan) -> None:
    (certificate,) = plan.of_type("acme:index/certificate:Certificate")
    assert certificate.inputs["commonName"] == DOMAIN
    (challenge,) = certificate.inputs["dnsChallenges"]
    assert challenge["provider"] == "azuredns"
    assert challenge["config"] == {
        "AZURE_SUBSCRIPTION_ID": "00000000-1111-2222-3333-444444444444",
        "AZURE_RESOURCE_GROUP": "dns",
        "AZURE_ZONE_NAME": "example.com",
    }
    assert certificate.inputs["minDaysDynamic"] is True  # renews at up, a third of life left
    (provider,) = plan.of_type("pulumi:providers:acme")
    assert provider.inputs["serverUrl"] == "https://acme-v02.api.letsencrypt.org/directory"


def test_the_gateway_reads_its_certificate_from_key_vault_with_its_own_identity(
    plan: Plan,
) -> None:
    gateway = plan.one(GATEWAY)
    (secret,) = [
        s
        for s in plan.of_type("azure-native:keyvault:Secret")
        if s.inputs["secretName"] == "tls-certificate"
    ]
    assert secret.inputs["properties"]["contentType"] == "application/x-pkcs12"
    (cert,) = gateway.inputs["sslCertificates"]
    # version-less: the gateway picks up renewals from the vault by itself
    assert cert["keyVaultSecretId"].endswith("/secrets/tls-certificate/")
    (identity,) = gateway.inputs["identity"]["userAssignedIdentities"]
    assert identity.endswith("/llmchain-azure-agw-id")
    (grant,) = [
        r
        for r in plan.of_type(ROLE)
        if r.inputs["principalId"] == "llmchain-azure-agw-id-principal"
    ]
    assert grant.inputs["roleDefinitionId"].endswith(KEY_VAULT_SECRETS_USER)
    assert grant.inputs["scope"].endswith("/secrets/tls-certificate")  # that secret only
    assert grant.urn in plan.ancestors(gateway)  # fetched while the gateway is created
    assert secret.urn in plan.ancestors(gateway)


def test_the_domain_points_at_the_gateway(plan: Plan) -> None:
    (record,) = plan.of_type("azure-native:dns:RecordSet")
    assert record.inputs["zoneName"] == "example.com"
    assert record.inputs["resourceGroupName"] == "dns"
    assert record.inputs["relativeRecordSetName"] == "chat"
    assert record.inputs["recordType"] == "A"
    ip = by_name(gateway_of(plan)["frontendIPConfigurations"], "public")["publicIPAddress"]["id"]
    assert record.inputs["targetResource"]["id"] == ip


def test_vm_is_behind_an_internal_load_balancer_the_gateway_forwards_to(
    plans: dict[str, Plan],
) -> None:
    plan = plans["vm"]
    (lb,) = plan.of_type(LB)
    (front,) = lb.inputs["frontendIPConfigurations"]
    assert "publicIPAddress" not in front  # the only way in from the internet is HTTPS
    assert front["privateIPAddress"] == "10.50.2.254"
    pool = gateway_of(plan)["backendAddressPools"][0]["backendAddresses"]
    assert pool == [{"ipAddress": "10.50.2.254"}]
    vms_nsg = next(n for n in plan.of_type(NSG) if n.name == "llmchain-azure-vms-nsg")
    sources = {
        r["sourceAddressPrefix"] for r in vms_nsg.inputs["securityRules"] if r["access"] == "Allow"
    }
    assert "Internet" not in sources


def test_cluster_service_is_internal_at_the_gateways_backend_address(
    plans: dict[str, Plan],
) -> None:
    plan = plans["cluster"]
    (service,) = plan.of_type("kubernetes:core/v1:Service")
    annotations = service.inputs["metadata"]["annotations"]
    assert annotations["service.beta.kubernetes.io/azure-load-balancer-internal"] == "true"
    assert annotations["service.beta.kubernetes.io/azure-load-balancer-ipv4"] == "10.50.11.254"
    pool = gateway_of(plan)["backendAddressPools"][0]["backendAddresses"]
    assert pool == [{"ipAddress": "10.50.11.254"}]
    aks_nsg = next(n for n in plan.of_type(NSG) if n.name == "llmchain-azure-aks-nsg")
    assert all(r["access"] == "Deny" for r in aks_nsg.inputs["securityRules"])


def test_ha_spreads_the_gateway_and_its_address_over_zones() -> None:
    plan = plan_for("vm", **{"llmchain:ha": True, "llmchain:database.instance": "Standard_D2ds_v5"})
    gateway = gateway_of(plan)
    assert gateway["zones"] == ["1", "2", "3"]
    assert gateway["autoscaleConfiguration"]["minCapacity"] == 2
    ip = next(
        r
        for r in plan.of_type("azure-native:network:PublicIPAddress")
        if r.name.endswith("-agw-ip")
    )
    assert ip.inputs["zones"] == ["1", "2", "3"]


def test_no_gateway_without_a_domain() -> None:
    plan = run_plan("azure", {"llmchain:compute": "vm"})
    assert not plan.of_type(GATEWAY)
    assert not [
        s for s in plan.of_type("azure-native:network:Subnet") if s.name.endswith("-gateway")
    ]


def test_the_gateway_alerts_on_5xx_and_unhealthy_backends(plan: Plan) -> None:
    watched = {}
    for alert in plan.of_type("azure-native:monitor:MetricAlert"):
        (criterion,) = alert.inputs["criteria"]["allOf"]
        if criterion["metricNamespace"] == "Microsoft.Network/applicationGateways":
            (scope,) = alert.inputs["scopes"]
            assert scope.endswith("/llmchain-azure-agw")  # the gateway itself
            watched[criterion["metricName"]] = criterion
    # No mean-time alert: latencyP95Ms is a p95 (tests/infra/test_alarms_http.py), which a
    # metric alert cannot compute.
    assert set(watched) == {"ResponseStatus", "UnhealthyHostCount"}
    assert watched["ResponseStatus"]["dimensions"] == [
        {"name": "HttpStatusGroup", "operator": "Include", "values": ["5xx"]}
    ]


def test_the_readiness_matrix_deploys_tls_for_azure_vm_and_cluster() -> None:
    ids = {case.id for case in matrix("azure")}
    assert {"azure-vm-domain", "azure-cluster-domain"} <= ids
    assert "azure-serverless-domain" not in ids


# --- configuration ---------------------------------------------------------------------------


def test_a_domain_needs_the_dns_zone() -> None:
    with pytest.raises(PlanConfigError, match=r"llmchain:azure\.dnsZoneId.*required"):
        run_plan("azure", {"llmchain:compute": "vm", "llmchain:ingress.domain": DOMAIN})


def test_the_domain_must_be_in_the_zone() -> None:
    with pytest.raises(PlanConfigError, match=r"llmchain:ingress\.domain.*not in the zone"):
        plan_for("vm", **{"llmchain:ingress.domain": "chat.example.org"})


def test_a_private_stack_with_a_domain_is_refused_with_the_reason() -> None:
    with pytest.raises(PlanConfigError, match=r"EnableApplicationGatewayNetworkIsolation"):
        plan_for("cluster", **{"llmchain:ingress.public": False})


def test_serverless_with_a_domain_is_still_refused() -> None:
    with pytest.raises(PlanConfigError, match=r"set up for vm, cluster yet.*compute=serverless"):
        plan_for("serverless")


def test_a_public_vm_without_a_domain_is_told_how_to_get_https() -> None:
    config = StackConfig.model_validate(
        {"cloud": "azure", "compute": "vm", "ingress": {"public": True}}
    )
    (said,) = warnings(config, has_keys=True)
    assert "set llmchain:ingress.domain for HTTPS" in said


def test_zone_helpers() -> None:
    assert zone_parts(ZONE_ID) == ("00000000-1111-2222-3333-444444444444", "dns", "example.com")
    assert record_name("chat.example.com", "example.com") == "chat"
    assert record_name("example.com", "example.com") == "@"
    assert record_name("a.b.example.com", "example.com") == "a.b"


# --- the readiness rule: each defect is found, the real plan passes ----------------------------


def findings(plan: Plan) -> list[str]:
    return [f.message for f in azure_network_paths(plan)]


def broken(plan: Plan, change: Any) -> Plan:
    copied = copy.deepcopy(plan)
    change(copied)
    return copied


def the(plan: Plan, type_token: str, suffix: str) -> Resource:
    return next(r for r in plan.of_type(type_token) if r.name.endswith(suffix))


def test_readiness_passes_the_real_plans(plan: Plan) -> None:
    assert findings(plan) == []


def test_readiness_finds_a_missing_gateway_manager_rule(plan: Plan) -> None:
    def drop(p: Plan) -> None:
        nsg = the(p, NSG, "-gateway-nsg")
        nsg.inputs["securityRules"] = [
            r for r in nsg.inputs["securityRules"] if r["name"] != "gateway-manager"
        ]

    assert any("GatewayManager" in m and ":65200/" in m for m in findings(broken(plan, drop)))


def test_readiness_finds_https_closed_to_the_internet(plan: Plan) -> None:
    def drop(p: Plan) -> None:
        nsg = the(p, NSG, "-gateway-nsg")
        nsg.inputs["securityRules"] = [
            r for r in nsg.inputs["securityRules"] if r["name"] != "https-in"
        ]

    assert any(
        "internet -> llmchain-azure-agw" in m and ":443/" in m for m in findings(broken(plan, drop))
    )


def test_readiness_finds_plain_http_served(plan: Plan) -> None:
    def route(p: Plan) -> None:
        rule = by_name(the(p, GATEWAY, "-agw").inputs["requestRoutingRules"], "http-to-https")
        rule.pop("redirectConfiguration")
        rule["backendAddressPool"] = {"id": "x/backendAddressPools/service"}

    assert any("serves plain HTTP" in m for m in findings(broken(plan, route)))


def test_readiness_finds_no_https_listener(plan: Plan) -> None:
    def drop(p: Plan) -> None:
        gateway = the(p, GATEWAY, "-agw")
        gateway.inputs["httpListeners"] = [
            dict(listener, protocol="Http") for listener in gateway.inputs["httpListeners"]
        ]

    assert any("no HTTPS listener on 443" in m for m in findings(broken(plan, drop)))


def test_readiness_finds_a_domain_with_no_tls_entry(plan: Plan) -> None:
    def drop(p: Plan) -> None:
        p.resources = [r for r in p.resources if r.type != GATEWAY]

    assert any("no HTTPS entry" in m for m in findings(broken(plan, drop)))


def test_readiness_finds_a_backend_nobody_listens_on(plan: Plan) -> None:
    def move(p: Plan) -> None:
        pool = the(p, GATEWAY, "-agw").inputs["backendAddressPools"][0]
        pool["backendAddresses"] = [{"ipAddress": "10.50.2.100"}]

    assert any("no internal load balancer or Service" in m for m in findings(broken(plan, move)))


def test_readiness_finds_the_vm_subnet_closed_to_the_gateway(plans: dict[str, Plan]) -> None:
    def close(p: Plan) -> None:
        nsg = the(p, NSG, "-vms-nsg")
        nsg.inputs["securityRules"].insert(
            0,
            {
                "name": "deny-vnet",
                "priority": 50,
                "direction": "Inbound",
                "access": "Deny",
                "protocol": "*",
                "sourceAddressPrefix": "VirtualNetwork",
                "sourcePortRange": "*",
                "destinationAddressPrefix": "*",
                "destinationPortRange": "*",
            },
        )

    assert any(
        "llmchain-azure-agw -> llmchain-azure-lb" in m and ":8000/" in m
        for m in findings(broken(plans["vm"], close))
    )
