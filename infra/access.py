"""Who may call a public service: an API key unless the stack opts out, and a word on HTTP."""

from __future__ import annotations

import pulumi
import pulumi_random as random

from infra.config import Cloud, Compute, StackConfig

API_KEYS_SETTING = "LLMCHAIN_API_KEYS"
# Where the platform's own address is HTTPS without a domain of ours: Container Apps
# redirects HTTP to HTTPS while `allowInsecure` is false (learn.microsoft.com, Container App
# Ingress `allowInsecure`), and every Cloud Run service has "a stable HTTPS URL"
# (cloud.google.com/run/docs/triggering/https-request). Read 2026-11-29.
HTTPS_WITHOUT_DOMAIN = {(Cloud.AZURE, Compute.SERVERLESS), (Cloud.GCP, Compute.SERVERLESS)}


def serves_https(config: StackConfig) -> bool:
    """True when clients reach the service over HTTPS."""
    return bool(config.ingress.domain) or (config.cloud, config.compute) in HTTPS_WITHOUT_DOMAIN


def needs_generated_key(config: StackConfig, has_keys: bool) -> bool:
    """A public stack with no `llmchain:apiKeys` gets one, unless it opted out on purpose."""
    return config.ingress.public and not has_keys and not config.ingress.anonymous


def generated_api_key(stack: str) -> pulumi.Output[str]:
    """A random API key, a secret in the state: `pulumi stack output --show-secrets api_key`."""
    key = random.RandomPassword(
        f"llmchain-{stack}-api-key",
        length=40,
        special=False,  # goes into an `Authorization: Bearer` header as it is
    )
    return pulumi.Output.secret(key.result)


def warnings(config: StackConfig, has_keys: bool) -> list[str]:
    """What `pulumi preview` should tell the owner about who can reach the service, and how."""
    if not config.ingress.public:
        return []
    said = []
    if not serves_https(config):
        said.append(
            "llmchain:ingress.public=true without llmchain:ingress.domain: the service is "
            "served over plain HTTP, so API keys, prompts and answers cross the internet "
            "unencrypted; set llmchain:ingress.domain for HTTPS"
        )
    if config.ingress.anonymous and not has_keys:
        said.append(
            "llmchain:ingress.anonymous=true: anyone who finds the URL can call the model "
            "(on your bill) and read any session's chat history"
        )
    return said
