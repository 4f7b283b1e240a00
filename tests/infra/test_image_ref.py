"""`llmchain:image.ref`: a prebuilt image, by digest, is run as given and nothing is built."""

from __future__ import annotations

import json

import pytest

from infra.plan import PlanConfigError, run_plan
from tests.infra.plan_cache import Plans

DIGEST = "sha256:" + "0123456789abcdef" * 4
REF = f"ghcr.io/acme/llmchain@{DIGEST}"
GCP = {"gcp:project": "demo-project"}


@pytest.mark.parametrize("stack", ["dev", "aws", "azure", "gcp"])
def test_a_prebuilt_image_is_run_and_not_built(stack: str, plans: Plans) -> None:
    extra = GCP if stack == "gcp" else {}
    plan = plans.get(stack, {"llmchain:image.ref": REF, **extra})
    assert plan.of_type("docker-build:index:Image") == []
    assert plan.outputs["image_ref"] == REF


def test_the_workload_runs_exactly_that_digest(plans: Plans) -> None:
    plan = plans.get("aws", {"llmchain:image.ref": REF})
    task = plan.one("aws:ecs/taskDefinition:TaskDefinition")
    containers = json.loads(task.inputs["containerDefinitions"])
    assert next(c["image"] for c in containers if c.get("essential", True)) == REF


def test_without_it_the_image_is_built_as_before(plans: Plans) -> None:
    plan = plans.get("aws")
    assert len(plan.of_type("docker-build:index:Image")) == 1


def refused(overrides: dict) -> str:
    with pytest.raises(PlanConfigError) as info:
        run_plan("aws", overrides)
    return str(info.value)


@pytest.mark.parametrize(
    "ref",
    [
        "ghcr.io/acme/llmchain:latest",  # a tag can be re-pointed: no digest, no promotion
        "ghcr.io/acme/llmchain@sha256:abc",  # not a whole digest
        "ghcr.io/acme/llmchain@sha512:" + "0" * 128,
    ],
)
def test_a_ref_without_a_sha256_digest_is_refused(ref: str) -> None:
    message = refused({"llmchain:image.ref": ref})
    assert f"llmchain:image.ref={ref!r}: String should match pattern" in message


def test_a_build_setting_beside_a_prebuilt_image_is_refused() -> None:
    message = refused({"llmchain:image.ref": REF, "llmchain:image.baseImage": "python:3.11-slim"})
    assert "llmchain:image.baseImage='python:3.11-slim'" in message
    assert "llmchain:image.ref" in message
