"""Dated facts: the rule finds retired models and unsupported Kubernetes versions in a plan, the
table is well-formed, and no default the program ships is undated or past its date."""

from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.aws.cluster import KUBERNETES_VERSION as EKS_VERSION
from infra.azure.cluster import KUBERNETES_VERSION as AKS_VERSION
from infra.config import DEFAULT_MODELS, AzureConfig, Provider
from infra.readiness.facts import FACTS, RULE, dated_facts, env_values, lookup
from tests.infra.readiness_fixtures import plan_of, res

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 29)


def _task(model: str) -> Any:
    env = [
        {"name": "LLMCHAIN_PROVIDER", "value": "bedrock"},
        {"name": "LLMCHAIN_MODEL", "value": model},
    ]
    return res(
        "aws:ecs/taskDefinition:TaskDefinition",
        "task",
        {"containerDefinitions": json.dumps([{"name": "app", "environment": env}])},
    )


def _deployment(name: str, version: str) -> Any:
    model = {"format": "OpenAI", "name": name, "version": version}
    return res(
        "azure-native:cognitiveservices:Deployment", "model", {"properties": {"model": model}}
    )


def _eks(version: str) -> Any:
    return res("aws:eks/cluster:Cluster", "eks", {"version": version})


def _cloud_init(model: str) -> Any:
    text = f"#cloud-config\nwrite_files:\n- content: 'LLMCHAIN_PROVIDER=vertexai\n\n    LLMCHAIN_MODEL={model}\n'\n"
    return res(
        "aws:ec2/launchTemplate:LaunchTemplate",
        "template",
        {"userData": base64.b64encode(text.encode()).decode()},
    )


# --- the rule -------------------------------------------------------------------------


def test_retired_and_unknown_ids_are_found_with_the_key_and_replacement() -> None:
    plan = plan_of(
        _task("anthropic.claude-3-5-haiku-20241022-v1:0"),
        _deployment("gpt-4o-mini", "2024-07-18"),
        _eks("1.33"),
        _cloud_init("gemini-9-imaginary"),
    )
    found = {f.name: f for f in dated_facts(plan, TODAY)}
    assert {f.rule for f in found.values()} == {RULE}
    assert set(found) == {"task", "model", "eks", "template"}
    assert "retired on 2026-06-19" in found["task"].message
    assert "llmchain:llm.model to us.anthropic.claude-haiku-5-5" in found["task"].message
    assert "closed to new deployments" in found["model"].message
    assert "llmchain:azure.openaiModelVersion to gpt-4.1-mini 2025-04-14" in found["model"].message
    assert "end of support on 2026-07-29" in found["eks"].message
    assert "KUBERNETES_VERSION in infra/kubernetes/version.py to 1.35" in found["eks"].message
    assert "not in the dated facts table" in found["template"].message


def test_current_ids_pass() -> None:
    plan = plan_of(
        _task("us.anthropic.claude-haiku-5-5"),
        _deployment("gpt-4.1-mini", "2025-04-14"),
        _eks("1.35"),
        _cloud_init("gemini-3.5-flash-lite"),
        res("gcp:container/cluster:Cluster", "gke", {"releaseChannel": {"channel": "REGULAR"}}),
    )
    assert dated_facts(plan, TODAY) == []


def test_a_fact_expires_on_its_date() -> None:
    plan = plan_of(_cloud_init("gemini-3.5-flash-lite"))
    assert dated_facts(plan, date(2027, 7, 20)) == []
    assert len(dated_facts(plan, date(2027, 7, 21))) == 1


def test_providers_without_retirements_are_ignored() -> None:
    env = {"LLMCHAIN_PROVIDER": "fake", "LLMCHAIN_MODEL": "fake-echo"}
    assert (
        dated_facts(plan_of(res("kubernetes:core/v1:ConfigMap", "cm", {"data": env})), TODAY) == []
    )


def test_settings_are_read_from_every_shape_the_clouds_use() -> None:
    assert dict(env_values({"data": {"LLMCHAIN_MODEL": "m"}}))["LLMCHAIN_MODEL"] == "m"
    assert dict(env_values({"envs": [{"name": "LLMCHAIN_MODEL", "value": "m"}]})) == {
        "LLMCHAIN_MODEL": "m"
    }
    assert dict(env_values(_cloud_init("m").inputs))["LLMCHAIN_MODEL"] == "m"
    assert dict(env_values(_task("m").inputs))["LLMCHAIN_PROVIDER"] == "bedrock"


def test_kubernetes_patch_versions_map_to_their_minor() -> None:
    assert lookup("eks", "1.35.2") is lookup("eks", "1.35") is not None


# --- the table ------------------------------------------------------------------------


@pytest.mark.parametrize("fact", FACTS, ids=lambda f: f"{f.provider}:{f.key}")
def test_rows_are_sourced_and_dated(fact: Any) -> None:
    assert fact.source.startswith("https://")
    assert fact.read <= date.today()
    assert fact.kind in ("model", "kubernetes")
    if fact.replacement is not None:
        assert lookup(fact.provider, *fact.replacement.split(" ")) is not None


def test_rows_are_unique() -> None:
    keys = [(f.provider, f.id, f.version) for f in FACTS]
    assert len(keys) == len(set(keys))


# --- the defaults the program ships ---------------------------------------------------


def _stack_models() -> list[tuple[str, str, str | None, str]]:
    """(provider, model, version, where) for each model a Pulumi.<stack>.yaml names."""
    found: list[tuple[str, str, str | None, str]] = []
    for path in sorted(ROOT.glob("Pulumi.*.yaml")):
        config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
        llm = config.get("llmchain:llm") or {}
        if llm.get("model"):
            azure = config.get("llmchain:azure") or {}
            version = (
                azure.get("openaiModelVersion", AzureConfig().openai_model_version)
                if llm["provider"] == "azure-openai"
                else None
            )
            found.append((llm["provider"], llm["model"], version, path.name))
    return found


def _defaults() -> list[tuple[str, str, str | None, str]]:
    models: list[tuple[str, str, str | None, str]] = [
        (p.value, DEFAULT_MODELS[p], None, f"DEFAULT_MODELS[{p.value}]")
        for p in (Provider.BEDROCK, Provider.VERTEXAI, Provider.OPENAI)
    ]
    azure = Provider.AZURE_OPENAI
    models.append(
        (azure.value, DEFAULT_MODELS[azure], AzureConfig().openai_model_version, "DEFAULT_MODELS")
    )
    clusters = [
        ("eks", EKS_VERSION, None, "infra/aws/cluster.py"),
        ("aks", AKS_VERSION, None, "infra/azure/cluster.py"),
        ("gke", "REGULAR", None, "infra/gcp/cluster.py"),
    ]
    return models + _stack_models() + clusters


def _case(provider: str, id_: str, version: str | None, where: str) -> Any:
    return pytest.param(provider, id_, version, id=f"{where}:{id_}")


@pytest.mark.parametrize(("provider", "id_", "version"), [_case(*d) for d in _defaults()])
def test_every_default_is_dated_and_current(provider: str, id_: str, version: str | None) -> None:
    fact = lookup(provider, id_, version)
    assert fact is not None, f"{provider} {id_} {version or ''} has no row in the facts table"
    assert fact.deadline is None or fact.deadline > date.today(), (
        f"{fact.key} ({provider}) ends {fact.deadline}: move to {fact.replacement}"
    )
