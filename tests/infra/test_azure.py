"""The Azure stack under mocks, for serverless, vm and cluster: resources and invariants."""

from __future__ import annotations

import base64
import json

import pytest
import yaml

from infra.azure.cloud_init import BOOTSTRAP, cloud_init, release_script
from infra.azure.registry import acr_refresh_token
from infra.azure.roles import ACR_PULL, AKS_RBAC_CLUSTER_ADMIN, KEY_VAULT_SECRETS_USER, OPENAI_USER
from infra.azure.serverless import container_app_size
from infra.azure.vm import unusable_ssh_key
from infra.plan import Plan, PlanConfigError, run_plan
from infra.vm_boot import Limits
from tests.infra.plan_cache import API_KEY, cloud_plan

MODES = ["serverless", "vm", "cluster"]
OPENAI_KEY = "sk-azure-never-plain"
DB_PASSWORD = "mock-Password-0123456789abcdef"
# Resource types Azure does not let you tag.
UNTAGGABLE = {
    "azure-native:authorization:RoleAssignment",
    "azure-native:network:Subnet",
    "azure-native:dbforpostgresql:Configuration",
    "azure-native:dbforpostgresql:Database",
    "azure-native:managedidentity:FederatedIdentityCredential",
    "azure-native:cognitiveservices:Deployment",
    "azure-native:authorization:ManagementLockByScope",
    # an extension resource of the cluster: no tags property (azure-native 3.29.0)
    "azure-native:monitor:DataCollectionRuleAssociation",
}


def plan_for(mode: str, **overrides: object) -> Plan:
    return cloud_plan("azure", mode, **overrides)


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {mode: plan_for(mode) for mode in MODES}


@pytest.fixture(scope="module", params=MODES)
def plan(request: pytest.FixtureRequest, plans: dict[str, Plan]) -> Plan:
    return plans[request.param]


def release_of(vmss: dict) -> str:
    """The scale set's release script (its Custom Script extension), decoded."""
    (release,) = [
        e
        for e in vmss["virtualMachineProfile"]["extensionProfile"]["extensions"]
        if e["type"] == "CustomScript"
    ]
    return base64.b64decode(release["settings"]["script"]).decode()


def mode_of(plan: Plan) -> str:
    if plan.of_type("azure-native:app:ContainerApp"):
        return "serverless"
    return "vm" if plan.of_type("azure-native:compute:VirtualMachineScaleSet") else "cluster"


# --- invariants, for every compute mode -------------------------------------------------


def test_no_ssh_or_rdp_from_the_internet(plan: Plan) -> None:
    for nsg in plan.of_type("azure-native:network:NetworkSecurityGroup"):
        for rule in nsg.inputs["securityRules"]:
            if rule["access"] == "Allow" and rule["direction"] == "Inbound":
                assert (
                    rule["destinationPortRange"] not in ("22", "3389", "*")
                    or rule["sourceAddressPrefix"] != "Internet"
                )
                if rule["sourceAddressPrefix"] in ("Internet", "*", "0.0.0.0/0"):
                    # Web ports, and on the VMs' subnet the service port the load balancer
                    # forwards to (a Standard LB keeps the client's address; issue 15 item 2).
                    web = ("80", "443", "8000") if nsg.name.endswith("-vms-nsg") else ("80", "443")
                    assert rule["destinationPortRange"] in web, (nsg.name, rule)
        assert any(
            r["access"] == "Deny" and r["sourceAddressPrefix"] == "Internet"
            for r in nsg.inputs["securityRules"]
        )


def test_database_is_private_with_tls_and_backups(plan: Plan) -> None:
    server = plan.one("azure-native:dbforpostgresql:Server").inputs
    assert server["network"]["publicNetworkAccess"] == "Disabled"
    assert server["network"]["delegatedSubnetResourceId"].endswith("/llmchain-azure-db")
    assert server["administratorLoginPassword"] == "[secret]"
    assert server["backup"]["backupRetentionDays"] >= 7
    tls = plan.one("azure-native:dbforpostgresql:Configuration").inputs
    assert (tls["configurationName"], tls["value"]) == ("require_secure_transport", "on")


