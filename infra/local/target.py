"""LocalTarget: network, memory volume, the image built locally, and the hardened container."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker
import pulumi_docker_build as docker_build

from infra import image_contract as contract
from infra.component import Component
from infra.image import AppImage, AppImageArgs
from infra.spec import WorkloadSpec
from infra.targets import TargetOutputs


def env_list(spec: WorkloadSpec) -> pulumi.Output[list[str]]:
    """`KEY=value` lines; the list is secret as soon as one secret is in it."""
    plain = [f"{key}={value}" for key, value in sorted(spec.env.items())]
    secret = [
        pulumi.Output.concat(key, "=", value) for key, value in sorted(spec.secret_env.items())
    ]
    return pulumi.Output.all(*plain, *secret).apply(list)


@dataclass
class LocalTargetArgs:
    """The workload to run, and the Docker engine to run it on (infra.local.engine)."""

    spec: WorkloadSpec
    docker_host: str


class LocalTarget(Component[LocalTargetArgs]):
    """The service as one container on the user's Docker engine."""

    outputs: TargetOutputs

    def build(self, name: str, args: LocalTargetArgs) -> None:
        spec = args.spec
        labels = sorted(spec.labels.items())
        # One engine for the build and the container, given explicitly to both providers.
        parented = pulumi.ResourceOptions(parent=self)
        self.docker = docker.Provider(f"{name}-docker", host=args.docker_host, opts=parented)
        self.builder = docker_build.Provider(
            f"{name}-docker-build", host=args.docker_host, opts=parented
        )
        child = pulumi.ResourceOptions(parent=self, provider=self.docker)

        self.network = docker.Network(
            f"{name}-net",
            name=f"{name}-net",
            driver="bridge",
            labels=[docker.NetworkLabelArgs(label=k, value=v) for k, v in labels],
            opts=child,
        )
        mounts: list[docker.ContainerVolumeArgs] = []
        self.volume: docker.Volume | None = None
        if spec.memory.needs_volume:
            self.volume = docker.Volume(
                f"{name}-data",
                name=f"{name}-data",
                labels=[docker.VolumeLabelArgs(label=k, value=v) for k, v in labels],
                # Chat memory lives here: `pulumi destroy` must not take it by surprise.
                opts=pulumi.ResourceOptions(
                    parent=self, provider=self.docker, retain_on_delete=True
                ),
            )
            mounts.append(
                docker.ContainerVolumeArgs(
                    volume_name=self.volume.name, container_path=contract.DATA_DIR
                )
            )
        self.image = AppImage(
            f"{name}-app",
            AppImageArgs(build=spec.image, repository=f"localhost/{name}"),
            opts=pulumi.ResourceOptions(parent=self, providers=[self.builder]),
        )
        bind = "0.0.0.0" if spec.ingress.public else "127.0.0.1"
        self.container = docker.Container(
            f"{name}-app",
            name=name,
            image=self.image.ref,
            envs=env_list(spec),
            ports=[
                docker.ContainerPortArgs(
                    internal=spec.port, external=spec.ingress.host_port, ip=bind
                )
            ],
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=self.network.name)],
            volumes=mounts,
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=contract.health_command(spec.port, spec.health_path),
                interval="15s",
                timeout="3s",
                start_period="10s",
                retries=3,
            ),
            restart="unless-stopped",
            must_run=True,
            wait=True,  # `pulumi up` returns once the health check passes
            wait_timeout=120,
            read_only=True,
            tmpfs={"/tmp": "rw,noexec,nosuid,size=64m"},  # noqa: S108 - the container's own tmpfs
            user=contract.APP_USER,
            capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"]),
            security_opts=["no-new-privileges:true"],
            memory=spec.memory_mib,
            cpus=f"{spec.cpu:g}",
            stop_signal="SIGTERM",
            stop_timeout=contract.stop_timeout(spec.shutdown_grace_s),
            labels=[docker.ContainerLabelArgs(label=k, value=v) for k, v in labels],
            opts=child,
        )
        host = "127.0.0.1" if not spec.ingress.public else "localhost"
        url = f"http://{host}:{spec.ingress.host_port}"
        store = (
            pulumi.Output.concat(
                "sqlite:", spec.memory.sqlite_path, " on volume ", self.volume.name
            )
            if self.volume is not None
            else pulumi.Output.from_input(f"{spec.memory.backend.value} (lost on restart)")
        )
        self.outputs = TargetOutputs.of(url, self.image.ref, spec, store)
        self.register_outputs({"url": url, "image_ref": self.image.ref, "memory_store": store})
