"""GCP: llmchain:monitoring.logRetentionDays is honoured by a log bucket of the stack's own (issue 16 item 15)."""

from __future__ import annotations

import pytest

from infra.plan import Plan, run_plan

PROJECT = {"gcp:project": "demo-project"}
BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
SINK = "gcp:logging/projectSink:ProjectSink"
EXCLUSION = "gcp:logging/projectExclusion:ProjectExclusion"
FILTERS = {
    "serverless": 'resource.type = "cloud_run_revision" AND '
    'resource.labels.service_name = "llmchain-gcp"',
    "vm": 'logName = "projects/demo-project/logs/gcplogs-docker-driver" AND '
    'jsonPayload.instance.name =~ "^llmchain-gcp-[a-z0-9]{4}$"',
    "cluster": 'resource.type = "k8s_container" AND '
    'resource.labels.namespace_name = "llmchain-gcp" AND resource.labels.cluster_name = "',
}


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {
        mode: run_plan(
            "gcp",
            {**PROJECT, "llmchain:compute": mode, "llmchain:monitoring.logRetentionDays": 7},
        )
        for mode in FILTERS
    }


@pytest.mark.parametrize("mode", list(FILTERS))
def test_the_services_logs_go_to_a_bucket_kept_for_the_setting(
    plans: dict[str, Plan], mode: str
) -> None:
    plan = plans[mode]
    bucket = plan.one(BUCKET).inputs
    assert bucket["retentionDays"] == 7
    assert not bucket["bucketId"].startswith("_")  # never the project's shared _Default
    sink = plan.one(SINK).inputs
    assert sink["destination"] == (
        f"logging.googleapis.com/projects/demo-project/locations/us-central1/buckets/"
        f"{bucket['bucketId']}"
    )
    assert sink["filter"].startswith(FILTERS[mode])
    # ...and out of _Default, or they would stay there 30 days whatever was set.
    exclusion = plan.one(EXCLUSION)
    assert exclusion.inputs["filter"] == sink["filter"]
    assert plan.one(SINK).urn in plan.ancestors(exclusion)


def test_the_bucket_id_is_fresh_per_create(plans: dict[str, Plan]) -> None:
    """A deleted bucket's id stays taken for 7 days: destroy then up must not reuse it."""
    bucket = plans["serverless"].one(BUCKET)
    assert bucket.inputs["bucketId"] == "llmchain-gcp-logs-x7k2q9"  # the mocks' random suffix
    suffix = plans["serverless"].of_type("random:index/randomString:RandomString")
    assert any(r.urn in plans["serverless"].ancestors(bucket) for r in suffix)


def test_default_retention_is_the_configs() -> None:
    plan = run_plan("gcp", PROJECT)
    assert plan.one(BUCKET).inputs["retentionDays"] == 30
