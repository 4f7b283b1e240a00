"""Vertex AI model: a current default, served where the stack points the app (issue 16 item 1)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
import yaml

from app.core.config import DEFAULT_MODELS as APP_DEFAULTS
from app.core.config import load_settings
from app.providers.factory import build_base_model
from infra.config import DEFAULT_MODELS, Provider
from infra.plan import Plan, PlanConfigError, run_plan
from infra.readiness.facts import dated_facts, env_values, lookup

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = DEFAULT_MODELS[Provider.VERTEXAI]
PROJECT = {"gcp:project": "demo-project"}


def _env(plan: Plan) -> dict[str, str]:
    """The service's settings wherever the mode puts them (Cloud Run env, cloud-init, ConfigMap)."""
    found: dict[str, str] = {}
    for resource in plan.resources:
        found.update(env_values(resource.inputs))
    return found


def test_default_is_current_in_the_stack_the_program_and_the_app() -> None:
    assert {p.value: m for p, m in APP_DEFAULTS.items()}["vertexai"] == DEFAULT
    stack = yaml.safe_load((ROOT / "Pulumi.gcp.yaml").read_text())["config"]
    assert stack["llmchain:llm"]["model"] == DEFAULT
    fact = lookup("vertexai", DEFAULT)
    assert fact is not None, "the default has no row in infra/readiness/facts.py"
    assert fact.deadline is None or fact.deadline > date.today()


@pytest.mark.parametrize("mode", ["serverless", "vm", "cluster"])
def test_every_mode_sends_the_model_and_the_global_location(mode: str) -> None:
    plan = run_plan("gcp", {**PROJECT, "llmchain:compute": mode})
    env = _env(plan)
    assert env["LLMCHAIN_MODEL"] == DEFAULT
    # Not gcp:region: Gemini 3.x models are not served by the us-central1 endpoint.
    assert env["LLMCHAIN_GCP_LOCATION"] == "global"
    assert env["LLMCHAIN_GCP_PROJECT"] == "demo-project"
    assert dated_facts(plan, date.today()) == []


def test_model_location_is_a_setting() -> None:
    plan = run_plan(
        "gcp",
        {
            **PROJECT,
            "llmchain:llm.model": "gemini-2.5-flash-lite",
            "llmchain:gcp.modelLocation": "europe-west4",
        },
    )
    assert _env(plan)["LLMCHAIN_GCP_LOCATION"] == "europe-west4"


def test_a_bad_location_and_the_app_setting_name_the_key() -> None:
    with pytest.raises(PlanConfigError, match=r"llmchain:gcp\.modelLocation='Europe West'"):
        run_plan("gcp", {**PROJECT, "llmchain:gcp.modelLocation": "Europe West"})
    settings = {"LLMCHAIN_GCP_LOCATION": "global"}
    with pytest.raises(PlanConfigError, match=r"set by llmchain:gcp\.modelLocation"):
        run_plan("gcp", {**PROJECT, "llmchain:appSettings": settings})


def test_the_app_calls_the_global_endpoint_with_the_plans_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith(("LLMCHAIN_", "GOOGLE_")):
            monkeypatch.delenv(name)
    env = _env(run_plan("gcp", PROJECT))
    for name in ("LLMCHAIN_PROVIDER", "LLMCHAIN_MODEL", "LLMCHAIN_GCP_PROJECT"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.setenv("LLMCHAIN_GCP_LOCATION", env["LLMCHAIN_GCP_LOCATION"])
    model = build_base_model(load_settings())
    assert (model.model, model.location) == (DEFAULT, "global")
    # google-genai sends `global` to https://aiplatform.googleapis.com/ (no region prefix).
    assert model.client._api_client._http_options.base_url == "https://aiplatform.googleapis.com/"
