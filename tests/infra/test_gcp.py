"""The GCP stack under mocks, for serverless, vm and cluster: resources and invariants."""

from __future__ import annotations

import json

import pytest
import yaml

from infra.gcp.cloud_init import BOOTSTRAP, cloud_init
from infra.gcp.cluster import kubeconfig
from infra.gcp.network import LB_RANGES
from infra.gcp.serverless import cloud_run_size
from infra.gcp.target import APIS
from infra.plan import Plan, PlanConfigError, run_plan
from infra.vm_boot import Limits
from tests.infra.plan_cache import API_KEY, cloud_plan

MODES = ["serverless", "vm", "cluster"]
OPENAI_KEY = "sk-gcp-never-plain"
DB_PASSWORD = "mock-Password-0123456789abcdef"
PROJECT = {"gcp:project": "demo-project"}


def plan_for(mode: str, **overrides: object) -> Plan:
    return cloud_plan("gcp", mode, **overrides)


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {mode: plan_for(mode) for mode in MODES}


@pytest.fixture(scope="module", params=MODES)
def plan(request: pytest.FixtureRequest, plans: dict[str, Plan]) -> Plan:
    return plans[request.param]


def mode_of(plan: Plan) -> str:
    if plan.of_type("gcp:cloudrunv2/service:Service"):
        return "serverless"
    return (
        "vm"
        if plan.of_type("gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager")
        else "cluster"
    )


# --- invariants, for every compute mode -------------------------------------------------


def test_firewall_admits_only_the_load_balancer_and_never_ssh(plan: Plan) -> None:
    rules = plan.of_type("gcp:compute/firewall:Firewall")
    assert rules
    for rule in rules:
        assert "0.0.0.0/0" not in rule.inputs.get("sourceRanges", [])
        ports = {p for allow in rule.inputs.get("allows", []) for p in allow.get("ports", [])}
        assert "22" not in ports and "3389" not in ports
    (lb_rule,) = rules
    assert lb_rule.inputs["sourceRanges"] == LB_RANGES
    assert lb_rule.inputs["allows"] == [{"protocol": "tcp", "ports": ["8000"]}]


def test_cloud_sql_has_no_public_ip_and_is_backed_up(plan: Plan) -> None:
    instance = plan.one("gcp:sql/databaseInstance:DatabaseInstance").inputs
    ip = instance["settings"]["ipConfiguration"]
    assert ip["ipv4Enabled"] is False
    assert ip["sslMode"] == "ENCRYPTED_ONLY"
    assert instance["settings"]["backupConfiguration"]["enabled"] is True
    assert instance["settings"]["backupConfiguration"]["pointInTimeRecoveryEnabled"] is True
    assert instance["deletionProtection"] is True
    assert plan.one("gcp:sql/user:User").inputs["password"] == "[secret]"


def test_no_secret_value_in_plain_env_metadata_or_outputs() -> None:
    for mode in MODES:
        plan = run_plan(
            "gcp",
            {
                **PROJECT,
                "llmchain:compute": mode,
                "llmchain:llm.provider": "openai",
                "llmchain:image.providers": "openai",
            },
            {"llmchain:openaiApiKey": OPENAI_KEY, "llmchain:apiKeys": API_KEY},
        )
        text = json.dumps(plan.to_json())
        for secret in (OPENAI_KEY, API_KEY, DB_PASSWORD, "mock-gcp-access-token"):
            assert secret not in text, (mode, secret)


def test_compute_runs_the_image_by_digest(plan: Plan) -> None:
    ref = plan.outputs["image_ref"]
    assert ref.startswith("us-central1-docker.pkg.dev/demo-project/llmchain-gcp/llmchain@sha256:")
    mode = mode_of(plan)
    if mode == "serverless":
        (container,) = plan.one("gcp:cloudrunv2/service:Service").inputs["template"]["containers"]
        assert container["image"] == ref
    elif mode == "vm":
        template = plan.one("gcp:compute/instanceTemplate:InstanceTemplate").inputs
        assert ref in template["metadata"]["user-data"]
    else:
        deployment = plan.one("kubernetes:apps/v1:Deployment")
        assert deployment.inputs["spec"]["template"]["spec"]["containers"][0]["image"] == ref


