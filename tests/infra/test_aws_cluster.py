"""AWS cluster (EKS): node role, creation order, add-ons, version (issue 14 items 4, 13, EKS)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import infra.aws.cluster as cluster_module
from infra.aws.cluster import KUBECONFIG_COMMAND, kubeconfig
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


def _addon(plan: Plan, name: str) -> Resource:
    (addon,) = [a for a in plan.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == name]
    return addon


def test_network_policy_is_enforced_by_the_vpc_cni(plan: Plan) -> None:
    # Without the add-on setting, EKS stores the workload's NetworkPolicy and enforces nothing.
    cni = _addon(plan, "vpc-cni")
    assert json.loads(cni.inputs["configurationValues"])["enableNetworkPolicy"] == "true"
    assert cni.inputs["resolveConflictsOnCreate"] == "OVERWRITE"  # EKS installed it itself
    assert cni.urn in plan.ancestors(plan.one("aws:eks/nodeGroup:NodeGroup"))
    assert plan.one("kubernetes:networking.k8s.io/v1:NetworkPolicy")


def test_the_hpa_has_a_metrics_server(plan: Plan) -> None:
    # The workload's HPA reads CPU from the Metrics API, which only metrics-server serves.
    assert plan.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    server = _addon(plan, "metrics-server")
    assert plan.one("aws:eks/nodeGroup:NodeGroup").urn in plan.ancestors(server)


def _prerequisites() -> str:
    text = (Path(__file__).resolve().parents[2] / "docs" / "aws.md").read_text()
    return text.split("## Prerequisites", 1)[1].split("\n## ", 1)[0]


def test_the_kubeconfig_command_is_a_documented_prerequisite() -> None:
    config = kubeconfig("c", "https://example.eks.amazonaws.com", "Y2E=", "us-east-1")
    command = config["users"][0]["user"]["exec"]["command"]
    assert command == KUBECONFIG_COMMAND
    prerequisites = _prerequisites()
    assert f"`{command} eks get-token`" in prerequisites and "AWS CLI" in prerequisites


def test_preview_warns_when_the_kubeconfig_command_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(cluster_module.shutil, "which", lambda _: None)
    monkeypatch.setattr(
        cluster_module.pulumi.log, "warn", lambda message, *a, **k: warnings.append(message)
    )
    run_plan("aws", {"llmchain:compute": "cluster"})
    assert any("eks get-token" in w and "AWS CLI" in w for w in warnings), warnings