def test_no_secret_value_in_plain_settings_custom_data_or_outputs() -> None:
    for mode in MODES:
        plan = run_plan(
            "azure",
            {
                "llmchain:compute": mode,
                "llmchain:llm.provider": "openai",
                "llmchain:image.providers": "openai",
            },
            {"llmchain:openaiApiKey": OPENAI_KEY, "llmchain:apiKeys": API_KEY},
        )
        text = json.dumps(plan.to_json())
        for vmss in plan.of_type("azure-native:compute:VirtualMachineScaleSet"):
            text += base64.b64decode(
                vmss.inputs["virtualMachineProfile"]["osProfile"]["customData"]
            ).decode()
            text += release_of(vmss.inputs)
        for secret in (OPENAI_KEY, API_KEY, DB_PASSWORD, "mock-workspace-key"):
            assert secret not in text, (mode, secret)


def test_registry_admin_user_is_off(plan: Plan) -> None:
    registry = plan.one("azure-native:containerregistry:Registry").inputs
    assert registry["adminUserEnabled"] is False
    assert registry["anonymousPullEnabled"] is False
    image = plan.one("docker-build:index:Image").inputs
    (login,) = image["registries"]
    assert login["username"] == "00000000-0000-0000-0000-000000000000"  # the deployer's own token
    assert login["password"] == "[secret]"


def test_compute_runs_the_image_by_digest(plan: Plan) -> None:
    ref = plan.outputs["image_ref"]
    assert "@sha256:" in ref and ref.startswith("llmchainazure")
    mode = mode_of(plan)
    if mode == "serverless":
        (container,) = plan.one("azure-native:app:ContainerApp").inputs["template"]["containers"]
        assert container["image"] == ref
    elif mode == "vm":
        release = release_of(plan.one("azure-native:compute:VirtualMachineScaleSet").inputs)
        assert f"LLMCHAIN_IMAGE={ref}\n" in release
    else:
        deployment = plan.one("kubernetes:apps/v1:Deployment")
        assert deployment.inputs["spec"]["template"]["spec"]["containers"][0]["image"] == ref


def test_probes_use_the_health_paths(plan: Plan) -> None:
    mode = mode_of(plan)
    if mode == "serverless":
        (container,) = plan.one("azure-native:app:ContainerApp").inputs["template"]["containers"]
        paths = {p["type"]: p["httpGet"]["path"] for p in container["probes"]}
        assert paths == {"Startup": "/healthz", "Readiness": "/readyz", "Liveness": "/healthz"}
    elif mode == "vm":
        (probe,) = plan.one("azure-native:network:LoadBalancer").inputs["probes"]
        assert (probe["protocol"], probe["requestPath"], probe["port"]) == ("Http", "/readyz", 8000)
    else:
        container = plan.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"][
            "containers"
        ][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_alerts_exist_and_are_wired_to_the_action_group(plan: Plan) -> None:
    group = plan.one("azure-native:monitor:ActionGroup")
    assert group.inputs["emailReceivers"][0]["emailAddress"] == "ops@example.com"
    alerts = plan.of_type("azure-native:monitor:MetricAlert")
    keys = {a.name.removeprefix("llmchain-azure-") for a in alerts}
    # The 5xx share and p95 latency are log search alerts (tests/infra/test_alarms_http.py).
    logs = plan.of_type("azure-native:monitor:ScheduledQueryRule")
    keys |= {a.name.removeprefix("llmchain-azure-") for a in logs}
    expected = {
        "serverless": {"error-rate", "latency-p95", "restarts"},
        "vm": {"unhealthy", "cpu"},
        "cluster": {"error-rate", "latency-p95", "cpu", "restarts"},
    }
    assert expected[mode_of(plan)] <= keys
    for alert in alerts:
        (action,) = alert.inputs["actions"]
        assert action["actionGroupId"].endswith("/ActionGroup/llmchain-azure-alerts")
        assert len(alert.inputs["scopes"]) == 1
    for rule in logs:
        (group_id,) = rule.inputs["actions"]["actionGroups"]
        assert group_id.endswith("/ActionGroup/llmchain-azure-alerts")
        assert len(rule.inputs["scopes"]) == 1
    assert plan.outputs["dashboard_url"].startswith("https://portal.azure.com/#@")


def test_scaling_bounds_come_from_config(plan: Plan) -> None:
    mode = mode_of(plan)
    if mode == "serverless":
        scale = plan.one("azure-native:app:ContainerApp").inputs["template"]["scale"]
        assert (scale["minReplicas"], scale["maxReplicas"]) == (2, 7)
        assert scale["rules"][0]["http"]["metadata"] == {"concurrentRequests": "50"}
    elif mode == "vm":
        (profile,) = plan.one("azure-native:monitor:AutoscaleSetting").inputs["profiles"]
        assert (profile["capacity"]["minimum"], profile["capacity"]["maximum"]) == ("2", "7")
    else:
        hpa = plan.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs["spec"]
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 7)


