"""Cloud Run v2: the service with Secret Manager references and Direct VPC egress to Cloud SQL."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra.component import Component
from infra.gcp.runtime import RuntimeArgs

REQUEST_TIMEOUT = "900s"  # streams may run for minutes
# Cloud Run sends SIGTERM, then SIGKILL 10 s later: the app's shutdown grace (30 s elsewhere)
# must end before that, with time left for the process to exit.
# https://cloud.google.com/run/docs/container-contract#instance-shutdown and
# https://cloud.google.com/blog/topics/developers-practitioners/graceful-shutdowns-cloud-run-deep-dive
# (read 2026-11-29: "your application will have 10 seconds to exit ... a SIGKILL signal")
KILL_AFTER_S = 10
SHUTDOWN_GRACE_S = 8
# Direct VPC egress may take "a minute or more" to connect at instance start; Google advises
# an HTTP startup probe that waits for the egress destination. The app gives the database 30 s
# by default and exits: on Cloud Run it gets 180 s, inside the startup probe's window, which
# may be at most 240 s (failureThreshold x periodSeconds).
# https://cloud.google.com/run/docs/configuring/vpc-direct-vpc#limitations and
# https://cloud.google.com/run/docs/configuring/healthchecks (read 2026-11-29)
DB_CONNECT_BUDGET_S = 180
STARTUP_PERIOD_S = 4
STARTUP_FAILURES = 60  # 4 s x 60 = 240 s: the most Cloud Run allows
CPUS = (1, 2, 4, 6, 8)


def cloud_run_size(cpu: float, memory_mib: int) -> tuple[str, str]:
    """Cloud Run limits: at least 1 vCPU (requests are served concurrently), at least 512 MiB."""
    cores = next((c for c in CPUS if c >= cpu), CPUS[-1])
    memory = max(512, math.ceil(memory_mib / 128) * 128)
    return str(cores), f"{memory}Mi"


@dataclass(kw_only=True)
class ServerlessArgs(RuntimeArgs):
    """What the service needs from the rest of the target."""

    deletion_protection: bool


class Serverless(Component[ServerlessArgs]):
    """The Cloud Run service and, only when the stack is public, its `allUsers` invoker."""

    FORMER_TYPES = ("llmchain:gcp:CloudRun",)

    service: gcp.cloudrunv2.Service
    url: pulumi.Output[str]

    def build(self, name: str, args: ServerlessArgs) -> None:
        child = self.child
        spec = args.spec
        cpu, memory = cloud_run_size(spec.cpu, spec.memory_mib)
        plain: dict[str, pulumi.Input[str]] = {**spec.env, **args.extra_env}
        plain["LLMCHAIN_SHUTDOWN_GRACE_S"] = str(SHUTDOWN_GRACE_S)
        if spec.memory.needs_database:  # a budget set in llmchain:appSettings stays
            plain.setdefault("LLMCHAIN_MEMORY_CONNECT_TIMEOUT_S", str(DB_CONNECT_BUDGET_S))
        env = [
            gcp.cloudrunv2.ServiceTemplateContainerEnvArgs(name=k, value=v)
            for k, v in sorted(plain.items())
            if k != "PORT"  # Cloud Run sets PORT itself
        ]
        env += [
            gcp.cloudrunv2.ServiceTemplateContainerEnvArgs(
                name=k,
                value_source=gcp.cloudrunv2.ServiceTemplateContainerEnvValueSourceArgs(
                    secret_key_ref=gcp.cloudrunv2.ServiceTemplateContainerEnvValueSourceSecretKeyRefArgs(
                        secret=secret, version=args.secret_versions[k]
                    )
                ),
            )
            for k, secret in sorted(args.secret_ids.items())
        ]
        health = gcp.cloudrunv2.ServiceTemplateContainerStartupProbeHttpGetArgs(
            path=spec.health_path, port=spec.port
        )
        self.service = gcp.cloudrunv2.Service(
            f"{name}-run",
            name=name,
            location=args.region,
            ingress="INGRESS_TRAFFIC_ALL"
            if spec.ingress.public
            else "INGRESS_TRAFFIC_INTERNAL_ONLY",
            deletion_protection=args.deletion_protection,
            template=gcp.cloudrunv2.ServiceTemplateArgs(
                service_account=args.service_account,
                timeout=REQUEST_TIMEOUT,
                max_instance_request_concurrency=spec.concurrency,
                scaling=gcp.cloudrunv2.ServiceTemplateScalingArgs(
                    min_instance_count=spec.min_replicas, max_instance_count=spec.max_replicas
                ),
                vpc_access=gcp.cloudrunv2.ServiceTemplateVpcAccessArgs(
                    network_interfaces=[
                        gcp.cloudrunv2.ServiceTemplateVpcAccessNetworkInterfaceArgs(
                            network=args.network_id, subnetwork=args.subnet_id
                        )
                    ],
                    egress="PRIVATE_RANGES_ONLY",
                ),
                containers=[
                    gcp.cloudrunv2.ServiceTemplateContainerArgs(
                        image=args.image_ref,
                        ports=gcp.cloudrunv2.ServiceTemplateContainerPortsArgs(
                            container_port=spec.port
                        ),
                        resources=gcp.cloudrunv2.ServiceTemplateContainerResourcesArgs(
                            limits={"cpu": cpu, "memory": memory},
                            cpu_idle=True,
                            startup_cpu_boost=True,
                        ),
                        envs=env,
                        startup_probe=gcp.cloudrunv2.ServiceTemplateContainerStartupProbeArgs(
                            http_get=health,
                            period_seconds=STARTUP_PERIOD_S,
                            failure_threshold=STARTUP_FAILURES,
                            timeout_seconds=2,
                        ),
                        liveness_probe=gcp.cloudrunv2.ServiceTemplateContainerLivenessProbeArgs(
                            http_get=gcp.cloudrunv2.ServiceTemplateContainerLivenessProbeHttpGetArgs(
                                path=spec.health_path, port=spec.port
                            ),
                            period_seconds=10,
                        ),
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.needs)),
        )
        if spec.ingress.public:
            gcp.cloudrunv2.ServiceIamMember(
                f"{name}-public",
                name=self.service.name,
                location=args.region,
                role="roles/run.invoker",
                member="allUsers",
                opts=child,
            )
        self.url = self.service.uri
        self.register_outputs({"url": self.url})
