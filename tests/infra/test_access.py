"""A public stack is not open by accident: a generated API key unless one is configured or
the stack opts out, and a warning when its traffic is plain HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.plan import Plan
from tests.infra.plan_cache import Plans

GCP = {"gcp:project": "demo-project"}
KEY = "random:index/randomPassword:RandomPassword"
HTTP_WARNING = "served over plain HTTP"


def _key(plan: Plan) -> list[str]:
    return [r.name for r in plan.of_type(KEY) if r.name.endswith("-api-key")]


def _delivers_api_keys(plan: Plan) -> bool:
    """The cloud's secret store (or the pods' Secret) holds LLMCHAIN_API_KEYS for the workload."""
    for r in plan.resources:
        if r.name.replace("_", "-").endswith("llmchain-api-keys"):
            return True
        if r.type == "kubernetes:core/v1:Secret" and "LLMCHAIN_API_KEYS" in json.dumps(r.shaped):
            return True
    return False


@pytest.mark.parametrize(
    ("stack", "overrides"),
    [
        ("aws", {}),
        ("aws", {"llmchain:compute": "vm"}),
        ("azure", {}),
        ("gcp", GCP),
        ("gcp", {**GCP, "llmchain:compute": "cluster"}),
    ],
)
def test_a_public_stack_without_keys_gets_a_generated_one(
    stack: str, overrides: dict[str, Any], plans: Plans
) -> None:
    plan = plans.get(stack, overrides)
    assert _key(plan) == [f"llmchain-{stack}-api-key"]
    assert plan.outputs["api_key"] == "[secret]"
    assert _delivers_api_keys(plan)


def test_configured_keys_are_used_and_none_is_generated(plans: Plans) -> None:
    plan = plans.get("aws", secrets={"llmchain:apiKeys": "k-0123456789"})
    assert _key(plan) == []
    assert "api_key" not in plan.outputs
    assert _delivers_api_keys(plan)


def test_a_private_stack_needs_no_key(plans: Plans) -> None:
    plan = plans.get("aws", {"llmchain:ingress.public": False})
    assert _key(plan) == [] and "api_key" not in plan.outputs
    assert plan.warnings == []


def test_anonymous_is_a_choice_and_is_said(plans: Plans) -> None:
    plan = plans.get("aws", {"llmchain:ingress.anonymous": True})
    assert _key(plan) == [] and "api_key" not in plan.outputs
    assert any("anyone who finds the URL" in w for w in plan.warnings)


@pytest.mark.parametrize(
    ("stack", "overrides", "plain_http"),
    [
        ("aws", {}, True),
        (
            "aws",
            {
                "llmchain:ingress.domain": "api.example.com",
                "llmchain:aws.hostedZoneId": "Z0123456789ABC",
            },
            False,
        ),
        ("azure", {}, False),  # Container Apps: HTTPS on its own address
        ("azure", {"llmchain:compute": "vm"}, True),
        ("gcp", GCP, False),  # Cloud Run: HTTPS on its own address
        ("gcp", {**GCP, "llmchain:compute": "vm"}, True),
        ("dev", {}, False),  # on 127.0.0.1 only
    ],
)
def test_preview_warns_when_a_public_service_is_plain_http(
    stack: str, overrides: dict[str, Any], plain_http: bool, plans: Plans
) -> None:
    plan = plans.get(stack, overrides)
    assert any(HTTP_WARNING in w for w in plan.warnings) is plain_http
    if plain_http:
        assert plan.outputs["url"].startswith("http://")


@pytest.mark.parametrize(
    ("stack", "overrides", "advice"),
    [
        ("aws", {}, "set llmchain:ingress.domain for HTTPS"),
        ("gcp", {**GCP, "llmchain:compute": "vm"}, "set llmchain:ingress.domain for HTTPS"),
        ("azure", {"llmchain:compute": "vm"}, "set llmchain:ingress.domain for HTTPS"),
        ("gcp", {**GCP, "llmchain:compute": "cluster"}, "use llmchain:compute=serverless or vm"),
    ],
)
def test_the_http_warning_says_what_gives_this_stack_https(
    stack: str, overrides: dict[str, Any], advice: str, plans: Plans
) -> None:
    warning = next(w for w in plans.get(stack, overrides).warnings if HTTP_WARNING in w)
    assert advice in warning
