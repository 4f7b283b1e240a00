"""Secret Manager: a secret per setting, each readable by the workload's service account alone."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra.component import Component
from infra.gcp import roles


def secret_id(prefix: str, env_name: str) -> str:
    """`llmchain-gcp-llmchain-memory-url` for LLMCHAIN_MEMORY_URL."""
    return f"{prefix}-{re.sub(r'[^a-z0-9]+', '-', env_name.lower()).strip('-')}"


@dataclass
class SecretsArgs:
    """Every secret setting, and the one identity that may read them."""

    values: Mapping[str, pulumi.Input[str]]
    member: pulumi.Input[str]  # `serviceAccount:<email>`


class Secrets(Component[SecretsArgs]):
    """Secrets, their current versions, and accessor bindings on each secret only."""

    ids: dict[str, pulumi.Output[str]]  # setting -> secret id (for references)
    versions: dict[str, pulumi.Output[str]]  # setting -> the version this stack created
    ready: list[pulumi.Resource]  # versions and accessor bindings: a reader waits for them

    def build(self, name: str, args: SecretsArgs) -> None:
        values, member = args.values, args.member
        child = self.child
        self.ids = {}
        self.versions = {}
        self.ready = []
        for env_name, value in sorted(values.items()):
            ident = secret_id(name, env_name)
            secret = gcp.secretmanager.Secret(
                ident,
                secret_id=ident,
                replication=gcp.secretmanager.SecretReplicationArgs(
                    auto=gcp.secretmanager.SecretReplicationAutoArgs()
                ),
                opts=child,
            )
            version = gcp.secretmanager.SecretVersion(
                ident, secret=secret.id, secret_data=pulumi.Output.secret(value), opts=child
            )
            accessor = gcp.secretmanager.SecretIamMember(
                f"{ident}-accessor",
                secret_id=secret.id,
                role=roles.SECRET_ACCESSOR,
                member=member,
                opts=child,
            )
            self.ids[env_name] = secret.secret_id
            self.versions[env_name] = version.version
            self.ready += [version, accessor]
        self.register_outputs({})
