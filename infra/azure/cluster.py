"""AKS: workload identity, Azure CNI, an autoscaling node pool, and the Kubernetes workload."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure
import pulumi_kubernetes as k8s

from infra.azure.roles import ACR_PULL, NETWORK_CONTRIBUTOR, grant
from infra.kubernetes import KubernetesWorkload, KubernetesWorkloadArgs
from infra.spec import WorkloadSpec

# AKS's supported minors (https://learn.microsoft.com/en-us/azure/aks/supported-kubernetes-versions,
# read 2026-11-29): 1.33 left support 2026-07-31 and new clusters on it are refused; 1.35 is
# supported to 2027-03-31 (infra/readiness/facts.py). llmchain:azure.kubernetesVersion overrides.
KUBERNETES_VERSION = "1.35"
TOKEN_AUDIENCE = "api://AzureADTokenExchange"  # noqa: S105 - an audience name


@dataclass
class AksArgs:
    """The network, the identity and the image."""

    spec: WorkloadSpec
    resource_group: pulumi.Input[str]
    location: pulumi.Input[str]
    tags: dict[str, str]
    subnet_id: pulumi.Input[str]
    node_vm_size: str
    ha: bool
    workspace_id: pulumi.Input[str]
    registry_id: pulumi.Input[str]
    subscription: pulumi.Input[str]
    identity_name: pulumi.Input[str]
    kubernetes_version: str | None = None  # None: KUBERNETES_VERSION


class Aks(pulumi.ComponentResource):
    """The cluster (OIDC issuer, workload identity, Container Insights), AcrPull for its nodes."""

    cluster: azure.containerservice.ManagedCluster
    provider: k8s.Provider

    def __init__(
        self, name: str, args: AksArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("llmchain:azure:Aks", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        spec = args.spec
        self.resource_group = args.resource_group
        self.identity_name = args.identity_name
        # The control plane builds load balancers in a subnet it did not create, so its
        # identity needs Network Contributor there. A system-assigned identity exists only
        # after the cluster, and only the Azure CLI grants it afterwards; through ARM the
        # Service never gets an address (LinkedAuthorizationFailed). A user-assigned identity
        # is granted first. https://learn.microsoft.com/en-us/azure/aks/managed-identity-overview
        # and .../aks/use-managed-identity (read 2026-11-29).
        control_plane = azure.managedidentity.UserAssignedIdentity(
            f"{name}-aks-id",
            resource_group_name=args.resource_group,
            location=args.location,
            tags=args.tags,
            opts=child,
        )
        subnet_grant = grant(
            f"{name}-aks-subnet",
            NETWORK_CONTRIBUTOR,
            control_plane.principal_id,
            args.subnet_id,
            args.subscription,
            child,
        )
        self.cluster = azure.containerservice.ManagedCluster(
            f"{name}-aks",
            resource_group_name=args.resource_group,
            location=args.location,
            dns_prefix=name,
            kubernetes_version=args.kubernetes_version or KUBERNETES_VERSION,
            identity=azure.containerservice.ManagedClusterIdentityArgs(
                type=azure.containerservice.ResourceIdentityType.USER_ASSIGNED,
                user_assigned_identities=[control_plane.id],
            ),
            oidc_issuer_profile=azure.containerservice.ManagedClusterOIDCIssuerProfileArgs(
                enabled=True
            ),
            security_profile=azure.containerservice.ManagedClusterSecurityProfileArgs(
                workload_identity=azure.containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(
                    enabled=True
                )
            ),
            network_profile=azure.containerservice.ContainerServiceNetworkProfileArgs(
                network_plugin="azure",
                network_plugin_mode="overlay",
                network_policy="azure",  # enforces the workload's NetworkPolicy
                load_balancer_sku="standard",
            ),
            agent_pool_profiles=[
                azure.containerservice.ManagedClusterAgentPoolProfileArgs(
                    name="system",
                    mode="System",
                    os_type="Linux",
                    vm_size=args.node_vm_size,
                    vnet_subnet_id=args.subnet_id,
                    enable_auto_scaling=True,
                    count=2,
                    min_count=2 if args.ha else 1,
                    max_count=max(3, -(-spec.max_replicas // 2) + 1),
                    availability_zones=["1", "2", "3"] if args.ha else None,
                )
            ],
            addon_profiles={
                "omsagent": azure.containerservice.ManagedClusterAddonProfileArgs(
                    enabled=True, config={"logAnalyticsWorkspaceResourceID": args.workspace_id}
                )
            },
            auto_upgrade_profile=azure.containerservice.ManagedClusterAutoUpgradeProfileArgs(
                upgrade_channel="patch"
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[subnet_grant],
                ignore_changes=["agentPoolProfiles[0].count"],
            ),
        )
        kubelet: pulumi.Output[str] = self.cluster.identity_profile.apply(
            lambda p: (p["kubeletidentity"].object_id or "") if p and "kubeletidentity" in p else ""
        )
        self.nodes_pull = grant(
            f"{name}-nodes-acr-pull", ACR_PULL, kubelet, args.registry_id, args.subscription, child
        )
        credentials = azure.containerservice.list_managed_cluster_admin_credentials_output(
            resource_group_name=args.resource_group,
            resource_name=self.cluster.name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        decoded: pulumi.Output[str] = credentials.kubeconfigs[0].value.apply(
            lambda v: base64.b64decode(v).decode()
        )
        kubeconfig: pulumi.Output[str] = pulumi.Output.secret(decoded)
        self.provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=kubeconfig, enable_server_side_apply=True, opts=child
        )
        self.register_outputs({"cluster": self.cluster.name})

    def workload(
        self,
        spec: WorkloadSpec,
        image_ref: pulumi.Input[str],
        identity_client_id: pulumi.Input[str],
        extra_env: Mapping[str, pulumi.Input[str]],
        secret_env: Mapping[str, pulumi.Input[str]],
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> KubernetesWorkload:
        """The workload, its service account federated with the managed identity.

        The pods start after the nodes may pull, the federation exists (or the token exchange
        fails) and `depends_on` (grants to the identity, the database) is in place.
        """
        issuer = self.cluster.oidc_issuer_profile.apply(lambda p: p.issuer_url if p else "")
        federation = azure.managedidentity.FederatedIdentityCredential(
            f"{spec.name}-federation",
            resource_group_name=self.resource_group,
            resource_name_=self.identity_name,
            issuer=issuer,
            subject=f"system:serviceaccount:{spec.name}:{spec.name}",
            audiences=[TOKEN_AUDIENCE],
            opts=pulumi.ResourceOptions(parent=self),
        )
        annotations = {}
        if not spec.ingress.public:
            annotations["service.beta.kubernetes.io/azure-load-balancer-internal"] = "true"
        return KubernetesWorkload(
            spec.name,
            KubernetesWorkloadArgs(
                spec=spec,
                image_ref=image_ref,
                provider=self.provider,
                service_account_annotations={
                    "azure.workload.identity/client-id": identity_client_id
                },
                service_annotations=annotations,
                internal_load_balancer=True,  # private: an internal LB in the VNet (item 14)
                pod_labels={"azure.workload.identity/use": "true"},
                automount_token=False,  # the workload-identity webhook projects its own token
                extra_env={**extra_env, "AZURE_CLIENT_ID": identity_client_id},
                extra_secret_env=dict(secret_env),
                depends_on=[self.nodes_pull, federation, *depends_on],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
