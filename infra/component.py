"""Component: the base of every llmchain component, its type token given by one rule."""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi

PREFIX = "llmchain"


def type_token(cls: type) -> str:
    """`llmchain:<package>:<Class>`, e.g. `infra.aws.vm.Vm` -> `llmchain:aws:Vm`."""
    parts = cls.__module__.split(".")
    if len(parts) < 2 or parts[0] != "infra":
        raise TypeError(f"{cls.__qualname__}: a component lives in a module under infra/")
    return f"{PREFIX}:{parts[1]}:{cls.__name__}"


def renamed(opts: pulumi.ResourceOptions | None, *former_types: str) -> pulumi.ResourceOptions:
    """`opts` plus an alias to each type token a component had before it was renamed.

    A new type token is a new URN for the component and every child: without the alias a
    deployed stack would delete and recreate them all, its database included. The engine
    derives each child's former URN from its parent's aliases, so the component's own alias
    is enough. https://www.pulumi.com/docs/iac/concepts/options/aliases/ (read 2026-11-29)
    """
    if not former_types:
        return opts or pulumi.ResourceOptions()
    aliases = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=t) for t in former_types])
    return pulumi.ResourceOptions.merge(opts, aliases)


class Component(pulumi.ComponentResource):
    """A component resource: type `llmchain:<package>:<Class>`, aliased to its former types.

    Renaming a class changes its type token, hence the URN of the component and of every
    child: name the old token in FORMER_TYPES, or a deployed stack replaces them all.
    """

    TYPE: ClassVar[str]
    FORMER_TYPES: ClassVar[tuple[str, ...]] = ()

    child: pulumi.ResourceOptions  # what the component's own resources get: parent=self

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.TYPE = type_token(cls)

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, {}, renamed(opts, *self.FORMER_TYPES))
        self.child = pulumi.ResourceOptions(parent=self)
