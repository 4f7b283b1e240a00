"""Price a plan: every resource through its rule, plus the model calls at the assumed volume."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from infra.cost.free import FREE
from infra.cost.model import Assumptions, Estimate, Line
from infra.cost.prices import READ, Price
from infra.cost.rules import RULES

if TYPE_CHECKING:
    from infra.plan import Plan

REGION_KEYS = ("aws:region", "azure-native:location", "gcp:region")
PRICES_ENV = "LLMCHAIN_PRICES"


class UnknownResourceType(Exception):
    """A plan holds a type that is neither priced nor listed as free."""


def model_prices(app_settings: dict[str, Any] | None = None) -> tuple[dict[str, Any], str]:
    """The service's model price table, as the service would read it, and where it came from.

    The app reads LLMCHAIN_PRICES (JSON, USD per million tokens, in and out) and otherwise uses
    its DEFAULT_PRICES (app/core/config.py); a stack passes it through llmchain:appSettings.
    """
    for source, raw in (
        ("llmchain:appSettings.LLMCHAIN_PRICES", (app_settings or {}).get(PRICES_ENV)),
        (f"${PRICES_ENV}", os.environ.get(PRICES_ENV)),
    ):
        if raw:
            table = json.loads(raw) if isinstance(raw, str) else raw
            return dict(table), source
    # Imported here: the Pulumi program itself never needs the app's settings module.
    from app.core.config import DEFAULT_PRICES

    return dict(DEFAULT_PRICES), "app/core/config.py DEFAULT_PRICES"


def _model(plan: Plan) -> tuple[str, str]:
    """The provider and model the stack deploys."""
    from app.core.config import DEFAULT_MODELS, Provider

    llm = plan.config.get("llmchain:llm") or {}
    if isinstance(llm, str):
        llm = json.loads(llm)
    cloud = str(plan.config.get("llmchain:cloud", "local"))
    default_provider = {"aws": "bedrock", "azure": "azure-openai", "gcp": "vertexai"}
    provider = str(llm.get("provider") or default_provider.get(cloud, "fake"))
    model = str(llm.get("model") or DEFAULT_MODELS.get(Provider(provider), ""))
    return provider, model


def model_line(plan: Plan, a: Assumptions) -> Line:
    """Model calls: USD per 1,000 requests at the assumed tokens, from LLMCHAIN_PRICES."""
    settings = plan.config.get("llmchain:appSettings") or {}
    if isinstance(settings, str):
        settings = json.loads(settings)
    table, source = model_prices(settings)
    provider, model = _model(plan)
    pair = table.get(model)
    usd = None
    if pair is not None:
        usd = (float(pair[0]) * a.tokens_in + float(pair[1]) * a.tokens_out) / 1e6 * 1000
    row = Price(
        f"model.{model}",
        usd,
        "1,000 requests",
        provider,
        source,
        READ,
        note="" if pair else f"{model} has no price in {source}: set {PRICES_ENV}",
    )
    return Line(
        "model",
        f"{provider} {model}, {a.requests:g} requests",
        row.key,
        a.requests / 1000,
        custom=row,
    )


def estimate(plan: Plan, a: Assumptions | None = None) -> Estimate:
    """Every costed line of a plan; fails on a resource type neither priced nor free."""
    a = a or Assumptions()
    region = next((str(plan.config[k]) for k in REGION_KEYS if k in plan.config), "local")
    result = Estimate(
        stack=plan.stack,
        cloud=str(plan.config.get("llmchain:cloud", "local")),
        region=region,
        compute=str(plan.config.get("llmchain:compute", "serverless")),
        assumptions=a,
    )
    unknown = sorted({r.type for r in plan.resources if r.custom} - set(RULES) - set(FREE))
    if unknown:
        raise UnknownResourceType(
            "no price rule and no free reason for: "
            + ", ".join(unknown)
            + " (add one to infra/cost/rules.py or infra/cost/free.py)"
        )
    for resource in plan.resources:
        rule = RULES.get(resource.type)
        if resource.custom and rule is not None:
            result.lines.extend(rule(resource, plan, a))
    result.lines.append(model_line(plan, a))
    return result