def test_probes_and_health_checks_use_the_health_paths(plan: Plan) -> None:
    mode = mode_of(plan)
    if mode == "serverless":
        (container,) = plan.one("gcp:cloudrunv2/service:Service").inputs["template"]["containers"]
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    elif mode == "vm":
        checks = {
            c.name.removeprefix("llmchain-gcp-"): c.inputs
            for c in plan.of_type("gcp:compute/healthCheck:HealthCheck")
        }
        assert checks["live"]["httpHealthCheck"]["requestPath"] == "/healthz"
        assert checks["ready"]["httpHealthCheck"]["requestPath"] == "/readyz"
        group = plan.one("gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager").inputs
        assert group["autoHealingPolicies"]["healthCheck"].endswith("llmchain-gcp-live-id")
    else:
        container = plan.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"][
            "containers"
        ][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_alert_policies_exist_and_notify_the_channel(plan: Plan) -> None:
    channel = plan.one("gcp:monitoring/notificationChannel:NotificationChannel")
    assert channel.inputs["labels"] == {"email_address": "ops@example.com"}
    policies = {
        p.name.removeprefix("llmchain-gcp-"): p.inputs
        for p in plan.of_type("gcp:monitoring/alertPolicy:AlertPolicy")
    }
    expected = {
        "serverless": {"errors", "latency", "uptime"},
        "vm": {"errors", "latency", "uptime"},
        "cluster": {"errors", "latency", "uptime", "restarts"},  # issue 16 item 20
    }
    assert set(policies) == expected[mode_of(plan)]
    for policy in policies.values():
        assert policy["notificationChannels"] == ["projects/demo-project/notificationChannels/1234"]
    assert "denominatorFilter" in policies["errors"]["conditions"][0]["conditionThreshold"]
    if mode_of(plan) != "cluster":  # cluster: a Prometheus histogram (test_gcp_cluster.py)
        assert (
            policies["latency"]["conditions"][0]["conditionThreshold"]["aggregations"][0][
                "perSeriesAligner"
            ]
            == "ALIGN_PERCENTILE_95"
        )
    uptime = plan.one("gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig").inputs
    assert uptime["httpCheck"]["path"] == "/healthz"
    assert plan.outputs["dashboard_url"].startswith(
        "https://console.cloud.google.com/monitoring/dashboards/custom/"
    )


def test_scaling_bounds_come_from_config(plan: Plan) -> None:
    mode = mode_of(plan)
    if mode == "serverless":
        template = plan.one("gcp:cloudrunv2/service:Service").inputs["template"]
        assert (
            template["scaling"]["minInstanceCount"],
            template["scaling"]["maxInstanceCount"],
        ) == (2, 7)
        assert template["maxInstanceRequestConcurrency"] == 50
    elif mode == "vm":
        policy = plan.one("gcp:compute/regionAutoscaler:RegionAutoscaler").inputs[
            "autoscalingPolicy"
        ]
        assert (policy["minReplicas"], policy["maxReplicas"]) == (2, 7)
    else:
        hpa = plan.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs["spec"]
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 7)


def test_every_resource_gets_the_stack_labels(plan: Plan) -> None:
    provider = plan.one("pulumi:providers:gcp")
    labels = provider.inputs["defaultLabels"]
    labels = json.loads(labels) if isinstance(labels, str) else labels
    assert labels == {"app": "llmchain", "stack": "gcp", "managed-by": "pulumi", "team": "ml"}
    for resource in plan.resources:
        if resource.type.startswith("gcp:"):
            assert resource.provider and resource.provider.startswith(provider.urn), resource.name


def test_iam_is_member_level_never_owner_or_editor(plan: Plan) -> None:
    assert not plan.of_type("gcp:projects/iAMBinding:IAMBinding")
    assert not plan.of_type("gcp:projects/iAMPolicy:IAMPolicy")
    allowed = {
        "llmchain-gcp-app": {
            "roles/logging.logWriter",
            "roles/monitoring.metricWriter",
            "roles/aiplatform.user",
        },
        "llmchain-gcp-nodes": {"roles/container.defaultNodeServiceAccount"},  # GKE nodes only
    }
    for member in plan.of_type("gcp:projects/iAMMember:IAMMember"):
        assert member.inputs["role"] not in ("roles/owner", "roles/editor")
        account = member.inputs["member"].removeprefix("serviceAccount:").split("@")[0]
        assert member.inputs["role"] in allowed[account]
    for member in plan.of_type("gcp:secretmanager/secretIamMember:SecretIamMember"):
        assert member.inputs["role"] == "roles/secretmanager.secretAccessor"
        assert (
            member.inputs["member"]
            == "serviceAccount:llmchain-gcp-app@demo-project.iam.gserviceaccount.com"
        )


