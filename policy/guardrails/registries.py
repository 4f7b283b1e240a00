"""Registries: images scanned on push and tags that cannot be moved; no shared admin password."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .model import Resource, get

ECR = "aws:ecr/repository:Repository"
ARTIFACT_REGISTRY = "gcp:artifactregistry/repository:Repository"
ACR = "azure-native:containerregistry:Registry"
GCP_SERVICE = "gcp:projects/service:Service"
SCANNING_API = "containerscanning.googleapis.com"


def check_registry(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """ECR: scan on push and immutable tags; Artifact Registry (Docker): immutable tags."""
    props = resource.props
    if resource.type == ECR:
        if props.get("imageTagMutability") not in ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"):
            yield "imageTagMutability is not IMMUTABLE: a pushed tag can be replaced"
        if get(props, "imageScanningConfiguration.scanOnPush") is not True:
            yield "imageScanningConfiguration.scanOnPush is not true"
    elif (
        resource.type == ARTIFACT_REGISTRY
        and str(props.get("format", "")).upper() == "DOCKER"
        and get(props, "dockerConfig.immutableTags") is not True
    ):
        yield "dockerConfig.immutableTags is not true: a pushed tag can be replaced"


def check_registry_gaps(
    resources: list[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """Where a cloud has no registry switch for scanning or immutability, say what to do."""
    apis = {r.props.get("service") for r in resources if r.type == GCP_SERVICE}
    for resource in resources:
        if resource.type == ACR:
            yield (
                resource,
                "ACR has no scan-on-push or immutable-tag setting on the registry: enable "
                "Microsoft Defender for Containers to scan, and lock released tags with "
                "`az acr repository update --write-enabled false`",
            )
        elif resource.type == ARTIFACT_REGISTRY and SCANNING_API not in apis:
            yield (
                resource,
                f"vulnerability scanning needs the {SCANNING_API} API enabled on the project "
                "(billed per image scanned)",
            )


def check_acr_admin(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """ACR's admin user is one shared password for the whole registry: keep it off."""
    if resource.type != ACR:
        return
    if resource.props.get("adminUserEnabled") is True:
        yield "adminUserEnabled is true: use Entra ID identities (AcrPull/AcrPush) instead"
    if resource.props.get("anonymousPullEnabled") is True:
        yield "anonymousPullEnabled is true: anyone can pull the images"
