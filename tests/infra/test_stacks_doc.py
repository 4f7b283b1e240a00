"""docs/stacks.md shows what the program creates today, with ids a reader can follow."""

from __future__ import annotations

import pytest

from infra import stacks_doc
from infra.plan import Resource, mermaid_ids
from tests.infra.plan_cache import Plans


def test_the_stacks_document_is_current(plans: Plans, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regenerate with `python -m infra.stacks_doc` after a change to what a stack creates."""
    monkeypatch.setattr(stacks_doc, "run_plan", plans.get)  # the session's plans, built once
    assert stacks_doc.DOC.read_text() == stacks_doc.render(), (
        "docs/stacks.md is stale: run python -m infra.stacks_doc"
    )


def _resource(urn: str, type_: str, name: str) -> Resource:
    return Resource(urn=urn, type=type_, name=name, parent=None, custom=True, inputs={})


def test_diagram_ids_name_the_resource_and_stay_unique() -> None:
    """A node id says what it is (not r17), and two same-named resources get two ids."""
    ids = mermaid_ids(
        [
            _resource("u1", "aws:ecs/service:Service", "llmchain-aws"),
            _resource("u2", "aws:ecs/service:Service", "llmchain-aws"),
            _resource("u3", "pulumi:providers:aws", "default"),
        ]
    )
    assert ids == {
        "u1": "Service_llmchain_aws",
        "u2": "Service_llmchain_aws_2",
        "u3": "aws_default",
    }
