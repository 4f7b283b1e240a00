"""The roles the workload's service account gets, and one helper per place a role is granted."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from infra.config import Provider
from infra.spec import WorkloadSpec

# Predefined roles (the same in every project).
LOG_WRITER = "roles/logging.logWriter"
METRIC_WRITER = "roles/monitoring.metricWriter"
VERTEX_USER = "roles/aiplatform.user"  # Vertex AI has no per-model IAM
REGISTRY_READER = "roles/artifactregistry.reader"
SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"  # noqa: S105 - a role name


def project_roles(spec: WorkloadSpec) -> list[str]:
    """The project-level roles the workload's service account needs (never owner or editor)."""
    roles = [LOG_WRITER, METRIC_WRITER]
    if spec.provider is Provider.VERTEXAI:
        roles.append(VERTEX_USER)
    return roles


def grant_project(
    name: str,
    role: str,
    project: str,
    member: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> gcp.projects.IAMMember:
    """One role to one member on the project (for roles with no narrower scope)."""
    return gcp.projects.IAMMember(
        f"{name}-{role.rsplit('.', 1)[-1]}", project=project, role=role, member=member, opts=opts
    )


def grant_pull(
    name: str,
    repository: pulumi.Input[str],
    region: str,
    member: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> gcp.artifactregistry.RepositoryIamMember:
    """Pulling images from exactly one Artifact Registry repository."""
    return gcp.artifactregistry.RepositoryIamMember(
        name,
        repository=repository,
        location=region,
        role=REGISTRY_READER,
        member=member,
        opts=opts,
    )
