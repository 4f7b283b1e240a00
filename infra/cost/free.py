"""Resource types the plans contain that carry no charge of their own, each with the reason.

A type here must be free by itself; where its use is billed elsewhere the reason names the
line that carries it. "(not re-read)" marks a reason taken from the cloud's general model
rather than a page read for this table.
"""

from __future__ import annotations

_CONFIG = "configuration only: no billed resource"
_IAM = "identity and access configuration: no charge"
_NETWORK = "virtual network configuration: no charge (the VNet/VPC itself is free)"

FREE: dict[str, str] = {
    # Pulumi, build and random values: nothing in a cloud bill
    "pulumi:providers:aws": "Pulumi provider: not a cloud resource",
    "pulumi:providers:kubernetes": "Pulumi provider: not a cloud resource",
    "pulumi:providers:gcp": "Pulumi provider: not a cloud resource",
    "pulumi:providers:docker": "Pulumi provider: not a cloud resource",
    "pulumi:providers:docker-build": "Pulumi provider: not a cloud resource",
    "docker-build:index:Image": "built where Pulumi runs; its storage is the registry's line",
    "pulumi:providers:acme": "Pulumi provider: not a cloud resource",
    "acme:index/registration:Registration": "an ACME account at Let's Encrypt: no charge "
    "(not re-read)",
    "acme:index/certificate:Certificate": "Let's Encrypt certificates carry no charge "
    "(not re-read)",
    "random:index/randomPassword:RandomPassword": "a value in the Pulumi state",
    "random:index/randomString:RandomString": "a value in the Pulumi state",
    "random:index/randomBytes:RandomBytes": "a value in the Pulumi state",
    # local Docker: the user's machine
    "docker:index/container:Container": "runs on this machine's Docker engine",
    "docker:index/network:Network": "runs on this machine's Docker engine",
    "docker:index/volume:Volume": "runs on this machine's Docker engine",
    # AWS
    "aws:appautoscaling/policy:Policy": _CONFIG,
    "aws:appautoscaling/target:Target": "configuration; its minCapacity sets the Fargate line",
    "aws:autoscaling/policy:Policy": _CONFIG,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _NETWORK,
    "aws:ec2/securityGroup:SecurityGroup": _NETWORK,
    "aws:ec2/flowLog:FlowLog": "billed as log ingestion on its log group (the flow-logs line)",
    "aws:ec2/internetGateway:InternetGateway": "no hourly charge; data transfer is not estimated",
    "aws:ec2/launchTemplate:LaunchTemplate": "configuration; its type and disks price the ASG "
    "or node group",
    "aws:ec2/routeTable:RouteTable": _NETWORK,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _NETWORK,
    "aws:ec2/subnet:Subnet": _NETWORK,
    "aws:ec2/vpc:Vpc": _NETWORK,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": _CONFIG,
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": _CONFIG,
    "aws:ecs/taskDefinition:TaskDefinition": "configuration; its CPU and memory price the "
    "service's Fargate lines",
    "aws:iam/role:Role": _IAM,
    "aws:iam/rolePolicy:RolePolicy": _IAM,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _IAM,
    "aws:iam/instanceProfile:InstanceProfile": _IAM,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _IAM,
    "aws:lb/listener:Listener": "part of the ALB: billed through its hours and LCUs",
    "aws:lb/targetGroup:TargetGroup": "part of the ALB: billed through its hours and LCUs",
    "aws:rds/subnetGroup:SubnetGroup": _CONFIG,
    "aws:secretsmanager/secretVersion:SecretVersion": "the secret's line covers its versions",
    "aws:sns/topic:Topic": "no standing charge; per-notification charges at alarm volume are "
    "not estimated (not re-read)",
    "aws:acm/certificate:Certificate": "public ACM certificates carry no charge (not re-read)",
    "aws:acm/certificateValidation:CertificateValidation": _CONFIG,
    "aws:route53/record:Record": "a record in the user's own hosted zone (billed to that zone); "
    "alias queries to an ELB are not charged (not re-read)",
    # Azure
    "azure-native:app:ManagedEnvironment": "Consumption profile only: billing is per app "
    "(https://learn.microsoft.com/en-ca/azure/container-apps/billing)",
    "azure-native:applicationinsights:Component": "workspace-based: ingestion is billed on "
    "the Log Analytics workspace line",
    "azure-native:authorization:ManagementLockByScope": _CONFIG,
    "azure-native:authorization:RoleAssignment": _IAM,
    "azure-native:cognitiveservices:Account": "pay-as-you-go: tokens are the model line",
    "azure-native:cognitiveservices:Deployment": "GlobalStandard deployment: billed per token "
    "(the model line)",
    "azure-native:dbforpostgresql:Configuration": "a server parameter: part of the server line",
    "azure-native:dbforpostgresql:Database": "a database on the server: part of the server line",
    "azure-native:keyvault:Secret": "stored secrets are not charged; reads are the vault's "
    "operations line",
    "azure-native:managedidentity:UserAssignedIdentity": _IAM,
    "azure-native:managedidentity:FederatedIdentityCredential": _IAM,
    "azure-native:monitor:AutoscaleSetting": "configuration; its minimum sets the scale set line",
    "azure-native:monitor:DataCollectionRule": "configuration; what it sends is billed as "
    "ingestion on the Log Analytics workspace line (not re-read)",
    "azure-native:monitor:DataCollectionRuleAssociation": _CONFIG,
    "azure-native:monitor:DiagnosticSetting": "routing configuration: Application Gateway's "
    "access log has no export cost (https://learn.microsoft.com/en-us/azure/azure-monitor/"
    "reference/supported-logs/microsoft-network-applicationgateways-logs, read 2026-11-30); "
    "its rows bill as ingestion on the Log Analytics workspace line",
    "azure-native:network:NetworkSecurityGroup": _NETWORK,
    "azure-native:network:Subnet": _NETWORK,
    "azure-native:network:VirtualNetwork": _NETWORK,
    "azure-native:privatedns:VirtualNetworkLink": "a link of the private zone (the zone line)",
    "azure-native:privatedns:PrivateRecordSet": "a record of the private zone (the zone line)",
    "azure-native:dns:RecordSet": "a record in the user's own DNS zone (billed to that zone)",
    "azure-native:resources:ResourceGroup": "a container for resources: no charge",
    # GCP
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": _IAM,
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": _IAM,
    "gcp:compute/backendService:BackendService": "part of the load balancer: billed through "
    "its forwarding rule",
    "gcp:compute/regionBackendService:RegionBackendService": "part of the load balancer: billed "
    "through its forwarding rule",
    "gcp:compute/firewall:Firewall": _NETWORK,
    "gcp:compute/healthCheck:HealthCheck": "part of the load balancer / autohealing",
    "gcp:compute/regionHealthCheck:RegionHealthCheck": "part of the load balancer",
    "gcp:compute/instanceTemplate:InstanceTemplate": "configuration; its machine type and disk "
    "price the instance group line",
    "gcp:compute/managedSslCertificate:ManagedSslCertificate": "Google-managed certificates "
    "carry no charge (not re-read)",
    "gcp:compute/network:Network": _NETWORK,
    "gcp:compute/regionAutoscaler:RegionAutoscaler": "configuration; its minimum sets the "
    "instance group line",
    "gcp:compute/router:Router": "Cloud NAT's router: billed through the NAT line",
    "gcp:compute/subnetwork:Subnetwork": _NETWORK,
    "gcp:compute/targetHttpProxy:TargetHttpProxy": "part of the load balancer",
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy": "part of the load balancer",
    "gcp:compute/regionTargetHttpProxy:RegionTargetHttpProxy": "part of the load balancer",
    "gcp:compute/uRLMap:URLMap": "part of the load balancer",
    "gcp:compute/regionUrlMap:RegionUrlMap": "part of the load balancer",
    "gcp:logging/projectExclusion:ProjectExclusion": "log routing has no charge "
    "(https://cloud.google.com/stackdriver/pricing)",
    "gcp:logging/projectSink:ProjectSink": "log routing has no charge "
    "(https://cloud.google.com/stackdriver/pricing)",
    "gcp:projects/iAMMember:IAMMember": _IAM,
    "gcp:projects/service:Service": "enabling an API: no charge",
    "gcp:secretmanager/secret:Secret": "billed per active version (the version lines)",
    "gcp:secretmanager/secretIamMember:SecretIamMember": _IAM,
    "gcp:serviceaccount/account:Account": _IAM,
    "gcp:serviceaccount/iAMMember:IAMMember": _IAM,
    "gcp:servicenetworking/connection:Connection": "private services access peering: no charge",
    "gcp:sql/database:Database": "a database on the instance: part of the instance line",
    "gcp:sql/user:User": "a user on the instance: part of the instance line",
    # Kubernetes objects: the cluster's nodes (or Autopilot pods) carry the cost
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": "configuration; its minReplicas sets "
    "the pod line",
    "kubernetes:core/v1:ConfigMap": "a Kubernetes object on the cluster",
    "kubernetes:core/v1:Namespace": "a Kubernetes object on the cluster",
    "kubernetes:core/v1:Secret": "a Kubernetes object on the cluster",
    "kubernetes:core/v1:ServiceAccount": "a Kubernetes object on the cluster",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": "a Kubernetes object on the cluster",
    "kubernetes:policy/v1:PodDisruptionBudget": "a Kubernetes object on the cluster",
}
