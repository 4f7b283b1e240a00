"""Every stack key takes effect where it is set, or the config refuses it naming key, place, reason."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from infra.config import (
    COMPUTE_BY_CLOUD,
    HONOURED_EVERYWHERE,
    KEY_SUPPORT,
    KNOWN_GAPS,
    NAMESPACE,
    SECRET_KEYS,
    Cloud,
    Compute,
    StackConfig,
    describe,
)
from infra.config_docs import keys
from infra.plan import PlanConfigError, load_stack_file, run_plan
from tests.infra.plan_cache import Plans

STACK_OF = {Cloud.LOCAL: "dev", Cloud.AWS: "aws", Cloud.AZURE: "azure", Cloud.GCP: "gcp"}
ZONE_ID = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/dns/providers/"
    "Microsoft.Network/dnszones/example.com"
)
# A value other than the default for every key in the table, valid on its own.
SAMPLES: dict[str, Any] = {
    "llm.baseUrl": "http://models.internal:11434/v1",
    "scaling.min": 2,
    "scaling.max": 5,
    "scaling.concurrency": 20,
    "ingress.domain": "api.example.com",
    "ingress.port": 9090,
    "alerts.email": "ops@example.com",
    "monitoring.logRetentionDays": 90,
    "monitoring.errorRatePercent": 2.5,
    "monitoring.latencyP95Ms": 3000,
    "ha": True,
    "database.deletionProtection": False,
    "database.instance": "db.t4g.small",
    "aws.hostedZoneId": "Z0123456789ABCDEFGHIJ",
    "aws.instanceType": "t3.large",
    "aws.nodeInstanceType": "t3.large",
    "aws.fargateSpot": 50,
    "azure.vmSize": "Standard_B2ms",
    "azure.nodeVmSize": "Standard_D4s_v5",
    "azure.purgeProtection": False,
    "azure.openaiModelVersion": "2025-04-15",
    "azure.openaiCapacity": 20,
    "azure.kubernetesVersion": "1.34",
    "azure.adminGroupObjectIds": ["00000000-1111-2222-3333-444444444444"],
    "azure.authorizedIpRanges": ["203.0.113.0/24"],
    "azure.dnsZoneId": ZONE_ID,
    "gcp.machineType": "e2-medium",
    "gcp.deletionProtection": False,
    "gcp.modelLocation": "us-central1",
    "gcp.authorizedNetworks": ["203.0.113.0/24"],
}
# What a key needs beside it to be honoured (KEY_SUPPORT's conditions, the domain's zone).
COMPANIONS: dict[str, dict[str, Any]] = {
    "llm.baseUrl": {"llm.provider": "openai-compatible", "image.providers": "openai-compatible"},
    "aws.hostedZoneId": {"ingress.domain": "api.example.com"},
    "azure.dnsZoneId": {"ingress.domain": "api.example.com"},
    "azure.openaiModelVersion": {"llm.provider": "azure-openai"},
    "azure.openaiCapacity": {"llm.provider": "azure-openai"},
    "gcp.modelLocation": {"llm.provider": "vertexai"},
}
# What a key needs beside it on a place with a condition of its own (Support.only_if).
PLACE_COMPANIONS: dict[tuple[str, Cloud, Compute], dict[str, Any]] = {
    (key, Cloud.AZURE, compute): {
        "ingress.domain": "api.example.com",
        "azure.dnsZoneId": ZONE_ID,
    }
    for key, compute in (
        ("monitoring.errorRatePercent", Compute.VM),
        ("monitoring.latencyP95Ms", Compute.VM),
        ("azure.purgeProtection", Compute.CLUSTER),  # AKS: only the certificate's vault
    )
}
# Keys that cannot be unset where they are honoured (a domain needs its zone...): another value.
ALTERNATES: dict[str, Any] = {
    "llm.baseUrl": "http://other.internal:8000/v1",
    "ingress.domain": "www.example.com",
    "aws.hostedZoneId": "Z9999999999999999999",
    "azure.dnsZoneId": ZONE_ID.replace("/dns/", "/dns2/"),
}
DOMAIN_ZONE = {
    Cloud.AWS: {"aws.hostedZoneId": SAMPLES["aws.hostedZoneId"]},
    Cloud.AZURE: {"azure.dnsZoneId": ZONE_ID},
}


def stack_raw(cloud: Cloud, compute: Compute) -> dict[str, Any]:
    """The cloud's stack file as the program gets it (`llmchain:` stripped), in one mode."""
    raw = {
        key.removeprefix(f"{NAMESPACE}:"): copy.deepcopy(value)
        for key, value in load_stack_file(STACK_OF[cloud]).items()
        if key.startswith(f"{NAMESPACE}:")
    }
    raw["compute"] = compute.value
    return raw


def set_key(raw: dict[str, Any], key: str, value: Any) -> None:
    """`scaling.min` -> raw["scaling"]["min"], as `pulumi config set --path`."""
    *sections, last = key.split(".")
    node = raw
    for part in sections:
        node = node.setdefault(part, {})
    node[last] = value


