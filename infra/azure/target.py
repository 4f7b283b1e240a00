"""AzureTarget: a resource group, a name suffix and the logs workspace, then the skeleton.

network, identity (and Azure OpenAI), registry and image, database, secrets, compute
(Container Apps | VM scale set | AKS; Application Gateway for a domain), monitoring, outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pulumi
import pulumi_azure_native as azure
import pulumi_random as random

from infra.azure.cluster import Cluster, ClusterArgs
from infra.azure.database import Database, DatabaseArgs
from infra.azure.gateway import REDIRECT_RULE, GatewayArgs, TlsGateway
from infra.azure.monitoring import (
    CONTAINER_APPS_REQUESTS,
    Alarm,
    LogAlarm,
    Logs,
    MetricAlarm,
    Monitoring,
    MonitoringArgs,
    access_log_alarms,
    container_insights_requests,
    gateway_requests,
    portal_url,
)
from infra.azure.network import Network, NetworkArgs, internal_address
from infra.azure.openai import OpenAi, OpenAiArgs
from infra.azure.registry import Registry, RegistryArgs
from infra.azure.runtime import RuntimeArgs
from infra.azure.secrets import Secrets, SecretsArgs
from infra.azure.serverless import Serverless, ServerlessArgs
from infra.azure.vm import Vm, VmArgs
from infra.component import extended
from infra.config import AzureConfig, Compute, Provider
from infra.image import AppImage, AppImageArgs
from infra.spec import WorkloadSpec
from infra.targets import (
    Target,
    TargetArgs,
    TargetOutputs,
    database_store,
    secret_settings,
    warn_open_control_plane,
)


@dataclass
class Context:
    """What every step reads: the stack, the subscription, the group and the shared names."""

    name: str
    settings: AzureConfig  # llmchain:azure
    spec: WorkloadSpec
    location: str
    tags: dict[str, str]
    client: pulumi.Output[azure.authorization.GetClientConfigResult]
    subscription: pulumi.Output[str]
    tenant: pulumi.Output[str]
    rg: pulumi.Output[str]
    suffix: pulumi.Output[str]  # registry, vault, database and OpenAI names are global
    opts: pulumi.ResourceOptions
    monitoring: MonitoringArgs = field(init=False)


@dataclass
class Identity:
    """The workload's managed identity, the settings it brings, and what a workload waits for."""

    identity: azure.managedidentity.UserAssignedIdentity
    extra_env: dict[str, pulumi.Input[str]]
    # Grants and resources Azure checks at first use: AcrPull, the database, the model's grant.
    ready: list[pulumi.Resource]


@dataclass
class Parts:
    """What the steps before the compute made, for the compute branch."""

    network: Network
    workspace: Logs
    ident: Identity
    registry: Registry
    image: AppImage
    secret_values: dict[str, pulumi.Input[str]]
    vault: Secrets | None  # None on the cluster: Kubernetes keeps the secrets


@dataclass
class Running:
    """What a compute branch hands to monitoring and the outputs."""

    url: pulumi.Input[str]
    dashboard: pulumi.Input[str]
    alarms: list[Alarm]
    entry: list[pulumi.Resource] = field(default_factory=list)  # the gateway's backend