# --- per concern ------------------------------------------------------------------------------


def test_apis_are_enabled_by_the_stack(plans: dict[str, Plan]) -> None:
    enabled = {
        s.inputs["service"] for s in plans["serverless"].of_type("gcp:projects/service:Service")
    }
    assert enabled == set(APIS)


def test_network_private_services_access_and_nat(plans: dict[str, Plan]) -> None:
    plan = plans["serverless"]
    assert plan.one("gcp:compute/network:Network").inputs["autoCreateSubnetworks"] is False
    assert plan.one("gcp:compute/subnetwork:Subnetwork").inputs["privateIpGoogleAccess"] is True
    assert plan.one("gcp:compute/globalAddress:GlobalAddress").inputs["purpose"] == "VPC_PEERING"
    assert (
        plan.one("gcp:servicenetworking/connection:Connection").inputs["service"]
        == "servicenetworking.googleapis.com"
    )
    assert plan.one("gcp:compute/routerNat:RouterNat")


def test_registry_cleanup_and_push_token(plans: dict[str, Plan]) -> None:
    plan = plans["serverless"]
    repo = plan.one("gcp:artifactregistry/repository:Repository").inputs
    assert repo["format"] == "DOCKER"
    assert {p["action"] for p in repo["cleanupPolicies"]} == {"KEEP", "DELETE"}
    (login,) = plan.one("docker-build:index:Image").inputs["registries"]
    assert (login["address"], login["username"], login["password"]) == (
        "us-central1-docker.pkg.dev",
        "oauth2accesstoken",
        "[secret]",
    )


def test_cloud_run_secrets_egress_invoker_and_protection(plans: dict[str, Plan]) -> None:
    plan = plans["serverless"]
    service = plan.one("gcp:cloudrunv2/service:Service").inputs
    assert service["deletionProtection"] is True
    template = service["template"]
    assert template["timeout"] == "900s"
    assert template["serviceAccount"] == "llmchain-gcp-app@demo-project.iam.gserviceaccount.com"
    assert template["vpcAccess"]["egress"] == "PRIVATE_RANGES_ONLY"
    (container,) = template["containers"]
    refs = {
        e["name"]: e["valueSource"]["secretKeyRef"]["secret"]
        for e in container["envs"]
        if "valueSource" in e
    }
    assert refs == {
        "LLMCHAIN_API_KEYS": "llmchain-gcp-llmchain-api-keys",
        "LLMCHAIN_MEMORY_URL": "llmchain-gcp-llmchain-memory-url",
    }
    plain = {e["name"]: e["value"] for e in container["envs"] if "value" in e}
    assert plain["LLMCHAIN_GCP_PROJECT"] == "demo-project"  # Vertex AI, keyless
    invoker = plan.one("gcp:cloudrunv2/serviceIamMember:ServiceIamMember").inputs
    assert (invoker["role"], invoker["member"]) == ("roles/run.invoker", "allUsers")
    private = run_plan("gcp", {**PROJECT, "llmchain:ingress.public": False})
    assert private.of_type("gcp:cloudrunv2/serviceIamMember:ServiceIamMember") == []
    assert (
        private.one("gcp:cloudrunv2/service:Service").inputs["ingress"]
        == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    )


def test_instance_template_is_shielded_private_and_os_login(plans: dict[str, Plan]) -> None:
    template = plans["vm"].one("gcp:compute/instanceTemplate:InstanceTemplate").inputs
    assert template["shieldedInstanceConfig"] == {
        "enableSecureBoot": True,
        "enableVtpm": True,
        "enableIntegrityMonitoring": True,
    }
    assert all("accessConfigs" not in nic for nic in template["networkInterfaces"])
    assert template["metadata"]["enable-oslogin"] == "TRUE"
    document = yaml.safe_load(template["metadata"]["user-data"])
    assert "docker.io" in document["packages"]
    backend = plans["vm"].one("gcp:compute/backendService:BackendService").inputs
    assert backend["loadBalancingScheme"] == "EXTERNAL_MANAGED" and backend["timeoutSec"] >= 300


