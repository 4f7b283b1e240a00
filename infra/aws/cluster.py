"""EKS: cluster and managed nodes in private subnets, IRSA for the pods, the Kubernetes workload."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.aws import iam
from infra.kubernetes import KubernetesWorkload
from infra.kubernetes.cluster import CloudBinding, KubernetesCluster
from infra.kubernetes.version import KUBERNETES_VERSION
from infra.spec import WorkloadSpec

# The cluster runs KUBERNETES_VERSION (its EKS support dates, with their source, are in
# infra/readiness/facts.py). Add-ons take their default version for that minor: no
# addon_version is pinned.
CLUSTER_POLICY = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
# The node role's managed policies. The EKS node IAM role page requires the worker-node policy
# and ECR pull permissions: EKS's own add-on images (VPC CNI, kube-proxy, CoreDNS, the
# CloudWatch agent) live in AWS's ECR accounts, not the app's repository, so a role that can
# pull only the app's image leaves them in ImagePullBackOff - no pod network, no DNS.
# https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html (read 2026-11-29)
NODE_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",  # Container Insights
)


# The kubeconfig's credential plugin: the AWS CLI mints a short-lived token from the deployer's
# own credentials at each call, so nothing long-lived is stored in the state. Needs AWS CLI
# v2.12.3+ or v1.27.160+ on the machine that runs `pulumi`.
# https://docs.aws.amazon.com/eks/latest/userguide/create-kubeconfig.html (read 2026-11-29)
KUBECONFIG_COMMAND = "aws"


def kubeconfig(cluster: str, endpoint: str, ca_data: str, region: str) -> dict[str, Any]:
    """A kubeconfig that authenticates with `aws eks get-token` (no static credentials)."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster,
                "cluster": {"server": endpoint, "certificate-authority-data": ca_data},
            }
        ],
        "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": cluster}}],
        "current-context": cluster,
        "users": [
            {
                "name": cluster,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": KUBECONFIG_COMMAND,
                        "args": ["eks", "get-token", "--cluster-name", cluster, "--region", region],
                    }
                },
            }
        ],
    }


def container_log_group(cluster: str) -> str:
    """Where Container Insights' Fluent Bit writes the containers' logs (the add-on's name).

    The add-on's application-log.conf sends them to `/aws/containerinsights/${CLUSTER_NAME}/
    application` with `auto_create_group true` (https://github.com/aws-observability/
    helm-charts/blob/main/charts/amazon-cloudwatch-observability/values.yaml; the same names in
    https://repost.aws/knowledge-center/cloudwatch-stream-container-logs-eks, "creates these log
    groups, if they don't already exist"; read 2026-11-30).
    """
    return f"/aws/containerinsights/{cluster}/application"


@dataclass
class ClusterArgs:
    """The network, the image and what the pods need."""

    spec: WorkloadSpec
    image_ref: pulumi.Input[str]
    region: str
    account: pulumi.Input[str]
    node_instance_type: str
    ha: bool
    repository_arn: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    app_policy: pulumi.Input[str] | None  # what the pods may do (Bedrock), via IRSA


