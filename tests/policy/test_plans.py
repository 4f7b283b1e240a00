"""Every stack, in every compute mode, passes every mandatory rule (offline, under mocks)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.plan import Plan
from policy.guardrails import RULES, Resource, Violation, evaluate
from tests.infra.plan_cache import Plans

GCP = {"gcp:project": "demo-project"}
DOMAIN_AWS = {
    "llmchain:ingress.domain": "api.example.com",
    "llmchain:aws.hostedZoneId": "Z0123456789ABC",
}
SECRETS = {"llmchain:apiKeys": "k-0123456789", "llmchain:langsmithApiKey": "lsv2_pt_0123456789"}

# (stack, config) for each compute mode of each cloud, and the variants that change security:
# a domain (HTTPS), private ingress, high availability, a provider with a key.
STACKS: list[tuple[str, dict[str, Any]]] = [
    ("dev", {}),
    *[("aws", {"llmchain:compute": mode}) for mode in ("serverless", "vm", "cluster")],
    *[("azure", {"llmchain:compute": mode}) for mode in ("serverless", "vm", "cluster")],
    *[("gcp", {**GCP, "llmchain:compute": mode}) for mode in ("serverless", "vm", "cluster")],
    ("aws", {"llmchain:compute": "serverless", **DOMAIN_AWS}),
    ("aws", {"llmchain:compute": "vm", **DOMAIN_AWS, "llmchain:ha": True}),
    ("aws", {"llmchain:compute": "serverless", "llmchain:ingress.public": False}),
    ("gcp", {**GCP, "llmchain:compute": "vm", "llmchain:ingress.domain": "api.example.com"}),
    ("gcp", {**GCP, "llmchain:compute": "serverless", "llmchain:ingress.public": False}),
    (
        "azure",
        {
            "llmchain:compute": "serverless",
            "llmchain:ingress.public": False,
            "llmchain:ha": True,
            # Zone-redundant HA needs a General Purpose server; the config refuses Burstable.
            "llmchain:database.instance": "Standard_D2ds_v5",
        },
    ),
    (
        "aws",
        {
            "llmchain:compute": "serverless",
            "llmchain:llm.provider": "openai",
            "llmchain:image.providers": "openai",
        },
    ),
]


def resources(plan: Plan) -> list[Resource]:
    return [Resource(r.type, r.name, r.inputs, r.urn) for r in plan.resources]


def plan_for(plans: Plans, stack: str, config: dict[str, Any]) -> Plan:
    secrets = dict(SECRETS)
    if config.get("llmchain:llm.provider") == "openai":
        secrets["llmchain:openaiApiKey"] = "sk-test-0123456789abcdefghij"
    return plans.get(stack, config, secrets)


def label(case: tuple[str, dict[str, Any]]) -> str:
    stack, config = case
    extra = [f"{k.split(':', 1)[1]}={v}" for k, v in config.items() if k not in ("gcp:project",)]
    return "-".join([stack, *extra]) or stack


@pytest.mark.parametrize("case", STACKS, ids=[label(c) for c in STACKS])
def test_stack_has_no_mandatory_violation(case: tuple[str, dict[str, Any]], plans: Plans) -> None:
    stack, config = case
    plan = plan_for(plans, stack, config)
    found = evaluate(resources(plan))
    mandatory = [f"{v.rule} on {v.resource}: {v.message}" for v in found if v.level == "mandatory"]
    assert mandatory == []
    # Advisories are expected only where a cloud lacks a switch (ACR, GCP's scanning API).
    assert {v.rule for v in found} <= {"registry-scanning-gaps"}


def test_the_rules_reach_every_cloud(plans: Plans) -> None:
    """The plans hold resources of the types the rules examine: no rule passes for lack of input."""
    seen: set[str] = set()
    for stack, config in STACKS[:10]:
        seen |= {r.type for r in plan_for(plans, stack, config).resources}
    examined = {rule.name: seen & set(rule.types) for rule in RULES}
    assert [name for name, types in examined.items() if not types] == []


def test_a_weakened_stack_fails(plans: Plans) -> None:
    """The same rules catch what a hand edit would break in a real plan."""
    plan = plan_for(plans, "aws", {"llmchain:compute": "serverless"})
    weakened = []
    for resource in resources(plan):
        props = dict(resource.props)
        if resource.type == "aws:rds/instance:Instance":
            props["publiclyAccessible"] = True
        if resource.type == "aws:ecr/repository:Repository":
            props["imageTagMutability"] = "MUTABLE"
        weakened.append(Resource(resource.type, resource.name, props, resource.urn))
    found: list[Violation] = [v for v in evaluate(weakened) if v.level == "mandatory"]
    assert {v.rule for v in found} == {
        "database-private-encrypted-backed-up",
        "registry-immutable-and-scanned",
    }


@pytest.mark.parametrize(
    ("stack", "config", "http_type"),
    [
        ("aws", {"llmchain:compute": "serverless", **DOMAIN_AWS}, "aws:lb/listener:Listener"),
        (
            "gcp",
            {**GCP, "llmchain:compute": "vm", "llmchain:ingress.domain": "api.example.com"},
            "gcp:compute/uRLMap:URLMap",
        ),
    ],
)
def test_with_a_domain_http_must_redirect(
    stack: str, config: dict[str, Any], http_type: str, plans: Plans
) -> None:
    """The domain plans pass because HTTP redirects; without the redirect they fail."""
    weakened = []
    for resource in resources(plan_for(plans, stack, config)):
        props = {
            k: v
            for k, v in resource.props.items()
            if k not in ("defaultUrlRedirect", "defaultActions")
        }
        if resource.type == http_type:
            if "defaultActions" in resource.props:
                props["defaultActions"] = [{"type": "forward", "targetGroupArn": "tg"}]
            resource = Resource(resource.type, resource.name, props, resource.urn)
        weakened.append(resource)
    found = [v for v in evaluate(weakened) if v.rule == "https-when-domain"]
    assert found and all("does not redirect to HTTPS" in v.message for v in found)


def test_the_plan_command_checks_a_stack_against_the_pack(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    from infra.plan import main

    assert main(["--stack", "azure", "--policy"]) == 0
    out = capsys.readouterr().out
    assert "advisory  registry-scanning-gaps: llmchain-azure-acr: ACR has no scan-on-push" in out
    assert "0 mandatory and 1 advisory findings" in out
    strict = tmp_path / "strict.json"
    strict.write_text('{"registry-scanning-gaps": "mandatory"}')
    assert main(["--stack", "azure", "--policy", "--policy-config", str(strict)]) == 1
    assert "1 mandatory and 0 advisory findings" in capsys.readouterr().out
