"""AwsTarget: network, registry, image, database, secrets, compute (one of three), monitoring."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from infra.aws import iam
from infra.aws.cluster import Cluster, ClusterArgs
from infra.aws.database import Database, DatabaseArgs
from infra.aws.loadbalancer import LoadBalancer, LoadBalancerArgs
from infra.aws.model import bedrock_models, check_models
from infra.aws.monitoring import (
    Alarm,
    Monitoring,
    MonitoringArgs,
    alb_alarms,
    app_log_group,
    utilisation_alarms,
)
from infra.aws.network import VPC_CIDR, Network, NetworkArgs
from infra.aws.registry import Registry
from infra.aws.secrets import Secrets
from infra.aws.serverless import Serverless, ServerlessArgs
from infra.aws.vm import Vm, VmArgs
from infra.config import Compute, StackConfig
from infra.image import AppImage, AppImageArgs
from infra.spec import WorkloadSpec
from infra.targets import TargetOutputs


def app_policy(
    config: StackConfig, spec: WorkloadSpec, region: str, account: pulumi.Input[str]
) -> pulumi.Output[str] | None:
    """What the app itself may do: invoke its Bedrock models (fallbacks too), nothing else."""
    models = [m.id for m in bedrock_models(spec)]
    if not models:
        return None
    return pulumi.Output.from_input(account).apply(
        lambda acct: json.dumps(iam.bedrock_invoke(region, acct, models))
    )


class AwsTarget(pulumi.ComponentResource):
    """The service on AWS, by `llmchain:compute`: ECS Fargate, EC2 or EKS."""

    outputs: TargetOutputs

    def __init__(
        self,
        name: str,
        config: StackConfig,
        spec: WorkloadSpec,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llmchain:aws:AwsTarget", name, {}, opts)
        region = pulumi.Config("aws").require("region")  # checked with the stack's config
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
        network = Network(
            f"{name}-net",
            NetworkArgs(ha=config.ha, log_retention_days=config.monitoring.log_retention_days),
            child,
        )
        registry = Registry(name, child)
        image = AppImage(
            f"{name}-app",
            AppImageArgs(
                build=spec.image,
                repository=registry.repository.repository_url,
                registry=registry.login,
            ),
            child,
        )
        logs = app_log_group(name, config.monitoring.log_retention_days, child)
        # A model the region's Bedrock does not serve fails here, at preview, naming its key.
        check_models(bedrock_models(spec), region, provider, self)
        policy = app_policy(config, spec, region, account)
        compute = config.compute
        alarms: list[Alarm] = []
        thresholds = (config.monitoring.error_rate_percent, config.monitoring.latency_p95_ms)
        if compute in (Compute.SERVERLESS, Compute.VM):
            lb = LoadBalancer(
                name,
                LoadBalancerArgs(
                    vpc_id=network.vpc.id,
                    vpc_cidr=VPC_CIDR,
                    public_subnet_ids=network.public_subnet_ids,
                    private_subnet_ids=network.private_subnet_ids,
                    public=spec.ingress.public,
                    domain=spec.ingress.domain,
                    hosted_zone_id=config.aws.hosted_zone_id,
                    target_type="ip" if compute is Compute.SERVERLESS else "instance",
                    port=spec.port,
                    readiness_path=spec.readiness_path,
                ),
                child,
            )
            workload_sg = self._workload_sg(name, network, lb, spec.port, child)
            database = self._database(name, config, spec, network, workload_sg.id, child)
            secrets = Secrets(name, self._secret_values(spec, database), child)
            alarms += alb_alarms(lb.alb.arn_suffix, lb.target_group.arn_suffix, *thresholds)
            url: pulumi.Input[str] = lb.url
            if compute is Compute.SERVERLESS:
                ecs = Serverless(
                    name,
                    ServerlessArgs(
                        spec=spec,
                        image_ref=image.ref,
                        region=region,
                        repository_arn=registry.repository.arn,
                        log_group_arn=logs.arn,
                        log_group_name=logs.name,
                        secret_arns=secrets.arns,
                        task_policy=policy,
                        subnet_ids=network.private_subnet_ids,
                        security_group_id=workload_sg.id,
                        target_group_arn=lb.target_group.arn,
                        listeners=lb.listeners,
                        routes=network.private_routes,
                        spot_percent=config.aws.fargate_spot,
                    ),
                    child,
                )
                dims = {"ClusterName": ecs.cluster.name, "ServiceName": ecs.service.name}
                alarms += utilisation_alarms("AWS/ECS", dims, "CPUUtilization", "MemoryUtilization")
            else:
                vm = Vm(
                    name,
                    VmArgs(
                        spec=spec,
                        image_ref=image.ref,
                        registry=registry.login.address,
                        region=region,
                        instance_type=config.aws.instance_type,
                        labels=spec.labels,
                        repository_arn=registry.repository.arn,
                        log_group_arn=logs.arn,
                        log_group_name=logs.name,
                        secret_arns=secrets.arns,
                        task_policy=policy,
                        subnet_ids=network.private_subnet_ids,
                        security_group_id=workload_sg.id,
                        target_group_arn=lb.target_group.arn,
                        listeners=lb.listeners,
                        routes=network.private_routes,
                    ),
                    child,
                )
                group = {"AutoScalingGroupName": vm.group.name}
                alarms += [
                    Alarm("cpu", "CPU above 85%", "AWS/EC2", "CPUUtilization", group, 85),
                    Alarm("memory", "memory above 85%", "CWAgent", "mem_used_percent", group, 85),
                ]
        else:
            eks = Cluster(
                name,
                ClusterArgs(
                    spec=spec,
                    image_ref=image.ref,
                    region=region,
                    account=account,
                    node_instance_type=config.aws.node_instance_type,
                    ha=config.ha,
                    repository_arn=registry.repository.arn,
                    subnet_ids=network.private_subnet_ids,
                    public_subnet_ids=network.public_subnet_ids,
                    app_policy=policy,
                ),
                child,
            )
            database = self._database(name, config, spec, network, eks.security_group_id, child)
            workload = eks.workload(spec, image.ref, region, self._secret_values(spec, database))
            url = workload.address
            pods: dict[str, pulumi.Input[str]] = {
                "ClusterName": eks.cluster.name,
                "Namespace": workload.namespace,
                "Service": spec.name,
            }
            alarms += utilisation_alarms(
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
        monitoring = Monitoring(
            name,
            MonitoringArgs(
                region=region,
                account=account,
                email=config.alerts.email,
                alarms=alarms,
            ),
            child,
        )
        store = (
            pulumi.Output.concat("postgresql: RDS instance ", database.identifier)
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

    @staticmethod
    def _database(
        name: str,
        config: StackConfig,
        spec: WorkloadSpec,
        network: Network,
        client_sg: pulumi.Input[str],
        child: pulumi.ResourceOptions,
    ) -> Database | None:
        """PostgreSQL when the spec needs it."""
        if not spec.memory.needs_database:
            return None
        return Database(
            f"{name}-memory",
            DatabaseArgs(
                vpc_id=network.vpc.id,
                subnet_ids=network.private_subnet_ids,
                client_security_group_id=client_sg,
                instance_class=config.database.instance,
                deletion_protection=config.database.deletion_protection,
                ha=config.ha,
            ),
            child,
        )

    @staticmethod
    def _secret_values(
        spec: WorkloadSpec, database: Database | None
    ) -> dict[str, pulumi.Input[str]]:
        """Every secret setting: the stack's secrets and, with a database, its URL."""
        values: dict[str, pulumi.Input[str]] = dict(spec.secret_env)
        if database is not None:
            values["LLMCHAIN_MEMORY_URL"] = database.url
        return values
