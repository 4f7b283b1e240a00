"""KubernetesWorkload: the service on any cluster (EKS, AKS, GKE), hardened, probed, autoscaled."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.apps.v1 import (
    DeploymentSpecArgs,
    DeploymentStrategyArgs,
    RollingUpdateDeploymentArgs,
)
from pulumi_kubernetes.autoscaling.v2 import (
    CrossVersionObjectReferenceArgs,
    HorizontalPodAutoscalerSpecArgs,
    MetricSpecArgs,
    MetricTargetArgs,
    ResourceMetricSourceArgs,
)
from pulumi_kubernetes.core.v1 import (
    CapabilitiesArgs,
    ConfigMapEnvSourceArgs,
    ContainerArgs,
    ContainerPortArgs,
    EmptyDirVolumeSourceArgs,
    EnvFromSourceArgs,
    EnvVarArgs,
    ExecActionArgs,
    HTTPGetActionArgs,
    LifecycleArgs,
    LifecycleHandlerArgs,
    PodSecurityContextArgs,
    PodSpecArgs,
    PodTemplateSpecArgs,
    ProbeArgs,
    ResourceRequirementsArgs,
    SeccompProfileArgs,
    SecretVolumeSourceArgs,
    SecurityContextArgs,
    ServicePortArgs,
    ServiceSpecArgs,
    TopologySpreadConstraintArgs,
    VolumeArgs,
    VolumeMountArgs,
)
from pulumi_kubernetes.meta.v1 import LabelSelectorArgs, ObjectMetaArgs
from pulumi_kubernetes.networking.v1 import (
    IPBlockArgs,
    NetworkPolicyEgressRuleArgs,
    NetworkPolicyIngressRuleArgs,
    NetworkPolicyPeerArgs,
    NetworkPolicyPortArgs,
    NetworkPolicySpecArgs,
)
from pulumi_kubernetes.policy.v1 import PodDisruptionBudgetSpecArgs

from infra import image_contract as contract
from infra.component import Component
from infra.spec import WorkloadSpec

APP_UID = contract.APP_UID
SECRETS_DIR = contract.SECRETS_DIR
SERVICE_PORT = 80
# Out: DNS, HTTPS (model providers, cloud APIs), PostgreSQL (chat memory).
DEFAULT_EGRESS_PORTS: tuple[tuple[int, str], ...] = (
    (53, "UDP"),
    (53, "TCP"),
    (443, "TCP"),
    (5432, "TCP"),
)
PRESTOP_SLEEP_S = 5  # let load balancers stop sending before SIGTERM arrives


def config_hash(env: Mapping[str, str]) -> str:
    """A hash of the plain settings: in the pod template, a change rolls the pods."""
    return hashlib.sha256(json.dumps(dict(env), sort_keys=True).encode()).hexdigest()[:16]


def milli_cpu(cpu: float) -> str:
    """0.5 -> `500m`."""
    return f"{round(cpu * 1000)}m"


@dataclass
class KubernetesWorkloadArgs:
    """What a cloud hands over: the spec, the image it pushed, its cluster and identity."""

    spec: WorkloadSpec
    image_ref: pulumi.Input[str]
    provider: k8s.Provider
    # IRSA role ARN, Azure workload-identity client id, GKE service account...
    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # Load-balancer settings a cloud wants on the Service.
    service_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    # Mount the service-account token only when the cloud identity is exchanged for it.
    automount_token: bool = False
    extra_env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    extra_secret_env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    egress_ports: Sequence[tuple[int, str]] = DEFAULT_EGRESS_PORTS
    # The cloud's identity endpoint on the node, as (CIDR, TCP port): only there, only that
    # port. GKE's metadata server; none on EKS (IRSA goes to STS on 443) or AKS (Entra ID).
    identity_egress: Sequence[tuple[str, int]] = ()
    # What the pods need before they start (grants to the cloud identity, its bindings).
    depends_on: Sequence[pulumi.Resource] = ()
    # A private stack's Service is a LoadBalancer too when the cloud makes it internal by an
    # annotation in service_annotations (AKS reads it only on type LoadBalancer); else ClusterIP.
    internal_load_balancer: bool = False


class KubernetesWorkload(Component[KubernetesWorkloadArgs]):
    """Namespace, identity, settings, Deployment, Service, HPA, PDB and NetworkPolicy."""

    namespace: pulumi.Output[str]
    address: pulumi.Output[str]

    def build(self, name: str, args: KubernetesWorkloadArgs) -> None:
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        labels = {
            **spec.labels,
            "app.kubernetes.io/name": "llmchain",
            "app.kubernetes.io/instance": name,
        }
        selector = {"app.kubernetes.io/instance": name}

        ns = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=ObjectMetaArgs(
                name=name,
                # The "restricted" Pod Security Standard: the API server refuses weaker pods.
                labels={**labels, "pod-security.kubernetes.io/enforce": "restricted"},
            ),
            opts=child,
        )
        self.namespace = ns.metadata.name

        def meta(suffix: str, **kwargs: object) -> ObjectMetaArgs:
            return ObjectMetaArgs(
                name=f"{name}{suffix}",
                namespace=self.namespace,
                labels=labels,
                **kwargs,  # type: ignore[arg-type]
            )

        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=meta("", annotations=dict(args.service_account_annotations)),
            automount_service_account_token=args.automount_token,
            opts=child,
        )
        plain = {**spec.env, "LLMCHAIN_SECRETS_DIR": SECRETS_DIR}
        settings = k8s.core.v1.ConfigMap(
            f"{name}-settings", metadata=meta("-settings"), data=plain, opts=child
        )
        secret_values = {**spec.secret_env, **args.extra_secret_env}
        secret = k8s.core.v1.Secret(
            f"{name}-secrets",
            metadata=meta("-secrets"),
            type="Opaque",
            # Mounted as files, read by the app through LLMCHAIN_SECRETS_DIR: never in env.
            string_data={key: pulumi.Output.secret(value) for key, value in secret_values.items()},
            opts=child,
        )
        probe = HTTPGetActionArgs(path=spec.health_path, port="http")
        container = ContainerArgs(
            name="app",
            image=args.image_ref,
            # Pinned by digest: the bytes cannot change, so a pull per start buys nothing.
            image_pull_policy="IfNotPresent",
            ports=[ContainerPortArgs(name="http", container_port=spec.port)],
            env_from=[
                EnvFromSourceArgs(
                    config_map_ref=ConfigMapEnvSourceArgs(name=settings.metadata.name)
                )
            ],
            env=[EnvVarArgs(name=k, value=v) for k, v in sorted(args.extra_env.items())],
            resources=ResourceRequirementsArgs(
                requests={"cpu": milli_cpu(spec.cpu), "memory": f"{spec.memory_mib}Mi"},
                limits={"cpu": milli_cpu(spec.cpu), "memory": f"{spec.memory_mib}Mi"},
            ),
            startup_probe=ProbeArgs(http_get=probe, period_seconds=2, failure_threshold=60),
            readiness_probe=ProbeArgs(
                http_get=HTTPGetActionArgs(path=spec.readiness_path, port="http"),
                period_seconds=5,
                failure_threshold=2,
            ),
            liveness_probe=ProbeArgs(http_get=probe, period_seconds=10, failure_threshold=3),
            lifecycle=LifecycleArgs(
                pre_stop=LifecycleHandlerArgs(
                    exec_=ExecActionArgs(
                        command=["python3", "-c", f"import time; time.sleep({PRESTOP_SLEEP_S})"]
                    )
                )
            ),
            security_context=SecurityContextArgs(
                allow_privilege_escalation=False,
                read_only_root_filesystem=True,
                run_as_non_root=True,
                run_as_user=APP_UID,
                run_as_group=APP_UID,
                capabilities=CapabilitiesArgs(drop=["ALL"]),
                seccomp_profile=SeccompProfileArgs(type="RuntimeDefault"),
            ),
            volume_mounts=[
                VolumeMountArgs(name="tmp", mount_path="/tmp"),  # noqa: S108 - its own emptyDir
                VolumeMountArgs(name="secrets", mount_path=SECRETS_DIR, read_only=True),
            ],
        )
        pod_labels = {**labels, **args.pod_labels}
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-app",
            metadata=meta(""),
            spec=DeploymentSpecArgs(
                replicas=max(spec.min_replicas, 1),
                selector=LabelSelectorArgs(match_labels=selector),
                strategy=DeploymentStrategyArgs(
                    type="RollingUpdate",
                    rolling_update=RollingUpdateDeploymentArgs(max_unavailable=0, max_surge=1),
                ),
                template=PodTemplateSpecArgs(
                    metadata=ObjectMetaArgs(
                        labels=pod_labels,
                        annotations={"llmchain/config-hash": config_hash(plain)},
                    ),
                    spec=PodSpecArgs(
                        service_account_name=account.metadata.name,
                        automount_service_account_token=args.automount_token,
                        # SIGTERM -> in-flight requests and streams finish -> exit.
                        termination_grace_period_seconds=contract.stop_timeout(
                            spec.shutdown_grace_s + PRESTOP_SLEEP_S
                        ),
                        security_context=PodSecurityContextArgs(
                            run_as_non_root=True,
                            run_as_user=APP_UID,
                            run_as_group=APP_UID,
                            fs_group=APP_UID,
                            seccomp_profile=SeccompProfileArgs(type="RuntimeDefault"),
                        ),
                        containers=[container],
                        volumes=[
                            VolumeArgs(
                                name="tmp",
                                empty_dir=EmptyDirVolumeSourceArgs(size_limit="64Mi"),
                            ),
                            VolumeArgs(
                                name="secrets",
                                secret=SecretVolumeSourceArgs(
                                    secret_name=secret.metadata.name, default_mode=0o440
                                ),
                            ),
                        ],
                        topology_spread_constraints=[
                            TopologySpreadConstraintArgs(
                                max_skew=1,
                                topology_key=key,
                                when_unsatisfiable="ScheduleAnyway",
                                label_selector=LabelSelectorArgs(match_labels=selector),
                            )
                            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
                        ],
                    ),
                ),
            ),
            # The autoscaler owns the replica count once it runs.
            opts=pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions(
                    ignore_changes=["spec.replicas"], depends_on=list(args.depends_on)
                ),
            ),
        )
        load_balanced = spec.ingress.public or args.internal_load_balancer
        self.service = k8s.core.v1.Service(
            f"{name}-svc",
            metadata=meta("", annotations=dict(args.service_annotations)),
            spec=ServiceSpecArgs(
                type="LoadBalancer" if load_balanced else "ClusterIP",
                selector=selector,
                ports=[ServicePortArgs(name="http", port=SERVICE_PORT, target_port="http")],
            ),
            opts=child,
        )
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa",
            metadata=meta(""),
            spec=HorizontalPodAutoscalerSpecArgs(
                scale_target_ref=CrossVersionObjectReferenceArgs(
                    api_version="apps/v1", kind="Deployment", name=self.deployment.metadata.name
                ),
                min_replicas=max(spec.min_replicas, 1),
                max_replicas=spec.max_replicas,
                metrics=[
                    MetricSpecArgs(
                        type="Resource",
                        resource=ResourceMetricSourceArgs(
                            name="cpu",
                            target=MetricTargetArgs(type="Utilization", average_utilization=70),
                        ),
                    )
                ],
            ),
            opts=child,
        )
        if spec.min_replicas > 1:
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb",
                metadata=meta(""),
                spec=PodDisruptionBudgetSpecArgs(
                    max_unavailable=1, selector=LabelSelectorArgs(match_labels=selector)
                ),
                opts=child,
            )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-netpol",
            metadata=meta(""),
            spec=NetworkPolicySpecArgs(
                pod_selector=LabelSelectorArgs(match_labels=selector),
                policy_types=["Ingress", "Egress"],
                ingress=[
                    NetworkPolicyIngressRuleArgs(
                        ports=[NetworkPolicyPortArgs(port=spec.port, protocol="TCP")]
                    )
                ],
                egress=[
                    NetworkPolicyEgressRuleArgs(
                        ports=[
                            NetworkPolicyPortArgs(port=port, protocol=protocol)
                            for port, protocol in args.egress_ports
                        ]
                    ),
                    *(
                        NetworkPolicyEgressRuleArgs(
                            to=[NetworkPolicyPeerArgs(ip_block=IPBlockArgs(cidr=cidr))],
                            ports=[NetworkPolicyPortArgs(port=port, protocol="TCP")],
                        )
                        for cidr, port in args.identity_egress
                    ),
                ],
            ),
            opts=child,
        )
        in_cluster = pulumi.Output.concat(
            "http://", self.service.metadata.name, ".", self.namespace, ".svc.cluster.local"
        )
        load_balancer = self.service.status.apply(_ingress_host)
        self.address = (
            pulumi.Output.all(load_balancer, in_cluster).apply(lambda a: a[0] or a[1])
            if load_balanced
            else in_cluster
        )
        self.register_outputs({"address": self.address, "namespace": self.namespace})


def _ingress_host(status: object) -> str:
    """`http://<hostname or ip>` of a LoadBalancer Service, once the cloud has assigned one."""
    ingress = getattr(getattr(status, "load_balancer", None), "ingress", None) or []
    if not ingress:
        return ""
    first = ingress[0]
    host = getattr(first, "hostname", None) or getattr(first, "ip", None)
    return f"http://{host}" if host else ""
