"""Readiness rule image-tags: a tag that does not cover every build input is flagged."""

from __future__ import annotations

from typing import Any

import pytest

from infra.readiness.images import RULE, image_tags
from infra.spec import APP_DIR, context_digest, image_tag
from tests.infra.plan_cache import Plans
from tests.infra.readiness_fixtures import plan_of, res

ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/llmchain"
BUILD_ARGS = {"PROVIDERS": "bedrock", "BASE_IMAGE": "python:3.12-slim"}


def image(tags: list[str], **inputs: Any) -> Any:
    """A docker-build Image as the plan records it."""
    recorded = {
        "context": {"location": str(APP_DIR)},
        "dockerfile": {"location": str(APP_DIR / "Dockerfile")},
        "platforms": ["linux/arm64"],
        "buildArgs": BUILD_ARGS,
        "tags": tags,
        "push": True,
        **inputs,
    }
    return res("docker-build:index:Image", "app-image", recorded)


def good_tag() -> str:
    return image_tag(APP_DIR, APP_DIR / "Dockerfile", ["linux/arm64"], BUILD_ARGS)


def test_fails_on_a_tag_of_the_app_files_only() -> None:
    # The old tag: providers, platform and base image changed, and the tag did not.
    bad = image([f"{ECR}:{context_digest(APP_DIR)}"])
    (finding,) = image_tags(plan_of(bad))
    assert finding.rule == RULE == "image-tags"
    assert finding.resource == bad.urn
    assert "is not the digest of its build inputs" in finding.message
    assert f":{good_tag()}" in finding.message


@pytest.mark.parametrize("tag", [f"{ECR}:latest", ECR, "localhost:5000/llmchain"])
def test_fails_on_a_fixed_or_missing_tag(tag: str) -> None:
    assert [f.rule for f in image_tags(plan_of(image([tag])))] == [RULE]


def test_fails_without_any_tag() -> None:
    (finding,) = image_tags(plan_of(image([])))
    assert "no tag" in finding.message


def test_fails_when_one_input_changed_under_the_tag() -> None:
    stale = image([f"{ECR}:{good_tag()}"], platforms=["linux/amd64"])
    assert len(image_tags(plan_of(stale))) == 1
    stale = image([f"{ECR}:{good_tag()}"], buildArgs={"PROVIDERS": "bedrock"})
    assert len(image_tags(plan_of(stale))) == 1


def test_passes_a_tag_over_every_input() -> None:
    assert image_tags(plan_of(image([f"{ECR}:{good_tag()}"]))) == []
    assert image_tags(plan_of(image([f"localhost:5000/llmchain:{good_tag()}"]))) == []


def test_passes_what_cannot_be_known_offline() -> None:
    assert image_tags(plan_of(image(["[unknown]"]))) == []
    assert image_tags(plan_of(image([f"{ECR}:x"], buildArgs="[secret]"))) == []


@pytest.mark.parametrize(
    ("stack", "overrides"),
    [
        ("dev", {}),
        ("dev", {"llmchain:image.baseImage": "python:3.12-slim"}),
        ("aws", {"llmchain:image.platform": "linux/arm64"}),
        ("azure", {"llmchain:image.providers": "azure-openai,openai"}),
        ("gcp", {"gcp:project": "demo-project"}),
    ],
)
def test_every_stack_passes(stack: str, overrides: dict[str, Any], plans: Plans) -> None:
    assert image_tags(plans.get(stack, overrides)) == []
