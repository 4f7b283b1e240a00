"""GKE Autopilot: private nodes, workload identity, and the Kubernetes workload on it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from infra.kubernetes import KubernetesWorkload
from infra.kubernetes.cluster import CloudBinding, KubernetesCluster
from infra.spec import WorkloadSpec

# Workload Identity: pods get their tokens from the GKE metadata server. With network policy
# enforced (Dataplane V2, always on Autopilot) a policy must admit 169.254.169.254:80 and
# 169.254.169.252:988, or no token is ever issued and every Vertex AI call fails.
# https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity#limitations
# (read 2026-11-29, as infra/readiness/network_kubernetes.py records it)
METADATA_EGRESS = (("169.254.169.254/32", 80), ("169.254.169.252/32", 988))


def kubeconfig(name: str, endpoint: str, ca_data: str) -> dict[str, Any]:
    """A kubeconfig that authenticates through `gke-gcloud-auth-plugin` (no static credentials)."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {"server": f"https://{endpoint}", "certificate-authority-data": ca_data},
            }
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "users": [
            {
                "name": name,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "gke-gcloud-auth-plugin",
                        "provideClusterInfo": True,
                    }
                },
            }
        ],
    }


def authorized(
    cidrs: Sequence[str],
) -> gcp.container.ClusterMasterAuthorizedNetworksConfigArgs | None:
    """Master authorized networks from the setting; None (no restriction) when it is empty.

    Google Cloud's own public addresses are not let in: only the listed networks.
    https://cloud.google.com/kubernetes-engine/docs/how-to/authorized-networks (read 2026-11-29)
    """
    if not cidrs:
        return None
    return gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
        cidr_blocks=[
            gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                cidr_block=cidr, display_name=f"llmchain:gcp.authorizedNetworks[{index}]"
            )
            for index, cidr in enumerate(cidrs)
        ],
        gcp_public_cidrs_access_enabled=False,
    )


@dataclass
class ClusterArgs:
    """Where the cluster goes."""

    spec: WorkloadSpec
    project: str
    region: str
    network_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    deletion_protection: bool
    # CIDRs that may reach the control plane's public endpoint; empty: any (IAM still applies).
    authorized_networks: Sequence[str] = ()


class Cluster(KubernetesCluster[ClusterArgs]):
    """An Autopilot cluster (private nodes, release channel, workload identity) and a provider."""

    FORMER_TYPES = ("llmchain:gcp:Gke",)

    cluster: gcp.container.Cluster
    provider: k8s.Provider
    kubeconfig: pulumi.Output[str]  # secret: for kubectl, through gke-gcloud-auth-plugin
    node_member: pulumi.Output[str]  # the nodes' own service account, as an IAM member

    def build(self, name: str, args: ClusterArgs) -> None:
        child = self.child
        self.project = args.project
        # A dedicated node service account with only the node role, not the Compute default:
        # organisations enforcing iam.automaticIamGrantsForDefaultServiceAccounts leave the
        # default without it. https://cloud.google.com/kubernetes-engine/docs/how-to/service-accounts
        # (read 2026-11-29)
        nodes = gcp.serviceaccount.Account(
            f"{name}-nodes",
            account_id=f"{name}-nodes"[:30],
            display_name=f"{name} GKE nodes",
            opts=child,
        )
        self.node_member = pulumi.Output.concat("serviceAccount:", nodes.email)
        node_role = gcp.projects.IAMMember(
            f"{name}-node-role",
            project=args.project,
            role="roles/container.defaultNodeServiceAccount",
            member=self.node_member,
            opts=child,
        )
        self.cluster = gcp.container.Cluster(
            f"{name}-gke",
            location=args.region,
            enable_autopilot=True,
            network=args.network_id,
            subnetwork=args.subnet_id,
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(),
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True, enable_private_endpoint=False
            ),
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel="REGULAR"),
            master_authorized_networks_config=authorized(args.authorized_networks),
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=f"{args.project}.svc.id.goog"
            ),
            # Autopilot takes the node service account from the auto-provisioning defaults.
            cluster_autoscaling=gcp.container.ClusterClusterAutoscalingArgs(
                auto_provisioning_defaults=gcp.container.ClusterClusterAutoscalingAutoProvisioningDefaultsArgs(
                    service_account=nodes.email,
                    oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
                )
            ),
            deletion_protection=args.deletion_protection,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[node_role]),
        )
        config = pulumi.Output.all(
            self.cluster.name,
            self.cluster.endpoint,
            self.cluster.master_auth.cluster_ca_certificate,
        ).apply(lambda a: json.dumps(kubeconfig(a[0], a[1], a[2] or "")))
        self.kubeconfig = pulumi.Output.secret(config)
        self.provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=config, enable_server_side_apply=True, opts=child
        )
        self.register_outputs({"cluster": self.cluster.name})

    def workload(
        self,
        spec: WorkloadSpec,
        image_ref: pulumi.Input[str],
        service_account: gcp.serviceaccount.Account,
        extra_env: Mapping[str, pulumi.Input[str]],
        secret_env: Mapping[str, pulumi.Input[str]],
        needs: Sequence[pulumi.Resource],
    ) -> KubernetesWorkload:
        """The workload, its Kubernetes service account acting as the Google one."""
        # The member names the project's workload identity pool, which the first cluster with
        # Workload Identity creates: on a fresh project the binding fails before it exists
        # ("Identity Pool does not exist"). https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity
        # (read 2026-11-29)
        binding = gcp.serviceaccount.IAMMember(
            f"{spec.name}-workload-identity",
            service_account_id=service_account.name,
            role="roles/iam.workloadIdentityUser",
            member=f"serviceAccount:{self.project}.svc.id.goog[{spec.name}/{spec.name}]",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cluster]),
        )
        # A private stack's Service is an internal passthrough Network Load Balancer: GKE reads
        # the annotation on a Service of type LoadBalancer only.
        # https://cloud.google.com/kubernetes-engine/docs/how-to/internal-load-balancing
        # (read 2026-11-29)
        annotations = {}
        if not spec.ingress.public:
            annotations["networking.gke.io/load-balancer-type"] = "Internal"
        cloud = CloudBinding(
            service_account_annotations={"iam.gke.io/gcp-service-account": service_account.email},
            service_annotations=annotations,
            internal_load_balancer=not spec.ingress.public,
            extra_env=dict(extra_env),
            identity_egress=METADATA_EGRESS,
            # Pods started before their grants get 403s from Vertex AI and the registry.
            depends_on=[*needs, binding],
        )
        return self.run(spec, image_ref, secret_env, cloud)

    def scrape(self, spec: WorkloadSpec, workload: KubernetesWorkload) -> None:
        """Managed Service for Prometheus collects the pods' /metrics (on by default on Autopilot).

        https://cloud.google.com/stackdriver/docs/managed-prometheus/setup-managed (read
        2026-11-29): a PodMonitoring in the workload's namespace selects its pods and port.
        """
        k8s.apiextensions.CustomResource(
            f"{spec.name}-metrics",
            api_version="monitoring.googleapis.com/v1",
            kind="PodMonitoring",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=spec.name, namespace=workload.namespace),
            spec={
                "selector": {"matchLabels": {"app.kubernetes.io/instance": spec.name}},
                "endpoints": [{"port": spec.port, "path": "/metrics", "interval": "30s"}],
            },
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[workload]),
        )
