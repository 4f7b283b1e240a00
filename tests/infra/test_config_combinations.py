"""Combinations the clouds' APIs refuse are refused by the config, naming the key and the allowed values."""

from __future__ import annotations

import runpy
from typing import Any

import pytest

from infra import limits
from infra.plan import ROOT, PlanConfigError, load_stack_file, plan_program, run_plan

GCP = {"gcp:project": "demo-project"}


def refused(stack: str, overrides: dict[str, Any]) -> str:
    with pytest.raises(PlanConfigError) as info:
        run_plan(stack, {**GCP, **overrides} if stack == "gcp" else overrides)
    assert info.value.registered == []  # refused before any resource
    return str(info.value)


def plans(stack: str, overrides: dict[str, Any]) -> None:
    plan = run_plan(stack, {**GCP, **overrides} if stack == "gcp" else overrides)
    assert plan.resources


def plan_named(name: str, stack_file: str, overrides: dict[str, Any]) -> Any:
    """The program under mocks as a stack called `name`, with another stack file's config."""
    config = {**load_stack_file(stack_file), **overrides}
    main_py = str(ROOT / "__main__.py")
    return plan_program(lambda: runpy.run_path(main_py, run_name="__main__"), name, config)


# --- sizes ------------------------------------------------------------------------------------

SERVERLESS = "llmchain:compute"


@pytest.mark.parametrize(
    ("stack", "cpu", "memory", "expected"),
    [
        ("aws", 0.25, 1536, "llmchain:resources.memory=1536: Fargate refuses 1536 MiB with 0.25 vCPU; allowed with 0.25 vCPU: 512, 1024, 2048"),
        ("aws", 0.5, 1536, "allowed with 0.5 vCPU: 1024, 2048, 3072, 4096"),
        ("aws", 0.75, 2048, "llmchain:resources.cpu=0.75: not a Fargate task size; allowed: 0.25, 0.5, 1, 2, 4, 8, 16"),
        ("aws", 8, 18432, "allowed with 8 vCPU: 16384, 20480, 24576"),
        ("azure", 0.5, 1536, "llmchain:resources.memory=1536: Container Apps pairs 0.5 vCPU with 1024 MiB only"),
        ("azure", 0.3, 1024, "llmchain:resources.cpu=0.3: not a Container Apps Consumption size; allowed: 0.25, 0.5, 0.75, 1"),
        ("azure", 8, 16384, "allowed: 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75, 3, 3.25, 3.5, 3.75, 4"),
        ("gcp", 1, 8192, "llmchain:resources.memory=8192: Cloud Run refuses 8192 MiB with 1 vCPU; allowed with 1 vCPU: 512 to 4096"),
        ("gcp", 4, 1024, "allowed with 4 vCPU: 2048 to 16384"),
        ("gcp", 0.5, 512, "llmchain:resources.cpu=0.5: Cloud Run takes whole vCPUs here (below 1 needs concurrency 1); allowed: 1, 2, 4, 6, 8"),
        ("gcp", 3, 4096, "allowed: 1, 2, 4, 6, 8"),
    ],
)  # fmt: skip
def test_serverless_sizes_the_platform_refuses(
    stack: str, cpu: float, memory: int, expected: str
) -> None:
    overrides = {SERVERLESS: "serverless", "llmchain:resources": {"cpu": cpu, "memory": memory}}
    assert expected in refused(stack, overrides)


@pytest.mark.parametrize(
    ("stack", "cpu", "memory"),
    [("aws", 0.25, 2048), ("aws", 0.5, 1024), ("aws", 2, 16384), ("azure", 0.25, 512),
     ("azure", 4, 8192), ("gcp", 1, 4096), ("gcp", 2, 8192), ("gcp", 8, 32768)],
)  # fmt: skip
def test_serverless_sizes_the_platform_accepts(stack: str, cpu: float, memory: int) -> None:
    plans(stack, {SERVERLESS: "serverless", "llmchain:resources": {"cpu": cpu, "memory": memory}})


def test_size_tables_do_not_apply_to_vms_and_clusters() -> None:
    plans("aws", {SERVERLESS: "vm", "llmchain:resources": {"cpu": 0.25, "memory": 1536}})


def test_program_size_helpers_agree_with_the_tables() -> None:
    """What the targets send for an accepted size is that size (no silent rounding)."""
    from infra.aws.serverless import fargate_size
    from infra.azure.serverless import container_app_size
    from infra.gcp.serverless import cloud_run_size

    for cpu, memories in limits.FARGATE_MEMORY_MIB.items():
        for memory in memories:
            if cpu <= 8 and memory <= 32768:  # the config's own bounds
                assert fargate_size(cpu, memory) == (int(cpu * 1024), memory)
    for cpu, memory in limits.CONTAINER_APPS_PAIRS.items():
        assert container_app_size(cpu, memory) == (cpu, f"{memory / 1024:g}Gi")
    for cores, (low, high) in limits.CLOUD_RUN_MEMORY_MIB.items():
        assert cloud_run_size(cores, high) == (str(cores), f"{high}Mi")
        assert cloud_run_size(cores, low) == (str(cores), f"{low}Mi")


