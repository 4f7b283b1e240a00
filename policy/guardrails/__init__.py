"""llmchain's guardrails as plain functions: `RULES`, and `evaluate` to run them over resources."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import cost, data, identity, network, platform, registries, workloads
from .model import Level, Resource, Rule, Violation

RULES: tuple[Rule, ...] = (
    Rule(
        "no-admin-ports-to-world",
        "No SSH, RDP or database port is open to 0.0.0.0/0 (security groups, NSGs, firewalls).",
        "mandatory",
        check=network.check_admin_ports,
        types=network.TYPES,
    ),
    Rule(
        "database-private-encrypted-backed-up",
        "Databases have no public address, are encrypted at rest and keep automated backups.",
        "mandatory",
        check=data.check_databases,
        types=data.TYPES,
    ),
    Rule(
        "no-secrets-in-plain-env",
        "No secret-looking value in a container's plain environment, a ConfigMap or VM user data.",
        "mandatory",
        check=workloads.check_secret_env,
        types=workloads.SECRET_ENV_TYPES,
    ),
    Rule(
        "images-by-digest",
        "Workloads run images referenced by digest (@sha256:...), not by a movable tag.",
        "mandatory",
        check=workloads.check_image_digests,
        types=workloads.IMAGE_TYPES,
    ),
    Rule(
        "registry-immutable-and-scanned",
        "ECR scans on push with immutable tags; Artifact Registry Docker repos have immutable "
        "tags.",
        "mandatory",
        check=registries.check_registry,
        types=(registries.ECR, registries.ARTIFACT_REGISTRY),
    ),
    Rule(
        "registry-scanning-gaps",
        "Where a registry has no scanning/immutability switch (ACR; GCP's scanning API), say so.",
        "advisory",
        stack_check=registries.check_registry_gaps,
        types=(registries.ACR, registries.ARTIFACT_REGISTRY, registries.GCP_SERVICE),
    ),
    Rule(
        "ec2-imdsv2-required",
        "EC2 launch templates and instances require IMDSv2 tokens.",
        "mandatory",
        check=platform.check_imdsv2,
        types=(platform.LAUNCH_TEMPLATE, platform.EC2_INSTANCE),
    ),
    Rule(
        "https-when-domain",
        "With a domain, HTTP listeners and proxies only redirect to HTTPS; Container Apps "
        "never allow insecure HTTP.",
        "mandatory",
        stack_check=platform.check_https,
        config={"domain": ""},
        types=(
            platform.ALB_LISTENER,
            platform.GCP_HTTP_PROXY,
            platform.GCP_HTTPS_PROXY,
            platform.GCP_URL_MAP,
            platform.CONTAINER_APP,
            *platform.CERTIFICATES,
        ),
    ),
    Rule(
        "log-retention-set",
        "Log groups and workspaces have a retention period.",
        "mandatory",
        check=platform.check_log_retention,
        types=(platform.LOG_GROUP, platform.LOG_WORKSPACE, platform.GCP_LOG_BUCKET),
    ),
    Rule(
        "iam-no-wildcards",
        "No IAM policy allows a `*` action; no admin-equivalent role (AdministratorAccess, "
        "Owner, Contributor, roles/owner, roles/editor).",
        "mandatory",
        check=identity.check_no_wildcard_actions,
        types=(
            *identity.AWS_POLICY_TYPES,
            identity.AWS_ROLE,
            *identity.AWS_ATTACHMENTS,
            identity.AZURE_ROLE_DEFINITION,
            identity.AZURE_ROLE_ASSIGNMENT,
            *identity.GCP_PROJECT_GRANTS,
            *identity.GCP_ABOVE_PROJECT,
        ),
    ),
    Rule(
        "grants-on-resources",
        "Role assignments are not at subscription scope; project-level IAM bindings only for "
        "roles Google offers nowhere narrower (projectRoles).",
        "mandatory",
        check=identity.check_grant_scope,
        config={"projectRoles": list(identity.PROJECT_ONLY_ROLES)},
        types=(
            identity.AZURE_ROLE_ASSIGNMENT,
            *identity.GCP_PROJECT_GRANTS,
            *identity.GCP_AUTHORITATIVE,
            *identity.GCP_ABOVE_PROJECT,
        ),
    ),
    Rule(
        "kubernetes-pod-hardening",
        "Kubernetes containers run as non-root with a read-only root filesystem, no privilege "
        "escalation, and CPU and memory limits.",
        "mandatory",
        check=workloads.check_pod_hardening,
        types=tuple(workloads.POD_SPEC),
    ),
    Rule(
        "acr-admin-user-off",
        "Azure Container Registry's admin user and anonymous pull are off.",
        "mandatory",
        check=registries.check_acr_admin,
        types=(registries.ACR,),
    ),
    Rule(
        "key-vault-purge-protection",
        "Key Vaults have purge protection (policy/dev.json makes it advisory for dev stacks).",
        "mandatory",
        check=platform.check_purge_protection,
        types=(platform.KEY_VAULT,),
    ),
    Rule(
        "cloud-run-public-only-when-public",
        "Cloud Run's allUsers invoker only on a service whose ingress the stack made public.",
        "mandatory",
        stack_check=identity.check_public_invoker,
        config={"allowPublic": True},
        types=(*identity.RUN_IAM, *identity.RUN_SERVICES),
    ),
    Rule(
        "cost-guard",
        "Replica ceilings, vCPUs per replica and machine sizes within the pack's bounds.",
        "advisory",
        check=cost.check_cost,
        config=dict(cost.DEFAULTS),
        types=(
            *(kind for kind, _ in cost.REPLICA_CEILINGS),
            *(kind for kind, _ in cost.SIZES),
            cost.AKS,
            cost.AUTOSCALE,
            cost.ECS_TASK,
        ),
    ),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}


def evaluate(
    resources: Iterable[Resource],
    config: Mapping[str, Any] | None = None,
    rules: Iterable[Rule] = RULES,
) -> list[Violation]:
    """Every rule over every resource; `config` is a pack config (rule name -> settings)."""
    resources = list(resources)
    found: list[Violation] = []
    for rule in rules:
        given = (config or {}).get(rule.name)
        level: Level = rule.level
        settings = rule.settings(None)
        if isinstance(given, str):
            level = given  # type: ignore[assignment]
        elif isinstance(given, Mapping):
            level = given.get("enforcementLevel", rule.level)
            settings = rule.settings(given)
        if level == "disabled":
            continue
        if rule.check is not None:
            for resource in resources:
                if rule.types and resource.type not in rule.types:
                    continue
                for message in rule.check(resource, settings):
                    found.append(
                        Violation(rule.name, level, resource.urn or resource.name, message)
                    )
        if rule.stack_check is not None:
            for resource, message in rule.stack_check(resources, settings):
                found.append(Violation(rule.name, level, resource.urn or resource.name, message))
    return found


__all__ = ["RULES", "RULES_BY_NAME", "Resource", "Rule", "Violation", "evaluate"]
