"""AzureTarget: group, identity, network, ACR, Key Vault, PostgreSQL, OpenAI, compute, alerts."""

from __future__ import annotations

import pulumi
import pulumi_azure_native as azure
import pulumi_random as random

from infra.azure.cluster import Aks, AksArgs
from infra.azure.database import Database, DatabaseArgs
from infra.azure.gateway import GatewayArgs, TlsGateway
from infra.azure.monitoring import Alerts, MonitoringArgs, Rule, Workspace, portal_url
from infra.azure.network import Network, NetworkArgs, internal_address
from infra.azure.openai import OpenAi, OpenAiArgs
from infra.azure.registry import Registry, RegistryArgs
from infra.azure.secrets import Vault, VaultArgs
from infra.azure.serverless import ContainerApp, ContainerAppArgs
from infra.azure.vm import ScaleSet, ScaleSetArgs
from infra.config import Compute, Provider, StackConfig
from infra.image import AppImage, AppImageArgs
from infra.spec import WorkloadSpec
from infra.targets import TargetOutputs


class AzureTarget(pulumi.ComponentResource):
    """The service on Azure, by `llmchain:compute`: Container Apps, a VM scale set or AKS."""

    outputs: TargetOutputs

    def __init__(
        self,
        name: str,
        config: StackConfig,
        spec: WorkloadSpec,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llmchain:azure:AzureTarget", name, {}, opts)
        location = pulumi.Config("azure-native").require("location")  # checked with the config
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(spec.labels)
        client = azure.authorization.get_client_config_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        )
        subscription, tenant = client.subscription_id, client.tenant_id
        group = azure.resources.ResourceGroup(
            f"{name}-rg", resource_group_name=f"{name}-rg", location=location, tags=tags, opts=child
        )
        rg = group.name
        # Registry, vault, database and OpenAI names are global: a stable random suffix.
        suffix = random.RandomString(
            f"{name}-suffix", length=6, special=False, upper=False, opts=child
        ).result
        compact = name.replace("-", "")
        identity = azure.managedidentity.UserAssignedIdentity(
            f"{name}-id", resource_group_name=rg, location=location, tags=tags, opts=child
        )
        monitoring = MonitoringArgs(
            resource_group=rg,
            location=location,
            tags=tags,
            retention_days=config.monitoring.log_retention_days,
            email=config.alerts.email,
            tenant=tenant,
        )
        workspace = Workspace(name, monitoring, child)
        # With a domain, vm and cluster sit behind an internal load balancer at a fixed
        # address, and Application Gateway (in its own subnet) is the public entry, on HTTPS.
        domain = config.ingress.domain
        direct = spec.ingress.public and not domain
        network = Network(
            name,
            NetworkArgs(
                resource_group=rg,
                location=location,
                tags=tags,
                port=spec.port,
                public=bool(direct),
                vm_nat=config.compute is Compute.VM,
                gateway=bool(domain),
            ),
            child,
        )
        registry = Registry(
            name,
            RegistryArgs(
                resource_group=rg,
                location=location,
                tags=tags,
                name=pulumi.Output.concat(compact, suffix),
                puller_principal_id=identity.principal_id,
                subscription=subscription,
                tenant=tenant,
            ),
            child,
        )
        image = AppImage(
            f"{name}-app",
            AppImageArgs(
                build=spec.image,
                repository=pulumi.Output.concat(registry.registry.login_server, "/llmchain"),
                registry=registry.login,
            ),
            child,
        )
        secret_values: dict[str, pulumi.Input[str]] = dict(spec.secret_env)
        secret_values["APPLICATIONINSIGHTS_CONNECTION_STRING"] = workspace.connection_string
        database: Database | None = None
        if spec.memory.needs_database:
            database = Database(
                f"{name}-memory",
                DatabaseArgs(
                    resource_group=rg,
                    location=location,
                    tags=tags,
                    name=pulumi.Output.concat(name, "-pg-", suffix),
                    subnet_id=network.subnet_ids["db"],
                    dns_zone_id=network.dns_zone_id,
                    sku=config.database.instance,
                    ha=config.ha,
                    deletion_protection=config.database.deletion_protection,
                ),
                child,
            )
            secret_values["LLMCHAIN_MEMORY_URL"] = database.url
        extra_env: dict[str, pulumi.Input[str]] = {"AZURE_CLIENT_ID": identity.client_id}
        # What every workload waits for: it pulls with AcrPull, connects to the database and
        # calls the model with its grant (Azure checks each at first use).
        ready: list[pulumi.Resource] = [registry.pull_grant]
        if database is not None:
            ready.append(database.database)
        if config.llm.provider is Provider.AZURE_OPENAI:
            openai = OpenAi(
                name,
                OpenAiArgs(
                    resource_group=rg,
                    location=location,
                    tags=tags,
                    name=pulumi.Output.concat(name, "-", suffix),
                    model=spec.env["LLMCHAIN_MODEL"],
                    model_version=config.azure.openai_model_version,
                    capacity=config.azure.openai_capacity,
                    caller_principal_id=identity.principal_id,
                    subscription=subscription,
                ),
                child,
            )
            extra_env["LLMCHAIN_AZURE_OPENAI_ENDPOINT"] = openai.endpoint
            extra_env["LLMCHAIN_AZURE_OPENAI_DEPLOYMENT"] = openai.deployment_name
            ready += [openai.user_grant, openai.deployment]
        # Alerts read the platform's own metrics of the compute (the app exports nothing to
        # Application Insights, so its request metrics would stay empty and never fire).
        rules: list[Rule] = []
        dashboard: pulumi.Input[str]
        compute = config.compute
        if compute is Compute.CLUSTER:
            aks = Aks(
                name,
                AksArgs(
                    spec=spec,
                    resource_group=rg,
                    location=location,
                    tags=tags,
                    subnet_id=network.subnet_ids["aks"],
                    node_vm_size=config.azure.node_vm_size,
                    ha=config.ha,
                    workspace_id=workspace.workspace.id,
                    registry_id=registry.registry.id,
                    subscription=subscription,
                    identity_name=identity.name,
                    kubernetes_version=config.azure.kubernetes_version,
                    admin_group_object_ids=config.azure.admin_group_object_ids,
                    authorized_ip_ranges=config.azure.authorized_ip_ranges,
                    deployer_object_id=client.object_id,
                ),
                child,
            )
            if not config.azure.authorized_ip_ranges:
                pulumi.log.warn(
                    "the AKS API server admits any address (Entra ID still authenticates every "
                    "call); restrict it to the networks Pulumi and kubectl run from: pulumi "
                    "config set --path 'llmchain:azure.authorizedIpRanges[0]' <cidr>"
                )
            # The user kubeconfig (Entra sign-in through kubelogin, no static credential):
            # pulumi stack output --show-secrets kubeconfig
            pulumi.export("kubeconfig", aks.kubeconfig)
            workload = aks.workload(
                spec,
                image.ref,
                identity.client_id,
                extra_env,
                secret_values,
                depends_on=ready,
                internal_ip=internal_address("aks") if domain else None,
            )
            url: pulumi.Input[str] = workload.address
            entry: list[pulumi.Resource] = [workload]
            dashboard = portal_url(tenant, aks.cluster.id)
            rules += [
                Rule(
                    "cpu",
                    "node CPU above 85%",
                    aks.cluster.id,
                    "Microsoft.ContainerService/managedClusters",
                    "node_cpu_usage_percentage",
                    85,
                ),
                Rule(
                    "restarts",
                    "pods failing",
                    aks.cluster.id,
                    "Microsoft.ContainerService/managedClusters",
                    "kube_pod_status_phase",
                    0,
                    "Average",
                    # the service's own pods (its namespace is its name), not the system's
                    dimensions=[("phase", "Failed"), ("namespace", spec.name)],
                ),
            ]
        else:
            vault = Vault(
                name,
                VaultArgs(
                    resource_group=rg,
                    location=location,
                    tags=tags,
                    name=pulumi.Output.concat("llmchain-kv-", suffix),
                    tenant=tenant,
                    reader_principal_id=identity.principal_id,
                    subscription=subscription,
                    purge_protection=config.azure.purge_protection,
                    values=secret_values,
                ),
                child,
            )
            if compute is Compute.SERVERLESS:
                app = ContainerApp(
                    name,
                    ContainerAppArgs(
                        spec=spec,
                        image_ref=image.ref,
                        resource_group=rg,
                        location=location,
                        tags=tags,
                        subnet_id=network.subnet_ids["apps"],
                        workspace_customer_id=workspace.workspace.customer_id,
                        workspace_shared_key=workspace.shared_key,
                        identity_id=identity.id,
                        registry_server=registry.registry.login_server,
                        secret_uris=vault.uris,
                        extra_env=extra_env,
                        ha=config.ha,
                        vnet_id=network.vnet_id,
                        depends_on=[*ready, *vault.ready],
                    ),
                    child,
                )
                url = app.url
                dashboard = portal_url(tenant, app.app.id)
                namespace = "Microsoft.App/containerApps"
                # Names and dimensions: https://learn.microsoft.com/en-us/azure/azure-monitor/
                # reference/supported-metrics/microsoft-app-containerapps-metrics (read 2026-11-29).
                rules += [
                    Rule(
                        "errors",
                        "5xx responses",
                        app.app.id,
                        namespace,
                        "Requests",
                        10,
                        "Total",
                        dimensions=[("statusCodeCategory", "5xx")],
                    ),
                    Rule(
                        "duration",
                        f"mean response time above {config.monitoring.latency_p95_ms} ms",
                        app.app.id,
                        namespace,
                        "ResponseTime",
                        config.monitoring.latency_p95_ms,
                    ),
                    # RestartCount is cumulative per replica: a replica that restarted more
                    # than twice keeps the alert on until it is replaced (a new revision or
                    # a scale-in).
                    Rule(
                        "restarts",
                        "a replica restarted more than twice",
                        app.app.id,
                        namespace,
                        "RestartCount",
                        2,
                        "Maximum",
                    ),
                ]
            else:
                vms = ScaleSet(
                    name,
                    ScaleSetArgs(
                        spec=spec,
                        image_ref=image.ref,
                        resource_group=rg,
                        location=location,
                        tags=tags,
                        subnet_id=network.subnet_ids["vms"],
                        vm_size=config.azure.vm_size,
                        identity_id=identity.id,
                        identity_client_id=identity.client_id,
                        tenant=tenant,
                        registry_server=registry.registry.login_server,
                        vault_name=vault.vault.name,
                        secret_names=vault.names,
                        extra_env=extra_env,
                        private_ip=None if direct else internal_address("vms"),
                        depends_on=[*ready, *vault.ready],
                    ),
                    child,
                )
                url = vms.url
                entry = [vms]
                dashboard = portal_url(tenant, vms.vmss.id)
                rules += [
                    Rule(
                        "unhealthy",
                        "instances failing the /readyz probe",
                        vms.lb.id,
                        "Microsoft.Network/loadBalancers",
                        "DipAvailability",
                        100,
                        "Average",
                        "LessThan",
                    ),
                    Rule(
                        "cpu",
                        "CPU above 85%",
                        vms.vmss.id,
                        "Microsoft.Compute/virtualMachineScaleSets",
                        "Percentage CPU",
                        85,
                    ),
                ]
        if domain and config.azure.dns_zone_id:
            gateway = TlsGateway(
                name,
                GatewayArgs(
                    resource_group=rg,
                    location=location,
                    tags=tags,
                    subnet_id=network.subnet_ids["gateway"],
                    domain=domain,
                    dns_zone_id=config.azure.dns_zone_id,
                    vault_name=pulumi.Output.concat("llmchain-tls-", suffix),
                    tenant=tenant,
                    subscription=subscription,
                    purge_protection=config.azure.purge_protection,
                    backend_ip=internal_address("aks" if compute is Compute.CLUSTER else "vms"),
                    backend_port=80,  # the internal LB's (vm) or the Service's (cluster) port
                    readiness_path=spec.readiness_path,
                    ha=config.ha,
                    email=config.alerts.email,
                    depends_on=entry,
                ),
                child,
            )
            url = gateway.url
            # The gateway sees HTTP: 5xx answers, total time and unhealthy backends (names
            # and dimensions: https://learn.microsoft.com/en-us/azure/azure-monitor/reference/
            # supported-metrics/microsoft-network-applicationgateways-metrics, read 2026-11-29).
            agw = "Microsoft.Network/applicationGateways"
            rules += [
                Rule(
                    "gateway-errors",
                    "5xx responses at the gateway",
                    gateway.gateway.id,
                    agw,
                    "ResponseStatus",
                    10,
                    "Total",
                    dimensions=[("HttpStatusGroup", "5xx")],
                ),
                Rule(
                    "gateway-duration",
                    f"mean total time above {config.monitoring.latency_p95_ms} ms",
                    gateway.gateway.id,
                    agw,
                    "ApplicationGatewayTotalTime",
                    config.monitoring.latency_p95_ms,
                ),
                Rule(
                    "gateway-backend",
                    "the gateway's backend failing its /readyz probe",
                    gateway.gateway.id,
                    agw,
                    "UnhealthyHostCount",
                    0,
                ),
            ]
        Alerts(name, MonitoringArgs(**{**monitoring.__dict__, "rules": rules}), child)
        store = (
            pulumi.Output.concat("postgresql: Flexible Server ", database.server_name)
            if database is not None
            else pulumi.Output.from_input("memory (lost on restart)")
        )
        self.outputs = TargetOutputs(
            url=url,
            image_ref=image.ref,
            health_url=pulumi.Output.concat(url, spec.health_path),
            memory_store=store,
            dashboard_url=dashboard,
        )
        self.register_outputs({"url": url, "image_ref": image.ref})
