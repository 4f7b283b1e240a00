"""The app image: built from app/, pushed to the target's registry, referenced by digest."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker_build as docker_build

from infra.spec import ImageBuild


@dataclass
class RegistryLogin:
    """Where to push and the credentials to push with (passed explicitly, never ambient)."""

    address: pulumi.Input[str]  # e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com
    username: pulumi.Input[str]
    password: pulumi.Input[str]  # a secret: a registry token


@dataclass
class AppImageArgs:
    """What to build and where it goes.

    `repository` is the image name without tag (`<registry>/<name>`, or a local name);
    `registry` is None for the local engine: the image is loaded there, not pushed.
    """

    build: ImageBuild
    repository: pulumi.Input[str]
    registry: RegistryLogin | None = None


class AppImage(pulumi.ComponentResource):
    """`pulumi_docker_build.Image` of the app, exposing `ref`: the image pinned by digest."""

    ref: pulumi.Output[str]

    def __init__(
        self, name: str, args: AppImageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("llmchain:image:AppImage", name, {}, opts)
        build = args.build
        pushed = args.registry is not None
        tag = pulumi.Output.concat(args.repository, ":", build.tag)
        registries = (
            [
                docker_build.RegistryArgs(
                    address=args.registry.address,
                    username=args.registry.username,
                    password=args.registry.password,
                )
            ]
            if args.registry is not None
            else None
        )
        self.image = docker_build.Image(
            f"{name}-image",
            context=docker_build.BuildContextArgs(location=str(build.context)),
            dockerfile=docker_build.DockerfileArgs(location=str(build.dockerfile)),
            platforms=[docker_build.Platform(build.platform)],
            build_args={"PROVIDERS": build.providers},
            tags=[tag],
            push=pushed,
            # Not pushed: load into the local engine, where the container will find it.
            load=not pushed,
            registries=registries,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Pushed: `<repository>@sha256:...`, immutable whatever happens to the tag.
        # Loaded: the image ID (also a sha256 digest), which the local engine resolves.
        self.ref = (
            pulumi.Output.concat(args.repository, "@", self.image.digest)
            if pushed
            else self.image.digest
        )
        self.register_outputs({"ref": self.ref})
