"""Azure issue 15, items 10, 14, 15, 16, 17: rolling the scale set, private URLs, NAT, alerts, TLS."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from infra import mocks
from infra.azure.database import CA_BUNDLE, database_url
from infra.plan import Plan, PlanConfigError, run_plan

API_KEY = "azure-api-key-never-plain"


def plan_for(mode: str, **overrides: object) -> Plan:
    return run_plan("azure", {"llmchain:compute": mode, **overrides}, {"llmchain:apiKeys": API_KEY})


# --- item 17: the database's certificate is verified -----------------------------------------


def test_database_url_verifies_the_server_certificate_and_host_name() -> None:
    url = database_url("Pw0rd", "llmchain-azure-pg-abc123.postgres.database.azure.com")
    # libpq's own parser (the app's driver hands the URL to it unchanged)
    params = conninfo_to_dict(url)
    assert params["sslmode"] == "verify-full"  # `require` accepts any certificate
    assert params["sslrootcert"] == CA_BUNDLE
    assert params["host"] == "llmchain-azure-pg-abc123.postgres.database.azure.com"
    assert (params["user"], params["dbname"], params["port"]) == ("llmchain", "llmchain", "5432")


@pytest.mark.skipif(not Path(CA_BUNDLE).exists(), reason="no Debian CA bundle on this machine")
def test_the_ca_bundle_holds_the_roots_azure_postgres_chains_to() -> None:
    # Debian's ca-certificates, as in the image's python:3.11-slim base (Debian bookworm).
    bundle = Path(CA_BUNDLE).read_text()
    names = Path("/etc/ssl/certs")
    assert (names / "DigiCert_Global_Root_G2.pem").read_text().strip() in bundle
    assert (
        names / "Microsoft_RSA_Root_Certificate_Authority_2017.pem"
    ).read_text().strip() in bundle


# --- item 15: a NAT gateway only where it is used --------------------------------------------


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {mode: plan_for(mode) for mode in ("serverless", "vm", "cluster")}


@pytest.mark.parametrize("mode", ["serverless", "cluster"])
def test_no_nat_gateway_where_no_subnet_uses_one(plans: dict[str, Plan], mode: str) -> None:
    plan = plans[mode]
    assert plan.of_type("azure-native:network:NatGateway") == []
    assert plan.of_type("azure-native:network:PublicIPAddress") == []  # nor its address
    assert all(
        s.inputs.get("natGateway") is None for s in plan.of_type("azure-native:network:Subnet")
    )


def test_the_vm_subnet_alone_egresses_through_the_nat_gateway(plans: dict[str, Plan]) -> None:
    plan = plans["vm"]
    nat = plan.one("azure-native:network:NatGateway")
    using = [
        s.name
        for s in plan.of_type("azure-native:network:Subnet")
        if s.inputs.get("natGateway") is not None
    ]
    assert using == ["llmchain-azure-vms"]
    assert nat.inputs["sku"] == {"name": "Standard"}


# --- item 16: alerts read metrics that exist -------------------------------------------------

# Platform metrics per resource type (Microsoft's supported-metrics reference, read
# 2026-11-29): microsoft-app-containerapps-metrics, microsoft-compute-virtualmachinescalesets-
# metrics, microsoft-network-loadbalancers-metrics, microsoft-containerservice-managedclusters-
# metrics. Application Insights' requests/* exist only when the app exports to it; it does not.
PLATFORM_METRICS = {
    "Microsoft.App/containerApps": {"Requests", "ResponseTime", "RestartCount"},
    "Microsoft.Compute/virtualMachineScaleSets": {"Percentage CPU"},
    "Microsoft.Network/loadBalancers": {"DipAvailability"},
    "Microsoft.Network/applicationGateways": {
        "ResponseStatus",
        "ApplicationGatewayTotalTime",
        "UnhealthyHostCount",
    },
    "Microsoft.ContainerService/managedClusters": {
        "node_cpu_usage_percentage",
        "kube_pod_status_phase",
    },
}


@pytest.mark.parametrize("mode", ["serverless", "vm", "cluster"])
def test_every_alert_reads_a_platform_metric_of_the_compute(
    plans: dict[str, Plan], mode: str
) -> None:
    alerts = plans[mode].of_type("azure-native:monitor:MetricAlert")
    assert alerts
    for alert in alerts:
        (criterion,) = alert.inputs["criteria"]["allOf"]
        namespace, metric = criterion["metricNamespace"], criterion["metricName"]
        assert metric in PLATFORM_METRICS.get(namespace, set()), (alert.name, namespace, metric)
        # ARM checks the metric exists when the alert is created: a typo fails `up`
        assert criterion.get("skipMetricValidation") is not True


def test_serverless_alerts_on_5xx_latency_and_restarts(plans: dict[str, Plan]) -> None:
    alerts = {
        a.name.removeprefix("llmchain-azure-"): a.inputs["criteria"]["allOf"][0]
        for a in plans["serverless"].of_type("azure-native:monitor:MetricAlert")
    }
    # The 5xx share and the p95 are log search alerts over the access log (a metric alert has
    # neither a ratio nor a percentile): tests/infra/test_alarms_http.py.
    logs = {
        a.name.removeprefix("llmchain-azure-"): a.inputs["criteria"]["allOf"][0]
        for a in plans["serverless"].of_type("azure-native:monitor:ScheduledQueryRule")
    }
    assert set(logs) == {"error-rate", "latency-p95"}
    assert logs["latency-p95"]["threshold"] == 10_000  # llmchain:monitoring.latencyP95Ms default
    # RestartCount is cumulative per replica: a Total above 0 would fire forever after one
    assert alerts["restarts"]["timeAggregation"] == "Maximum"


@pytest.mark.parametrize(
    ("mode", "page"),
    [
        ("serverless", "/ContainerApp/llmchain-azure/overview"),
        ("vm", "/VirtualMachineScaleSet/llmchain-azure-vmss/overview"),
        ("cluster", "/ManagedCluster/llmchain-azure-aks/overview"),
    ],
)
def test_dashboard_is_the_page_whose_metrics_the_alerts_read(
    plans: dict[str, Plan], mode: str, page: str
) -> None:
    # not Application Insights' overview, which stays empty while the app exports nothing
    url = plans[mode].outputs["dashboard_url"]
    assert url.startswith("https://portal.azure.com/#@") and url.endswith(page)


# --- item 14: a private stack's url works inside the VNet ------------------------------------


@pytest.fixture(scope="module")
def private() -> dict[str, Plan]:
    return {
        mode: plan_for(mode, **{"llmchain:ingress.public": False}) for mode in ("serverless", "vm")
    }


def test_private_vm_url_is_the_internal_load_balancers_fixed_address(
    private: dict[str, Plan],
) -> None:
    plan = private["vm"]
    (front,) = plan.one("azure-native:network:LoadBalancer").inputs["frontendIPConfigurations"]
    assert front["privateIPAllocationMethod"] == "Static"
    assert front["privateIPAddress"] == "10.50.2.254"  # last usable address of 10.50.2.0/24
    assert front["subnet"]["id"].endswith("/llmchain-azure-vms")
    assert "publicIPAddress" not in front
    assert plan.outputs["url"] == "http://10.50.2.254"
    assert plan.outputs["health_url"] == "http://10.50.2.254/healthz"


def test_private_container_app_resolves_in_the_vnet(private: dict[str, Plan]) -> None:
    plan = private["serverless"]
    env = plan.one("azure-native:app:ManagedEnvironment")
    assert env.inputs["vnetConfiguration"]["internal"] is True
    # reachable from the VNet: "internal" ingress would admit only the environment's own apps
    ingress = plan.one("azure-native:app:ContainerApp").inputs["configuration"]["ingress"]
    assert ingress["external"] is True
    (zone,) = [
        z
        for z in plan.of_type("azure-native:privatedns:PrivateZone")
        if z.name == "llmchain-azure-apps-dns"
    ]
    domain = "happyhill-1234.westeurope.azurecontainerapps.io"  # the mock's defaultDomain
    assert zone.inputs["privateZoneName"] == domain
    records = {
        r.inputs["relativeRecordSetName"]: r.inputs
        for r in plan.of_type("azure-native:privatedns:PrivateRecordSet")
    }
    assert set(records) == {"*", "@"}
    for record in records.values():
        assert record["recordType"] == "A"
        assert record["aRecords"] == [{"ipv4Address": "10.50.0.100"}]  # the mock's staticIp
    links = [
        link
        for link in plan.of_type("azure-native:privatedns:VirtualNetworkLink")
        if link.name == "llmchain-azure-apps-dns-link"
    ]
    (link,) = links
    assert link.inputs["virtualNetwork"]["id"].endswith("/llmchain-azure-vnet")
    assert link.inputs["registrationEnabled"] is False
    assert plan.outputs["url"].startswith("https://") and plan.outputs["url"].endswith("." + domain)


def test_public_container_app_has_no_private_zone(plans: dict[str, Plan]) -> None:
    assert plans["serverless"].of_type("azure-native:privatedns:PrivateRecordSet") == []


# --- item 10: a new image or setting rolls the scale set --------------------------------------


def _scale_set(plan: Plan) -> tuple[str, str, dict]:
    """(custom data, release script, upgrade policy) of the plan's scale set."""
    vmss = plan.one("azure-native:compute:VirtualMachineScaleSet").inputs
    profile = vmss["virtualMachineProfile"]
    (release,) = [
        e for e in profile["extensionProfile"]["extensions"] if e["type"] == "CustomScript"
    ]
    assert release["publisher"] == "Microsoft.Azure.Extensions"
    script = base64.b64decode(release["settings"]["script"]).decode()
    return profile["osProfile"]["customData"], script, vmss["upgradePolicy"]