def test_every_resource_carries_the_stack_tags(plan: Plan) -> None:
    for resource in plan.resources:
        if resource.type.startswith("azure-native:") and resource.type not in UNTAGGABLE:
            tags = resource.inputs.get("tags")
            assert tags == {
                "app": "llmchain",
                "stack": "azure",
                "managed-by": "pulumi",
                "team": "ml",
            }, resource.name


def test_role_assignments_are_scoped_to_one_resource(plan: Plan) -> None:
    assignments = plan.of_type("azure-native:authorization:RoleAssignment")
    assert assignments
    for assignment in assignments:
        scope = assignment.inputs["scope"]
        assert "/providers/" in scope, scope  # a resource, not a subscription or resource group
        if assignment.inputs["roleDefinitionId"].endswith(AKS_RBAC_CLUSTER_ADMIN):
            # the deployer (a user or a service principal: ARM looks it up), on the cluster
            assert assignment.inputs["principalId"] == "deployer-object"
            continue
        assert assignment.inputs["principalType"] == "ServicePrincipal"
    roles = {a.inputs["roleDefinitionId"].rsplit("/", 1)[1] for a in assignments}
    assert ACR_PULL in roles
    assert OPENAI_USER in roles  # the default provider is azure-openai
    if mode_of(plan) != "cluster":
        assert KEY_VAULT_SECRETS_USER in roles


# --- per concern ------------------------------------------------------------------------------


def test_network_subnets_delegations_and_private_dns(plans: dict[str, Plan]) -> None:
    plan = plans["serverless"]
    subnets = {
        s.name.removeprefix("llmchain-azure-"): s.inputs
        for s in plan.of_type("azure-native:network:Subnet")
    }
    assert set(subnets) == {"apps", "vms", "db", "aks"}
    assert (
        subnets["db"]["delegations"][0]["serviceName"]
        == "Microsoft.DBforPostgreSQL/flexibleServers"
    )
    assert subnets["apps"]["delegations"][0]["serviceName"] == "Microsoft.App/environments"
    assert (
        plan.one("azure-native:privatedns:PrivateZone").inputs["privateZoneName"]
        == "privatelink.postgres.database.azure.com"
    )


def test_key_vault_rbac_soft_delete_purge_protection_and_references(plans: dict[str, Plan]) -> None:
    plan = plans["serverless"]
    vault = plan.one("azure-native:keyvault:Vault").inputs["properties"]
    assert vault["enableRbacAuthorization"] is True
    assert vault["enableSoftDelete"] is True
    assert vault["enablePurgeProtection"] is True
    names = {s.inputs["secretName"] for s in plan.of_type("azure-native:keyvault:Secret")}
    assert names == {
        "llmchain-api-keys",
        "llmchain-memory-url",
        "applicationinsights-connection-string",
    }
    assert all(
        s.inputs["properties"] == {"value": "[secret]"}
        for s in plan.of_type("azure-native:keyvault:Secret")
    )
    app = plan.one("azure-native:app:ContainerApp").inputs
    secrets = {s["name"]: s for s in app["configuration"]["secrets"]}
    assert all(s["keyVaultUrl"].startswith("https://llmchain-kv-") for s in secrets.values())
    assert all("value" not in s for s in secrets.values())
    (container,) = app["template"]["containers"]
    refs = {e["name"]: e.get("secretRef") for e in container["env"] if "secretRef" in e}
    assert refs["LLMCHAIN_MEMORY_URL"] == "llmchain-memory-url"
    off = run_plan("azure", {"llmchain:azure.purgeProtection": False})
    assert (
        "enablePurgeProtection" not in off.one("azure-native:keyvault:Vault").inputs["properties"]
    )


