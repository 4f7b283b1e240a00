"""RuntimeArgs: what ECS tasks and EC2 instances alike take from the target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from infra.spec import WorkloadSpec


@dataclass
class RuntimeArgs:
    """The image, what the app's role may read, and its place behind the load balancer."""

    spec: WorkloadSpec
    image_ref: pulumi.Input[str]
    region: str
    repository_arn: pulumi.Input[str]
    log_group_arn: pulumi.Input[str]
    log_group_name: pulumi.Input[str]
    secret_arns: Mapping[str, pulumi.Input[str]]
    task_policy: pulumi.Input[str] | None  # what the app itself may do (Bedrock), or nothing
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]
    target_group_arn: pulumi.Input[str]
    # Created before the service or group: the listener(s) in front of the target group, and
    # the private subnets' routes to the NAT gateway (image pull, secrets, logs, the model).
    listeners: Sequence[pulumi.Resource] = ()
    routes: Sequence[pulumi.Resource] = ()
