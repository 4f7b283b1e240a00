"""infra.plan_snapshot: what a refactor may not change, and what it may (parents, components)."""

from __future__ import annotations

import copy
import json

from infra.plan import run_plan
from infra.plan_snapshot import CHECKOUT, ROOT, component_changes, diff, short_urn, snapshot


def test_short_urn_drops_the_parents() -> None:
    urn = "urn:pulumi:aws::llmchain::llmchain:aws:AwsTarget$llmchain:aws:Vm$aws:ec2/x:X::a-b"
    assert short_urn(urn) == "aws:ec2/x:X::a-b"


def test_a_moved_resource_is_the_same_and_a_changed_input_is_not() -> None:
    plan = run_plan("dev")
    before = snapshot(plan)
    assert diff(before, snapshot(run_plan("dev"))) == []
    container = next(r for r in plan.resources if r.type == "docker:index/container:Container")
    # Re-parented: every URN naming it changes, the snapshot does not.
    for r in plan.resources:
        if r.urn == container.urn:
            r.urn = r.urn.replace("llmchain:local:LocalTarget$", "llmchain:local:Other$")
    assert diff(before, snapshot(plan)) == []
    changed = copy.deepcopy(before)
    key = "docker:index/container:Container::llmchain-dev-app"
    changed["custom"][key]["inputs"]["user"] = "0"
    (line,) = diff(before, changed)
    assert line.startswith(f"custom changed: {key} inputs: ")
    renamed = copy.deepcopy(before)
    renamed["components"] = [c.replace("LocalTarget", "Local") for c in renamed["components"]]
    assert diff(before, renamed) == []  # a component rename is reported apart
    assert component_changes(before, renamed) == [
        "component gone: llmchain:local:LocalTarget::llmchain-dev",
        "component new: llmchain:local:Local::llmchain-dev",
    ]


def test_the_checkouts_path_is_left_out() -> None:
    """A snapshot written in a worktree of the commit before a change (its own path in the
    image's build context) compares equal with one written here."""
    plan = run_plan("dev")
    text = json.dumps(plan.to_json())
    assert str(ROOT) in text  # the build context names this checkout
    written = json.dumps(snapshot(plan))
    assert str(ROOT) not in written
    assert f"{CHECKOUT}/app" in written
