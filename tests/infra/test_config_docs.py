"""docs/configuration.md's key table and Pulumi.yaml's declarations are generated and current."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra import config_docs
from infra.config import COMPUTE_BY_CLOUD, NAMESPACE, SECRET_KEYS, StackConfig
from infra.plan import load_stack_file
from infra.readiness.variants import stack_cloud, stacks

# Pulumi's project-level config types (sdk/go/common/workspace/project.json, simpleConfigType;
# `object` since v3.187.0): https://www.pulumi.com/docs/iac/concepts/projects/project-file/
PULUMI_TYPES = {"string", "integer", "boolean", "array", "object"}


def test_the_key_table_is_current() -> None:
    current = config_docs.DOC.read_text()
    assert config_docs.render_doc(current) == current, "run: python -m infra.config_docs"


def test_pulumi_yaml_is_current() -> None:
    current = config_docs.PROJECT.read_text()
    assert config_docs.render_project(current) == current, "run: python -m infra.config_docs"


def test_check_exits_1_when_a_file_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc, project = tmp_path / "configuration.md", tmp_path / "Pulumi.yaml"
    doc.write_text(config_docs.DOC.read_text().replace("| `llmchain:ha` |", "| `llmchain:hA` |"))
    project.write_text(config_docs.PROJECT.read_text())
    monkeypatch.setattr(config_docs, "DOC", doc)
    monkeypatch.setattr(config_docs, "PROJECT", project)
    assert config_docs.main(["--check"]) == 1
    assert config_docs.main([]) == 0  # rewrites it
    assert config_docs.main(["--check"]) == 0
    assert "| `llmchain:ha` |" in doc.read_text()


def test_the_prose_around_the_table_is_kept() -> None:
    doc = config_docs.DOC.read_text()
    head, _, rest = doc.partition(config_docs.BEGIN)
    assert (
        "## Keys" in head
        and "## Combinations the clouds refuse" in rest.partition(config_docs.END)[2]
    )


def declared() -> dict[str, dict[str, Any]]:
    project = yaml.safe_load(config_docs.PROJECT.read_text())
    config: dict[str, dict[str, Any]] = project["config"]
    return config


def test_every_top_level_key_is_declared_with_a_pulumi_type_and_a_description() -> None:
    config = declared()
    expected = {f"{NAMESPACE}:{f.alias}" for f in StackConfig.model_fields.values()}
    assert set(config) == expected
    for key, entry in config.items():
        assert entry["type"] in PULUMI_TYPES, key
        assert entry["description"], key
        # A type is only allowed on keys of the project's own namespace (project.go, Validate).
        assert key.startswith(f"{NAMESPACE}:"), key
    # Secrets are not declared: declared, they would be required or given a value.
    assert not {f"{NAMESPACE}:{k}" for k in SECRET_KEYS} & set(config)


def cli_merge(stack_config: dict[str, Any], project: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What the Pulumi CLI hands the program: the stack's config plus the project's defaults.

    pkg/workspace/config.go, mergeConfig (pulumi/pulumi 1b59498, read 2026-11-29): a declared
    key missing from the stack takes the declaration's default; one without a default is an
    error ("Stack 'x' is missing configuration value ...").
    """
    merged = copy.deepcopy(stack_config)
    for key, entry in project.items():
        if key in merged:
            continue
        assert "default" in entry, f"{key}: the CLI would require it on every stack"
        merged[key] = copy.deepcopy(entry["default"])
    return merged


def model(config: dict[str, Any]) -> dict[str, Any]:
    raw = {
        k.removeprefix(f"{NAMESPACE}:"): v
        for k, v in config.items()
        if k.startswith(f"{NAMESPACE}:")
    }
    return StackConfig.model_validate(raw, context={"secrets": list(SECRET_KEYS)}).model_dump()


CASES = [
    pytest.param(stack, compute, id=f"{stack}-{compute.value}")
    for stack in stacks()
    for compute in COMPUTE_BY_CLOUD[stack_cloud(stack)]
]


@pytest.mark.parametrize(("stack", "compute"), CASES)
def test_the_project_declarations_change_no_stack(stack: str, compute: Any) -> None:
    """Pulumi.yaml's defaults mean "unset": every stack validates to the same config with them."""
    config = load_stack_file(stack)
    if compute is not None:
        config[f"{NAMESPACE}:compute"] = compute.value
    assert model(cli_merge(config, declared())) == model(config)
    without_mode = {k: v for k, v in load_stack_file(stack).items() if k != f"{NAMESPACE}:compute"}
    assert model(cli_merge(without_mode, declared())) == model(without_mode)


def test_every_stack_sets_each_key_declared_without_a_default() -> None:
    """The CLI refuses a stack missing a declared key that has no default (llmchain:cloud)."""
    required = {key for key, entry in declared().items() if "default" not in entry}
    assert required == {f"{NAMESPACE}:cloud"}
    for stack in stacks():
        assert required <= set(load_stack_file(stack)), stack
