"""Helpers for Pulumi outputs that the standard API makes awkward (`all_dict`)."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi


def all_dict(values: Mapping[str, pulumi.Input[str]]) -> pulumi.Output[dict[str, str]]:
    """A mapping of inputs as one output of a dict (`Output.all(**{})` gives a list, not {})."""
    if not values:
        return pulumi.Output.from_input({})
    return pulumi.Output.all(**dict(values)).apply(dict)