def test_container_app_ingress_identity_and_registry(plans: dict[str, Plan]) -> None:
    app = plans["serverless"].one("azure-native:app:ContainerApp").inputs
    assert app["configuration"]["ingress"]["external"] is True
    assert app["configuration"]["ingress"]["targetPort"] == 8000
    assert app["configuration"]["registries"][0]["identity"].endswith(
        "/UserAssignedIdentity/llmchain-azure-id"
    )
    env = plans["serverless"].one("azure-native:app:ManagedEnvironment").inputs
    assert env["vnetConfiguration"]["infrastructureSubnetId"].endswith("/llmchain-azure-apps")
    assert env["appLogsConfiguration"]["destination"] == "log-analytics"
    # Private: an internal environment, the app's ingress still "external" (on the
    # environment's private address; "internal" ingress admits only apps of the environment).
    private = run_plan("azure", {"llmchain:ingress.public": False})
    private_env = private.one("azure-native:app:ManagedEnvironment").inputs
    assert private_env["vnetConfiguration"]["internal"] is True
    assert (
        private.one("azure-native:app:ContainerApp").inputs["configuration"]["ingress"]["external"]
        is True
    )


def test_scale_set_has_no_public_ip_no_passwords_and_runs_cloud_init(
    plans: dict[str, Plan],
) -> None:
    vmss = plans["vm"].one("azure-native:compute:VirtualMachineScaleSet").inputs
    profile = vmss["virtualMachineProfile"]
    assert profile["osProfile"]["linuxConfiguration"]["disablePasswordAuthentication"] is True
    assert "adminPassword" not in profile["osProfile"]
    (nic,) = profile["networkProfile"]["networkInterfaceConfigurations"]
    assert all("publicIPAddressConfiguration" not in ip for ip in nic["ipConfigurations"])
    assert profile["storageProfile"]["imageReference"]["offer"] == "ubuntu-24_04-lts"
    assert vmss["identity"]["type"] == "UserAssigned"
    assert vmss["upgradePolicy"]["mode"] == "Rolling"
    document = yaml.safe_load(base64.b64decode(profile["osProfile"]["customData"]).decode())
    assert "docker.io" in document["packages"]


def test_aks_workload_identity_and_federation(plans: dict[str, Plan]) -> None:
    plan = plans["cluster"]
    cluster = plan.one("azure-native:containerservice:ManagedCluster").inputs
    assert cluster["oidcIssuerProfile"]["enabled"] is True
    assert cluster["securityProfile"]["workloadIdentity"]["enabled"] is True
    assert cluster["networkProfile"]["networkPlugin"] == "azure"
    assert cluster["networkProfile"]["networkPolicy"] == "azure"
    (pool,) = cluster["agentPoolProfiles"]
    assert pool["enableAutoScaling"] is True and pool["vnetSubnetID"].endswith(
        "/llmchain-azure-aks"
    )
    federation = plan.one("azure-native:managedidentity:FederatedIdentityCredential").inputs
    assert federation["subject"] == "system:serviceaccount:llmchain-azure:llmchain-azure"
    assert federation["audiences"] == ["api://AzureADTokenExchange"]
    account = plan.one("kubernetes:core/v1:ServiceAccount").inputs["metadata"]["annotations"]
    assert account["azure.workload.identity/client-id"] == "llmchain-azure-id-client"
    labels = plan.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["metadata"][
        "labels"
    ]
    assert labels["azure.workload.identity/use"] == "true"