class Cluster(KubernetesCluster[ClusterArgs]):
    """EKS (secrets encrypted with KMS, audit logs on), node group, OIDC, the pods' IRSA role.

    The workload goes on it afterwards (`workload()`): the database it needs admits the
    cluster's security group, which only exists once the cluster does.
    """

    cluster: aws.eks.Cluster
    provider: k8s.Provider

    def build(self, name: str, args: ClusterArgs) -> None:
        child = self.child
        spec = args.spec
        cluster_role = aws.iam.Role(
            f"{name}-cluster", assume_role_policy=json.dumps(iam.assume_role("eks")), opts=child
        )
        cluster_grant = aws.iam.RolePolicyAttachment(
            f"{name}-cluster", role=cluster_role.name, policy_arn=CLUSTER_POLICY, opts=child
        )
        key = aws.kms.Key(
            f"{name}-secrets-key",
            description=f"{name}: Kubernetes secrets",
            enable_key_rotation=True,
            opts=child,
        )
        self.cluster = aws.eks.Cluster(
            f"{name}-eks",
            version=KUBERNETES_VERSION,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=[*args.subnet_ids, *args.public_subnet_ids],
                endpoint_private_access=True,
                endpoint_public_access=True,  # for `pulumi up` and kubectl; auth is IAM
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"],
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn),
            ),
            enabled_cluster_log_types=["api", "audit", "authenticator"],
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=True
            ),
            # EKS needs the role's policy to create the cluster (and to delete it cleanly).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster_grant]),
        )
        node_role = aws.iam.Role(
            f"{name}-node", assume_role_policy=json.dumps(iam.assume_role("ec2")), opts=child
        )
        node_grants: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{index}", role=node_role.name, policy_arn=policy, opts=child
            )
            for index, policy in enumerate(NODE_POLICIES)
        ]
        node_pull = aws.iam.RolePolicy(
            f"{name}-node-pull",
            role=node_role.id,
            policy=pulumi.Output.from_input(args.repository_arn).apply(
                lambda a: json.dumps(iam.pull_image(a))
            ),
            opts=child,
        )
        # Nodes' metadata service: IMDSv2 only, one hop, so pods cannot borrow the node's role.
        template = aws.ec2.LaunchTemplate(
            f"{name}-nodes",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=40, volume_type="gp3", encrypted="true"
                    ),
                )
            ],
            opts=child,
        )
        issuer = self.cluster.identities[0].oidcs[0].issuer
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc", url=issuer, client_id_lists=["sts.amazonaws.com"], opts=child
        )
        app_role = aws.iam.Role(
            f"{name}-app",
            assume_role_policy=pulumi.Output.all(oidc.arn, issuer).apply(
                lambda a: json.dumps(iam.irsa_trust(a[0], a[1], spec.name, spec.name))
            ),
            opts=child,
        )
        # The pods' role ARN, handed out only once its grant exists: the service account (and
        # so every pod) waits for it.
        self.app_role_arn: pulumi.Output[str] = app_role.arn
        app_grants: list[pulumi.Resource] = []
        if args.app_policy is not None:
            grant = aws.iam.RolePolicy(
                f"{name}-app", role=app_role.id, policy=args.app_policy, opts=child
            )
            app_grants.append(grant)
            self.app_role_arn = pulumi.Output.all(app_role.arn, grant.id).apply(lambda a: a[0])
        # The VPC CNI as a managed add-on with network policy on: EKS accepts NetworkPolicy
        # objects either way but enforces none unless the add-on's `enableNetworkPolicy` is
        # "true" (the agent needs VPC CNI 1.14+, kernel 5.10+: every AL2023 node). EKS installed
        # the CNI self-managed with the cluster, so the managed add-on takes its fields over;
        # it comes before the nodes so their aws-node pods start with the policy agent.
        # https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html
        # (read 2026-11-29)
        cni = aws.eks.Addon(
            f"{name}-vpc-cni",
            cluster_name=self.cluster.name,
            addon_name="vpc-cni",
            configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=child,
        )
        nodes = aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=self.cluster.name,
            node_role_arn=node_role.arn,
            subnet_ids=args.subnet_ids,
            instance_types=[args.node_instance_type],
            ami_type="AL2023_x86_64_STANDARD",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=2 if args.ha else 1,
                desired_size=2,
                max_size=max(2, -(-spec.max_replicas // 2) + 1),
            ),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            opts=pulumi.ResourceOptions(
                parent=self,
                ignore_changes=["scalingConfig.desiredSize"],
                # Nodes join only with their role's policies attached (the EKS node-role page);
                # they also wait for the pods' grant, so nothing scheduled on them runs before
                # every IAM grant of the cluster exists (seconds, against minutes for nodes).
                depends_on=[*node_grants, node_pull, *app_grants, cni],
            ),
        )
        # The add-on's Fluent Bit ships every container's stdout to this group, creating it
        # when missing (auto_create_group) with no retention and outside the stack. Made here
        # first, the group keeps llmchain:monitoring.logRetentionDays and the stack's tags, the
        # access-log metric filters have their target, and `destroy` removes the add-on before
        # the group. Standard class: metric filters work on no other.
        self.container_logs = aws.cloudwatch.LogGroup(
            f"{name}-container-logs",
            name=self.cluster.name.apply(container_log_group),
            retention_in_days=spec.monitoring.log_retention_days,
            log_group_class="STANDARD",
            opts=child,
        )
        aws.eks.Addon(
            f"{name}-insights",
            cluster_name=self.cluster.name,
            addon_name="amazon-cloudwatch-observability",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[nodes, self.container_logs]),
        )
        # The HPA scales on the Metrics API, which EKS does not serve until metrics-server
        # runs; EKS offers it as a community add-on (kube-system, no IAM). It is a Deployment,
        # so it waits for nodes. https://docs.aws.amazon.com/eks/latest/userguide/community-addons.html,
        # https://docs.aws.amazon.com/eks/latest/userguide/metrics-server.html (read 2026-11-29)
        aws.eks.Addon(
            f"{name}-metrics-server",
            cluster_name=self.cluster.name,
            addon_name="metrics-server",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[nodes]),
        )
        if shutil.which(KUBECONFIG_COMMAND) is None:
            # The provider runs it for every Kubernetes call of `up`, `refresh` and `destroy`.
            pulumi.log.warn(
                f"llmchain:compute=cluster: the Kubernetes provider authenticates with "
                f"`{KUBECONFIG_COMMAND} eks get-token`, and `{KUBECONFIG_COMMAND}` is not on "
                "PATH: install the AWS CLI (v2.12.3+ or v1.27.160+) before `pulumi up` "
                "(docs/aws.md)",
                resource=self,
            )
        config = pulumi.Output.all(
            self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority.data
        ).apply(lambda a: json.dumps(kubeconfig(a[0], a[1], a[2], args.region)))
        provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=config,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[nodes]),
        )
        self.provider = provider
        self.app_role = app_role
        self.security_group_id = self.cluster.vpc_config.cluster_security_group_id
        self.register_outputs({"cluster": self.cluster.name})

    def workload(
        self,
        spec: WorkloadSpec,
        image_ref: pulumi.Input[str],
        region: str,
        secret_env: Mapping[str, pulumi.Input[str]],
    ) -> KubernetesWorkload:
        """The Kubernetes workload on this cluster, its pods using the IRSA role."""
        annotations = {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}
        if not spec.ingress.public:
            annotations["service.beta.kubernetes.io/aws-load-balancer-internal"] = "true"
        binding = CloudBinding(
            service_account_annotations={"eks.amazonaws.com/role-arn": self.app_role_arn},
            service_annotations=annotations,
            extra_env={"AWS_REGION": region},
        )
        return self.run(spec, image_ref, secret_env, binding)
