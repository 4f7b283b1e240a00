"""Every stack in every compute mode and variant exports the same outputs: TargetOutputs' keys
(infra/targets.py), plus the documented extras where they apply, each filled where it must be."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from infra.config import COMPUTE_BY_CLOUD, Cloud, Compute
from infra.readiness.variants import DOMAIN, Case, matrix
from infra.targets import TargetOutputs
from tests.infra.plan_cache import Plans

CONTRACT = {f.name for f in dataclasses.fields(TargetOutputs)}
# What `memory_store` names with each stack file's memory settings: PostgreSQL on the clouds,
# SQLite on a Docker volume locally.
MEMORY_STORE = {
    Cloud.LOCAL: "sqlite:/data/chat.sqlite on volume llmchain-dev-data",
    Cloud.AWS: "postgresql: RDS instance llmchain-aws-memory",
    Cloud.AZURE: "postgresql: Flexible Server llmchain-azure-pg-",
    Cloud.GCP: "postgresql: Cloud SQL llmchain-gcp-memory-sql",
}
# `kubeconfig` for kubectl (docs/azure.md, docs/gcp.md: `pulumi stack output --show-secrets
# kubeconfig`); EKS clusters are reached with `aws eks update-kubeconfig` instead.
KUBECONFIG = {(Cloud.AZURE, Compute.CLUSTER), (Cloud.GCP, Compute.CLUSTER)}
DIGEST = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9/._-]+@sha256:[0-9a-f]{64}$")


def wants_api_key(config: dict[str, Any]) -> bool:
    """A public stack without `llmchain:apiKeys` gets a generated key unless it is anonymous
    (docs/configuration.md, `llmchain:ingress.anonymous` and `llmchain:apiKeys`)."""
    ingress = config.get("llmchain:ingress") or {}
    return ingress.get("public", True) and not ingress.get("anonymous", False)


@pytest.mark.parametrize("case", matrix(), ids=lambda case: case.id)
def test_every_stack_exports_the_contract(case: Case, plans: Plans) -> None:
    plan = plans.get(case.stack, case.overrides)
    outputs = plan.outputs
    extras = set()
    if wants_api_key(plan.config):
        extras.add("api_key")
    if (case.cloud, case.compute) in KUBECONFIG:
        extras.add("kubeconfig")
    assert set(outputs) == CONTRACT | extras

    for key in ("url", "image_ref", "health_url", "memory_store"):
        assert isinstance(outputs[key], str) and outputs[key], key
    url = outputs["url"]
    assert url.startswith(("http://", "https://")), url
    assert outputs["health_url"] == url + "/healthz"
    if case.variant == "domain":
        assert url == f"https://{DOMAIN}"
    assert outputs["memory_store"].startswith(MEMORY_STORE[case.cloud])
    if case.cloud is Cloud.LOCAL:
        assert outputs["dashboard_url"] is None  # Docker has no dashboard
        assert outputs["image_ref"].startswith(f"localhost/llmchain-{case.stack}:")
    else:
        assert outputs["dashboard_url"].startswith("https://")
        assert DIGEST.match(outputs["image_ref"]), outputs["image_ref"]  # run by digest
    for secret in extras:
        assert outputs[secret] == "[secret]", secret  # shown only with --show-secrets


def test_the_matrix_covers_every_cloud_and_mode() -> None:
    """The contract is checked everywhere a user can deploy, not only where a case was added."""
    seen = {(case.cloud, case.compute) for case in matrix()}
    assert seen == {(cloud, mode) for cloud, modes in COMPUTE_BY_CLOUD.items() for mode in modes}
    assert {case.variant for case in matrix()} >= {"public", "private", "domain"}