class AzureTarget(Target[AzureConfig]):
    """The service on Azure, by `llmchain:compute`: Container Apps, a VM scale set or AKS."""

    def build(self, name: str, args: TargetArgs[AzureConfig]) -> None:
        """The skeleton's steps, in order."""
        spec, settings = args.spec, args.settings
        ctx, workspace = self._base(name, spec, settings, args.location.region)
        network = self._network(ctx)
        ident = self._identity(ctx)
        registry, image = self._registry(ctx, ident)
        database = self._database(ctx, network, ident)
        secret_values = secret_settings(
            spec,
            database.url if database else None,
            APPLICATIONINSIGHTS_CONNECTION_STRING=workspace.connection_string,
        )
        # The cluster keeps its secrets in Kubernetes; the others read them from Key Vault.
        vault = self._secrets(ctx, ident, secret_values)
        parts = Parts(network, workspace, ident, registry, image, secret_values, vault)
        running: Running = self.compute(spec, ctx, parts)
        url = self._gateway(ctx, network, running, workspace)
        Monitoring(name, replace(ctx.monitoring, alarms=running.alarms), ctx.opts)
        store = database_store("Flexible Server", database.server_name if database else None)
        self.outputs = TargetOutputs.of(url, image.ref, spec, store, running.dashboard)

    def _base(
        self, name: str, spec: WorkloadSpec, settings: AzureConfig, location: str
    ) -> tuple[Context, Logs]:
        """The resource group, a stable name suffix, and the workspace every part logs to."""
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(spec.labels)
        client = azure.authorization.get_client_config_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        )
        group = azure.resources.ResourceGroup(
            f"{name}-rg", resource_group_name=f"{name}-rg", location=location, tags=tags, opts=child
        )
        # Registry, vault, database and OpenAI names are global: a stable random suffix.
        suffix = random.RandomString(
            f"{name}-suffix", length=6, special=False, upper=False, opts=child
        ).result
        ctx = Context(
            name=name,
            settings=settings,
            spec=spec,
            location=location,
            tags=tags,
            client=client,
            subscription=client.subscription_id,
            tenant=client.tenant_id,
            rg=group.name,
            suffix=suffix,
            opts=child,
        )
        ctx.monitoring = MonitoringArgs(
            resource_group=ctx.rg,
            location=location,
            tags=tags,
            retention_days=spec.monitoring.log_retention_days,
            email=spec.alert_email,
            tenant=ctx.tenant,
        )
        return ctx, Logs(name, ctx.monitoring, child)

    @staticmethod
    def _network(ctx: Context) -> Network:
        """VNet, subnets and their NSGs, the database's private DNS zone.

        With a domain, vm and cluster sit behind an internal load balancer at a fixed
        address, and Application Gateway (in its own subnet) is the public entry, on HTTPS.
        """
        domain = ctx.spec.ingress.domain
        return Network(
            ctx.name,
            NetworkArgs(
                resource_group=ctx.rg,
                location=ctx.location,
                tags=ctx.tags,
                port=ctx.spec.port,
                public=_direct(ctx),
                vm_nat=ctx.spec.compute is Compute.VM,
                gateway=bool(domain),
            ),
            ctx.opts,
        )

    @staticmethod
    def _identity(ctx: Context) -> Identity:
        """The user-assigned identity and, with Azure OpenAI, the model it may call."""
        name, settings, spec = ctx.name, ctx.settings, ctx.spec
        identity = azure.managedidentity.UserAssignedIdentity(
            f"{name}-id",
            resource_group_name=ctx.rg,
            location=ctx.location,
            tags=ctx.tags,
            opts=ctx.opts,
        )
        ident = Identity(identity, {"AZURE_CLIENT_ID": identity.client_id}, [])
        if spec.provider is Provider.AZURE_OPENAI:
            openai = OpenAi(
                name,
                OpenAiArgs(
                    resource_group=ctx.rg,
                    location=ctx.location,
                    tags=ctx.tags,
                    name=pulumi.Output.concat(name, "-", ctx.suffix),
                    model=ctx.spec.env["LLMCHAIN_MODEL"],
                    model_version=settings.openai_model_version,
                    capacity=settings.openai_capacity,
                    caller_principal_id=identity.principal_id,
                    subscription=ctx.subscription,
                ),
                ctx.opts,
            )
            ident.extra_env["LLMCHAIN_AZURE_OPENAI_ENDPOINT"] = openai.endpoint
            ident.extra_env["LLMCHAIN_AZURE_OPENAI_DEPLOYMENT"] = openai.deployment_name
            ident.ready += [openai.user_grant, openai.deployment]
        return ident

    @staticmethod
    def _registry(ctx: Context, ident: Identity) -> tuple[Registry, AppImage]:
        """ACR (AcrPull for the identity) and the image pushed to it."""
        registry = Registry(
            ctx.name,
            RegistryArgs(
                resource_group=ctx.rg,
                location=ctx.location,
                tags=ctx.tags,
                name=pulumi.Output.concat(ctx.name.replace("-", ""), ctx.suffix),
                puller_principal_id=ident.identity.principal_id,
                subscription=ctx.subscription,
                tenant=ctx.tenant,
            ),
            ctx.opts,
        )
        ident.ready.insert(0, registry.pull_grant)
        image = AppImage(
            f"{ctx.name}-app",
            AppImageArgs(
                build=ctx.spec.image,
                repository=pulumi.Output.concat(registry.registry.login_server, "/llmchain"),
                registry=registry.login,
            ),
            ctx.opts,
        )
        return registry, image

    @staticmethod
    def _database(ctx: Context, network: Network, ident: Identity) -> Database | None:
        """PostgreSQL Flexible Server in its delegated subnet, when the spec needs it."""
        if not ctx.spec.memory.needs_database:
            return None
        spec = ctx.spec
        database = Database(
            f"{ctx.name}-memory",
            DatabaseArgs(
                resource_group=ctx.rg,
                location=ctx.location,
                tags=ctx.tags,
                name=pulumi.Output.concat(ctx.name, "-pg-", ctx.suffix),
                subnet_id=network.subnet_ids["db"],
                dns_zone_id=network.dns_zone_id,
                sku=spec.database.instance,
                ha=spec.ha,
                deletion_protection=spec.database.deletion_protection,
            ),
            ctx.opts,
        )
        ident.ready.append(database.database)
        return database

    @staticmethod
    def _secrets(
        ctx: Context, ident: Identity, values: dict[str, pulumi.Input[str]]
    ) -> Secrets | None:
        """Key Vault with every secret setting (not for the cluster: Kubernetes keeps them)."""
        if ctx.spec.compute is Compute.CLUSTER:
            return None
        return Secrets(
            ctx.name,
            SecretsArgs(
                resource_group=ctx.rg,
                location=ctx.location,
                tags=ctx.tags,
                name=pulumi.Output.concat("llmchain-kv-", ctx.suffix),
                tenant=ctx.tenant,
                reader_principal_id=ident.identity.principal_id,
                subscription=ctx.subscription,
                purge_protection=ctx.settings.purge_protection,
                values=values,
            ),
            ctx.opts,
        )

    @staticmethod
    def _runtime(ctx: Context, parts: Parts, subnet: str) -> tuple[RuntimeArgs, Secrets]:
        """What Container Apps and the VMs alike run with (in `subnet`), and the Key Vault."""
        vault = parts.vault
        assert vault is not None  # serverless and vm read Key Vault
        runtime = RuntimeArgs(
            spec=ctx.spec,
            image_ref=parts.image.ref,
            resource_group=ctx.rg,
            location=ctx.location,
            tags=ctx.tags,
            subnet_id=parts.network.subnet_ids[subnet],
            identity_id=parts.ident.identity.id,
            registry_server=parts.registry.registry.login_server,
            extra_env=parts.ident.extra_env,
            depends_on=[*parts.ident.ready, *vault.ready],
        )
        return runtime, vault

    @classmethod
    def _serverless(cls, ctx: Context, parts: Parts) -> Running:
        """Container Apps; alarms on its platform metrics."""
        runtime, vault = cls._runtime(ctx, parts, "apps")
        args = extended(
            ServerlessArgs,
            runtime,
            workspace_customer_id=parts.workspace.workspace.customer_id,
            workspace_shared_key=parts.workspace.shared_key,
            secret_uris=vault.uris,
            ha=ctx.spec.ha,
            vnet_id=parts.network.vnet_id,
        )
        app = Serverless(ctx.name, args, ctx.opts)
        namespace = "Microsoft.App/containerApps"
        # The 5xx share and p95 latency come from the app's access log in the workspace (a
        # metric alert has no ratio or percentile); restarts from the platform's own metric
        # (https://learn.microsoft.com/en-us/azure/azure-monitor/reference/supported-metrics/
        # microsoft-app-containerapps-metrics, read 2026-11-29).
        alarms: list[Alarm] = [
            *_access_alarms(ctx, parts.workspace, CONTAINER_APPS_REQUESTS),
            # RestartCount is cumulative per replica: a replica that restarted more
            # than twice keeps the alert on until it is replaced (a new revision or
            # a scale-in).
            MetricAlarm(
                "restarts",
                "a replica restarted more than twice",
                app.app.id,
                namespace,
                "RestartCount",
                2,
                "Maximum",
            ),
        ]
        return Running(app.url, portal_url(ctx.tenant, app.app.id), alarms)

    @classmethod
    def _vm(cls, ctx: Context, parts: Parts) -> Running:
        """A VM scale set behind a load balancer; alarms on its probe and CPU."""
        runtime, vault = cls._runtime(ctx, parts, "vms")
        args = extended(
            VmArgs,
            runtime,
            vm_size=ctx.settings.vm_size,
            identity_client_id=parts.ident.identity.client_id,
            tenant=ctx.tenant,
            vault_name=vault.vault.name,
            secret_names=vault.names,
            private_ip=None if _direct(ctx) else internal_address("vms"),
        )
        vms = Vm(ctx.name, args, ctx.opts)
        alarms: list[Alarm] = [
            MetricAlarm(
                "unhealthy",
                "instances failing the /readyz probe",
                vms.lb.id,
                "Microsoft.Network/loadBalancers",
                "DipAvailability",
                100,
                "Average",
                "LessThan",
            ),
            MetricAlarm(
                "cpu",
                "CPU above 85%",
                vms.vmss.id,
                "Microsoft.Compute/virtualMachineScaleSets",
                "Percentage CPU",
                85,
            ),
        ]
        return Running(vms.url, portal_url(ctx.tenant, vms.vmss.id), alarms, [vms])

    @staticmethod
    def _cluster(ctx: Context, parts: Parts) -> Running:
        """AKS and the Kubernetes workload; alarms on node CPU and failing pods."""
        settings, spec = ctx.settings, ctx.spec
        aks = Cluster(
            ctx.name,
            ClusterArgs(
                spec=spec,
                resource_group=ctx.rg,
                location=ctx.location,
                tags=ctx.tags,
                subnet_id=parts.network.subnet_ids["aks"],
                node_vm_size=settings.node_vm_size,
                ha=spec.ha,
                workspace_id=parts.workspace.workspace.id,
                registry_id=parts.registry.registry.id,
                subscription=ctx.subscription,
                identity_name=parts.ident.identity.name,
                kubernetes_version=settings.kubernetes_version,
                admin_group_object_ids=settings.admin_group_object_ids,
                authorized_ip_ranges=settings.authorized_ip_ranges,
                deployer_object_id=ctx.client.object_id,
            ),
            ctx.opts,
        )
        if not settings.authorized_ip_ranges:
            warn_open_control_plane(
                "the AKS API server", "Entra ID", "llmchain:azure.authorizedIpRanges"
            )
        # The user kubeconfig (Entra sign-in through kubelogin, no static credential):
        # pulumi stack output --show-secrets kubeconfig
        pulumi.export("kubeconfig", aks.kubeconfig)
        workload = aks.workload(
            spec,
            parts.image.ref,
            parts.ident.identity.client_id,
            parts.ident.extra_env,
            parts.secret_values,
            depends_on=parts.ident.ready,
            internal_ip=internal_address("aks") if spec.ingress.domain else None,
        )
        managed = "Microsoft.ContainerService/managedClusters"
        alarms: list[Alarm] = [
            # Container Insights ships the pods' stdout to the workspace: the access log.
            *_access_alarms(ctx, parts.workspace, container_insights_requests(spec.name)),
            MetricAlarm(
                "cpu",
                "node CPU above 85%",
                aks.cluster.id,
                managed,
                "node_cpu_usage_percentage",
                85,
            ),
            MetricAlarm(
                "restarts",
                "pods failing",
                aks.cluster.id,
                managed,
                "kube_pod_status_phase",
                0,
                "Average",
                # the service's own pods (its namespace is its name), not the system's
                dimensions=[("phase", "Failed"), ("namespace", spec.name)],
            ),
        ]
        return Running(workload.address, portal_url(ctx.tenant, aks.cluster.id), alarms, [workload])

    @staticmethod
    def _gateway(
        ctx: Context, network: Network, running: Running, workspace: Logs
    ) -> pulumi.Input[str]:
        """With a domain and its DNS zone: Application Gateway on HTTPS before vm or cluster."""
        settings, spec = ctx.settings, ctx.spec
        domain = spec.ingress.domain
        if not (domain and settings.dns_zone_id):
            return running.url
        # The vm's container logs stay in journald on each instance behind a layer-4 load
        # balancer: the gateway's access log is what sees every HTTP answer, so it goes to the
        # workspace for the 5xx-share and p95 alerts. The cluster's come from Container
        # Insights already (the app's own log), so its gateway sends nothing more to pay for.
        vm = spec.compute is Compute.VM
        gateway = TlsGateway(
            ctx.name,
            GatewayArgs(
                resource_group=ctx.rg,
                location=ctx.location,
                tags=ctx.tags,
                subnet_id=network.subnet_ids["gateway"],
                domain=domain,
                dns_zone_id=settings.dns_zone_id,
                vault_name=pulumi.Output.concat("llmchain-tls-", ctx.suffix),
                tenant=ctx.tenant,
                subscription=ctx.subscription,
                purge_protection=settings.purge_protection,
                backend_ip=internal_address("aks" if spec.compute is Compute.CLUSTER else "vms"),
                backend_port=80,  # the internal LB's (vm) or the Service's (cluster) port
                readiness_path=ctx.spec.readiness_path,
                ha=spec.ha,
                email=spec.alert_email,
                depends_on=running.entry,
                access_log_workspace_id=workspace.workspace.id if vm else None,
            ),
            ctx.opts,
        )
        if vm:
            running.alarms += _access_alarms(ctx, workspace, gateway_requests(REDIRECT_RULE))
        # The gateway sees HTTP: 5xx answers and unhealthy backends (names
        # and dimensions: https://learn.microsoft.com/en-us/azure/azure-monitor/reference/
        # supported-metrics/microsoft-network-applicationgateways-metrics, read 2026-11-29).
        agw = "Microsoft.Network/applicationGateways"
        running.alarms += [
            MetricAlarm(
                "gateway-errors",
                "5xx responses at the gateway",
                gateway.gateway.id,
                agw,
                "ResponseStatus",
                10,
                "Total",
                dimensions=[("HttpStatusGroup", "5xx")],
            ),
            MetricAlarm(
                "gateway-backend",
                "the gateway's backend failing its /readyz probe",
                gateway.gateway.id,
                agw,
                "UnhealthyHostCount",
                0,
            ),
        ]
        return gateway.url


def _direct(ctx: Context) -> bool:
    """Public without a domain: the compute itself is the entry (no gateway in front)."""
    return bool(ctx.spec.ingress.public and not ctx.spec.ingress.domain)


def _access_alarms(ctx: Context, workspace: Logs, requests: str) -> list[LogAlarm]:
    """llmchain:monitoring.errorRatePercent and latencyP95Ms, read from an access log."""
    monitoring = ctx.spec.monitoring
    return access_log_alarms(
        workspace.workspace.id,
        requests,
        monitoring.error_rate_percent,
        monitoring.latency_p95_ms,
    )
