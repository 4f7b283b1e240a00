"""Component: the base of every llmchain component, its type token given by one rule."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

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


A = TypeVar("A")  # a component's typed arguments: NetworkArgs, DatabaseArgs...


class Component(pulumi.ComponentResource, Generic[A], metaclass=ABCMeta):
    """A component resource: `build` makes its resources from its typed args, as children.

    Its type is `llmchain:<package>:<Class>`. Renaming a class changes its type token, hence
    the URN of the component and of every child: name the old token in FORMER_TYPES, or a
    deployed stack replaces them all.
    """

    TYPE: ClassVar[str]
    FORMER_TYPES: ClassVar[tuple[str, ...]] = ()

    child: pulumi.ResourceOptions  # what the component's own resources get: parent=self

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "TYPE" not in vars(cls):  # set by hand only by tests' throwaway classes
            cls.TYPE = type_token(cls)

    def __init__(self, name: str, args: A, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, {}, renamed(opts, *self.FORMER_TYPES))
        self.child = pulumi.ResourceOptions(parent=self)
        self.build(name, args)

    @abstractmethod
    def build(self, name: str, args: A) -> None:
        """Create the component's resources (options `self.child`) and register its outputs."""


T = TypeVar("T")


def extended(cls: type[T], base: object, **more: Any) -> T:
    """`cls`, a dataclass subclassing `base`'s class, from `base`'s fields and its own (`more`)."""
    if not issubclass(cls, type(base)):
        raise TypeError(f"{cls.__name__} does not extend {type(base).__name__}")
    return cls(**vars(base), **more)
