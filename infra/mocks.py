"""Pulumi mocks for the offline plan: plausible computed outputs and answers to every invoke."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pulumi

ACCOUNT = "123456789012"
REGION = "us-east-1"
UNKNOWN_INVOKE = "the offline plan has no answer for invoke"


def fake_digest(seed: str) -> str:
    """A stable `sha256:...` digest for a name."""
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def _docker_build_image(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    digest = fake_digest(name)
    tags = inputs.get("tags") or [f"{name}:latest"]
    ref = f"{tags[0].rsplit(':', 1)[0]}@{digest}" if inputs.get("push") else tags[0]
    return {"digest": digest, "ref": ref, "contextHash": fake_digest(f"ctx-{name}")[7:]}


def _named(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"name": inputs.get("name") or name}


# type token -> extra outputs the provider would compute
COMPUTED: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
    "docker-build:index:Image": _docker_build_image,
    "docker:index/network:Network": _named,
    "docker:index/volume:Volume": _named,
    "docker:index/container:Container": _named,
}

# invoke token -> its answer
INVOKES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}


class PlanMocks(pulumi.runtime.Mocks):
    """Echo inputs, add what the provider would compute, answer invokes from a table."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        """A resource's id and state: its inputs plus computed outputs for its type."""
        state = dict(args.inputs)
        computed = COMPUTED.get(args.typ)
        if computed is not None:
            state.update(computed(args.name, args.inputs))
        state.setdefault("arn", f"arn:aws:mock:{REGION}:{ACCOUNT}:{args.name}")
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        """An invoke's answer; an invoke the table does not know fails the plan by name."""
        answer = INVOKES.get(args.token)
        if answer is None:
            raise NotImplementedError(f"{UNKNOWN_INVOKE} {args.token!r}: add it to infra/mocks.py")
        return answer(args.args), None
