"""Secrets Manager: each secret setting of the service, read only by the workload's role."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.component import Component


def secret_name(prefix: str, env_name: str) -> str:
    """`llmchain-aws/llmchain-openai-api-key` for LLMCHAIN_OPENAI_API_KEY (a name's prefix)."""
    return f"{prefix}/{re.sub(r'[^a-z0-9]+', '-', env_name.lower()).strip('-')}"


@dataclass
class SecretsArgs:
    """Every secret setting (name -> value); the workload's role is granted them elsewhere."""

    values: Mapping[str, pulumi.Input[str]]


class Secrets(Component[SecretsArgs]):
    """One secret (and its current value) per secret setting; `arns` maps setting -> ARN.

    Each ARN depends on the secret's version, not just the secret: a consumer waits for the value.
    """

    arns: dict[str, pulumi.Output[str]]

    def build(self, name: str, args: SecretsArgs) -> None:
        values = args.values
        child = self.child
        self.arns = {}
        for env_name, value in sorted(values.items()):
            slug = secret_name(name, env_name)
            secret = aws.secretsmanager.Secret(
                f"{name}-{env_name.lower()}",
                # A unique name per create (`<slug>-<timestamp>`), never a fixed one: a deleted
                # secret keeps its name for the recovery window (7 days at least), and even a
                # forced delete is asynchronous ("back off and retry" before re-creating the
                # name), so `destroy` then `up` with a fixed name fails; with a fresh name it
                # cannot, and a mistaken destroy stays restorable for 7 days
                # (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html,
                # read 2026-11-29).
                name_prefix=f"{slug}-",
                description=f"llmchain setting {env_name}",
                recovery_window_in_days=7,
                opts=child,
            )
            version = aws.secretsmanager.SecretVersion(
                f"{name}-{env_name.lower()}",
                secret_id=secret.id,
                secret_string=pulumi.Output.secret(value),
                opts=child,
            )
            # The ARN is handed out once the value exists (the database URL waits minutes for
            # RDS): whatever reads it by ARN — a task definition, a launch template — is then
            # created after the value. A task whose secret has no value yet fails to start
            # with ResourceInitializationError
            # (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html,
            # read 2026-11-29).
            self.arns[env_name] = pulumi.Output.all(secret.arn, version.id).apply(lambda a: a[0])
        self.register_outputs({})
