"""The AWS target: ECS Fargate, EC2 or EKS; VPC, ECR, Secrets Manager, RDS, Bedrock, CloudWatch."""

from __future__ import annotations

from infra.aws.target import AwsTarget
from infra.config import Location, StackConfig
from infra.spec import WorkloadSpec
from infra.targets import TargetOutputs


def deploy(config: StackConfig, spec: WorkloadSpec, location: Location) -> TargetOutputs:
    """Build the AWS target and return the output contract."""
    return AwsTarget(spec.name, spec, config.aws, location).outputs
