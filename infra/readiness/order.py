"""Rule: each workload is created after everything it needs to start."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.readiness import Finding

if TYPE_CHECKING:
    from infra.plan import Plan, Resource

RULE = "creation-order"

# What runs the service: created last, once what it needs exists.
WORKLOADS = {
    "aws:ecs/service:Service",
    "aws:autoscaling/group:Group",
    "aws:eks/nodeGroup:NodeGroup",
    "azure-native:app:ContainerApp",
    "azure-native:compute:VirtualMachineScaleSet",
    "azure-native:containerservice:AgentPool",
    "gcp:cloudrunv2/service:Service",
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
    "gcp:compute/instanceGroupManager:InstanceGroupManager",
    "kubernetes:apps/v1:Deployment",
}

# What a workload needs to exist before it starts: grants to its identity, the values (not
# just the containers) of its secrets, the listener in front of its target group, the
# database user and database it connects as, the bindings that let its identity be assumed.
PREREQUISITES = {
    "aws:iam/rolePolicy:RolePolicy": "grant",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "grant",
    "aws:iam/instanceProfile:InstanceProfile": "grant",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": "identity binding",
    "aws:eks/accessEntry:AccessEntry": "grant",
    "aws:secretsmanager/secretVersion:SecretVersion": "secret value",
    "aws:lb/listener:Listener": "listener",
    "aws:lb/listenerRule:ListenerRule": "listener",
    "azure-native:authorization:RoleAssignment": "grant",
    "azure-native:keyvault:Secret": "secret value",
    "azure-native:managedidentity:FederatedIdentityCredential": "identity binding",
    "azure-native:dbforpostgresql:Database": "database",
    "gcp:projects/iAMMember:IAMMember": "grant",
    "gcp:secretmanager/secretIamMember:SecretIamMember": "grant",
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": "grant",
    "gcp:serviceaccount/iAMMember:IAMMember": "identity binding",
    "gcp:secretmanager/secretVersion:SecretVersion": "secret value",
    "gcp:sql/user:User": "database user",
    "gcp:sql/database:Database": "database",
}

# What ties a prerequisite to a workload: both lead back to the same identity, secret,
# target group, database or cluster. A grant to the VPC flow-log role shares none of these
# with the service, so the service need not wait for it. (Clusters are no anchor: everything
# in a cluster depends on it, which would tie the node group to every pod's grant.)
ANCHORS = {
    "aws:iam/role:Role",
    "aws:secretsmanager/secret:Secret",
    "aws:lb/targetGroup:TargetGroup",
    "aws:rds/instance:Instance",
    "azure-native:managedidentity:UserAssignedIdentity",
    "azure-native:keyvault:Vault",
    "azure-native:containerregistry:Registry",
    "azure-native:dbforpostgresql:Server",
    "gcp:serviceaccount/account:Account",
    "gcp:secretmanager/secret:Secret",
    "gcp:sql/databaseInstance:DatabaseInstance",
    "kubernetes:core/v1:ServiceAccount",
}

# Resources that must wait for another kind to exist at all, whatever the data flow says.
# (what, needs, why)
MUST_FOLLOW = [
    (
        "gcp:serviceaccount/iAMMember:IAMMember",
        "gcp:container/cluster:Cluster",
        "a workload-identity member (PROJECT.svc.id.goog[ns/ksa]) names the project's identity "
        "pool, which exists only once a cluster with Workload Identity does",
    ),
]

# Children of one Azure PostgreSQL server: the server takes one operation at a time.
SERIAL_CHILDREN = ("azure-native:dbforpostgresql:",)


def _anchors(plan: Plan, resource: Resource) -> set[str]:
    known = plan.by_urn()
    urns = plan.ancestors(resource) | {resource.urn}
    return {u for u in urns if u in known and known[u].type in ANCHORS}


def _wi_member(resource: Resource) -> bool:
    member = str(resource.inputs.get("member", ""))
    return ".svc.id.goog[" in member


def creation_order(plan: Plan) -> list[Finding]:
    """A workload created before a grant, secret value, listener or user it needs fails to start.

    Pulumi creates resources in parallel unless one depends on the other, so "needs" must be
    a dependency. Documented failures when it is not: ECS refuses a service whose target group
    has no load balancer listener yet ("does not have an associated load balancer",
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/troubleshoot-service-load-balancers.html);
    a task or Cloud Run revision whose secret has no version fails to start
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html,
    https://cloud.google.com/run/docs/configuring/services/secrets); Container Apps pull
    with the identity's AcrPull role and read Key Vault with Key Vault Secrets User, both
    needed at revision start (https://learn.microsoft.com/azure/container-apps/managed-identity-image-pull);
    an EKS node group needs its role's policies attached first
    (https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html); a GKE
    workload-identity binding needs the pool a cluster creates
    (https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity). Azure
    Database for PostgreSQL runs one operation at a time per server; concurrent changes fail
    with ServerBusy (https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-limits).
    Read 2026-11-29.
    """
    findings: list[Finding] = []
    prerequisites = [r for r in plan.resources if r.type in PREREQUISITES]
    for workload in (r for r in plan.resources if r.type in WORKLOADS):
        before = plan.ancestors(workload)
        anchors = _anchors(plan, workload)
        for need in prerequisites:
            if need.urn in before or workload.urn in plan.ancestors(need):
                continue  # created first, or about the workload itself (created after it)
            shared = anchors & _anchors(plan, need)
            if not shared:
                continue
            via = sorted(plan.by_urn()[u].name for u in shared)[0]
            findings.append(
                Finding(
                    RULE,
                    workload.urn,
                    f"does not wait for {PREREQUISITES[need.type]} {need.name!r} "
                    f"({need.type}, for {via!r}); it may start before that exists",
                )
            )
    for kind, needs, why in MUST_FOLLOW:
        required = [r for r in plan.resources if r.type == needs]
        for resource in plan.resources:
            if resource.type != kind or not _wi_member(resource):
                continue
            for other in required:
                if other.urn not in plan.ancestors(resource):
                    findings.append(
                        Finding(RULE, resource.urn, f"does not wait for {other.name!r}: {why}")
                    )
    findings.extend(_serial_children(plan))
    return findings


def _serial_children(plan: Plan) -> list[Finding]:
    """Two changes to one Azure PostgreSQL server must not run at the same time."""
    by_server: dict[str, list[Resource]] = {}
    for r in plan.resources:
        if r.type.startswith(SERIAL_CHILDREN) and "serverName" in r.inputs:
            if r.type.endswith(":Server"):
                continue
            by_server.setdefault(str(r.inputs["serverName"]), []).append(r)
    findings = []
    for server, children in sorted(by_server.items()):
        for i, first in enumerate(children):
            for second in children[i + 1 :]:
                if plan.depends_on(first, second) or plan.depends_on(second, first):
                    continue
                findings.append(
                    Finding(
                        RULE,
                        second.urn,
                        f"runs at the same time as {first.name!r} on server {server!r}; "
                        "the server takes one operation at a time (ServerBusy): make one "
                        "depend on the other",
                    )
                )
    return findings
