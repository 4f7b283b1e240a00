"""IAM documents from resource outputs: the glue between iam.py's pure functions and Pulumi."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi

from infra.aws import iam


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
