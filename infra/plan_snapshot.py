"""Snapshot every readiness case's plan, and compare two snapshots: a refactor's safety net.

    python -m infra.plan_snapshot --write DIR      # one JSON file per stack x compute x variant
    python -m infra.plan_snapshot --compare DIR    # exit 1 when a custom resource differs
    python -m infra.plan_snapshot --compare DIR --stack aws

A custom resource is keyed by its type and resource name, and every URN inside its inputs,
provider and dependencies is reduced to `type::name`: moving a resource under another
component (which changes its URN, and the URNs of the parents in between) leaves the
snapshot unchanged, while its type, physical name and inputs must stay identical. Components
are listed apart (type and name): a renamed component shows up there, and needs an alias.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from infra.plan import Plan, PlanConfigError, run_plan
from infra.readiness.variants import Case, matrix
from infra.spec import TAG_LENGTH

URN_PREFIX = "urn:pulumi:"
IMAGE_TAG = "<image-tag>"
CHECKOUT = "<checkout>"
ROOT = Path(__file__).resolve().parents[1]


def short_urn(urn: str) -> str:
    """`urn:pulumi:s::p::a:b:C$x:y:Z::name` -> `x:y:Z::name`: the resource without its parents."""
    body = urn.removeprefix(URN_PREFIX)
    _stack, _project, qualified, *rest = body.split("::")
    return f"{qualified.rsplit('$', 1)[-1]}::{'::'.join(rest)}"


def _normalise(value: Any, tags: frozenset[str] = frozenset()) -> Any:
    """Every URN in a value reduced to `type::name`, every image tag to `<image-tag>`, the
    checkout's path to `<checkout>`.

    The tag is a digest of app/ (infra.spec.image_tag): an edit there is not a plan change.
    """
    if isinstance(value, dict):
        return {k: _normalise(v, tags) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, tags) for v in value]
    if isinstance(value, str) and value.startswith(URN_PREFIX):
        return short_urn(value)
    if isinstance(value, str):
        for tag in tags:
            value = value.replace(tag, IMAGE_TAG)
        # The checkout's own path (the image's build context): a snapshot written in another
        # checkout, such as a worktree of the commit before a change, compares equal.
        value = value.replace(str(ROOT), CHECKOUT)
    return value


def _image_tags(plan: Plan) -> frozenset[str]:
    """The tags the plan's image builds push (`repo:tag` -> `tag`)."""
    found: set[str] = set()
    for r in plan.resources:
        if r.type == "docker-build:index:Image":
            found.update(t.rsplit(":", 1)[-1] for t in r.inputs.get("tags") or [])
    return frozenset(t for t in found if len(t) == TAG_LENGTH)


def _provider(ref: str | None) -> str | None:
    """`<provider urn>::<id>` -> `type::name`: which explicit provider, not where it sits."""
    if not ref:
        return None
    parts = ref.split("::")
    return short_urn("::".join(parts[:4]))


def snapshot(plan: Plan) -> dict[str, Any]:
    """A plan reduced to what must not change when components move or are renamed."""
    custom: dict[str, Any] = {}
    components: list[str] = []
    customs = {r.urn for r in plan.resources if r.custom}
    tags = _image_tags(plan)
    for r in plan.resources:
        key = f"{r.type}::{r.name}"
        if not r.custom:
            components.append(key)
            continue
        assert key not in custom, f"two custom resources {key}: the snapshot key is not unique"
        physical = r.inputs.get("name")
        custom[key] = {
            "type": r.type,
            "physical_name": physical if isinstance(physical, str) else r.name,
            "inputs": _normalise(r.inputs, tags),
            "provider": _provider(r.provider),
            # custom resources only: a dependency on a component reaches its custom children
            "dependencies": sorted(short_urn(d) for d in r.dependencies if d in customs),
        }
    return {
        "custom": dict(sorted(custom.items())),
        "components": sorted(components),
        "outputs": _normalise(plan.outputs, tags),
        "warnings": plan.warnings,
    }


def case_snapshot(case: Case) -> dict[str, Any]:
    """One case's snapshot; a refused configuration is recorded as its message."""
    try:
        return snapshot(run_plan(case.stack, case.overrides))
    except PlanConfigError as exc:
        return {"error": str(exc)}


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What differs between two snapshots of one case (component renames listed apart)."""
    lines: list[str] = []
    if before.get("error") != after.get("error"):
        return [f"error: {before.get('error')!r} -> {after.get('error')!r}"]
    old, new = before.get("custom", {}), after.get("custom", {})
    for key in sorted(old.keys() - new.keys()):
        lines.append(f"custom gone: {key}")
    for key in sorted(new.keys() - old.keys()):
        lines.append(f"custom new: {key}")
    for key in sorted(old.keys() & new.keys()):
        for part in ("type", "physical_name", "inputs", "provider", "dependencies"):
            if old[key][part] != new[key][part]:
                lines.append(
                    f"custom changed: {key} {part}: "
                    f"{json.dumps(old[key][part], sort_keys=True)[:300]} -> "
                    f"{json.dumps(new[key][part], sort_keys=True)[:300]}"
                )
    for part in ("outputs", "warnings"):
        if before.get(part) != after.get(part):
            lines.append(f"{part}: {before.get(part)} -> {after.get(part)}")
    return lines


def component_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Components gone and new: each rename must carry an alias to its old type token."""
    old, new = set(before.get("components", [])), set(after.get("components", []))
    return [f"component gone: {k}" for k in sorted(old - new)] + [
        f"component new: {k}" for k in sorted(new - old)
    ]


def main(argv: list[str] | None = None) -> int:
    """Write or compare the snapshots of every case."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", type=Path, metavar="DIR")
    mode.add_argument("--compare", type=Path, metavar="DIR")
    parser.add_argument("--stack", help="only this stack's cases")
    args = parser.parse_args(argv)
    failed = 0
    for case in matrix(args.stack):
        current = case_snapshot(case)
        if args.write:
            args.write.mkdir(parents=True, exist_ok=True)
            path = args.write / f"{case.id}.json"
            path.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
            print(f"{case.id}: {len(current.get('custom', {}))} custom resources")
            continue
        before = json.loads((args.compare / f"{case.id}.json").read_text())
        lines = diff(before, current)
        renames = component_changes(before, current)
        failed += bool(lines)
        print(f"{case.id}: {'DIFFERS' if lines else 'same'} ({len(renames)} component changes)")
        for line in lines + renames:
            print(f"  {line}")
    if args.compare:
        print(f"{failed} cases differ")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
