"""KubernetesCluster: what EKS, AKS and GKE have in common, the workload run on them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import pulumi
import pulumi_kubernetes as k8s

from infra.component import Component
from infra.kubernetes.workload import KubernetesWorkload, KubernetesWorkloadArgs
from infra.spec import WorkloadSpec

A = TypeVar("A")


@dataclass
class CloudBinding:
    """What a cloud adds to the workload: the pods' identity and the Service's load balancer."""

    # IRSA role ARN, Azure workload-identity client id, GKE service account...
    service_account_annotations: Mapping[str, pulumi.Input[str]]
    service_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    internal_load_balancer: bool = False  # see KubernetesWorkloadArgs
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    extra_env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    identity_egress: Sequence[tuple[str, int]] = ()
    # What the pods need before they start (grants to the cloud identity, its bindings).
    depends_on: Sequence[pulumi.Resource] = ()


class KubernetesCluster(Component[A]):
    """A cloud's managed cluster component: `provider` reaches it, `run` puts the workload on it."""

    provider: k8s.Provider

    def run(
        self,
        spec: WorkloadSpec,
        image_ref: pulumi.Input[str],
        secret_env: Mapping[str, pulumi.Input[str]],
        cloud: CloudBinding,
    ) -> KubernetesWorkload:
        """The workload on this cluster, bound to the cloud's identity and load balancer.

        The service-account token is never mounted: on EKS and AKS a webhook projects the
        token the cloud's identity exchanges, on GKE the metadata server speaks for the pod.
        """
        return KubernetesWorkload(
            spec.name,
            KubernetesWorkloadArgs(
                spec=spec,
                image_ref=image_ref,
                provider=self.provider,
                service_account_annotations=cloud.service_account_annotations,
                service_annotations=cloud.service_annotations,
                internal_load_balancer=cloud.internal_load_balancer,
                pod_labels=cloud.pod_labels,
                automount_token=False,
                extra_env=cloud.extra_env,
                extra_secret_env=dict(secret_env),
                identity_egress=cloud.identity_egress,
                depends_on=cloud.depends_on,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
