"""AWS cluster (EKS): node role, creation order, add-ons, version (issue 14 items 4, 13, EKS)."""

from __future__ import annotations

from datetime import date

import pytest

from infra.plan import Plan, Resource, run_plan
from infra.readiness.facts import lookup

PULL_ONLY = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly"
WORKER = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return run_plan("aws", {"llmchain:compute": "cluster"})


def _grants_to(plan: Plan, role: Resource) -> list[Resource]:
    """Every managed-policy attachment and inline policy on one role."""
    kinds = ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/rolePolicy:RolePolicy")
    return [r for r in plan.resources if r.type in kinds and role.urn in r.dependencies]


def test_node_role_can_pull_eks_add_on_images(plan: Plan) -> None:
    # CoreDNS, VPC CNI and the CloudWatch agent come from AWS's ECR accounts, not the app's
    # repository: without the managed pull policy they never start and pods get no DNS.
    nodes = plan.one("aws:eks/nodeGroup:NodeGroup")
    (role,) = [
        r
        for r in plan.of_type("aws:iam/role:Role")
        if r.urn in nodes.dependencies and "ec2.amazonaws.com" in str(r.inputs)
    ]
    attached = {g.inputs.get("policyArn") for g in _grants_to(plan, role)}
    assert {PULL_ONLY, WORKER} <= attached


def test_node_group_waits_for_every_grant_to_its_role(plan: Plan) -> None:
    nodes = plan.one("aws:eks/nodeGroup:NodeGroup")
    (role,) = [r for r in plan.of_type("aws:iam/role:Role") if r.urn in nodes.dependencies]
    grants = _grants_to(plan, role)
    assert len(grants) >= 3
    before = plan.ancestors(nodes)
    assert [g.name for g in grants if g.urn not in before] == []


def test_cluster_waits_for_its_role_policy(plan: Plan) -> None:
    cluster = plan.one("aws:eks/cluster:Cluster")
    attachments = [
        r
        for r in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.inputs.get("policyArn") == "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    ]
    assert attachments and all(a.urn in plan.ancestors(cluster) for a in attachments)


def test_pods_wait_for_their_bedrock_grant(plan: Plan) -> None:
    deployment = plan.one("kubernetes:apps/v1:Deployment")
    (grant,) = [
        r
        for r in plan.of_type("aws:iam/rolePolicy:RolePolicy")
        if "bedrock:InvokeModel" in str(r.inputs.get("policy"))
    ]
    assert grant.urn in plan.ancestors(deployment)


def test_eks_version_is_in_standard_support(plan: Plan) -> None:
    # Past standard support EKS bills extended support per cluster hour, then force-upgrades.
    version = plan.one("aws:eks/cluster:Cluster").inputs["version"]
    fact = lookup("eks", version)
    assert fact is not None and fact.retires is not None
    assert fact.retires > date.today(), f"EKS {version} left standard support {fact.retires}"
