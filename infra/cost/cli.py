"""The assumption flags shared by `python -m infra.plan --cost` and `python -m infra.cost`."""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from typing import TYPE_CHECKING

from infra.cost.model import Assumptions

if TYPE_CHECKING:
    from infra.plan import Plan

_HELP = {
    "hours": "hours per month",
    "log_gb": "application log GB ingested per month",
    "flow_log_gb": "VPC flow log GB per month (AWS)",
    "requests": "requests per month",
    "request_seconds": "billable seconds per request (Cloud Run)",
    "tokens_in": "model input tokens per request",
    "tokens_out": "model output tokens per request",
    "nat_gb": "GB through each NAT gateway per month",
    "lb_gb": "GB through each load balancer per month",
    "lcu": "average ALB LCUs / NLB NLCUs per hour",
    "secret_reads": "reads per secret per month",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One `--name` flag per assumption, defaulting to Assumptions()."""
    defaults = Assumptions()
    group = parser.add_argument_group("cost assumptions (with --cost)")
    for f in fields(Assumptions):
        group.add_argument(
            "--" + f.name.replace("_", "-"),
            type=float,
            default=getattr(defaults, f.name),
            metavar="N",
            help=f"{_HELP[f.name]} (default {getattr(defaults, f.name):g})",
        )


def assumptions(args: argparse.Namespace) -> Assumptions:
    """The assumptions the flags set; a negative value is refused."""
    values = {f.name: getattr(args, f.name) for f in fields(Assumptions)}
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"--{name.replace('_', '-')}={value:g}: must be 0 or more")
    return Assumptions(**values)


def print_estimate(plan: Plan, args: argparse.Namespace) -> int:
    """`--cost`: print the plan's estimate; a bad flag or an unpriced type exits 2."""
    from infra.cost.estimate import UnknownResourceType, estimate
    from infra.cost.render import text

    try:
        print(text(estimate(plan, assumptions(args))))
    except (ValueError, UnknownResourceType) as exc:
        print(f"llmchain: {exc}", file=sys.stderr)
        return 2
    return 0
