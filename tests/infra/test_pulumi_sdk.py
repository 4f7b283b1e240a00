"""The Pulumi SDK's private API the offline plan uses is still there, in the shape it uses."""

from __future__ import annotations

import importlib
import inspect
import re
from importlib import metadata
from pathlib import Path

import pytest

from infra import pulumi_sdk
from infra.plan import run_plan

ROOT = Path(__file__).resolve().parents[2]


def test_the_sdk_is_pinned_exactly_at_the_version_installed() -> None:
    """An upgrade is a deliberate edit of requirements.txt, re-run against these tests."""
    pins = re.findall(r"^pulumi==(\S+)", (ROOT / "requirements.txt").read_text(), re.M)
    assert pins, "requirements.txt must pin the Pulumi SDK exactly (pulumi==X.Y.Z)"
    assert pins == [metadata.version("pulumi")]


@pytest.mark.parametrize(
    ("module", "name"),
    [(module, name) for module, names in pulumi_sdk.USED.items() for name in names],
)
def test_each_private_symbol_still_exists(module: str, name: str) -> None:
    """The SDK still has every symbol infra/pulumi_sdk.py reaches into."""
    assert hasattr(importlib.import_module(module), name), (
        f"{module}.{name} is gone from pulumi {metadata.version('pulumi')}: "
        "update infra/pulumi_sdk.py"
    )


def test_the_signatures_used_are_unchanged() -> None:
    """Calls are made with these parameter names; a rename would fail at plan time."""
    from pulumi.runtime import config, mocks

    params = inspect.signature(mocks.set_mocks).parameters
    assert {"mocks", "project", "stack", "preview", "logger", "monitor"} <= set(params)
    assert list(inspect.signature(config.set_all_config).parameters)[:2] == [
        "config",
        "secret_keys",
    ]
    assert hasattr(mocks.MockMonitor, "RegisterResource")


def test_the_wire_markers_still_decode_a_real_plan() -> None:
    """Secrets, references and unknowns of a real plan are recognised by their markers."""
    plan = run_plan("dev", secrets={"llmchain:openaiApiKey": "sk-test"})
    text = repr([r.inputs for r in plan.resources])
    for marker in (pulumi_sdk.SECRET_SIG, pulumi_sdk.RESOURCE_SIG, pulumi_sdk.SIG_KEY):
        assert marker not in text, f"a wire marker {marker} was left undecoded"
    assert "[secret]" in text
    assert plan.outputs, "the stack's outputs were not read back"
