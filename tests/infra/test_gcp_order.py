"""GCP creation order and what GKE pods reach: each workload gets what it needs (issue 16)."""

from __future__ import annotations

import pytest

from infra.plan import Plan, Resource, run_plan

PROJECT = {"gcp:project": "demo-project"}
WORKLOADS = {
    "serverless": "gcp:cloudrunv2/service:Service",
    "vm": "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
    "cluster": "kubernetes:apps/v1:Deployment",
}


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {mode: run_plan("gcp", {**PROJECT, "llmchain:compute": mode}) for mode in WORKLOADS}


def _before(plan: Plan, resource: Resource) -> set[str]:
    return plan.ancestors(resource)


@pytest.mark.parametrize("mode", list(WORKLOADS))
def test_the_workload_waits_for_its_grants_user_and_database(
    plans: dict[str, Plan], mode: str
) -> None:
    plan = plans[mode]
    before = _before(plan, plan.one(WORKLOADS[mode]))
    needs = [
        *plan.of_type("gcp:projects/iAMMember:IAMMember"),
        *plan.of_type("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"),
        plan.one("gcp:sql/user:User"),
        plan.one("gcp:sql/database:Database"),
    ]
    assert [r.name for r in needs if r.urn not in before] == []


@pytest.mark.parametrize("mode", ["serverless", "vm"])
def test_the_workload_waits_for_secret_versions_and_their_accessors(
    plans: dict[str, Plan], mode: str
) -> None:
    plan = plans[mode]
    before = _before(plan, plan.one(WORKLOADS[mode]))
    versions = plan.of_type("gcp:secretmanager/secretVersion:SecretVersion")
    accessors = plan.of_type("gcp:secretmanager/secretIamMember:SecretIamMember")
    assert versions and accessors
    assert [r.name for r in [*versions, *accessors] if r.urn not in before] == []
    # The database URL's version itself waits for the user and the database it names.
    url = next(v for v in versions if v.name.endswith("memory-url"))
    assert plan.one("gcp:sql/user:User").urn in _before(plan, url)


def test_cloud_run_pins_the_secret_versions_it_created(plans: dict[str, Plan]) -> None:
    (container,) = (
        plans["serverless"].one("gcp:cloudrunv2/service:Service").inputs["template"]["containers"]
    )
    refs = [e["valueSource"]["secretKeyRef"] for e in container["envs"] if "valueSource" in e]
    assert refs and {r["version"] for r in refs} == {"1"}  # not "latest": a new value rolls


def test_workload_identity_waits_for_the_cluster_and_pods_for_it(plans: dict[str, Plan]) -> None:
    plan = plans["cluster"]
    binding = plan.one("gcp:serviceaccount/iAMMember:IAMMember")
    assert plan.one("gcp:container/cluster:Cluster").urn in _before(plan, binding)
    assert binding.urn in _before(plan, plan.one(WORKLOADS["cluster"]))


def test_gke_pods_may_reach_the_metadata_server(plans: dict[str, Plan]) -> None:
    policy = plans["cluster"].one("kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs
    rules = {
        (rule["to"][0]["ipBlock"]["cidr"], rule["ports"][0]["port"])
        for rule in policy["spec"]["egress"]
        if "to" in rule
    }
    assert rules == {("169.254.169.254/32", 80), ("169.254.169.252/32", 988)}
