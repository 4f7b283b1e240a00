"""The rules as CrossGuard policies: resource rules check each resource, stack rules the stack."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import RULES
from .model import Resource, Rule

ReportViolation = Callable[..., None]


def _schema(rule: Rule) -> Any:
    """A config schema from the rule's defaults (types as JSON Schema names)."""
    from pulumi_policy import PolicyConfigSchema

    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}
    properties = {
        key: {"type": names[type(value)], "default": value} for key, value in rule.config.items()
    }
    return PolicyConfigSchema(properties=properties) if properties else None


def resource_validator(rule: Rule) -> Callable[[Any, ReportViolation], None]:
    """CrossGuard's `validate` for a resource rule."""
    assert rule.check is not None
    check = rule.check

    def validate(args: Any, report_violation: ReportViolation) -> None:
        if rule.types and args.resource_type not in rule.types:
            return
        resource = Resource(args.resource_type, args.name, args.props, args.urn)
        for message in check(resource, rule.settings(args.get_config())):
            report_violation(message, None)

    return validate


def stack_validator(rule: Rule) -> Callable[[Any, ReportViolation], None]:
    """CrossGuard's `validate` for a stack rule."""
    assert rule.stack_check is not None
    check = rule.stack_check

    def validate(args: Any, report_violation: ReportViolation) -> None:
        resources = [Resource(r.resource_type, r.name, r.props, r.urn) for r in args.resources]
        settings = rule.settings(args.get_config())
        for resource, message in check(resources, settings):
            report_violation(message, resource.urn or None)

    return validate


def build_policies(rules: tuple[Rule, ...] = RULES) -> list[Any]:
    """One CrossGuard policy per rule, at the rule's default enforcement level."""
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

    policies: list[Any] = []
    for rule in rules:
        level = EnforcementLevel(rule.level)
        if rule.check is not None:
            policies.append(
                ResourceValidationPolicy(
                    name=rule.name,
                    description=rule.description,
                    validate=resource_validator(rule),
                    enforcement_level=level,
                    config_schema=_schema(rule),
                )
            )
        else:
            policies.append(
                StackValidationPolicy(
                    name=rule.name,
                    description=rule.description,
                    validate=stack_validator(rule),
                    enforcement_level=level,
                    config_schema=_schema(rule),
                )
            )
    return policies


def describe(rules: tuple[Rule, ...] = RULES) -> Mapping[str, str]:
    """Rule name -> description (for docs and `--list`)."""
    return {rule.name: rule.description for rule in rules}
