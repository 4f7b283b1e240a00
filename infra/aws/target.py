"""AwsTarget: the provider, the account and the log group, then the skeleton.

network, identity, registry and image, the compute's front (load balancer or EKS: what the
database admits), database, secrets, compute (ECS Fargate | EC2 | EKS workload), monitoring,
outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra.aws.cluster import Cluster, ClusterArgs
from infra.aws.database import Database, DatabaseArgs
from infra.aws.loadbalancer import LoadBalancer, LoadBalancerArgs
from infra.aws.model import bedrock_models, check_models
from infra.aws.monitoring import (
    Alarm,
    Monitoring,
    MonitoringArgs,
    access_log_alarms,
    access_log_filters,
    alb_alarms,
    app_log_group,
    utilisation_alarms,
)
from infra.aws.network import VPC_CIDR, Network, NetworkArgs
from infra.aws.registry import Registry, RegistryArgs
from infra.aws.roles import app_policy
from infra.aws.runtime import RuntimeArgs
from infra.aws.secrets import Secrets, SecretsArgs
from infra.aws.serverless import Serverless, ServerlessArgs
from infra.aws.vm import Vm, VmArgs
from infra.component import extended
from infra.config import AwsConfig, Compute
from infra.image import AppImage, AppImageArgs
from infra.spec import WorkloadSpec
from infra.targets import Target, TargetArgs, TargetOutputs, database_store, secret_settings


@dataclass
class Context:
    """What every step reads: the stack, the account and the options children get."""

    name: str
    settings: AwsConfig  # llmchain:aws
    spec: WorkloadSpec
    region: str
    account: pulumi.Output[str]
    # The app's log group (ECS, EC2); None on EKS, where Container Insights keeps the logs.
    logs: aws.cloudwatch.LogGroup | None
    opts: pulumi.ResourceOptions  # parent and the stack's provider


@dataclass
class Front:
    """What stands before the workload: a load balancer and the workload's security group
    (serverless, vm) or the EKS cluster (cluster); the database admits `client_sg`."""

    client_sg: pulumi.Input[str]
    lb: LoadBalancer | None = None
    workload_sg: aws.ec2.SecurityGroup | None = None
    eks: Cluster | None = None
    alarms: list[Alarm] = field(default_factory=list)


@dataclass
class Parts:
    """What the steps before the compute made, for the compute branch."""

    network: Network
    policy: pulumi.Output[str] | None  # what the app's role may do (its Bedrock models)
    registry: Registry
    image: AppImage
    front: Front
    secret_values: dict[str, pulumi.Input[str]]
    secrets: Secrets | None  # None on the cluster: Kubernetes keeps them


@dataclass
class Running:
    """What a compute branch hands to monitoring and the outputs."""

    url: pulumi.Input[str]
    alarms: list[Alarm]


class AwsTarget(Target[AwsConfig]):
    """The service on AWS, by `llmchain:compute`: ECS Fargate, EC2 or EKS."""

    def build(self, name: str, args: TargetArgs[AwsConfig]) -> None:
        """The skeleton's steps, in order."""
        spec, settings = args.spec, args.settings
        ctx = self._base(name, spec, settings, args.location.region)
        network = self._network(ctx)
        policy = self._identity(ctx)
        registry, image = self._registry(ctx)
        front = self._front(ctx, network, registry, image, policy)
        database = self._database(ctx, network, front.client_sg)
        secret_values = secret_settings(spec, database.url if database else None)
        secrets = self._secrets(ctx, secret_values)
        parts = Parts(network, policy, registry, image, front, secret_values, secrets)
        running: Running = self.compute(spec, ctx, parts)
        monitoring = Monitoring(
            name,
            MonitoringArgs(
                region=ctx.region,
                account=ctx.account,
                email=spec.alert_email,
                alarms=running.alarms,
            ),
            ctx.opts,
        )
        store = database_store("RDS instance", database.identifier if database else None)
        self.outputs = TargetOutputs.of(
            running.url, image.ref, spec, store, monitoring.dashboard_url
        )

    def _base(self, name: str, spec: WorkloadSpec, settings: AwsConfig, region: str) -> Context:
        """The stack's provider, the account, and the log group ECS or EC2 writes to."""
        # One explicit provider: every resource gets the stack's tags through default_tags.
        provider = aws.Provider(
            f"{name}-aws",
            region=region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=spec.labels),
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, providers=[provider])
        account = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self, provider=provider)
        ).account_id
        logs = (
            app_log_group(name, spec.monitoring.log_retention_days, child)
            if spec.compute is not Compute.CLUSTER  # EKS: the add-on's application log group
            else None
        )
        # A model the region's Bedrock does not serve fails here, at preview, naming its key.
        check_models(bedrock_models(spec), region, provider, self)
        return Context(name, settings, spec, region, account, logs, child)

    @staticmethod
    def _network(ctx: Context) -> Network:
        """VPC, public and private subnets, endpoints, flow logs."""
        spec = ctx.spec
        return Network(
            f"{ctx.name}-net",
            NetworkArgs(ha=spec.ha, log_retention_days=spec.monitoring.log_retention_days),
            ctx.opts,
        )

    @staticmethod
    def _identity(ctx: Context) -> pulumi.Output[str] | None:
        """What the app's own role may do (its Bedrock models); each compute makes the role."""
        return app_policy(ctx.spec, ctx.region, ctx.account)

    @staticmethod
    def _registry(ctx: Context) -> tuple[Registry, AppImage]:
        """ECR and the image pushed to it."""
        registry = Registry(ctx.name, RegistryArgs(), ctx.opts)
        image = AppImage(
            f"{ctx.name}-app",
            AppImageArgs(
                build=ctx.spec.image,
                repository=registry.repository.repository_url,
                registry=registry.login,
            ),
            ctx.opts,
        )
        return registry, image

    def _front(
        self,
        ctx: Context,
        network: Network,
        registry: Registry,
        image: AppImage,
        policy: pulumi.Output[str] | None,
    ) -> Front:
        """The load balancer and workload security group, or the EKS cluster."""
        settings, spec, name = ctx.settings, ctx.spec, ctx.name
        if spec.compute is Compute.CLUSTER:
            eks = Cluster(
                name,
                ClusterArgs(
                    spec=spec,
                    image_ref=image.ref,
                    region=ctx.region,
                    account=ctx.account,
                    node_instance_type=settings.node_instance_type,
                    ha=spec.ha,
                    repository_arn=registry.repository.arn,
                    subnet_ids=network.private_subnet_ids,
                    public_subnet_ids=network.public_subnet_ids,
                    app_policy=policy,
                ),
                ctx.opts,
            )
            return Front(client_sg=eks.security_group_id, eks=eks)
        lb = LoadBalancer(
            name,
            LoadBalancerArgs(
                vpc_id=network.vpc.id,
                vpc_cidr=VPC_CIDR,
                public_subnet_ids=network.public_subnet_ids,
                private_subnet_ids=network.private_subnet_ids,
                public=spec.ingress.public,
                domain=spec.ingress.domain,
                hosted_zone_id=settings.hosted_zone_id,
                target_type="ip" if spec.compute is Compute.SERVERLESS else "instance",
                port=spec.port,
                readiness_path=spec.readiness_path,
            ),
            ctx.opts,
        )
        workload_sg = self._workload_sg(name, network, lb, spec.port, ctx.opts)
        thresholds = (spec.monitoring.error_rate_percent, spec.monitoring.latency_p95_ms)
        alarms = alb_alarms(lb.alb.arn_suffix, lb.target_group.arn_suffix, *thresholds)
        return Front(client_sg=workload_sg.id, lb=lb, workload_sg=workload_sg, alarms=alarms)

    @staticmethod
    def _database(ctx: Context, network: Network, client_sg: pulumi.Input[str]) -> Database | None:
        """RDS PostgreSQL in the private subnets, when the spec needs it."""
        if not ctx.spec.memory.needs_database:
            return None
        spec = ctx.spec
        return Database(
            f"{ctx.name}-memory",
            DatabaseArgs(
                vpc_id=network.vpc.id,
                subnet_ids=network.private_subnet_ids,
                client_security_group_id=client_sg,
                instance_class=spec.database.instance,
                deletion_protection=spec.database.deletion_protection,
                ha=spec.ha,
            ),
            ctx.opts,
        )

    @staticmethod
    def _secrets(ctx: Context, values: dict[str, pulumi.Input[str]]) -> Secrets | None:
        """Secrets Manager with each secret setting (not the cluster: Kubernetes keeps them)."""
        if ctx.spec.compute is Compute.CLUSTER:
            return None
        return Secrets(ctx.name, SecretsArgs(values=values), ctx.opts)

    @staticmethod
    def _runtime(ctx: Context, parts: Parts) -> tuple[RuntimeArgs, pulumi.Output[str]]:
        """What ECS and EC2 alike run with (image, the role's reads, the load balancer); its URL."""
        secrets, lb, workload_sg = parts.secrets, parts.front.lb, parts.front.workload_sg
        assert secrets is not None and lb is not None and workload_sg is not None
        assert ctx.logs is not None  # made for serverless and vm
        runtime = RuntimeArgs(
            spec=ctx.spec,
            image_ref=parts.image.ref,
            region=ctx.region,
            repository_arn=parts.registry.repository.arn,
            log_group_arn=ctx.logs.arn,
            log_group_name=ctx.logs.name,
            secret_arns=secrets.arns,
            task_policy=parts.policy,
            subnet_ids=parts.network.private_subnet_ids,
            security_group_id=workload_sg.id,
            target_group_arn=lb.target_group.arn,
            listeners=lb.listeners,
            routes=parts.network.private_routes,
        )
        return runtime, lb.url

    @classmethod
    def _serverless(cls, ctx: Context, parts: Parts) -> Running:
        """ECS Fargate behind the load balancer; alarms on the service's CPU and memory."""
        runtime, url = cls._runtime(ctx, parts)
        args = extended(ServerlessArgs, runtime, spot_percent=ctx.settings.fargate_spot)
        ecs = Serverless(ctx.name, args, ctx.opts)
        dims = {"ClusterName": ecs.cluster.name, "ServiceName": ecs.service.name}
        alarms = utilisation_alarms("AWS/ECS", dims, "CPUUtilization", "MemoryUtilization")
        return Running(url, [*parts.front.alarms, *alarms])

    @classmethod
    def _vm(cls, ctx: Context, parts: Parts) -> Running:
        """An EC2 Auto Scaling group behind the load balancer; alarms on CPU and memory."""
        runtime, url = cls._runtime(ctx, parts)
        args = extended(
            VmArgs,
            runtime,
            registry=parts.registry.login.address,
            instance_type=ctx.settings.instance_type,
            labels=ctx.spec.labels,
        )
        vm = Vm(ctx.name, args, ctx.opts)
        group = {"AutoScalingGroupName": vm.group.name}
        alarms = [
            Alarm("cpu", "CPU above 85%", "AWS/EC2", "CPUUtilization", group, 85),
            Alarm("memory", "memory above 85%", "CWAgent", "mem_used_percent", group, 85),
        ]
        return Running(url, [*parts.front.alarms, *alarms])

    @staticmethod
    def _cluster(ctx: Context, parts: Parts) -> Running:
        """The Kubernetes workload on EKS; alarms on its pods (Container Insights) and on HTTP.

        The Service's NLB is layer 4 (no status, no latency): the 5xx share and the p95 come
        from the app's access log, which Container Insights ships to the cluster's container
        log group, through metric filters.
        """
        eks = parts.front.eks
        assert eks is not None
        spec = ctx.spec
        workload = eks.workload(spec, parts.image.ref, ctx.region, parts.secret_values)
        http_metrics = f"llmchain/{ctx.name}"  # the metric filters' namespace, one per stack
        access_log_filters(ctx.name, eks.container_logs.name, http_metrics, ctx.opts)
        thresholds = (spec.monitoring.error_rate_percent, spec.monitoring.latency_p95_ms)
        pods: dict[str, pulumi.Input[str]] = {
            "ClusterName": eks.cluster.name,
            "Namespace": workload.namespace,
            "Service": spec.name,
        }
        alarms = utilisation_alarms(
            "ContainerInsights", pods, "pod_cpu_utilization", "pod_memory_utilization"
        )
        alarms.append(
            Alarm(
                "restarts",
                "containers restarting",
                "ContainerInsights",
                "pod_number_of_container_restarts",
                pods,
                0,
                "Sum",
            )
        )
        return Running(workload.address, [*access_log_alarms(http_metrics, *thresholds), *alarms])

    @staticmethod
    def _workload_sg(
        name: str, network: Network, lb: LoadBalancer, port: int, child: pulumi.ResourceOptions
    ) -> aws.ec2.SecurityGroup:
        """Tasks and instances: the service port from the load balancer only."""
        return aws.ec2.SecurityGroup(
            f"{name}-workload-sg",
            vpc_id=network.vpc.id,
            description="llmchain workload: the service port from the load balancer",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=port,
                    to_port=port,
                    security_groups=[lb.security_group.id],
                    description="from the load balancer",
                )
            ],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=["0.0.0.0/0"],
                    description="HTTPS: model provider, AWS APIs, registry",
                ),
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="tcp",
                    from_port=5432,
                    to_port=5432,
                    cidr_blocks=[VPC_CIDR],
                    description="PostgreSQL in the VPC",
                ),
            ],
            opts=child,
        )