# --- architectures ----------------------------------------------------------------------------

ARM = {"llmchain:image.platform": "linux/arm64"}


@pytest.mark.parametrize(
    ("stack", "overrides", "expected"),
    [
        ("aws", {SERVERLESS: "vm", **ARM}, "llmchain:aws.instanceType='t3.small': runs linux/amd64 but the image is linux/arm64"),
        ("aws", {SERVERLESS: "vm", **ARM}, "allowed: Graviton (a1, t4g, m7g"),
        ("aws", {SERVERLESS: "vm", "llmchain:aws.instanceType": "t4g.small"}, "llmchain:aws.instanceType='t4g.small': runs linux/arm64 but the image is linux/amd64"),
        ("aws", {SERVERLESS: "cluster", **ARM}, "llmchain:image.platform='linux/arm64': the EKS node group uses AL2023_x86_64_STANDARD"),
        ("aws", {SERVERLESS: "cluster", "llmchain:aws.nodeInstanceType": "m7g.large"}, "llmchain:aws.nodeInstanceType='m7g.large': runs linux/arm64"),
        ("azure", {SERVERLESS: "serverless", **ARM}, "llmchain:image.platform='linux/arm64': Container Apps runs linux/amd64 images only"),
        ("azure", {SERVERLESS: "vm", "llmchain:azure.vmSize": "Standard_D2ps_v5"}, "llmchain:azure.vmSize='Standard_D2ps_v5': runs linux/arm64"),
        ("azure", {SERVERLESS: "cluster", **ARM}, "llmchain:azure.nodeVmSize='Standard_D2s_v5': runs linux/amd64 but the image is linux/arm64"),
        ("azure", {SERVERLESS: "cluster", **ARM}, "allowed: Arm (Standard_D2ps_v5"),
        ("gcp", {SERVERLESS: "serverless", **ARM}, "llmchain:image.platform='linux/arm64': Cloud Run runs the Linux x86_64 ABI only"),
        ("gcp", {SERVERLESS: "vm", "llmchain:gcp.machineType": "t2a-standard-1"}, "llmchain:gcp.machineType='t2a-standard-1': runs linux/arm64"),
        ("gcp", {SERVERLESS: "cluster", **ARM}, "llmchain:image.platform='linux/arm64': Autopilot schedules pods on amd64"),
    ],
)  # fmt: skip
def test_architecture_mismatches_are_refused(
    stack: str, overrides: dict[str, Any], expected: str
) -> None:
    assert expected in refused(stack, overrides)


@pytest.mark.parametrize(
    ("stack", "overrides"),
    [
        ("aws", {SERVERLESS: "serverless", **ARM}),  # Fargate: runtimePlatform ARM64
        ("aws", {SERVERLESS: "vm", **ARM, "llmchain:aws.instanceType": "t4g.small"}),
        ("aws", {SERVERLESS: "vm", **ARM, "llmchain:aws.instanceType": "c7gn.large"}),
        ("azure", {SERVERLESS: "cluster", **ARM, "llmchain:azure.nodeVmSize": "Standard_D2ps_v5"}),
        ("gcp", {SERVERLESS: "vm", "llmchain:gcp.machineType": "c3d-standard-4"}),
    ],
)
def test_consistent_architectures_plan(stack: str, overrides: dict[str, Any]) -> None:
    plans(stack, overrides)


@pytest.mark.parametrize(
    ("instance_type", "platform"),
    [("t3.small", "linux/amd64"), ("t4g.small", "linux/arm64"), ("a1.large", "linux/arm64"),
     ("c7gn.large", "linux/arm64"), ("r8gd.xlarge", "linux/arm64"), ("g4ad.xlarge", "linux/amd64"),
     ("g5g.xlarge", "linux/arm64"), ("m7i-flex.large", "linux/amd64"), ("im4gn.large", "linux/arm64")],
)  # fmt: skip
def test_ec2_families(instance_type: str, platform: str) -> None:
    assert limits.ec2_platform(instance_type) == platform


@pytest.mark.parametrize(
    ("size", "platform"),
    [("Standard_B2s", "linux/amd64"), ("Standard_D2s_v5", "linux/amd64"),
     ("Standard_D2ps_v5", "linux/arm64"), ("Standard_B2pts_v2", "linux/arm64"),
     ("Standard_E4-2ds_v5", "linux/amd64"), ("Standard_NC4as_T4_v3", "linux/amd64")],
)  # fmt: skip
def test_azure_sizes(size: str, platform: str) -> None:
    assert limits.azure_platform(size) == platform


# --- HA vs SKU tier ---------------------------------------------------------------------------


def test_azure_ha_on_the_default_burstable_sku_is_refused() -> None:
    message = refused("azure", {SERVERLESS: "serverless", "llmchain:ha": True})
    assert (
        "llmchain:ha=True: Azure PostgreSQL Flexible Server does not support high availability "
        "on the Burstable tier with llmchain:database.instance unset (the default "
        "'Standard_B1ms'); allowed with llmchain:ha=true: a General Purpose SKU, e.g. "
        "Standard_D2ds_v5" in message
    )


