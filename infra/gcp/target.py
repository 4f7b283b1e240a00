"""GcpTarget: APIs, service account, VPC, registry, Cloud SQL, secrets, compute, monitoring."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from infra.config import Compute, Provider, StackConfig
from infra.gcp.cluster import Gke, GkeArgs
from infra.gcp.database import Database, DatabaseArgs
from infra.gcp.monitoring import (
    LINE_ACCESS_LOG,
    STRUCTURED_ACCESS_LOG,
    LogStorage,
    Monitoring,
    MonitoringArgs,
    Policy,
    http_policies,
    prometheus_policies,
)
from infra.gcp.network import Network, NetworkArgs
from infra.gcp.registry import Registry
from infra.gcp.secrets import Secrets
from infra.gcp.serverless import CloudRun, CloudRunArgs
from infra.gcp.vm import InstanceGroup, InstanceGroupArgs
from infra.image import AppImage, AppImageArgs
from infra.spec import WorkloadSpec
from infra.targets import TargetOutputs

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


def project_roles(config: StackConfig) -> list[str]:
    """The project-level roles the workload's service account needs (never owner or editor)."""
    roles = ["roles/logging.logWriter", "roles/monitoring.metricWriter"]
    if config.llm.provider is Provider.VERTEXAI:
        roles.append("roles/aiplatform.user")  # Vertex AI has no per-model IAM
    return roles


