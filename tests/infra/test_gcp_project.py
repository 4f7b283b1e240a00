"""GCP project set-up and teardown: APIs, the GKE node identity, deletion policies (issue 16)."""

from __future__ import annotations

import json

import pytest

from infra.plan import Plan, run_plan

PROJECT = {"gcp:project": "demo-project"}
SERVICE = "gcp:projects/service:Service"


@pytest.fixture(scope="module")
def cluster() -> Plan:
    return run_plan("gcp", {**PROJECT, "llmchain:compute": "cluster"})


@pytest.fixture(scope="module")
def serverless() -> Plan:
    return run_plan("gcp", PROJECT)


def test_cloud_resource_manager_is_enabled_before_everything(serverless: Plan) -> None:
    # Project IAM members go through it; a CI credential's project may not have it on.
    (crm,) = [
        s
        for s in serverless.of_type(SERVICE)
        if s.inputs["service"] == "cloudresourcemanager.googleapis.com"
    ]
    others = [s for s in serverless.of_type(SERVICE) if s is not crm]
    assert others and all(crm.urn in serverless.ancestors(s) for s in others)
    for member in serverless.of_type("gcp:projects/iAMMember:IAMMember"):
        assert crm.urn in serverless.ancestors(member)


def test_gke_nodes_run_as_their_own_account_with_only_the_node_role(cluster: Plan) -> None:
    (nodes,) = [
        a
        for a in cluster.of_type("gcp:serviceaccount/account:Account")
        if a.inputs["accountId"] == "llmchain-gcp-nodes"
    ]
    email = "llmchain-gcp-nodes@demo-project.iam.gserviceaccount.com"
    roles = sorted(
        m.inputs["role"]
        for m in [
            *cluster.of_type("gcp:projects/iAMMember:IAMMember"),
            *cluster.of_type("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"),
        ]
        if m.inputs["member"] == f"serviceAccount:{email}"
    )
    assert roles == ["roles/artifactregistry.reader", "roles/container.defaultNodeServiceAccount"]
    gke = cluster.one("gcp:container/cluster:Cluster")
    defaults = gke.inputs["clusterAutoscaling"]["autoProvisioningDefaults"]
    assert defaults["serviceAccount"] == email
    role = next(
        m
        for m in cluster.of_type("gcp:projects/iAMMember:IAMMember")
        if m.inputs["role"] == "roles/container.defaultNodeServiceAccount"
    )
    assert role.urn in cluster.ancestors(gke)
    assert nodes.urn in cluster.ancestors(gke)
    assert "-compute@developer.gserviceaccount.com" not in json.dumps(cluster.to_json())


def test_destroy_abandons_the_sql_user_and_removes_the_peering(serverless: Plan) -> None:
    # The user owns the app's tables (PostgreSQL refuses to drop it); Cloud SQL's producer
    # network holds the private services access connection after the instance is gone.
    assert serverless.one("gcp:sql/user:User").inputs["deletionPolicy"] == "ABANDON"
    connection = serverless.one("gcp:servicenetworking/connection:Connection")
    assert connection.inputs["deletionPolicy"] == "REMOVE_PEERING"
