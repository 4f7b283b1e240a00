"""Key Vault with RBAC: the service's secrets, readable (only) by the workload's identity."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure

from infra.azure.roles import KEY_VAULT_SECRETS_USER, grant
from infra.component import Component


def secret_name(env_name: str) -> str:
    """Letters, digits and dashes only: LLMCHAIN_MEMORY_URL -> llmchain-memory-url."""
    return re.sub(r"[^a-z0-9]+", "-", env_name.lower()).strip("-")


@dataclass
class SecretsArgs:
    """Where, for whom, and what to keep."""

    resource_group: pulumi.Input[str]
    location: pulumi.Input[str]
    tags: dict[str, str]
    name: pulumi.Input[str]  # globally unique, 3-24 characters
    tenant: pulumi.Input[str]
    reader_principal_id: pulumi.Input[str]
    subscription: pulumi.Input[str]
    purge_protection: bool
    values: Mapping[str, pulumi.Input[str]]


def vault_properties(
    tenant: pulumi.Input[str], purge_protection: bool
) -> azure.keyvault.VaultPropertiesArgs:
    """Every vault of the stack: Standard, RBAC (no access policies), soft delete for 7 days."""
    return azure.keyvault.VaultPropertiesArgs(
        tenant_id=tenant,
        sku=azure.keyvault.SkuArgs(family="A", name=azure.keyvault.SkuName.STANDARD),
        enable_rbac_authorization=True,
        enable_soft_delete=True,
        soft_delete_retention_in_days=7,
        enable_purge_protection=True if purge_protection else None,
    )


class Secrets(Component[SecretsArgs]):
    """The vault (RBAC, soft delete), a secret per setting, and Secrets User for the identity."""

    FORMER_TYPES = ("llmchain:azure:Vault",)

    vault: azure.keyvault.Vault
    uris: dict[str, pulumi.Output[str]]  # setting -> the secret's URI (a Key Vault reference)
    names: dict[str, str]  # setting -> the secret's name in the vault
    # What a workload reading the vault waits for: the read grant and every secret value.
    ready: list[pulumi.Resource]

    def build(self, name: str, args: SecretsArgs) -> None:
        child = self.child
        self.vault = azure.keyvault.Vault(
            f"{name}-kv",
            vault_name=args.name,
            resource_group_name=args.resource_group,
            location=args.location,
            properties=vault_properties(args.tenant, args.purge_protection),
            tags=args.tags,
            opts=child,
        )
        read = grant(
            f"{name}-kv-read",
            KEY_VAULT_SECRETS_USER,
            args.reader_principal_id,
            self.vault.id,
            args.subscription,
            child,
        )
        self.uris = {}
        self.names = {}
        self.ready = [read]
        for env_name, value in sorted(args.values.items()):
            slug = secret_name(env_name)
            secret = azure.keyvault.Secret(
                f"{name}-{slug}",
                secret_name=slug,
                vault_name=self.vault.name,
                resource_group_name=args.resource_group,
                properties=azure.keyvault.SecretPropertiesArgs(value=pulumi.Output.secret(value)),
                tags=args.tags,
                opts=child,
            )
            self.uris[env_name] = secret.properties.secret_uri
            self.names[env_name] = slug
            self.ready.append(secret)
        self.register_outputs({"vault": self.vault.name})
