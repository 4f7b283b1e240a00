"""ECR: scanned on push, immutable tags, old images expired; and the login to push to it."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.component import Component
from infra.image import RegistryLogin

KEEP_IMAGES = 20


def lifecycle_policy(keep: int = KEEP_IMAGES) -> str:
    """Expire all but the newest `keep` images (tags are immutable, so old ones pile up)."""
    selection = {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep}
    rule = {
        "rulePriority": 1,
        "description": f"keep the newest {keep} images",
        "selection": selection,
        "action": {"type": "expire"},
    }
    return json.dumps({"rules": [rule]})


@dataclass
class RegistryArgs:
    """How many images the repository keeps (older ones expire)."""

    keep_images: int = KEEP_IMAGES


class Registry(Component[RegistryArgs]):
    """One ECR repository for the app image."""

    repository: aws.ecr.Repository
    login: RegistryLogin

    def build(self, name: str, args: RegistryArgs) -> None:
        child = self.child
        self.repository = aws.ecr.Repository(
            f"{name}-repo",
            name=name,
            image_tag_mutability="IMMUTABLE",
            force_delete=True,  # images are rebuilt from app/; `pulumi destroy` should not stall
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=True
            ),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")
            ],
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=self.repository.name,
            policy=lifecycle_policy(args.keep_images),
            opts=child,
        )
        # A short-lived token, asked for at deploy time and passed to the build explicitly.
        token = aws.ecr.get_authorization_token_output(
            registry_id=self.repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        self.login = RegistryLogin(
            address=token.proxy_endpoint.apply(lambda e: e.removeprefix("https://")),
            username=token.user_name,
            password=pulumi.Output.secret(token.password),
        )
        self.register_outputs({"repository_url": self.repository.repository_url})
