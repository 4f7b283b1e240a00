"""`llmchain:memory.retentionDays` reaches the service as LLMCHAIN_SESSION_RETENTION_DAYS on every target."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from infra.plan import PlanConfigError, run_plan

TARGETS = [
    ("dev", "serverless"),
    *[(cloud, compute) for cloud in ("aws", "azure", "gcp") for compute in ("serverless", "vm", "cluster")],
]  # fmt: skip
SETTING = "LLMCHAIN_SESSION_RETENTION_DAYS"


def texts(value: Any) -> Iterator[str]:
    """Every string in a resource's inputs, `name=value` for env entries, and what JSON and
    base64 strings decode to (VM user data and Azure's script extension are encoded)."""
    if isinstance(value, dict):
        if isinstance(value.get("name"), str) and "value" in value:  # Kubernetes, Cloud Run
            yield f"{value['name']}={value['value']}"
        for key, item in value.items():
            if isinstance(item, str | int | float):
                yield f"{key}={item}"  # an environment as a mapping
            yield from texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from texts(item)
    elif isinstance(value, str):
        yield value
        if value.startswith(("[", "{")):  # e.g. ECS container definitions
            with contextlib.suppress(ValueError):
                yield from texts(json.loads(value))
        if len(value) > 64:
            with contextlib.suppress(binascii.Error, UnicodeDecodeError):
                yield from texts(base64.b64decode(value, validate=True).decode())


def plan_text(stack: str, compute: str, overrides: dict[str, Any]) -> str:
    extra = {"gcp:project": "demo-project"} if stack == "gcp" else {}
    plan = run_plan(stack, {"llmchain:compute": compute, **extra, **overrides})
    return "\n".join(t for r in plan.resources for t in texts(r.inputs))


@pytest.mark.parametrize(("stack", "compute"), TARGETS)
def test_retention_days_reach_the_service(stack: str, compute: str) -> None:
    text = plan_text(stack, compute, {"llmchain:memory.retentionDays": 30})
    # KEY=30 in env files and mappings, KEY: "30" or "KEY":"30" in YAML and JSON.
    assert re.search(SETTING + r"""["']?\s*[=:]\s*["']?30\b""", text), f"{stack} {compute}"


def test_unset_retention_keeps_sessions_and_sets_nothing() -> None:
    assert SETTING not in plan_text("dev", "serverless", {})


def test_bad_retention_is_named_and_app_settings_cannot_set_it() -> None:
    with pytest.raises(PlanConfigError, match=r"llmchain:memory\.retentionDays=-1"):
        run_plan("dev", {"llmchain:memory.retentionDays": -1})
    with pytest.raises(PlanConfigError, match=r"is set by llmchain:memory\.retentionDays"):
        run_plan("dev", {"llmchain:appSettings": {SETTING: "3"}})
