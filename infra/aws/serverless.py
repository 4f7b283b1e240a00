"""ECS Fargate: the service as tasks in private subnets behind the ALB, autoscaled."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra import image_contract as contract
from infra.aws import iam
from infra.aws.loadbalancer import BACKEND_ENV
from infra.aws.roles import runtime_policy
from infra.aws.runtime import RuntimeArgs
from infra.component import Component
from infra.pulumi_outputs import all_dict

# Fargate kills a container at most 120 s after SIGTERM: the container definition's
# stopTimeout (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html,
# read 2026-11-29: "the max stop timeout value is 120 seconds").
FARGATE_MAX_STOP_S = 120
# Fargate CPU units and the memory (MiB) each allows: (min, max, step).
FARGATE = {
    256: (512, 2048, 512),
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
}


def fargate_size(cpu: float, memory_mib: int) -> tuple[int, int]:
    """The smallest valid Fargate (cpu units, memory MiB) that gives at least what was asked."""
    for units, (low, high, step) in FARGATE.items():
        if units >= cpu * 1024 and memory_mib <= high:
            memory = max(low, -(-memory_mib // step) * step)
            return units, memory
    raise ValueError(f"no Fargate size has {cpu} vCPU and {memory_mib} MiB")


def capacity_strategy(spot_percent: int) -> list[dict[str, Any]]:
    """How tasks split between Fargate and Fargate Spot: `spot_percent` of them on Spot.

    Below 100 % the first task always runs on regular Fargate (`base`), so a Spot
    interruption (two minutes' notice) never takes every task at once. Both capacity
    providers exist in every account and need only be associated with the cluster
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html,
    read 2026-11-29).
    """
    if not 0 <= spot_percent <= 100:
        raise ValueError(f"spot_percent {spot_percent} is not a percentage")
    strategy: list[dict[str, Any]] = []
    if spot_percent < 100:
        strategy.append({"capacity_provider": "FARGATE", "base": 1, "weight": 100 - spot_percent})
    if spot_percent > 0:
        strategy.append({"capacity_provider": "FARGATE_SPOT", "weight": spot_percent})
    return strategy


def container_definitions(
    *,
    image: str,
    port: int,
    env: Mapping[str, str],
    secret_arns: Mapping[str, str],
    log_group: str,
    region: str,
    health_path: str,
    stop_timeout: int,
) -> list[dict[str, Any]]:
    """The task's one container: plain settings as environment, secrets by ARN only."""
    return [
        {
            "name": "app",
            "image": image,
            "essential": True,
            "user": contract.APP_USER,
            "readonlyRootFilesystem": True,
            "portMappings": [{"containerPort": port, "protocol": "tcp", "name": "http"}],
            "environment": [{"name": k, "value": v} for k, v in sorted(env.items())],
            # ECS fetches these from Secrets Manager at start: never in the task definition.
            "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(secret_arns.items())],
            # The root filesystem is read-only; /tmp is the task's own scratch volume.
            "mountPoints": [{"sourceVolume": "tmp", "containerPath": contract.TMPFS}],
            "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
            "healthCheck": {
                "command": contract.health_command(port, health_path),
                "interval": 15,
                "timeout": 5,
                "retries": 3,
                "startPeriod": 20,
            },
            "stopTimeout": stop_timeout,
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group,
                    "awslogs-region": region,
                    "awslogs-stream-prefix": "app",
                },
            },
        }
    ]


@dataclass(kw_only=True)
class ServerlessArgs(RuntimeArgs):
    """What the service needs from the rest of the target."""

    spot_percent: int = 0  # llmchain:aws.fargateSpot


