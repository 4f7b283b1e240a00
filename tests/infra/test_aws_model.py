"""AWS Bedrock model: a current default, its geography, availability at preview (issue 14 item 2)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from app.core.config import DEFAULT_MODELS as APP_DEFAULTS
from app.core.config import Provider as AppProvider
from infra.aws.model import FALLBACK_KEY, MODEL_KEY, BedrockModel, region_problems
from infra.config import DEFAULT_MODELS, ConfigError, Provider
from infra.plan import Plan, run_plan
from infra.readiness.facts import lookup

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = DEFAULT_MODELS[Provider.BEDROCK]
EU = "eu." + DEFAULT.partition(".")[2]


def _grant(plan: Plan) -> list[str]:
    (statement,) = [
        s
        for p in plan.of_type("aws:iam/rolePolicy:RolePolicy")
        for s in json.loads(p.inputs["policy"])["Statement"]
        if s.get("Sid") == "InvokeConfiguredModels"
    ]
    resources: list[str] = statement["Resource"]
    return resources


def test_default_is_a_current_inference_profile_that_takes_the_apps_temperature() -> None:
    assert APP_DEFAULTS[AppProvider.BEDROCK] == DEFAULT
    stack = yaml.safe_load((ROOT / "Pulumi.aws.yaml").read_text())["config"]
    assert stack["llmchain:llm"]["model"] == DEFAULT
    fact = lookup("bedrock", DEFAULT)
    assert fact is not None, "the default has no row in infra/readiness/facts.py"
    assert fact.deadline is None or fact.deadline > date.today()
    assert BedrockModel(DEFAULT, MODEL_KEY).profile_prefix == "us"


@pytest.mark.parametrize("mode", ["serverless", "vm", "cluster"])
def test_default_plan_passes_and_grants_the_profile_and_its_model(mode: str) -> None:
    plan = run_plan("aws", {"llmchain:compute": mode})
    base = DEFAULT.partition(".")[2]
    assert _grant(plan) == [
        f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{DEFAULT}",
        f"arn:aws:bedrock:*::foundation-model/{base}",
    ]


def test_unknown_model_fails_the_plan_naming_the_key() -> None:
    with pytest.raises(ConfigError) as caught:
        run_plan("aws", {"llmchain:llm.model": "us.anthropic.claude-nonexistent-v1:0"})
    message = str(caught.value)
    assert f"{MODEL_KEY}='us.anthropic.claude-nonexistent-v1:0'" in message
    assert "not available on Bedrock in us-east-1" in message


def test_retired_model_fails_the_plan() -> None:
    # Claude 3.5 Haiku reached end of life on 2026-06-19: Bedrock serves it no more.
    with pytest.raises(ConfigError, match=f"{MODEL_KEY}='anthropic.claude-3-5-haiku"):
        run_plan("aws", {"llmchain:llm.model": "anthropic.claude-3-5-haiku-20241022-v1:0"})


def test_bare_id_of_a_profile_only_model_is_refused() -> None:
    bare = DEFAULT.partition(".")[2]
    with pytest.raises(ConfigError, match="on-demand throughput isn't supported"):
        run_plan("aws", {"llmchain:llm.model": bare})


def test_profile_of_another_geography_is_refused_naming_both_keys() -> None:
    with pytest.raises(ConfigError) as caught:
        run_plan("aws", {"aws:region": "eu-west-1"})  # the stack's `us.` profile
    message = str(caught.value)
    assert f"{MODEL_KEY}={DEFAULT!r}" in message and "aws:region='eu-west-1'" in message


def test_profile_of_the_regions_geography_passes() -> None:
    plan = run_plan("aws", {"aws:region": "eu-west-1", "llmchain:llm.model": EU})
    assert f"arn:aws:bedrock:eu-west-1:123456789012:inference-profile/{EU}" in _grant(plan)


def test_bedrock_fallbacks_are_checked_and_granted() -> None:
    fallback = "us.anthropic.claude-haiku-5-5"
    plan = run_plan("aws", {"llmchain:appSettings": {"LLMCHAIN_FALLBACK_MODELS": fallback}})
    assert f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{fallback}" in _grant(plan)
    with pytest.raises(ConfigError, match=f"{FALLBACK_KEY}='us.anthropic.nope-v1:0'"):
        run_plan(
            "aws",
            {
                "llmchain:appSettings": {
                    "LLMCHAIN_FALLBACK_MODELS": f"fake:x,bedrock:{'us.anthropic.nope-v1:0'}"
                }
            },
        )


def test_region_problems_only_for_clear_mismatches() -> None:
    def problems(model: str, region: str) -> list[str]:
        return region_problems([BedrockModel(model, MODEL_KEY)], region)

    assert problems(DEFAULT, "us-west-2") == []
    assert problems(EU, "eu-central-1") == []
    assert problems("global." + DEFAULT.partition(".")[2], "ap-southeast-2") == []
    assert problems("anthropic.claude-3-haiku-20240307-v1:0", "eu-west-1") == []  # bare id
    assert problems(DEFAULT, "ca-central-1") == []  # not plain from the name: left to preview
    assert problems(DEFAULT, "ap-northeast-1")
    assert problems(EU, "us-east-1")
    assert problems("jp." + DEFAULT.partition(".")[2], "ap-southeast-2")
    assert problems(DEFAULT, "us-gov-west-1")