class GcpTarget(pulumi.ComponentResource):
    """The service on GCP, by `llmchain:compute`: Cloud Run, a managed instance group or GKE."""

    outputs: TargetOutputs

    def __init__(
        self,
        name: str,
        config: StackConfig,
        spec: WorkloadSpec,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llmchain:gcp:GcpTarget", name, {}, opts)
        settings = pulumi.Config("gcp")  # both checked with the stack's config
        project, region = settings.require("project"), settings.require("region")
        # One explicit provider: every resource that takes labels gets the stack's.
        provider = gcp.Provider(
            f"{name}-gcp",
            project=project,
            region=region,
            default_labels=spec.labels,
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
        after = pulumi.ResourceOptions(parent=self, providers=[provider], depends_on=apis)
        account = gcp.serviceaccount.Account(
            f"{name}-sa", account_id=f"{name}-app"[:30], display_name=f"{name} workload", opts=after
        )
        member = pulumi.Output.concat("serviceAccount:", account.email)
        # What the workload's identity must hold before the workload starts.
        grants: list[pulumi.Resource] = []
        for role in project_roles(config):
            grant = gcp.projects.IAMMember(
                f"{name}-{role.rsplit('.', 1)[-1]}",
                project=project,
                role=role,
                member=member,
                opts=after,
            )
            grants.append(grant)
        internal_lb = config.compute is Compute.VM and not spec.ingress.public
        network = Network(
            name, NetworkArgs(region=region, port=spec.port, internal_lb=internal_lb), after
        )
        registry = Registry(name, region, project, after)
        pull = gcp.artifactregistry.RepositoryIamMember(
            f"{name}-pull",
            repository=registry.repository.name,
            location=region,
            role="roles/artifactregistry.reader",
            member=member,
            opts=after,
        )
        grants.append(pull)
        image = AppImage(
            f"{name}-app",
            AppImageArgs(build=spec.image, repository=registry.url, registry=registry.login),
            after,
        )
        secret_values: dict[str, pulumi.Input[str]] = dict(spec.secret_env)
        database: Database | None = None
        if spec.memory.needs_database:
            database = Database(
                f"{name}-memory",
                DatabaseArgs(
                    region=region,
                    network_id=network.network.id,
                    peering=network.peering,
                    tier=config.database.instance,
                    ha=config.ha,
                    deletion_protection=config.database.deletion_protection,
                ),
                after,
            )
            secret_values["LLMCHAIN_MEMORY_URL"] = database.url
        extra_env: dict[str, pulumi.Input[str]] = {}
        if config.llm.provider is Provider.VERTEXAI:
            extra_env.update(
                LLMCHAIN_GCP_PROJECT=project, LLMCHAIN_GCP_LOCATION=config.gcp.model_location
            )
        thresholds = (config.monitoring.error_rate_percent, config.monitoring.latency_p95_ms)
        policies: list[Policy] = []
        uptime_host: pulumi.Input[str] | None = None
        log_filter: pulumi.Input[str]  # the service's own log entries, for its log bucket
        compute = config.compute
        if compute is Compute.CLUSTER:
            gke = Gke(
                name,
                GkeArgs(
                    spec=spec,
                    project=project,
                    region=region,
                    network_id=network.network.id,
                    subnet_id=network.subnet.id,
                    deletion_protection=config.gcp.deletion_protection,
                    authorized_networks=config.gcp.authorized_networks,
                ),
                after,
            )
            if not config.gcp.authorized_networks:
                pulumi.log.warn(
                    "the GKE control plane's public endpoint admits any address (Google IAM "
                    "still authenticates every call); restrict it to the networks Pulumi and "
                    "kubectl run from: pulumi config set --path "
                    "'llmchain:gcp.authorizedNetworks[0]' <cidr>"
                )
            # The cluster's kubeconfig, for kubectl (gke-gcloud-auth-plugin, no credentials):
            # pulumi stack output --show-secrets kubeconfig
            pulumi.export("kubeconfig", gke.kubeconfig)
            nodes_pull = gcp.artifactregistry.RepositoryIamMember(
                f"{name}-nodes-pull",
                repository=registry.repository.name,
                location=region,
                role="roles/artifactregistry.reader",
                member=gke.node_member,
                opts=after,
            )
            grants.append(nodes_pull)
            workload = gke.workload(spec, image.ref, account, extra_env, secret_values, grants)
            url: pulumi.Input[str] = workload.address
            gke.scrape(spec, workload)
            policies += prometheus_policies(spec.name, *thresholds)
            if spec.ingress.public:  # the Service's own address, plain HTTP on port 80
                uptime_host = workload.address.apply(lambda u: u.removeprefix("http://"))
            log_filter = pulumi.Output.concat(
                'resource.type = "k8s_container" AND resource.labels.namespace_name = "',
                spec.name,
                '" AND resource.labels.cluster_name = "',
                gke.cluster.name,
                '"',
            )
            policies.append(
                Policy(
                    "restarts",
                    "containers restarting",
                    'resource.type = "k8s_container" AND metric.type = '
                    f'"kubernetes.io/container/restart_count" AND '
                    f'resource.labels.namespace_name = "{spec.name}"',
                    0,
                    aligner="ALIGN_DELTA",
                )
            )
        else:
            secrets = Secrets(name, secret_values, member, after)
            if compute is Compute.SERVERLESS:
                run = CloudRun(
                    name,
                    CloudRunArgs(
                        spec=spec,
                        image_ref=image.ref,
                        region=region,
                        service_account=account.email,
                        network_id=network.network.id,
                        subnet_id=network.subnet.id,
                        secret_ids=secrets.ids,
                        secret_versions=secrets.versions,
                        needs=[*grants, *secrets.ready],
                        extra_env=extra_env,
                        deletion_protection=config.gcp.deletion_protection,
                    ),
                    after,
                )
                url = run.url
                log_filter = (
                    f'resource.type = "cloud_run_revision" AND '
                    f'resource.labels.service_name = "{name}"'
                )
                policies += http_policies(
                    'resource.type = "cloud_run_revision" AND '
                    f'resource.labels.service_name = "{name}"',
                    "run.googleapis.com/request_count",
                    'metric.labels.response_code_class = "5xx"',
                    *thresholds,
                    STRUCTURED_ACCESS_LOG,  # p95 without streams (issue 16 item 14)
                )
                if spec.ingress.public:
                    uptime_host = run.url.apply(lambda u: u.removeprefix("https://"))
            else:
                group = InstanceGroup(
                    name,
                    InstanceGroupArgs(
                        spec=spec,
                        image_ref=image.ref,
                        project=project,
                        region=region,
                        registry_host=f"{region}-docker.pkg.dev",
                        machine_type=config.gcp.machine_type,
                        service_account=account.email,
                        network_id=network.network.id,
                        subnet_id=network.subnet.id,
                        secret_ids=secrets.ids,
                        secret_versions=secrets.versions,
                        needs=[*grants, *secrets.ready],
                        extra_env=extra_env,
                        domain=spec.ingress.domain,
                        proxy_subnet=[network.proxy_subnet] if network.proxy_subnet else [],
                    ),
                    after,
                )
                url = group.url
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
                policies += http_policies(
                    pulumi.Output.concat(
                        f'resource.type = "{kind}" AND resource.labels.forwarding_rule_name = "',
                        group.forwarding_rule.name,
                        '"',
                    ),
                    metrics + "request_count",
                    "metric.labels.response_code_class = 500",
                    *thresholds,
                    LINE_ACCESS_LOG,  # p95 without streams (issue 16 item 14)
                )
                if spec.ingress.public:  # the uptime checkers probe from the internet
                    uptime_host = spec.ingress.domain or group.url.apply(
                        lambda u: u.removeprefix("http://")
                    )
        logs = LogStorage(
            name, project, region, config.monitoring.log_retention_days, log_filter, after
        )
        monitoring = Monitoring(
            name,
            MonitoringArgs(
                project=project,
                email=config.alerts.email,
                uptime_host=uptime_host,
                health_path=spec.health_path,
                https=compute is Compute.SERVERLESS or bool(spec.ingress.domain),
                policies=policies,
                log_filter=log_filter,
                log_bucket=logs.bucket_name,
            ),
            after,
        )
        store = (
            pulumi.Output.concat("postgresql: Cloud SQL ", database.instance.name)
            if database is not None
            else pulumi.Output.from_input("memory (lost on restart)")
        )
        self.outputs = TargetOutputs(
            url=url,
            image_ref=image.ref,
            health_url=pulumi.Output.concat(url, spec.health_path),
            memory_store=store,
            dashboard_url=monitoring.dashboard_url,
        )
        self.register_outputs({"url": url, "image_ref": image.ref})
