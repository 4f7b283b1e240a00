"""Built-in Azure roles the workload gets, and one helper to grant each on one resource."""

from __future__ import annotations

import pulumi
import pulumi_azure_native as azure

# Built-in role definition ids (the same in every tenant).
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
# https://learn.microsoft.com/en-us/azure/role-based-access-control/built-in-roles/networking
# (read 2026-11-29): what AKS's control-plane identity needs on a subnet it did not create.
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
# https://learn.microsoft.com/en-us/azure/role-based-access-control/built-in-roles/containers
# (read 2026-11-29): every Kubernetes action in the cluster, under Azure RBAC for Kubernetes.
AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"


def role_definition_id(subscription: str, role: str) -> str:
    """The full id of a built-in role in a subscription."""
    return f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role}"


def grant(
    name: str,
    role: str,
    principal_id: pulumi.Input[str],
    scope: pulumi.Input[str],
    subscription: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    principal_type: str | None = "ServicePrincipal",
) -> azure.authorization.RoleAssignment:
    """One role to one principal on exactly one resource (never the subscription or group).

    `principal_type` None: the deployer, a user or a service principal - ARM looks it up.
    """
    return azure.authorization.RoleAssignment(
        name,
        principal_id=principal_id,
        principal_type=principal_type,
        role_definition_id=pulumi.Output.from_input(subscription).apply(
            lambda sub: role_definition_id(sub, role)
        ),
        scope=scope,
        opts=opts,
    )