def validate(raw: dict[str, Any]) -> str:
    """'' when the config is accepted, else the message users see."""
    try:
        StackConfig.model_validate(raw, context={"secrets": list(SECRET_KEYS)})
    except ValidationError as exc:
        return describe(exc)
    return ""


def places() -> list[tuple[Cloud, Compute]]:
    return [
        (cloud, compute) for cloud, computes in COMPUTE_BY_CLOUD.items() for compute in computes
    ]


def test_every_key_is_in_the_table_or_honoured_everywhere() -> None:
    """A new key must be placed: honoured everywhere, or where it is (and refused elsewhere)."""
    every = [key.key for key in keys()]
    assert sorted(set(KEY_SUPPORT) | set(HONOURED_EVERYWHERE)) == sorted(every)
    assert set(KEY_SUPPORT) & set(HONOURED_EVERYWHERE) == set()
    assert set(KNOWN_GAPS) <= set(every)
    assert set(SAMPLES) == set(KEY_SUPPORT)  # every table entry is walked below


REFUSED = [
    pytest.param(key, cloud, compute, id=f"{key}-{cloud.value}-{compute.value}")
    for key, support in KEY_SUPPORT.items()
    for cloud, compute in places()
    if compute not in support.places.get(cloud, ())
]


@pytest.mark.parametrize(("key", "cloud", "compute"), REFUSED)
def test_a_key_is_refused_where_it_has_no_effect(key: str, cloud: Cloud, compute: Compute) -> None:
    raw = stack_raw(cloud, compute)
    for companion, value in COMPANIONS.get(key, {}).items():
        if companion != "ingress.domain":  # refused on its own where the zone key is
            set_key(raw, companion, value)
    set_key(raw, key, SAMPLES[key])
    message = validate(raw)
    if key == "ingress.domain":  # its own refusal, older than the table (DOMAIN_SUPPORT)
        assert f"llmchain:ingress.domain='api.example.com': on {cloud.value}" in message
        return
    assert f"{NAMESPACE}:{key}=" in message, message
    assert f"has no effect on {cloud.value} {compute.value}: {KEY_SUPPORT[key].reason}" in message


CONDITIONAL = [
    pytest.param(key, cloud, compute, id=f"{key}-{cloud.value}-{compute.value}")
    for key, support in KEY_SUPPORT.items()
    if support.when is not None
    for cloud, computes in support.places.items()
    for compute in computes[:1]
]
# Conditions of one place only (azure vm needs a domain for the HTTP alarms, say).
PLACE_CONDITIONAL = [
    pytest.param(key, cloud, compute, id=f"{key}-{cloud.value}-{compute.value}")
    for key, support in KEY_SUPPORT.items()
    for cloud, compute in support.only_if
]


def test_every_place_condition_is_walked() -> None:
    """A place condition added to the table must say what satisfies it, here."""
    assert {(p.values[0], p.values[1], p.values[2]) for p in PLACE_CONDITIONAL} == set(
        PLACE_COMPANIONS
    )
    for key, cloud, compute in PLACE_COMPANIONS:
        assert compute in KEY_SUPPORT[key].places[cloud]  # a condition on a place it is honoured


@pytest.mark.parametrize(("key", "cloud", "compute"), PLACE_CONDITIONAL)
def test_a_place_condition_is_needed_there_only(key: str, cloud: Cloud, compute: Compute) -> None:
    """monitoring.* on azure vm: accepted with a domain, refused without one naming it."""
    support = KEY_SUPPORT[key]
    with_condition = stack_raw(cloud, compute)
    for companion, value in PLACE_COMPANIONS[(key, cloud, compute)].items():
        set_key(with_condition, companion, value)
    set_key(with_condition, key, SAMPLES[key])
    assert validate(with_condition) == ""
    without = stack_raw(cloud, compute)
    set_key(without, key, SAMPLES[key])
    message = validate(without)
    place = support.only_if[(cloud, compute)]
    assert f"{NAMESPACE}:{key}=" in message, message
    assert f"has no effect on {cloud.value} {compute.value}: {place.reason}" in message, message
    assert f"{place.remedy} or unset it" in message, message
    # Every other place of the key takes it without that condition's companions.
    for other_cloud, computes in support.places.items():
        for other in computes:
            if (other_cloud, other) in support.only_if:
                continue
            raw = stack_raw(other_cloud, other)
            for companion, value in COMPANIONS.get(key, {}).items():
                set_key(raw, companion, value)
            set_key(raw, key, SAMPLES[key])
            assert f"{NAMESPACE}:{key}=" not in validate(raw), (other_cloud, other)


