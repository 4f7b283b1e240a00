"""Small hand-built plans for the readiness rules' failing and passing fixtures."""

from __future__ import annotations

from typing import Any

from infra.plan import Plan, Resource

PROVIDER = "urn:pulumi:t::llmchain::pulumi:providers:aws::default::id"


def res(
    type_token: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    deps: list[Resource] | None = None,
    provider: str | None = PROVIDER,
    props: dict[str, list[Resource]] | None = None,
) -> Resource:
    """A recorded resource: its URN from type and name, its dependencies as given."""
    dependencies = {d.urn for d in deps or []} | {
        d.urn for ds in (props or {}).values() for d in ds
    }
    return Resource(
        urn=f"urn:pulumi:t::llmchain::{type_token}::{name}",
        type=type_token,
        name=name,
        parent=None,
        custom=True,
        inputs=inputs or {},
        provider=provider,
        dependencies=sorted(dependencies),
        property_dependencies={k: sorted(d.urn for d in v) for k, v in (props or {}).items()},
    )


def plan_of(*resources: Resource) -> Plan:
    """A plan holding just these resources."""
    return Plan(stack="t", resources=list(resources))
