"""Artifact Registry: a Docker repository with a cleanup policy, pushed to with an access token."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra.component import Component
from infra.image import RegistryLogin

KEEP_IMAGES = 20


@dataclass
class RegistryArgs:
    """Where the repository goes."""

    region: str
    project: str


class Registry(Component[RegistryArgs]):
    """The repository; `login` pushes with the deployer's short-lived OAuth token."""

    repository: gcp.artifactregistry.Repository
    url: pulumi.Output[str]
    login: RegistryLogin

    def build(self, name: str, args: RegistryArgs) -> None:
        region, project = args.region, args.project
        child = self.child
        self.repository = gcp.artifactregistry.Repository(
            f"{name}-repo",
            repository_id=name,
            location=region,
            format="DOCKER",
            docker_config=gcp.artifactregistry.RepositoryDockerConfigArgs(immutable_tags=True),
            cleanup_policies=[
                gcp.artifactregistry.RepositoryCleanupPolicyArgs(
                    id="keep-newest",
                    action="KEEP",
                    most_recent_versions=gcp.artifactregistry.RepositoryCleanupPolicyMostRecentVersionsArgs(
                        keep_count=KEEP_IMAGES
                    ),
                ),
                gcp.artifactregistry.RepositoryCleanupPolicyArgs(
                    id="delete-older",
                    action="DELETE",
                    condition=gcp.artifactregistry.RepositoryCleanupPolicyConditionArgs(
                        older_than="2592000s"
                    ),
                ),
            ],
            cleanup_policy_dry_run=False,
            opts=child,
        )
        host = f"{region}-docker.pkg.dev"
        self.url = pulumi.Output.concat(
            host, "/", project, "/", self.repository.repository_id, "/llmchain"
        )
        token = gcp.organizations.get_client_config_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        )
        self.login = RegistryLogin(
            address=host,
            username="oauth2accesstoken",
            password=pulumi.Output.secret(token.access_token),
        )
        self.register_outputs({"url": self.url})
