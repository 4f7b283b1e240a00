"""docs/gcp.md names a deployer role for every kind of resource the GCP stack creates (issue 16 item 19)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.plan import run_plan

DOC = (Path(__file__).resolve().parents[2] / "docs" / "gcp.md").read_text()
# The resource's module -> the predefined role that creates (and destroys) it.
ROLE_FOR_MODULE = {
    "projects/service": "roles/serviceusage.serviceUsageAdmin",
    "projects/iAMMember": "roles/resourcemanager.projectIamAdmin",
    "serviceaccount/account": "roles/iam.serviceAccountAdmin",
    "serviceaccount/iAMMember": "roles/iam.serviceAccountAdmin",
    "compute": "roles/compute.admin",
    "servicenetworking": "roles/servicenetworking.networksAdmin",
    "artifactregistry": "roles/artifactregistry.admin",
    "secretmanager": "roles/secretmanager.admin",
    "sql": "roles/cloudsql.admin",
    "cloudrunv2": "roles/run.admin",
    "container": "roles/container.admin",
    "monitoring": "roles/monitoring.admin",
    "logging": "roles/logging.configWriter",
}
VARIANTS = [
    {"llmchain:compute": m, **extra}
    for m in ("serverless", "vm", "cluster")
    for extra in ({}, {"llmchain:ingress.public": False}, {"llmchain:ha": True})
] + [{"llmchain:compute": "vm", "llmchain:ingress.domain": "chat.example.com"}]


def _role(token: str) -> str | None:
    module = token.split(":")[1]  # gcp:compute/firewall:Firewall -> compute/firewall
    for prefix, role in ROLE_FOR_MODULE.items():
        if module == prefix or module.split("/")[0] == prefix:
            return role
    return None


@pytest.mark.parametrize("overrides", VARIANTS, ids=lambda o: "-".join(map(str, o.values())))
def test_every_gcp_resource_has_a_documented_deployer_role(overrides: dict[str, object]) -> None:
    plan = run_plan("gcp", {"gcp:project": "demo-project", **overrides})
    types = {r.type for r in plan.resources if r.custom and r.type.startswith("gcp:")}
    types.discard("pulumi:providers:gcp")
    assert [t for t in sorted(types) if _role(t) is None] == []
    for role in {_role(t) for t in types}:
        assert f"`{role}`" in DOC
    assert "`roles/iam.serviceAccountUser`" in DOC  # actAs: every mode runs as its account


def test_editor_is_not_offered_as_enough() -> None:
    assert "*Editor* is not enough" in DOC and "Editor plus" not in DOC
