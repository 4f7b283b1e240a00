"""IAM policy documents as pure functions: the least each identity needs, no `*` actions."""

from __future__ import annotations

from typing import Any

Document = dict[str, Any]
GEO_PREFIXES = ("us.", "eu.", "apac.", "jp.", "au.", "ca.", "global.")

# Actions AWS does not let you scope to a resource: `*` is the only valid Resource. EC2
# actions missing from EC2's resource-level table take only `*`, DescribeTags among them
# (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-supported-iam-actions-resources.html,
# read 2026-11-29).
UNSCOPABLE = {"ecr:GetAuthorizationToken", "cloudwatch:PutMetricData", "ec2:DescribeTags"}


def _doc(*statements: Document) -> Document:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def assume_role(service: str) -> Document:
    """Trust policy: an AWS service (ecs-tasks, ec2, eks...) may assume the role."""
    return _doc(
        {
            "Effect": "Allow",
            "Principal": {"Service": f"{service}.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    )


def irsa_trust(oidc_arn: str, oidc_issuer: str, namespace: str, account: str) -> Document:
    """Trust policy for IRSA: only this namespace's service account, only for STS."""
    issuer = oidc_issuer.removeprefix("https://")
    return _doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": oidc_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{issuer}:sub": f"system:serviceaccount:{namespace}:{account}",
                    f"{issuer}:aud": "sts.amazonaws.com",
                }
            },
        }
    )


def bedrock_model_arns(region: str, account: str, model: str) -> list[str]:
    """The ARNs one model id is invoked through.

    A plain model id is a foundation model in the region. A cross-region inference
    profile (`us.anthropic...`) is the profile in this account plus the foundation model
    in whichever region the profile routes to.
    """
    if model.startswith(GEO_PREFIXES):
        base = model.split(".", 1)[1]
        return [
            f"arn:aws:bedrock:{region}:{account}:inference-profile/{model}",
            f"arn:aws:bedrock:*::foundation-model/{base}",
        ]
    return [f"arn:aws:bedrock:{region}::foundation-model/{model}"]


def bedrock_invoke(region: str, account: str, models: list[str]) -> Document:
    """Invoke (and stream from) the configured models only."""
    resources = [arn for model in models for arn in bedrock_model_arns(region, account, model)]
    return _doc(
        {
            "Sid": "InvokeConfiguredModels",
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": resources,
        }
    )


def read_secrets(secret_arns: list[str]) -> Document:
    """Read exactly these Secrets Manager secrets."""
    return _doc(
        {
            "Sid": "ReadOwnSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": sorted(secret_arns),
        }
    )


def pull_image(repository_arn: str) -> Document:
    """Pull from one ECR repository (the token call cannot be scoped; AWS's rule)."""
    token = ["ecr:GetAuthorizationToken"]
    pull = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    return _doc(
        {"Sid": "RegistryToken", "Effect": "Allow", "Action": token, "Resource": "*"},
        {"Sid": "PullOwnImage", "Effect": "Allow", "Action": pull, "Resource": repository_arn},
    )


def write_logs(log_group_arn: str) -> Document:
    """Write to one log group's streams."""
    return _doc(
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [log_group_arn, f"{log_group_arn}:log-stream:*"],
        }
    )


def put_agent_metrics() -> Document:
    """The CloudWatch agent's metrics, into its own namespace only (a condition, not an ARN).

    The agent resolves `${aws:AutoScalingGroupName}` from the instance's
    `aws:autoscaling:groupName` tag with EC2 DescribeTags, and sends no metric until that call
    succeeds ("The IAM User or Role making the calls must have permissions to call the EC2
    DescribeTags API", aws/amazon-cloudwatch-agent plugins/processors/ec2tagger/README.md and
    ec2tagger.go, read 2026-11-29): without it the memory alarm never sees a datapoint.
    """
    return _doc(
        {
            "Sid": "AgentMetrics",
            "Effect": "Allow",
            "Action": ["cloudwatch:PutMetricData"],
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "CWAgent"}},
        },
        {
            "Sid": "AgentReadsInstanceTags",
            "Effect": "Allow",
            "Action": ["ec2:DescribeTags"],
            "Resource": "*",
        },
    )


def runtime(
    repository_arn: str, log_group_arn: str, secret_arns: list[str], agent_metrics: bool = False
) -> Document:
    """What starts the service needs: pull its image, write its logs, read its secrets."""
    parts = [pull_image(repository_arn), write_logs(log_group_arn)]
    if agent_metrics:
        parts.append(put_agent_metrics())
    if secret_arns:
        parts.append(read_secrets(secret_arns))
    return merge(*parts)


def merge(*documents: Document) -> Document:
    """One document holding every statement of several."""
    return _doc(*(s for d in documents for s in d["Statement"]))


def violations(document: Document) -> list[str]:
    """What breaks the project's rules: `*` actions, or `*` resources AWS lets you scope."""
    found = []
    for statement in document["Statement"]:
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        if any(a == "*" or a.endswith(":*") for a in actions):
            found.append(f"wildcard action in {statement.get('Sid', statement)}")
        if "*" in resources and not set(actions) <= UNSCOPABLE:
            found.append(f"wildcard resource in {statement.get('Sid', statement)}")
    return found
