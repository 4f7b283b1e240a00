"""AKS: workload identity, Azure CNI, an autoscaling node pool, and the Kubernetes workload."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure
import pulumi_kubernetes as k8s
import yaml

from infra.azure.roles import ACR_PULL, AKS_RBAC_CLUSTER_ADMIN, NETWORK_CONTRIBUTOR, grant
from infra.kubernetes import KubernetesWorkload
from infra.kubernetes.cluster import CloudBinding, KubernetesCluster
from infra.kubernetes.version import KUBERNETES_VERSION
from infra.spec import WorkloadSpec

# The cluster runs KUBERNETES_VERSION unless llmchain:azure.kubernetesVersion says otherwise;
# AKS refuses new clusters on a minor past its support (dates and source: infra/readiness/facts.py).
TOKEN_AUDIENCE = "api://AzureADTokenExchange"  # noqa: S105 - an audience name
# The application id of AKS's Microsoft Entra server, the audience of every token the API
# server accepts (kubelogin's --server-id; https://learn.microsoft.com/en-us/azure/aks/
# kubelogin-authentication, read 2026-11-29).
AKS_SERVER_APP = "6dae42f8-4368-4678-94ff-3960e28e3630"

# Container Insights, managed-identity authentication. Legacy (workspace-key) authentication
# "has been retired": after 2026-09-30 ingestion from clusters still on it stops, and support
# for the ContainerLog table was retired the same day (https://learn.microsoft.com/en-us/azure/
# azure-monitor/containers/container-insights-authentication and .../containers/
# container-insights-logs-schema, read 2026-11-30). With managed identity the add-on carries
# `useAADAuth: "true"` and collects what a data collection rule associated with the cluster
# names: the ContainerInsights extension data source, its streams sent to the workspace
# (Microsoft's onboarding templates, github.com/microsoft/Docker-Provider scripts/onboarding/
# aks/onboarding-using-msi-auth/existingClusterOnboarding.json and onboarding-msi-terraform/
# main.tf; stream names: https://learn.microsoft.com/en-us/azure/azure-monitor/containers/
# kubernetes-monitoring-enable-arm#stream-values; read 2026-11-30).
CONTAINER_INSIGHTS_ADDON = "omsagent"
CONTAINER_INSIGHTS_EXTENSION = "ContainerInsights"
# The association's name, as Microsoft's templates give it.
CONTAINER_INSIGHTS_ASSOCIATION = "ContainerInsightsExtension"
# stdout/stderr (the access log the alarms read), and the pods' state and events an operator
# reads when the restart alarm fires; nothing else is ingested (and billed).
CONTAINER_INSIGHTS_STREAMS = (
    "Microsoft-ContainerLogV2",
    "Microsoft-KubePodInventory",
    "Microsoft-KubeEvents",
)


def token_kubeconfig(user_kubeconfig: str, token: str) -> str:
    """The cluster's address and CA from AKS's user kubeconfig, with a bearer token as the user.

    The user kubeconfig signs in through kubelogin (an exec plugin); the Pulumi Kubernetes
    provider gets the deployer's own Entra token instead, so `pulumi up` needs no kubelogin.
    """
    source = yaml.safe_load(user_kubeconfig) or {}
    clusters = source.get("clusters") or [{"name": "aks", "cluster": {}}]
    cluster = clusters[0]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster["name"], "cluster": cluster.get("cluster") or {}}],
        "users": [{"name": "pulumi", "user": {"token": token}}],
        "contexts": [{"name": "pulumi", "context": {"cluster": cluster["name"], "user": "pulumi"}}],
        "current-context": "pulumi",
    }
    return yaml.safe_dump(config, sort_keys=False)


@dataclass
class ClusterArgs:
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
    # Entra groups whose members are cluster-admin (Kubernetes RBAC, aadProfile).
    admin_group_object_ids: Sequence[str] = ()
    # Who may reach the API server (CIDRs); empty: any address, Entra still authenticates.
    authorized_ip_ranges: Sequence[str] = ()
    # The deployer's object id: granted AKS RBAC Cluster Admin so Pulumi can deploy the workload.
    deployer_object_id: pulumi.Input[str] = ""


def container_insights(
    name: str,
    cluster: azure.containerservice.ManagedCluster,
    workspace_id: pulumi.Input[str],
    resource_group: pulumi.Input[str],
    location: pulumi.Input[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> azure.monitor.DataCollectionRuleAssociation:
    """The rule sending the cluster's container logs to the workspace, associated with it.

    The rule lives in the workspace's region (the stack's one location) and the cluster's
    resource group, as Microsoft's templates create it. The association needs the cluster and
    the rule; both reach it as inputs, so Pulumi orders it after them.
    """
    destination = "ciworkspace"
    rule = azure.monitor.DataCollectionRule(
        f"{name}-ci-dcr",
        resource_group_name=resource_group,
        location=location,
        kind="Linux",
        description="Container Insights (managed-identity auth): container logs to the workspace",
        data_sources=azure.monitor.DataCollectionRuleDataSourcesArgs(
            extensions=[
                azure.monitor.ExtensionDataSourceArgs(
                    name=CONTAINER_INSIGHTS_ASSOCIATION,
                    extension_name=CONTAINER_INSIGHTS_EXTENSION,
                    streams=list(CONTAINER_INSIGHTS_STREAMS),
                    extension_settings={
                        "dataCollectionSettings": {
                            "interval": "1m",
                            "namespaceFilteringMode": "Off",
                            "enableContainerLogV2": True,
                        }
                    },
                )
            ]
        ),
        destinations=azure.monitor.DataCollectionRuleDestinationsArgs(
            log_analytics=[
                azure.monitor.LogAnalyticsDestinationArgs(
                    name=destination, workspace_resource_id=workspace_id
                )
            ]
        ),
        data_flows=[
            azure.monitor.DataFlowArgs(
                streams=list(CONTAINER_INSIGHTS_STREAMS), destinations=[destination]
            )
        ],
        tags=tags,
        opts=opts,
    )
    # An extension resource of the cluster: it takes no tags (azure-native 3.29.0 schema).
    return azure.monitor.DataCollectionRuleAssociation(
        f"{name}-ci-dcra",
        resource_uri=cluster.id,
        association_name=CONTAINER_INSIGHTS_ASSOCIATION,
        data_collection_rule_id=rule.id,
        description="Container Insights: deleting it stops the cluster's log collection",
        opts=opts,
    )


class Cluster(KubernetesCluster[ClusterArgs]):
    """The cluster (OIDC issuer, workload identity, Container Insights), AcrPull for its nodes."""

    FORMER_TYPES = ("llmchain:azure:Aks",)

    cluster: azure.containerservice.ManagedCluster
    provider: k8s.Provider

    def build(self, name: str, args: ClusterArgs) -> None:
        child = self.child
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
            # Entra ID sign-in and Azure RBAC for Kubernetes authorization; no local accounts,
            # so no static admin certificate exists to leak (listClusterAdminCredentials is
            # refused). https://learn.microsoft.com/en-us/azure/aks/enable-authentication-
            # microsoft-entra-id, .../aks/manage-azure-rbac and .../aks/manage-local-accounts-
            # managed-azure-ad (read 2026-11-29).
            aad_profile=azure.containerservice.ManagedClusterAADProfileArgs(
                managed=True,
                enable_azure_rbac=True,
                admin_group_object_ids=list(args.admin_group_object_ids) or None,
            ),
            disable_local_accounts=True,
            # API server authorized IP ranges (a public API server only; AKS adds the cluster's
            # own outbound IPs). https://learn.microsoft.com/en-us/azure/aks/
            # api-server-authorized-ip-ranges (read 2026-11-29)
            api_server_access_profile=azure.containerservice.ManagedClusterAPIServerAccessProfileArgs(
                authorized_ip_ranges=list(args.authorized_ip_ranges)
            )
            if args.authorized_ip_ranges
            else None,
            addon_profiles={
                CONTAINER_INSIGHTS_ADDON: azure.containerservice.ManagedClusterAddonProfileArgs(
                    enabled=True,
                    config={
                        "logAnalyticsWorkspaceResourceID": args.workspace_id,
                        "useAADAuth": "true",  # managed identity; legacy auth is retired
                    },
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
        self.container_insights = container_insights(
            name,
            self.cluster,
            args.workspace_id,
            args.resource_group,
            args.location,
            args.tags,
            child,
        )
        kubelet: pulumi.Output[str] = self.cluster.identity_profile.apply(
            lambda p: (p["kubeletidentity"].object_id or "") if p and "kubeletidentity" in p else ""
        )
        self.nodes_pull = grant(
            f"{name}-nodes-acr-pull", ACR_PULL, kubelet, args.registry_id, args.subscription, child
        )
        # The user kubeconfig (kubelogin, Entra sign-in): an output for people and kubectl.
        credentials = azure.containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=args.resource_group,
            resource_name=self.cluster.name,
            format="exec",
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        decoded: pulumi.Output[str] = credentials.kubeconfigs[0].value.apply(
            lambda v: base64.b64decode(v).decode()
        )
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(decoded)
        # Pulumi deploys the workload as the deployer: an Entra token for AKS's server app
        # (getClientToken asks for `<endpoint>/.default`, pulumi-azure-native's provider.go,
        # read 2026-11-29), so CI needs no kubelogin; Azure RBAC admits it through the grant
        # below. The token is fetched at every preview/up and lives about an hour.
        self.deployer_admin = grant(
            f"{name}-deployer-aks-admin",
            AKS_RBAC_CLUSTER_ADMIN,
            args.deployer_object_id,
            self.cluster.id,
            args.subscription,
            child,
            principal_type=None,
        )
        token = azure.authorization.get_client_token_output(
            endpoint=AKS_SERVER_APP, opts=pulumi.InvokeOutputOptions(parent=self)
        ).token
        provider_kubeconfig: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(decoded, token).apply(lambda a: token_kubeconfig(a[0], a[1]))
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=provider_kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.deployer_admin]),
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
        internal_ip: str | None = None,
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
        if not spec.ingress.public or internal_ip:
            annotations["service.beta.kubernetes.io/azure-load-balancer-internal"] = "true"
        if internal_ip:
            # A fixed address in the nodes' subnet, for Application Gateway's backend pool
            # (the annotation replaces the deprecated spec.loadBalancerIP;
            # https://learn.microsoft.com/en-us/azure/aks/internal-lb, read 2026-11-29).
            annotations["service.beta.kubernetes.io/azure-load-balancer-ipv4"] = internal_ip
        cloud = CloudBinding(
            service_account_annotations={"azure.workload.identity/client-id": identity_client_id},
            service_annotations=annotations,
            internal_load_balancer=True,  # private: an internal LB in the VNet (item 14)
            pod_labels={"azure.workload.identity/use": "true"},
            extra_env={**extra_env, "AZURE_CLIENT_ID": identity_client_id},
            depends_on=[self.nodes_pull, federation, self.deployer_admin, *depends_on],
        )
        return self.run(spec, image_ref, secret_env, cloud)