class Serverless(Component[ServerlessArgs]):
    """ECS cluster, roles, task definition, service and its autoscaling."""

    cluster: aws.ecs.Cluster
    service: aws.ecs.Service

    def build(self, name: str, args: ServerlessArgs) -> None:
        child = self.child
        spec = args.spec
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
            opts=child,
        )
        # A service's capacity providers must be associated with its cluster first.
        providers = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=self.cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            opts=child,
        )
        trust = json.dumps(iam.assume_role("ecs-tasks"))
        execution = aws.iam.Role(f"{name}-execution", assume_role_policy=trust, opts=child)
        grants = [
            aws.iam.RolePolicy(
                f"{name}-execution",
                role=execution.id,
                policy=runtime_policy(args.repository_arn, args.log_group_arn, args.secret_arns),
                opts=child,
            )
        ]
        task_role = aws.iam.Role(f"{name}-task", assume_role_policy=trust, opts=child)
        if args.task_policy is not None:
            grants.append(
                aws.iam.RolePolicy(
                    f"{name}-task", role=task_role.id, policy=args.task_policy, opts=child
                )
            )
        cpu, memory = fargate_size(spec.cpu, spec.memory_mib)
        definitions = pulumi.Output.all(
            args.image_ref, args.log_group_name, all_dict(args.secret_arns)
        ).apply(
            lambda a: json.dumps(
                container_definitions(
                    image=a[0],
                    port=spec.port,
                    env={**spec.env, **BACKEND_ENV},  # behind the ALB
                    secret_arns=a[2],
                    log_group=a[1],
                    region=args.region,
                    health_path=spec.health_path,
                    stop_timeout=contract.stop_timeout(
                        spec.shutdown_grace_s, cap=FARGATE_MAX_STOP_S
                    ),
                )
            )
        )
        task = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=name,
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(cpu),
            memory=str(memory),
            execution_role_arn=execution.arn,
            task_role_arn=task_role.arn,
            container_definitions=definitions,
            volumes=[aws.ecs.TaskDefinitionVolumeArgs(name="tmp")],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX",
                cpu_architecture="ARM64" if spec.image.platform.endswith("arm64") else "X86_64",
            ),
            opts=child,
        )
        self.service = aws.ecs.Service(
            f"{name}-service",
            cluster=self.cluster.arn,
            task_definition=task.arn,
            desired_count=spec.min_replicas,
            # A capacity provider strategy instead of launch_type (the two conflict): the
            # Fargate/Fargate Spot split is a setting; changing a strategy needs a new
            # deployment (pulumi-aws 7.51.1 ecs.Service: capacityProviderStrategies).
            capacity_provider_strategies=[
                aws.ecs.ServiceCapacityProviderStrategyArgs(**item)
                for item in capacity_strategy(args.spot_percent)
            ],
            force_new_deployment=True,
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=args.subnet_ids,
                security_groups=[args.security_group_id],
                assign_public_ip=False,
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=args.target_group_arn,
                    container_name="app",
                    container_port=spec.port,
                )
            ],
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
                enable=True, rollback=True
            ),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            health_check_grace_period_seconds=60,
            enable_execute_command=False,
            propagate_tags="SERVICE",
            # `up` fails when the tasks never become healthy, instead of reporting success
            # while the circuit breaker stops the deployment (pulumi-aws 7.51.1 schema:
            # waitForSteadyState, "like aws ecs wait services-stable").
            wait_for_steady_state=True,
            opts=pulumi.ResourceOptions(
                parent=self,
                # The autoscaler owns the count once the service runs.
                ignore_changes=["desiredCount"],
                # The roles' policies: tasks start with them, and on destroy the service is
                # removed before them (else it can hang in DRAINING, pulumi-aws 7.51.1
                # ecs.Service docs). The listener and the NAT routes: see ServerlessArgs.
                depends_on=[*grants, *args.listeners, *args.routes, providers],
            ),
        )
        target = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", self.cluster.name, "/", self.service.name),
            min_capacity=spec.min_replicas,
            max_capacity=spec.max_replicas,
            opts=child,
        )
        aws.appautoscaling.Policy(
            f"{name}-cpu",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                target_value=60,
                predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="ECSServiceAverageCPUUtilization"
                ),
                scale_in_cooldown=120,
                scale_out_cooldown=30,
            ),
            opts=child,
        )
        self.register_outputs({"service": self.service.name})
