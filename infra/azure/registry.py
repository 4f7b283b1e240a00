"""ACR, admin user off: the identity pulls (AcrPull); the deployer pushes with its own token."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure

from infra import offline_mode as offline
from infra.azure.roles import ACR_PULL, grant
from infra.component import Component
from infra.image import RegistryLogin

# ACR's username for a token obtained from Entra ID.
TOKEN_USER = "00000000-0000-0000-0000-000000000000"  # noqa: S105 - a fixed user name


def acr_refresh_token(login_server: str, tenant: str, aad_token: str, scheme: str = "https") -> str:
    """Exchange the deployer's Entra ID token for an ACR refresh token (`az acr login` does this).

    With the admin user disabled there is no registry password: whoever runs
    `pulumi up` pushes as themselves, with the same credentials Pulumi already uses.
    """
    if offline.enabled:
        return "offline-plan-acr-token"
    body = urllib.parse.urlencode(
        {
            "grant_type": "access_token",
            "service": login_server,
            "tenant": tenant,
            "access_token": aad_token,
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the registry's own https endpoint
        f"{scheme}://{login_server}/oauth2/exchange",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        token: str = json.loads(response.read())["refresh_token"]
    return token


@dataclass
class RegistryArgs:
    """Where it lives, who pulls from it, and the deployer's identity for pushing."""

    resource_group: pulumi.Input[str]
    location: pulumi.Input[str]
    tags: dict[str, str]
    name: pulumi.Input[str]  # globally unique, letters and digits
    puller_principal_id: pulumi.Input[str]
    subscription: pulumi.Input[str]
    tenant: pulumi.Input[str]


class Registry(Component[RegistryArgs]):
    """The registry, AcrPull for the workload's identity, and the push login."""

    registry: azure.containerregistry.Registry
    login: RegistryLogin
    pull_grant: azure.authorization.RoleAssignment  # the workload pulls only after it exists

    def build(self, name: str, args: RegistryArgs) -> None:
        child = self.child
        self.registry = azure.containerregistry.Registry(
            f"{name}-acr",
            registry_name=args.name,
            resource_group_name=args.resource_group,
            location=args.location,
            sku=azure.containerregistry.SkuArgs(name="Standard"),
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            tags=args.tags,
            opts=child,
        )
        self.pull_grant = grant(
            f"{name}-acr-pull",
            ACR_PULL,
            args.puller_principal_id,
            self.registry.id,
            args.subscription,
            child,
        )
        aad = azure.authorization.get_client_token_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        )
        password = pulumi.Output.all(self.registry.login_server, args.tenant, aad.token).apply(
            lambda a: acr_refresh_token(a[0], a[1], a[2])
        )
        self.login = RegistryLogin(
            address=self.registry.login_server,
            username=TOKEN_USER,
            password=pulumi.Output.secret(password),
        )
        self.register_outputs({"login_server": self.registry.login_server})
