"""Hosts and edges: IMDSv2, HTTPS where there is a name, logs that expire, vaults that keep."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .model import Resource, get, mappings

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EC2_INSTANCE = "aws:ec2/instance:Instance"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_WORKSPACE = "azure-native:operationalinsights:Workspace"
GCP_LOG_BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
KEY_VAULT = "azure-native:keyvault:Vault"
ALB_LISTENER = "aws:lb/listener:Listener"
CERTIFICATES = (
    "aws:acm/certificate:Certificate",
    "gcp:compute/managedSslCertificate:ManagedSslCertificate",
    "gcp:certificatemanager/certificate:Certificate",
    "azure-native:app:ManagedCertificate",
)
GCP_HTTP_PROXY = "gcp:compute/targetHttpProxy:TargetHttpProxy"
GCP_HTTPS_PROXY = "gcp:compute/targetHttpsProxy:TargetHttpsProxy"
GCP_URL_MAP = "gcp:compute/uRLMap:URLMap"
CONTAINER_APP = "azure-native:app:ContainerApp"


def check_imdsv2(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """EC2 hosts require IMDSv2 session tokens (no SSRF path to the role's credentials)."""
    tokens = get(resource.props, "metadataOptions.httpTokens")
    if resource.type in (LAUNCH_TEMPLATE, EC2_INSTANCE) and tokens != "required":
        yield "metadataOptions.httpTokens is not 'required' (IMDSv1 stays open)"


def check_log_retention(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """Logs expire on a schedule someone chose, not never (cost) and not at random."""
    props = resource.props
    if resource.type == LOG_GROUP and not props.get("retentionInDays"):
        yield "retentionInDays is not set: the logs are kept (and billed) forever"
    elif resource.type in (LOG_WORKSPACE,) and not props.get("retentionInDays"):
        yield "retentionInDays is not set"
    elif resource.type == GCP_LOG_BUCKET and not props.get("retentionDays"):
        yield "retentionDays is not set"


def check_purge_protection(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """A deleted Key Vault (and its secrets) can be recovered for its retention period."""
    if resource.type != KEY_VAULT:
        return
    if get(resource.props, "properties.enablePurgeProtection") is not True:
        yield "properties.enablePurgeProtection is not true: a delete can be made final at once"
    if get(resource.props, "properties.enableSoftDelete") is False:
        yield "properties.enableSoftDelete is false"


def _redirects_to_https(listener: Mapping[str, Any]) -> bool:
    actions = list(mappings(listener.get("defaultActions")))
    return bool(actions) and all(
        a.get("type") == "redirect" and get(a, "redirect.protocol") == "HTTPS" for a in actions
    )


def check_https(
    resources: list[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """With a domain, plain HTTP only redirects to HTTPS; Container Apps never serve HTTP."""
    domain = bool(config.get("domain")) or any(r.type in CERTIFICATES for r in resources)
    listeners = [r for r in resources if r.type == ALB_LISTENER]
    if domain and listeners:
        if not any(str(r.props.get("protocol")).upper() in ("HTTPS", "TLS") for r in listeners):
            yield listeners[0], "a domain is set but no listener serves HTTPS"
        for listener in listeners:
            plain = str(listener.props.get("protocol", "HTTP")).upper() == "HTTP"
            if plain and not _redirects_to_https(listener.props):
                yield listener, "a domain is set and this HTTP listener does not redirect to HTTPS"
    http_proxies = [r for r in resources if r.type == GCP_HTTP_PROXY]
    if domain and http_proxies:
        if not any(r.type == GCP_HTTPS_PROXY for r in resources):
            yield http_proxies[0], "a domain is set but no HTTPS proxy serves it"
        redirecting = {
            str(m.props.get("name") or m.name)
            for m in resources
            if m.type == GCP_URL_MAP and get(m.props, "defaultUrlRedirect.httpsRedirect") is True
        }
        for proxy in http_proxies:
            url_map = str(proxy.props.get("urlMap", ""))
            if not any(name and name in url_map for name in redirecting):
                yield proxy, "a domain is set and this HTTP proxy does not redirect to HTTPS"
    for app in resources:
        if app.type == CONTAINER_APP and get(app.props, "configuration.ingress.allowInsecure"):
            yield app, "configuration.ingress.allowInsecure is true: HTTP is served"
