"""The app image, built from app/: pushed and run by digest, or loaded and run by its tag."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker_build as docker_build

from infra.component import Component
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


class AppImage(Component[AppImageArgs]):
    """`pulumi_docker_build.Image` of the app, exposing `ref`: what a workload runs.

    Pushed: `<repository>@<digest>`. Loaded into the local engine: `<repository>:<tag>`, the
    tag being a digest over every build input (infra.spec.image_tag).
    """

    ref: pulumi.Output[str]

    def build(self, name: str, args: AppImageArgs) -> None:
        build = args.build
        if build.prebuilt is not None:
            # `llmchain:image.ref`: built once by CI and promoted by digest (docs/ci.md); the
            # workload's pull grant covers the stack's own registry, so CI copies it there.
            self.ref = pulumi.Output.from_input(build.prebuilt)
            self.register_outputs({"ref": self.ref})
            return
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
            build_args=build.build_args,
            tags=[tag],
            push=pushed,
            # Not pushed: load into the local engine, where the container will find it.
            load=not pushed,
            registries=registries,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Pushed: `<repository>@sha256:...`, immutable whatever happens to the tag.
        # Loaded: the tag, NOT `digest`. For a load the provider's `digest` is the manifest
        # digest; it exports with BuildKit and hands the result to `docker load`, and the
        # classic (overlay2) image store names a loaded image by its config digest and keeps
        # no repo digest for it, so `image=<digest>` (or `ref`, `<tag>@<digest>`) is not
        # found and the engine tries to pull "sha256" from Docker Hub: "pull access denied".
        # pulumi/pulumi-docker-build#260 (closed by design), and the `digest`/`ref` docs in
        # https://github.com/pulumi/pulumi-docker-build/blob/main/provider/internal/image.go
        # (read 2026-11-29). The tag resolves on both image stores, and the docker provider's
        # container reads back Config.Image for a tag reference, so there is no perpetual
        # diff: https://github.com/kreuzwerker/terraform-provider-docker/blob/master/internal/provider/resource_docker_container_funcs.go
        # (read 2026-11-29). Taken from the image's own `tags` output so that the container
        # still waits for the build.
        self.ref = (
            pulumi.Output.concat(args.repository, "@", self.image.digest)
            if pushed
            else self.image.tags.apply(lambda tags: (tags or [""])[0])
        )
        self.register_outputs({"ref": self.ref})
