"""WorkloadSpec is the contract between the config and the targets (issue 18 item 4)."""

from __future__ import annotations

import ast
from pathlib import Path

import pulumi
import pytest

from infra.config import (
    Backend,
    Cloud,
    Compute,
    ConfigError,
    DatabaseConfig,
    MonitoringConfig,
    Provider,
    StackConfig,
)
from infra.plan import plan_program
from infra.spec import WorkloadSpec, build_spec

ROOT = Path(__file__).resolve().parents[2]


def _spec(raw: dict[str, object], secrets: dict[str, pulumi.Output[str]]) -> WorkloadSpec:
    """The spec the program would build, under the mocks (offline: the base image unpinned)."""
    built: list[WorkloadSpec] = []

    def program() -> None:
        config = StackConfig.model_validate(raw, context={"secrets": list(secrets)})
        built.append(build_spec(config, "test", secrets))

    plan_program(program, "test")
    return built[0]


def test_the_spec_carries_the_defaults_filled_at_load_time() -> None:
    spec = _spec({"cloud": "aws"}, {})
    # Typed and filled: no target has to guess what None would have meant.
    assert spec.compute is Compute.SERVERLESS
    assert spec.provider is Provider.BEDROCK
    assert spec.memory.backend is Backend.POSTGRES
    assert isinstance(spec.database, DatabaseConfig) and spec.database.deletion_protection
    assert isinstance(spec.monitoring, MonitoringConfig)
    assert spec.ha is False


def test_a_config_not_filled_by_the_loader_is_refused_by_name() -> None:
    unfilled = StackConfig.model_construct(cloud=Cloud.AWS)  # skips the loader's filling
    with pytest.raises(ConfigError, match=r"llmchain:llm\.provider"):
        build_spec(unfilled, "test", {})


def test_the_spec_takes_secrets_read_once() -> None:
    key = pulumi.Output.secret("k-1")
    spec = _spec({"cloud": "aws"}, {"apiKeys": key})
    assert spec.secret_env == {"LLMCHAIN_API_KEYS": key}


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_a_cloud_target_reads_the_spec_and_its_settings_not_the_stack_config(cloud: str) -> None:
    tree = ast.parse((ROOT / "infra" / cloud / "target.py").read_text())
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert "StackConfig" not in names
    assert "load_stack_config" not in names