def test_https_with_a_domain_on_vm(plans: dict[str, Plan]) -> None:
    plan = plan_for("vm", **{"llmchain:ingress.domain": "chat.example.com"})
    assert plan.one("gcp:compute/managedSslCertificate:ManagedSslCertificate").inputs["managed"][
        "domains"
    ] == ["chat.example.com"]
    redirect = next(
        u for u in plan.of_type("gcp:compute/uRLMap:URLMap") if "defaultUrlRedirect" in u.inputs
    )
    assert redirect.inputs["defaultUrlRedirect"]["httpsRedirect"] is True
    assert plan.outputs["url"] == "https://chat.example.com"
    with pytest.raises(PlanConfigError, match="a custom domain is set up for vm yet"):
        plan_for("serverless", **{"llmchain:ingress.domain": "chat.example.com"})


def test_gke_autopilot_private_nodes_and_workload_identity(plans: dict[str, Plan]) -> None:
    plan = plans["cluster"]
    cluster = plan.one("gcp:container/cluster:Cluster").inputs
    assert cluster["enableAutopilot"] is True
    assert cluster["privateClusterConfig"]["enablePrivateNodes"] is True
    assert cluster["workloadIdentityConfig"]["workloadPool"] == "demo-project.svc.id.goog"
    binding = plan.one("gcp:serviceaccount/iAMMember:IAMMember").inputs
    assert binding["role"] == "roles/iam.workloadIdentityUser"
    assert binding["member"] == "serviceAccount:demo-project.svc.id.goog[llmchain-gcp/llmchain-gcp]"
    annotations = plan.one("kubernetes:core/v1:ServiceAccount").inputs["metadata"]["annotations"]
    assert (
        annotations["iam.gke.io/gcp-service-account"]
        == "llmchain-gcp-app@demo-project.iam.gserviceaccount.com"
    )


def test_vertex_ai_is_keyless(plans: dict[str, Plan]) -> None:
    roles = {
        m.inputs["role"] for m in plans["serverless"].of_type("gcp:projects/iAMMember:IAMMember")
    }
    assert "roles/aiplatform.user" in roles
    assert "LLMCHAIN_OPENAI_API_KEY" not in json.dumps(plans["serverless"].to_json())


# --- pure helpers ----------------------------------------------------------------------------


def test_cloud_run_sizes() -> None:
    assert cloud_run_size(0.5, 1024) == ("1", "1024Mi")
    assert cloud_run_size(1.5, 300) == ("2", "512Mi")
    assert cloud_run_size(3, 2000) == ("4", "2048Mi")


def test_cloud_init_reads_secrets_by_id_and_runs_the_digest() -> None:
    text = cloud_init(
        project="demo-project", registry="us-central1-docker.pkg.dev",
        image_ref="us-central1-docker.pkg.dev/p/r/llmchain@sha256:" + "c" * 64,
        env={"LLMCHAIN_PROVIDER": "vertexai"}, secret_ids={"LLMCHAIN_MEMORY_URL": "llmchain-gcp-memory-url"},
        secret_versions={"LLMCHAIN_MEMORY_URL": "1"}, port=8000, stop_timeout=40,
        limits=Limits(1, 1024),
    )  # fmt: skip
    document = yaml.safe_load(text)
    files = {f["path"]: f["content"] for f in document["write_files"]}
    unit = files["/etc/systemd/system/llmchain.service"]
    assert "LLMCHAIN_MEMORY_URL=llmchain-gcp-memory-url@1" in unit
    assert "--read-only" in unit and "--log-driver gcplogs" in unit and "@sha256:" in unit
    compile(BOOTSTRAP, "bootstrap", "exec")


def test_kubeconfig_uses_the_gke_auth_plugin() -> None:
    config = kubeconfig("c", "34.70.0.5", "Y2E=")
    assert config["clusters"][0]["cluster"]["server"] == "https://34.70.0.5"
    assert config["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"


def test_missing_project_is_named_before_anything() -> None:
    with pytest.raises(PlanConfigError) as info:
        run_plan("gcp")
    assert (
        "gcp:project: required for cloud gcp (pulumi config set gcp:project <project-id>)"
        in str(info.value)
    )
    assert info.value.registered == []