def test_a_new_digest_changes_the_scale_set_model_under_a_rolling_policy(
    plans: dict[str, Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = plans["vm"]
    # the same stack after a code change: the registry hands back another digest
    digest = mocks.fake_digest
    monkeypatch.setattr(mocks, "fake_digest", lambda seed: digest(seed + "-after-a-change"))
    after = plan_for("vm")
    monkeypatch.undo()
    assert before.outputs["image_ref"] != after.outputs["image_ref"]
    data_before, release_before, policy = _scale_set(before)
    data_after, release_after, _ = _scale_set(after)
    assert f"LLMCHAIN_IMAGE={before.outputs['image_ref']}\n" in release_before
    assert f"LLMCHAIN_IMAGE={after.outputs['image_ref']}\n" in release_after
    # the model changes where running instances see it (an extension's settings, re-run on
    # change), not only in custom data, which reaches new instances alone
    assert release_before != release_after
    assert data_before == data_after
    assert "sha256:" not in base64.b64decode(data_before).decode()
    assert policy["mode"] == "Rolling"  # the platform applies a model change, batch by batch


def test_a_new_setting_rolls_too(plans: dict[str, Plan]) -> None:
    after = plan_for("vm", **{"llmchain:appSettings": {"LLMCHAIN_LOG_LEVEL": "DEBUG"}})
    data_before, release_before, _ = _scale_set(plans["vm"])
    data_after, release_after, _ = _scale_set(after)
    assert "LLMCHAIN_LOG_LEVEL=DEBUG\n" in release_after
    assert "LLMCHAIN_LOG_LEVEL=DEBUG" not in release_before
    assert data_before == data_after


@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX shell")
def test_release_script_is_valid_shell(plans: dict[str, Plan]) -> None:
    _, script, _ = _scale_set(plans["vm"])
    result = subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True)
    assert result.returncode == 0, result.stderr
    assert script.index("cloud-init status --wait") < script.index("systemctl restart llmchain")


# --- item 12: vm and cluster get HTTPS with a domain (tests/infra/test_azure_tls.py) ---------


@pytest.mark.parametrize("mode", ["vm", "cluster"])
def test_a_domain_on_vm_or_cluster_needs_its_dns_zone_naming_the_setting(mode: str) -> None:
    with pytest.raises(PlanConfigError, match=r"llmchain:azure\.dnsZoneId: required"):
        plan_for(mode, **{"llmchain:ingress.domain": "chat.example.com"})