def test_azure_openai_is_keyless_with_one_deployment(plans: dict[str, Plan]) -> None:
    plan = plans["serverless"]
    account = plan.one("azure-native:cognitiveservices:Account").inputs
    assert account["kind"] == "OpenAI"
    assert account["properties"]["disableLocalAuth"] is True
    deployment = plan.one("azure-native:cognitiveservices:Deployment").inputs
    assert deployment["properties"]["model"]["name"] == "gpt-4.1-mini"
    (container,) = plan.one("azure-native:app:ContainerApp").inputs["template"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["LLMCHAIN_AZURE_OPENAI_ENDPOINT"].startswith("https://")
    assert env["LLMCHAIN_AZURE_OPENAI_DEPLOYMENT"] == "gpt-4.1-mini"
    assert env["AZURE_CLIENT_ID"] == "llmchain-azure-id-client"
    assert "LLMCHAIN_AZURE_OPENAI_API_KEY" not in env


def test_custom_domain_is_refused_with_the_reason() -> None:
    # serverless (the default) has no custom domain; vm and cluster do (test_azure_tls.py)
    with pytest.raises(
        PlanConfigError, match="on azure a custom domain is set up for vm, cluster yet"
    ):
        run_plan("azure", {"llmchain:ingress.domain": "chat.example.com"})


# --- pure helpers ----------------------------------------------------------------------------


def test_container_app_sizes() -> None:
    assert container_app_size(0.5, 1024) == (0.5, "1Gi")
    assert container_app_size(0.25, 2048) == (1.0, "2Gi")  # memory decides
    assert container_app_size(1.3, 512) == (1.5, "3Gi")


def test_ssh_key_is_a_valid_public_key_and_stable() -> None:
    seed = base64.b64encode(bytes(range(32))).decode()
    key = unusable_ssh_key(seed)
    assert key.startswith("ssh-ed25519 ") and key == unusable_ssh_key(seed)


def test_cloud_init_reads_secrets_by_name_and_runs_the_digest() -> None:
    text = cloud_init(
        client_id="cid", registry="reg.azurecr.io", tenant="t", vault="kv",
        secret_names={"LLMCHAIN_MEMORY_URL": "llmchain-memory-url"}, port=8000, stop_timeout=40,
        limits=Limits(1, 1024),
    )  # fmt: skip
    document = yaml.safe_load(text)
    files = {f["path"]: f["content"] for f in document["write_files"]}
    unit = files["/etc/systemd/system/llmchain.service"]
    assert "LLMCHAIN_MEMORY_URL=llmchain-memory-url" in unit
    assert "--read-only" in unit and "--cap-drop ALL" in unit
    # the image comes from the release (release_script), by digest
    assert "EnvironmentFile=/etc/llmchain/image" in unit and "${LLMCHAIN_IMAGE}" in unit
    release = release_script(
        image_ref="reg.azurecr.io/llmchain@sha256:" + "b" * 64,
        env={"LLMCHAIN_PROVIDER": "azure-openai"},
    )
    assert "LLMCHAIN_IMAGE=reg.azurecr.io/llmchain@sha256:" + "b" * 64 in release
    assert "LLMCHAIN_PROVIDER=azure-openai" in release
    compile(BOOTSTRAP, "bootstrap", "exec")  # the script the VMs run is valid Python


def test_acr_token_exchange_over_real_http() -> None:
    """The push login's exchange, against a local stand-in for ACR's /oauth2/exchange."""
    import threading
    import urllib.parse
    from http.server import BaseHTTPRequestHandler, HTTPServer

    seen: dict[str, list[str]] = {}

    class Exchange(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            seen.update(urllib.parse.parse_qs(self.rfile.read(length).decode()))
            body = json.dumps({"refresh_token": "acr-refresh"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Exchange)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    import infra.offline_mode as offline

    previous, offline.enabled = offline.enabled, False
    try:
        host = f"127.0.0.1:{server.server_port}"
        assert acr_refresh_token(host, "tenant-1", "entra-token", scheme="http") == "acr-refresh"
    finally:
        offline.enabled = previous
        thread.join(5)
        server.server_close()
    assert seen["grant_type"] == ["access_token"]
    assert seen["access_token"] == ["entra-token"]
    assert seen["tenant"] == ["tenant-1"]
