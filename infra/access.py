"""Who may call a public service: an API key unless the stack opts out, and a word on HTTP."""

from __future__ import annotations

import pulumi
import pulumi_random as random

from infra.config import DOMAIN_SUPPORT, Cloud, Compute, StackConfig

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
            f"unencrypted; {_how_to_https(config)}"
        )
    if config.ingress.anonymous and not has_keys:
        said.append(
            "llmchain:ingress.anonymous=true: anyone who finds the URL can call the model "
            "(on your bill) and read any session's chat history"
        )
    return said


def _how_to_https(config: StackConfig) -> str:
    """What gives this stack HTTPS: a domain where the target sets one up, else another mode."""
    if config.compute in DOMAIN_SUPPORT.get(config.cloud, ()):
        return "set llmchain:ingress.domain for HTTPS"
    https = sorted(
        {c.value for c in DOMAIN_SUPPORT.get(config.cloud, ())}
        | {c.value for cloud, c in HTTPS_WITHOUT_DOMAIN if cloud is config.cloud}
    )
    if not https:
        return "this cloud has no HTTPS option yet; keep llmchain:ingress.public=false"
    return (
        f"llmchain:compute={config.compute.value} has no HTTPS "
        f"option yet: use llmchain:compute={' or '.join(https)}, or keep it private"
    )
