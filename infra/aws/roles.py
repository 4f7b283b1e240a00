"""What the workload's roles may do, from resource outputs: iam.py's documents as Outputs."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi

from infra.aws import iam
from infra.aws.model import bedrock_models
from infra.spec import WorkloadSpec


def app_policy(
    spec: WorkloadSpec, region: str, account: pulumi.Input[str]
) -> pulumi.Output[str] | None:
    """What the app itself may do: invoke its Bedrock models (fallbacks too), nothing else."""
    models = [m.id for m in bedrock_models(spec)]
    if not models:
        return None
    return pulumi.Output.from_input(account).apply(
        lambda acct: json.dumps(iam.bedrock_invoke(region, acct, models))
    )


def runtime_policy(
    repository_arn: pulumi.Input[str],
    log_group_arn: pulumi.Input[str],
    secret_arns: Mapping[str, pulumi.Input[str]],
    agent_metrics: bool = False,
) -> pulumi.Output[str]:
    """The JSON of `iam.runtime` once the ARNs are known."""
    values = pulumi.Output.all(repository_arn, log_group_arn, *secret_arns.values())
    return values.apply(
        lambda a: json.dumps(iam.runtime(a[0], a[1], list(a[2:]), agent_metrics=agent_metrics))
    )
