"""Each stack plan built once per test session and shared read-only by every test that reads it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from infra.plan import Plan, PlanConfigError, _set_path, load_stack_file, run_plan


def _spelling(value: dict[str, Any] | None) -> str:
    """A hashable, order-free spelling of a config or secrets mapping."""
    return json.dumps(value or {}, sort_keys=True, default=repr)


def _key(
    stack: str, overrides: dict[str, Any] | None, secrets: dict[str, str] | None
) -> tuple[str, str, str]:
    """The config the program will see, as `run_plan` makes it: overrides that spell out a
    stack file's own value (`llmchain:compute: serverless` on aws) share that plan."""
    config = load_stack_file(stack)
    for key, value in (overrides or {}).items():
        _set_path(config, key, value)
    return stack, _spelling(config), _spelling(secrets)


def fingerprint(plan: Plan) -> str:
    """A digest of everything a test can read in a plan (to notice one that changed it)."""
    document = {
        "resources": [dataclasses.asdict(r) for r in plan.resources],
        "outputs": plan.outputs,
        "warnings": plan.warnings,
        "config": plan.config,
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=repr).encode()).hexdigest()


class Plans:
    """`run_plan` memoised by stack, effective config and secrets; a refusal is remembered too."""

    def __init__(self) -> None:
        self._built: dict[tuple[str, str, str], Plan | PlanConfigError] = {}
        self._prints: dict[tuple[str, str, str], str] = {}

    def get(
        self,
        stack: str,
        overrides: dict[str, Any] | None = None,
        secrets: dict[str, str] | None = None,
    ) -> Plan:
        """The plan of this stack and config: built on first use, the same object after.

        Read it, never change it (other tests see the same object; `unchanged()` checks):
        a test that edits a plan takes `copy.deepcopy` of it first.
        """
        key = _key(stack, overrides, secrets)
        if key not in self._built:
            try:
                plan = run_plan(stack, overrides, secrets)
            except PlanConfigError as refusal:
                self._built[key] = refusal
            else:
                self._built[key] = plan
                self._prints[key] = fingerprint(plan)
        found = self._built[key]
        if isinstance(found, PlanConfigError):
            # A fresh exception each time: re-raising one object would stack its tracebacks.
            raise PlanConfigError(str(found), list(found.registered))
        return found

    def changed(self) -> list[str]:
        """The (stack, config, secrets) of every plan a test changed after it was built."""
        return [
            " ".join(key)
            for key, plan in self._built.items()
            if isinstance(plan, Plan) and fingerprint(plan) != self._prints[key]
        ]


SHARED = Plans()

# What the per-cloud tests (test_aws.py, test_azure.py, test_gcp.py) deploy on top of the stack
# file: two to seven replicas, an alert e-mail, a tag and an API key (that no plan may show).
API_KEY = "api-key-never-plain-0002"
OPTIONS: dict[str, Any] = {
    "llmchain:scaling.min": 2,
    "llmchain:scaling.max": 7,
    "llmchain:alerts.email": "ops@example.com",
    "llmchain:tags": {"team": "ml"},
}
PROVIDER_SETTINGS: dict[str, dict[str, Any]] = {"gcp": {"gcp:project": "demo-project"}}


def cloud_plan(stack: str, mode: str, **overrides: Any) -> Plan:
    """The stack in `mode` with OPTIONS and `overrides`, built once per session (read only)."""
    config = {**PROVIDER_SETTINGS.get(stack, {}), "llmchain:compute": mode, **OPTIONS, **overrides}
    return SHARED.get(stack, config, {"llmchain:apiKeys": API_KEY})


def session_plans() -> Iterator[Plans]:
    """The shared cache for a session fixture; fails the session when a test changed a plan."""
    yield SHARED
    changed = SHARED.changed()
    assert not changed, f"a test changed shared plans (deepcopy before editing): {changed}"
