"""WorkloadSpec is the contract between the config and the targets (issue 18 item 4)."""

from __future__ import annotations

import ast
import dataclasses
from collections import Counter
from pathlib import Path
from typing import get_args

import pulumi
import pytest
from pydantic import BaseModel

from infra.config import (
    FILLED_BY_CLOUD,
    PROVIDER_KEYS,
    SECRET_KEYS,
    Backend,
    Cloud,
    Compute,
    DatabaseConfig,
    LoadedStack,
    Location,
    MonitoringConfig,
    Provider,
    StackConfig,
    load_stack_config,
)
from infra.plan import plan_program, run_plan
from infra.spec import WorkloadSpec, build_spec
from infra.targets import Target

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


@pytest.mark.parametrize("key", list(FILLED_BY_CLOUD))
def test_a_key_filled_from_the_cloud_is_never_none_once_validated(key: str) -> None:
    section, _, name = key.rpartition(".")
    model: type[BaseModel] = StackConfig
    if section:
        model = StackConfig.model_fields[section].annotation  # type: ignore[assignment]
    annotation = model.model_fields[name].annotation
    assert type(None) not in get_args(annotation), f"llmchain:{key} is still Optional"
    for cloud in Cloud:
        # 1 vCPU, 2 GiB: a size both Fargate and Cloud Run (at concurrency 50) take.
        size = {"cpu": 1, "memory": 2048}
        config = StackConfig.model_validate({"cloud": cloud.value, "resources": size})
        holder = getattr(config, section) if section else config
        assert getattr(holder, name) == FILLED_BY_CLOUD[key][cloud], (key, cloud)


@pytest.fixture
def secret_reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each `namespace:key` secret is read from the stack's config."""
    reads: Counter[str] = Counter()
    get_secret = pulumi.Config.get_secret

    def counted(self: pulumi.Config, key: str) -> pulumi.Output[str] | None:
        reads[f"{self.name}:{key}"] += 1
        return get_secret(self, key)

    monkeypatch.setattr(pulumi.Config, "get_secret", counted)
    return reads


def test_the_loader_returns_the_secrets_the_stack_sets(secret_reads: Counter[str]) -> None:
    loaded: list[LoadedStack] = []
    config = {"llmchain:cloud": "local"}
    plan_program(
        lambda: loaded.append(load_stack_config()), "dev", config, {"llmchain:apiKeys": "k"}
    )
    assert loaded[0].config.cloud is Cloud.LOCAL
    assert list(loaded[0].secrets) == ["apiKeys"]  # unset secret keys are absent
    assert secret_reads == {f"llmchain:{key}": 1 for key in SECRET_KEYS}


def test_the_program_reads_each_secret_key_once(secret_reads: Counter[str]) -> None:
    run_plan("dev", secrets={"llmchain:apiKeys": "k-1"})
    reads = {key: n for key, n in secret_reads.items() if key.startswith("llmchain:")}
    assert reads == {f"llmchain:{key}": 1 for key in SECRET_KEYS}


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


@pytest.mark.parametrize("cloud", [Cloud.AWS, Cloud.AZURE, Cloud.GCP])
def test_the_provider_keys_are_read_once_and_reach_the_target_as_its_location(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Region (and GCP project) come to the target from the loader, not read again by it."""
    reads: Counter[str] = Counter()
    get = pulumi.Config.get

    def counted(self: pulumi.Config, key: str, *args: object, **kwargs: object) -> str | None:
        reads[f"{self.name}:{key}"] += 1
        return get(self, key, *args, **kwargs)

    monkeypatch.setattr(pulumi.Config, "get", counted)
    seen: list[Location] = []
    original = Target.__init__

    def spy(
        self: Target[object],
        name: str,
        spec: WorkloadSpec,
        settings: object,
        location: Location,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        seen.append(location)
        original(self, name, spec, settings, location, opts)

    monkeypatch.setattr(Target, "__init__", spy)
    extra = {"gcp:project": "demo-project"} if cloud is Cloud.GCP else {}
    plan = run_plan(cloud.value, extra)
    assert {key: reads[key] for key in PROVIDER_KEYS[cloud]} == dict.fromkeys(
        PROVIDER_KEYS[cloud], 1
    )
    fields = {wanted.field: plan.config[key] for key, wanted in PROVIDER_KEYS[cloud].items()}
    assert seen == [Location(**fields)]


def test_each_location_field_is_filled_by_one_provider_key() -> None:
    """Every cloud gets its region from one key of its provider, GCP its project too."""
    for cloud in Cloud:
        fields = [wanted.field for wanted in PROVIDER_KEYS[cloud].values()]
        assert len(fields) == len(set(fields)), cloud
        assert set(fields) <= {f.name for f in dataclasses.fields(Location)}, cloud
        assert ("region" in fields) == (cloud is not Cloud.LOCAL), cloud