def test_azure_ha_on_a_chosen_burstable_sku_names_that_key() -> None:
    overrides = {"llmchain:ha": True, "llmchain:database.instance": "Standard_B2s"}
    assert "llmchain:database.instance='Standard_B2s': Azure PostgreSQL" in refused(
        "azure", overrides
    )


def test_azure_ha_on_general_purpose_or_without_a_database_plans() -> None:
    plans("azure", {"llmchain:ha": True, "llmchain:database.instance": "Standard_D2ds_v5"})
    plans("azure", {"llmchain:ha": True, "llmchain:memory.backend": "memory"})
    plans("azure", {"llmchain:database.instance": "Standard_B2s"})  # no HA: Burstable is fine


# --- labels -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "overrides", "expected"),
    [
        ("gcp", {"llmchain:tags": {"Team": "ml"}}, "llmchain:tags.Team='ml': GCP labels take lowercase letters"),
        ("gcp", {"llmchain:tags": {"team": "ML"}}, "llmchain:tags.team='ML': GCP labels"),
        ("gcp", {"llmchain:tags": {"cost.center": "a1"}}, "llmchain:tags.cost.center='a1': GCP labels"),
        ("azure", {"llmchain:tags": {"team/sub": "ml"}}, "llmchain:tags.team/sub='ml': Azure tag names may not contain"),
        ("aws", {SERVERLESS: "cluster", "llmchain:tags": {"team": "ml platform"}}, "llmchain:tags.team='ml platform': cluster mode puts tags on Kubernetes objects"),
    ],
)  # fmt: skip
def test_labels_the_cloud_refuses(stack: str, overrides: dict[str, Any], expected: str) -> None:
    assert expected in refused(stack, overrides)


def test_tag_keys_refuse_what_no_cloud_takes() -> None:
    """`<`, `>`, `?` were inside the old key pattern's `+-@` range and reached every cloud."""
    assert "llmchain:tags" in refused("aws", {"llmchain:tags": {"a<b": "x"}})


@pytest.mark.parametrize(
    ("stack", "overrides"),
    [
        ("gcp", {"llmchain:tags": {"team": "ml-platform", "cost_center": "c42"}}),
        ("azure", {"llmchain:tags": {"Team": "ML Platform"}}),
        ("aws", {"llmchain:tags": {"Team": "ML Platform"}}),  # EC2 tags allow these
    ],
)
def test_labels_the_cloud_accepts(stack: str, overrides: dict[str, Any]) -> None:
    plans(stack, overrides)


# --- names built from the stack name ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stack_file", "overrides", "expected"),
    [
        ("production-eu", "aws", {}, "stack 'production-eu': the ALB (aws:lb:LoadBalancer, auto-named) would be 'llmchain-production-eu-alb-abcdefg'; the API accepts at most 32"),
        ("Prod", "aws", {}, "stack 'Prod': the ECR repository would be 'llmchain-Prod'"),
        ("prod_eu", "azure", {}, "stack 'prod_eu': the container registry would be 'llmchainprod_euabc123'"),
        ("customer-facing-staging-eu", "azure", {}, "the Container App would be 'llmchain-customer-facing-staging-eu'"),
        ("dev.eu", "gcp", GCP, "stack 'dev.eu': the service account id"),
        ("Staging", "gcp", GCP, "the `stack` label would be 'Staging'"),
        ("a-very-long-stack-name", "gcp", {**GCP, "llmchain:compute": "cluster"}, "the GKE cluster (auto-named) would be"),
        ("team-", "aws", {"llmchain:compute": "cluster"}, "the RDS instance identifier would be 'llmchain-team--memory'"),
    ],
)  # fmt: skip
def test_stack_names_the_clouds_refuse(
    name: str, stack_file: str, overrides: dict[str, Any], expected: str
) -> None:
    with pytest.raises(PlanConfigError) as info:
        plan_named(name, stack_file, overrides)
    assert info.value.registered == []
    assert expected in str(info.value)
    assert "allowed on" in str(info.value)


@pytest.mark.parametrize(
    ("name", "stack_file", "overrides"),
    [("prod", "aws", {}), ("prod-eu1", "aws", {}), ("prod-eu", "azure", {}),
     ("staging-2", "gcp", GCP), ("prod", "gcp", {**GCP, "llmchain:compute": "cluster"})],
)  # fmt: skip
def test_stack_names_the_clouds_accept(
    name: str, stack_file: str, overrides: dict[str, Any]
) -> None:
    assert plan_named(name, stack_file, overrides).resources


def test_longest_stack_name_per_cloud() -> None:
    assert limits.longest_stack("aws", "serverless") == 11  # the ALB: 32 with Pulumi's suffix
    assert limits.longest_stack("azure", "serverless") == 23  # the Container App: 32
    assert limits.longest_stack("gcp", "cluster") == 19  # the GKE cluster: 40 with the suffix