@pytest.mark.parametrize(("key", "cloud", "compute"), CONDITIONAL)
def test_a_conditional_key_is_honoured_with_its_condition_only(
    key: str, cloud: Cloud, compute: Compute
) -> None:
    """`database.instance` with a database is accepted; with `memory.backend: memory` refused."""
    with_condition = stack_raw(cloud, compute)
    for companion, value in COMPANIONS.get(key, {}).items():
        set_key(with_condition, companion, value)
    set_key(with_condition, key, SAMPLES[key])
    assert validate(with_condition) == ""
    without = stack_raw(cloud, compute)
    if key.startswith("database."):
        set_key(without, "memory.backend", "memory")
    if key == "llm.baseUrl":
        set_key(without, "llm.provider", "fake")
    if key.startswith("azure.openai"):
        set_key(without, "llm.provider", "fake")
    if key == "gcp.modelLocation":
        set_key(without, "llm.provider", "fake")
    set_key(without, key, SAMPLES[key])
    message = validate(without)
    assert f"{NAMESPACE}:{key}=" in message and "has no effect on" in message, message


HONOURED = [
    pytest.param(key, cloud, compute, id=f"{key}-{cloud.value}-{compute.value}")
    for key, support in KEY_SUPPORT.items()
    for cloud, computes in support.places.items()
    for compute in computes
]


@pytest.mark.parametrize(("key", "cloud", "compute"), HONOURED)
def test_a_key_is_accepted_where_the_table_says_it_is_honoured(
    key: str, cloud: Cloud, compute: Compute
) -> None:
    raw = stack_raw(cloud, compute)
    companions = {**COMPANIONS.get(key, {}), **PLACE_COMPANIONS.get((key, cloud, compute), {})}
    if key == "ingress.domain" or "ingress.domain" in companions:
        companions.update(DOMAIN_ZONE.get(cloud, {}))
    if key == "ha" and cloud is Cloud.AZURE:
        companions["database.instance"] = "Standard_D2ds_v5"  # HA refuses Burstable (limits.py)
    for companion, value in companions.items():
        set_key(raw, companion, value)
    if key not in companions:
        set_key(raw, key, SAMPLES[key])
    assert f"{NAMESPACE}:{key}=" not in validate(raw)


def test_the_program_refuses_before_any_resource() -> None:
    with pytest.raises(PlanConfigError) as info:
        run_plan("aws", {"llmchain:compute": "vm", "llmchain:aws.fargateSpot": 50})
    assert info.value.registered == []
    assert (
        "llmchain:aws.fargateSpot=50: has no effect on aws vm: Fargate Spot is a capacity "
        "provider of ECS on Fargate (AWS serverless) (honoured on: aws serverless); unset it"
    ) in str(info.value)


def test_a_default_value_is_never_refused() -> None:
    """Writing a key's default anywhere changes nothing, so it is accepted (Pulumi.yaml does)."""
    raw = stack_raw(Cloud.LOCAL, Compute.SERVERLESS)
    raw.update(ha=False, aws={"fargateSpot": 0}, database={"deletionProtection": True})
    assert validate(raw) == ""


def test_every_refusal_is_reported_at_once() -> None:
    raw = stack_raw(Cloud.LOCAL, Compute.SERVERLESS)
    raw.update(ha=True, alerts={"email": "ops@example.com"})
    message = validate(raw)
    assert "llmchain:ha=True: has no effect on local serverless" in message
    assert "llmchain:alerts.email='ops@example.com': has no effect on local serverless" in message


def first_place(key: str) -> tuple[Cloud, Compute]:
    """Where the table says the key is honoured, a cloud before local and serverless first."""
    support = KEY_SUPPORT[key]
    for cloud in (Cloud.AWS, Cloud.GCP, Cloud.AZURE, Cloud.LOCAL):
        if support.places.get(cloud):
            return cloud, support.places[cloud][0]
    raise AssertionError(f"{key}: honoured nowhere")


def overrides(cloud: Cloud, compute: Compute, values: dict[str, Any]) -> dict[str, Any]:
    extra = {"gcp:project": "demo-project"} if cloud is Cloud.GCP else {}
    return {
        **extra,
        "llmchain:compute": compute.value,
        **{f"{NAMESPACE}:{k}": v for k, v in values.items()},
    }


def fingerprint(plans: Plans, stack: str, values: dict[str, Any]) -> list[tuple[str, str, str]]:
    """What the plan registers, inputs included (secrets hidden)."""
    plan = plans.get(stack, values)
    return sorted((r.type, r.name, repr(r.inputs)) for r in plan.resources)


@pytest.mark.parametrize("key", sorted(KEY_SUPPORT))
def test_where_a_key_is_honoured_it_changes_the_plan(key: str, plans: Plans) -> None:
    """The table's "honoured" is a claim about the program: setting the key changes what it builds."""
    cloud, compute = first_place(key)
    companions = dict(COMPANIONS.get(key, {}))
    if key == "ingress.domain" or "ingress.domain" in companions:
        companions.update(DOMAIN_ZONE.get(cloud, {}))
    # A key required where it is honoured is compared with another value of it, not unset.
    if key in ALTERNATES:
        companions[key] = ALTERNATES[key]
    stack = STACK_OF[cloud]
    base = fingerprint(plans, stack, overrides(cloud, compute, companions))
    changed = fingerprint(
        plans, stack, overrides(cloud, compute, {**companions, key: SAMPLES[key]})
    )
    assert changed != base, f"llmchain:{key} changed nothing on {cloud.value} {compute.value}"
