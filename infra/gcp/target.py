"""GcpTarget: the project's APIs, then the skeleton.

network, identity, registry and image, database, secrets, compute (Cloud Run | managed
instance group | GKE), monitoring, outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra.component import extended
from infra.config import Compute, GcpConfig, Provider
from infra.gcp import roles
from infra.gcp.cluster import Cluster, ClusterArgs
from infra.gcp.database import Database, DatabaseArgs
from infra.gcp.monitoring import (
    LINE_ACCESS_LOG,
    STRUCTURED_ACCESS_LOG,
    Alarm,
    Logs,
    LogsArgs,
    Monitoring,
    MonitoringArgs,
    http_policies,
    prometheus_policies,
)
from infra.gcp.network import Network, NetworkArgs
from infra.gcp.registry import Registry, RegistryArgs
from infra.gcp.runtime import RuntimeArgs
from infra.gcp.secrets import Secrets, SecretsArgs
from infra.gcp.serverless import Serverless, ServerlessArgs
from infra.gcp.vm import Vm, VmArgs
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

# Cloud Resource Manager first: project IAM members read and set the project's policy through
# it, and a service-account or workload-identity-federation credential (CI) does not bring it
# enabled the way gcloud's own project does.
# https://cloud.google.com/resource-manager/docs/creating-managing-projects (read 2026-11-29)
APIS = [
    "cloudresourcemanager.googleapis.com",
    "artifactregistry.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "servicenetworking.googleapis.com",
    "sqladmin.googleapis.com",
    "aiplatform.googleapis.com",
]


@dataclass
class Running:
    """What a compute branch hands to monitoring and the outputs."""

    url: pulumi.Input[str]
    alarms: list[Alarm]
    log_filter: pulumi.Input[str]  # the service's own log entries, for its log bucket
    uptime_host: pulumi.Input[str] | None = None  # None: private, the checkers cannot reach it


@dataclass
class Context:
    """What every step reads: the stack, the project and the options children get."""

    name: str
    settings: GcpConfig  # llmchain:gcp
    spec: WorkloadSpec
    project: str
    region: str
    opts: pulumi.ResourceOptions  # parent, provider, and after the APIs


@dataclass
class Parts:
    """What the steps before the compute made, for the compute branch."""

    network: Network
    account: gcp.serviceaccount.Account
    grants: list[pulumi.Resource]  # what the workload's identity must hold before it starts
    registry: Registry
    image: AppImage
    secret_values: dict[str, pulumi.Input[str]]
    extra_env: dict[str, pulumi.Input[str]]
    secrets: Secrets | None  # None on the cluster: Kubernetes keeps them


class GcpTarget(Target[GcpConfig]):
    """The service on GCP, by `llmchain:compute`: Cloud Run, a managed instance group or GKE."""

    def build(self, name: str, args: TargetArgs[GcpConfig]) -> None:
        """The skeleton's steps, in order."""
        spec, settings = args.spec, args.settings
        project, region = args.location.project, args.location.region
        opts = self._apis(name, project, region, spec.labels)
        ctx = Context(name, settings, spec, project, region, opts)
        network = self._network(ctx)
        account, grants = self._identity(ctx)
        member = pulumi.Output.concat("serviceAccount:", account.email)
        registry, image = self._registry(ctx, member, grants)
        database = self._database(ctx, network)
        secret_values = secret_settings(spec, database.url if database else None)
        secrets = self._secrets(ctx, member, secret_values)
        extra_env: dict[str, pulumi.Input[str]] = {}
        if spec.provider is Provider.VERTEXAI:
            extra_env.update(
                LLMCHAIN_GCP_PROJECT=project, LLMCHAIN_GCP_LOCATION=settings.model_location
            )
        parts = Parts(network, account, grants, registry, image, secret_values, extra_env, secrets)
        running: Running = self.compute(spec, ctx, parts)
        dashboard = self._monitoring(ctx, running)
        store = database_store("Cloud SQL", database.instance.name if database else None)
        self.outputs = TargetOutputs.of(running.url, image.ref, spec, store, dashboard)

    def _apis(
        self, name: str, project: str, region: str, labels: dict[str, str]
    ) -> pulumi.ResourceOptions:
        """The stack's provider and the project's APIs; children's options wait for them."""
        # One explicit provider: every resource that takes labels gets the stack's.
        provider = gcp.Provider(
            f"{name}-gcp",
            project=project,
            region=region,
            default_labels=labels,
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, providers=[provider])
        crm = gcp.projects.Service(
            f"{name}-{APIS[0].split('.')[0]}",
            service=APIS[0],
            disable_on_destroy=False,
            opts=child,
        )
        # The other APIs after it: enabling them checks the project through it.
        first = pulumi.ResourceOptions(parent=self, providers=[provider], depends_on=[crm])
        apis = [crm] + [
            gcp.projects.Service(
                f"{name}-{api.split('.')[0]}", service=api, disable_on_destroy=False, opts=first
            )
            for api in APIS[1:]
        ]
        return pulumi.ResourceOptions(parent=self, providers=[provider], depends_on=apis)

    @staticmethod
    def _network(ctx: Context) -> Network:
        """VPC, subnet, private services access; a proxy subnet for a private vm's balancer."""
        internal_lb = ctx.spec.compute is Compute.VM and not ctx.spec.ingress.public
        return Network(
            ctx.name,
            NetworkArgs(region=ctx.region, port=ctx.spec.port, internal_lb=internal_lb),
            ctx.opts,
        )

    @staticmethod
    def _registry(
        ctx: Context, member: pulumi.Input[str], grants: list[pulumi.Resource]
    ) -> tuple[Registry, AppImage]:
        """Artifact Registry (the workload may pull), and the image pushed to it."""
        registry = Registry(
            ctx.name, RegistryArgs(region=ctx.region, project=ctx.project), ctx.opts
        )
        grants.append(
            roles.grant_pull(
                f"{ctx.name}-pull", registry.repository.name, ctx.region, member, ctx.opts
            )
        )
        image = AppImage(
            f"{ctx.name}-app",
            AppImageArgs(build=ctx.spec.image, repository=registry.url, registry=registry.login),
            ctx.opts,
        )
        return registry, image

    @staticmethod
    def _identity(ctx: Context) -> tuple[gcp.serviceaccount.Account, list[pulumi.Resource]]:
        """The workload's service account and its grants (what it must hold before it starts)."""
        name = ctx.name
        account = gcp.serviceaccount.Account(
            f"{name}-sa",
            account_id=f"{name}-app"[:30],
            display_name=f"{name} workload",
            opts=ctx.opts,
        )
        member = pulumi.Output.concat("serviceAccount:", account.email)
        grants: list[pulumi.Resource] = [
            roles.grant_project(name, role, ctx.project, member, ctx.opts)
            for role in roles.project_roles(ctx.spec)
        ]
        return account, grants

    @staticmethod
    def _database(ctx: Context, network: Network) -> Database | None:
        """Cloud SQL PostgreSQL on private services access, when the spec needs it."""
        if not ctx.spec.memory.needs_database:
            return None
        spec = ctx.spec
        return Database(
            f"{ctx.name}-memory",
            DatabaseArgs(
                region=ctx.region,
                network_id=network.network.id,
                peering=network.peering,
                tier=spec.database.instance,
                ha=spec.ha,
                deletion_protection=spec.database.deletion_protection,
            ),
            ctx.opts,
        )

    @staticmethod
    def _secrets(
        ctx: Context, member: pulumi.Input[str], values: dict[str, pulumi.Input[str]]
    ) -> Secrets | None:
        """Secret Manager with every secret setting (not for the cluster: Kubernetes keeps them)."""
        if ctx.spec.compute is Compute.CLUSTER:
            return None
        return Secrets(ctx.name, SecretsArgs(values=values, member=member), ctx.opts)

    @staticmethod
    def _runtime(ctx: Context, parts: Parts) -> RuntimeArgs:
        """What Cloud Run and the instances alike run with: image, identity, network, secrets."""
        secrets = parts.secrets
        assert secrets is not None  # serverless and vm read Secret Manager
        return RuntimeArgs(
            spec=ctx.spec,
            image_ref=parts.image.ref,
            region=ctx.region,
            service_account=parts.account.email,
            network_id=parts.network.network.id,
            subnet_id=parts.network.subnet.id,
            secret_ids=secrets.ids,
            secret_versions=secrets.versions,
            needs=[*parts.grants, *secrets.ready],
            extra_env=parts.extra_env,
        )

    @classmethod
    def _serverless(cls, ctx: Context, parts: Parts) -> Running:
        """Cloud Run; alarms on its request metrics and the app's access log."""
        name, spec, settings = ctx.name, ctx.spec, ctx.settings
        args = extended(
            ServerlessArgs,
            cls._runtime(ctx, parts),
            deletion_protection=settings.deletion_protection,
        )
        run = Serverless(name, args, ctx.opts)
        service = (
            f'resource.type = "cloud_run_revision" AND resource.labels.service_name = "{name}"'
        )
        alarms = http_policies(
            service,
            "run.googleapis.com/request_count",
            'metric.labels.response_code_class = "5xx"',
            *_thresholds(spec),
            STRUCTURED_ACCESS_LOG,  # p95 without streams (issue 16 item 14)
        )
        uptime = (
            run.url.apply(lambda u: u.removeprefix("https://")) if spec.ingress.public else None
        )
        return Running(run.url, alarms, service, uptime)

    @classmethod
    def _vm(cls, ctx: Context, parts: Parts) -> Running:
        """A managed instance group behind a load balancer; alarms on the balancer's metrics."""
        name, spec, project = ctx.name, ctx.spec, ctx.project
        args = extended(
            VmArgs,
            cls._runtime(ctx, parts),
            project=project,
            registry_host=f"{ctx.region}-docker.pkg.dev",
            machine_type=ctx.settings.machine_type,
            domain=spec.ingress.domain,
            proxy_subnet=[parts.network.proxy_subnet] if parts.network.proxy_subnet else [],
        )
        group = Vm(name, args, ctx.opts)
        # The containers' logs, from Docker's gcplogs driver, on this group's instances
        # (base name + 4 characters). https://docs.docker.com/engine/logging/drivers/gcplogs/
        # (read 2026-11-29)
        log_filter = (
            f'logName = "projects/{project}/logs/gcplogs-docker-driver" AND '
            f'jsonPayload.instance.name =~ "^{name}-[a-z0-9]{{4}}$"'
        )
        # Scoped to this stack's forwarding rule: every load balancer of the project
        # reports under the same resource type. The internal load balancer's metrics
        # sit under https/internal/. https://cloud.google.com/load-balancing/docs/metrics
        # (read 2026-11-29)
        kind, metrics = (
            ("https_lb_rule", "loadbalancing.googleapis.com/https/")
            if spec.ingress.public
            else ("internal_http_lb_rule", "loadbalancing.googleapis.com/https/internal/")
        )
        alarms = http_policies(
            pulumi.Output.concat(
                f'resource.type = "{kind}" AND resource.labels.forwarding_rule_name = "',
                group.forwarding_rule.name,
                '"',
            ),
            metrics + "request_count",
            "metric.labels.response_code_class = 500",
            *_thresholds(spec),
            LINE_ACCESS_LOG,  # p95 without streams (issue 16 item 14)
        )
        uptime: pulumi.Input[str] | None = None
        if spec.ingress.public:  # the uptime checkers probe from the internet
            uptime = spec.ingress.domain or group.url.apply(lambda u: u.removeprefix("http://"))
        return Running(group.url, alarms, log_filter, uptime)

    @staticmethod
    def _cluster(ctx: Context, parts: Parts) -> Running:
        """GKE Autopilot and the Kubernetes workload; alarms on its Prometheus metrics."""
        name, spec, settings = ctx.name, ctx.spec, ctx.settings
        gke = Cluster(
            name,
            ClusterArgs(
                spec=spec,
                project=ctx.project,
                region=ctx.region,
                network_id=parts.network.network.id,
                subnet_id=parts.network.subnet.id,
                deletion_protection=settings.deletion_protection,
                authorized_networks=settings.authorized_networks,
            ),
            ctx.opts,
        )
        if not settings.authorized_networks:
            warn_open_control_plane(
                "the GKE control plane's public endpoint",
                "Google IAM",
                "llmchain:gcp.authorizedNetworks",
            )
        # The cluster's kubeconfig, for kubectl (gke-gcloud-auth-plugin, no credentials):
        # pulumi stack output --show-secrets kubeconfig
        pulumi.export("kubeconfig", gke.kubeconfig)
        nodes_pull = roles.grant_pull(
            f"{name}-nodes-pull",
            parts.registry.repository.name,
            ctx.region,
            gke.node_member,
            ctx.opts,
        )
        needs = [*parts.grants, nodes_pull]
        workload = gke.workload(
            spec, parts.image.ref, parts.account, parts.extra_env, parts.secret_values, needs
        )
        gke.scrape(spec, workload)
        alarms = prometheus_policies(spec.name, *_thresholds(spec))
        alarms.append(
            Alarm(
                "restarts",
                "containers restarting",
                'resource.type = "k8s_container" AND metric.type = '
                f'"kubernetes.io/container/restart_count" AND '
                f'resource.labels.namespace_name = "{spec.name}"',
                0,
                aligner="ALIGN_DELTA",
            )
        )
        log_filter = pulumi.Output.concat(
            'resource.type = "k8s_container" AND resource.labels.namespace_name = "',
            spec.name,
            '" AND resource.labels.cluster_name = "',
            gke.cluster.name,
            '"',
        )
        uptime = None
        if spec.ingress.public:  # the Service's own address, plain HTTP on port 80
            uptime = workload.address.apply(lambda u: u.removeprefix("http://"))
        return Running(workload.address, alarms, log_filter, uptime)

    @staticmethod
    def _monitoring(ctx: Context, running: Running) -> pulumi.Output[str]:
        """The service's log bucket, alert policies, uptime check and dashboard."""
        spec = ctx.spec
        logs = Logs(
            ctx.name,
            LogsArgs(
                project=ctx.project,
                location=ctx.region,
                retention_days=spec.monitoring.log_retention_days,
                log_filter=running.log_filter,
            ),
            ctx.opts,
        )
        monitoring = Monitoring(
            ctx.name,
            MonitoringArgs(
                project=ctx.project,
                email=spec.alert_email,
                uptime_host=running.uptime_host,
                health_path=spec.health_path,
                https=spec.compute is Compute.SERVERLESS or bool(spec.ingress.domain),
                alarms=running.alarms,
                log_filter=running.log_filter,
                log_bucket=logs.bucket_name,
            ),
            ctx.opts,
        )
        return monitoring.dashboard_url


def _thresholds(spec: WorkloadSpec) -> tuple[float, int]:
    """The error-rate and p95 latency alarm thresholds."""
    return spec.monitoring.error_rate_percent, spec.monitoring.latency_p95_ms
