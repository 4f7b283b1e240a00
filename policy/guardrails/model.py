"""What a rule sees and says: resources, violations, the rule record, and property helpers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Level = Literal["mandatory", "advisory"]


@dataclass(frozen=True)
class Resource:
    """A resource as a policy sees it: its type token, name, URN and input properties."""

    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""


@dataclass(frozen=True)
class Violation:
    """One finding: which rule, how serious, on which resource, and what is wrong."""

    rule: str
    level: Level
    resource: str
    message: str


ResourceCheck = Callable[[Resource, Mapping[str, Any]], Iterable[str]]
StackCheck = Callable[[list[Resource], Mapping[str, Any]], Iterable[tuple[Resource, str]]]


@dataclass(frozen=True)
class Rule:
    """A named rule: a check of one resource or of the whole stack, and its default level.

    `config` is the rule's settings with their defaults; a pack config file (`pulumi preview
    --policy-pack-config`) may override them, and the rule's enforcement level.
    """

    name: str
    description: str
    level: Level
    check: ResourceCheck | None = None
    stack_check: StackCheck | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    types: tuple[str, ...] = ()  # the resource types it examines (for docs and dispatch)

    def settings(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """The rule's config: defaults, overridden by what the pack config gives."""
        merged = dict(self.config)
        merged.update({k: v for k, v in (given or {}).items() if k in self.config})
        return merged


def is_list(value: Any) -> bool:
    """A list property (CrossGuard hands lists over as read-only sequences, not lists)."""
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def get(value: Any, path: str, default: Any = None) -> Any:
    """`get(props, "a.b.0.c")`: a nested property, or `default` where any step is missing."""
    for step in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(step)
        elif is_list(value) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return default
        if value is None:
            return default
    return value


def items(value: Any) -> list[Any]:
    """A list property as a list (a JSON string is parsed; anything else is no items)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if isinstance(value, Mapping):
        return [value]
    return list(value) if is_list(value) else []


def mappings(value: Any) -> Iterator[Mapping[str, Any]]:
    """The dict entries of a list property (others skipped: unknown during preview)."""
    for item in items(value):
        if isinstance(item, Mapping):
            yield item
