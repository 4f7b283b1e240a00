"""Azure OpenAI, keyless: an account with local (key) auth disabled and one model deployment."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure

from infra.azure.roles import OPENAI_USER, grant
from infra.component import Component

SKU = "GlobalStandard"  # the deployment type's SKU name in ARM


@dataclass
class OpenAiArgs:
    """Where, which model, and who may call it."""

    resource_group: pulumi.Input[str]
    location: pulumi.Input[str]
    tags: dict[str, str]
    name: pulumi.Input[str]  # also the custom subdomain: globally unique
    model: str
    model_version: str
    capacity: int  # thousands of tokens per minute
    caller_principal_id: pulumi.Input[str]
    subscription: pulumi.Input[str]


class OpenAi(Component[OpenAiArgs]):
    """The account, the deployment, and "Cognitive Services OpenAI User" for the identity only."""

    endpoint: pulumi.Output[str]
    deployment_name: pulumi.Output[str]
    user_grant: azure.authorization.RoleAssignment  # callers wait for it (and the deployment)
    deployment: azure.cognitiveservices.Deployment

    def build(self, name: str, args: OpenAiArgs) -> None:
        child = self.child
        account = azure.cognitiveservices.Account(
            f"{name}-openai",
            account_name=args.name,
            resource_group_name=args.resource_group,
            location=args.location,
            kind="OpenAI",
            sku=azure.cognitiveservices.SkuArgs(name="S0"),
            properties=azure.cognitiveservices.AccountPropertiesArgs(
                custom_sub_domain_name=args.name,
                disable_local_auth=True,  # Entra ID only: no API keys exist to leak
                public_network_access="Enabled",
            ),
            tags=args.tags,
            opts=child,
        )
        deployment = azure.cognitiveservices.Deployment(
            f"{name}-model",
            account_name=account.name,
            resource_group_name=args.resource_group,
            deployment_name=args.model,
            properties=azure.cognitiveservices.DeploymentPropertiesArgs(
                model=azure.cognitiveservices.DeploymentModelArgs(
                    format="OpenAI", name=args.model, version=args.model_version
                )
            ),
            # Global Standard: pay per token, the deployment type Microsoft recommends to start
            # with; gpt-4.1-mini 2025-04-14 is offered as Global Standard in westeurope and most
            # regions (https://learn.microsoft.com/en-us/azure/foundry/openai/concepts/models,
            # model matrix "standard-global", and .../how-to/deployment-types; read 2026-11-29).
            sku=azure.cognitiveservices.SkuArgs(name=SKU, capacity=args.capacity),
            opts=child,
        )
        self.user_grant = grant(
            f"{name}-openai-user",
            OPENAI_USER,
            args.caller_principal_id,
            account.id,
            args.subscription,
            child,
        )
        self.deployment = deployment
        self.endpoint = account.properties.endpoint
        self.deployment_name = deployment.name
        self.register_outputs({"endpoint": self.endpoint})
