"""What the clouds' APIs accept: sizes, architectures, SKU tiers, labels and names, with sources.

Pure tables and helpers (no Pulumi); `infra/config.py` refuses what they exclude before any
resource is registered. Every table cites the page it was read from, read 2026-11-29.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# --- Serverless sizes -------------------------------------------------------------------------

# ECS Fargate task sizes: vCPU -> the task memory values (MiB) RegisterTaskDefinition accepts.
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html
# (read 2026-11-29): 0.25 vCPU 512/1024/2048; 0.5 vCPU 1-4 GB; 1 vCPU 2-8 GB; 2 vCPU 4-16 GB
# and 4 vCPU 8-30 GB in 1 GB steps; 8 vCPU 16-60 GB in 4 GB steps; 16 vCPU 32-120 GB in 8 GB.
FARGATE_MEMORY_MIB: dict[float, tuple[int, ...]] = {
    0.25: (512, 1024, 2048),
    0.5: tuple(range(1024, 4096 + 1, 1024)),
    1: tuple(range(2048, 8192 + 1, 1024)),
    2: tuple(range(4096, 16384 + 1, 1024)),
    4: tuple(range(8192, 30720 + 1, 1024)),
    8: tuple(range(16384, 61440 + 1, 4096)),
    16: tuple(range(32768, 122880 + 1, 8192)),
}

# Container Apps, Consumption workload profile (the environment's only profile here): the app's
# total must be one of these pairs, 0.25 vCPU / 0.5 GiB steps up to 4 vCPU / 8 GiB.
# https://learn.microsoft.com/azure/container-apps/containers#allocations (read 2026-11-29)
CONTAINER_APPS_PAIRS: dict[float, int] = {q / 4: q * 512 for q in range(1, 17)}  # vCPU -> MiB

# Cloud Run services: whole vCPU counts and the memory range (MiB) each allows. Below 1 vCPU
# needs concurrency 1 and request-based billing; the service serves requests concurrently.
# https://cloud.google.com/run/docs/configuring/services/cpu and .../services/memory-limits
# (read 2026-11-29): 1 vCPU up to 4 GiB, 2 up to 8, 4 from 2 to 16, 6 from 4 to 24, 8 from 4
# to 32; at least 512 MiB in the second generation environment.
CLOUD_RUN_MEMORY_MIB: dict[int, tuple[int, int]] = {
    1: (512, 4096),
    2: (512, 8192),
    4: (2048, 16384),
    6: (4096, 24576),
    8: (4096, 32768),
}


def fargate_memory(cpu: float) -> tuple[int, ...] | None:
    """The task memory values (MiB) Fargate allows with `cpu` vCPU; None if `cpu` is no size."""
    return FARGATE_MEMORY_MIB.get(cpu)


def container_apps_memory(cpu: float) -> int | None:
    """The one memory value (MiB) Container Apps pairs with `cpu` vCPU; None if none."""
    return CONTAINER_APPS_PAIRS.get(cpu)


def cloud_run_memory(cpu: float) -> tuple[int, int] | None:
    """The memory range (MiB) Cloud Run allows with `cpu` vCPU; None if `cpu` is no choice."""
    return CLOUD_RUN_MEMORY_MIB.get(int(cpu)) if cpu == int(cpu) else None


# --- Architectures ----------------------------------------------------------------------------

AMD64, ARM64 = "linux/amd64", "linux/arm64"

# EC2: the instance family's option letters after the generation; "g" means AWS Graviton
# (t4g, m7g, c7gn, r8gd...), and a1 is the first Graviton family.
# https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html (read 2026-11-29)
_EC2_FAMILY = re.compile(r"^(?P<series>[a-z]+?)(?P<generation>\d+)(?P<options>[a-z-]*)\.")
GRAVITON_EXAMPLES = "a1, t4g, m7g, c7g, r7g, m8g, c8g, r8g"

# Azure VM sizes: lowercase additive features after the vCPU count; "p" means an Arm CPU
# (Standard_D2ps_v5, Standard_B2pts_v2...).
# https://learn.microsoft.com/azure/virtual-machines/vm-naming-conventions (read 2026-11-29)
_AZURE_SIZE = re.compile(r"^Standard_[A-Z]+\d+(-\d+)?(?P<features>[a-z]*)(_|$)")
AZURE_ARM_EXAMPLES = "Standard_D2ps_v5, Standard_D2pds_v5, Standard_B2pts_v2, Standard_D2pls_v6"

# Compute Engine's Arm machine series: Tau T2A (Ampere Altra), Axion C4A and N4A.
# https://cloud.google.com/compute/docs/instances/arm-on-compute (read 2026-11-29)
GCP_ARM_SERIES = ("t2a", "c4a", "n4a")


def ec2_platform(instance_type: str) -> str:
    """The container platform an EC2 instance type runs: Graviton families are arm64."""
    match = _EC2_FAMILY.match(instance_type)
    if match is None:
        return AMD64
    graviton = "g" in match["options"] or (match["series"], match["generation"]) == ("a", "1")
    return ARM64 if graviton else AMD64


def azure_platform(vm_size: str) -> str:
    """The container platform an Azure VM size runs: sizes with the `p` feature are arm64."""
    match = _AZURE_SIZE.match(vm_size)
    return ARM64 if match is not None and "p" in match["features"] else AMD64


def gcp_platform(machine_type: str) -> str:
    """The container platform a Compute Engine machine type runs: the Arm series are arm64."""
    return ARM64 if machine_type.split("-", 1)[0] in GCP_ARM_SERIES else AMD64


# --- Database tiers ---------------------------------------------------------------------------

# PostgreSQL Flexible Server: "High availability is not supported with burstable compute tier."
# https://learn.microsoft.com/azure/reliability/reliability-postgresql-flexible-server
# (MicrosoftDocs/azure-docs articles/reliability/reliability-postgre.md, read 2026-11-29).
# The program sends tier Burstable for Standard_B* names (infra/azure/database.py).
# Non-B names are sent with tier GeneralPurpose, so the D-series is what HA stacks can use.
AZURE_PG_HA_EXAMPLES = "Standard_D2ds_v5, Standard_D4ds_v5"


def azure_pg_burstable(sku: str) -> bool:
    """Whether a Flexible Server SKU is in the Burstable tier (B-series)."""
    return sku.startswith("Standard_B")


# --- Labels -----------------------------------------------------------------------------------

# GCP labels: keys 1-63 and values 0-63 characters of lowercase letters, digits, "_" and "-";
# keys start with a lowercase letter (international letters are allowed too; ASCII here).
# https://cloud.google.com/resource-manager/docs/labels-overview#requirements (read 2026-11-29)
GCP_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
GCP_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")

# Azure tags: names may not contain < > % & \ ? / (and are at most 512 characters), values at
# most 256. https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources
# (not re-read 2026-11-29).
AZURE_TAG_FORBIDDEN = re.compile(r"[<>%&\\?/]")

# Kubernetes labels (cluster mode puts the tags on every object): an optional DNS-subdomain
# prefix and "/", then a name of at most 63 characters, alphanumerics with "-", "_", "."
# inside; values the same or empty.
# https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
# (not re-read 2026-11-29)
_K8S_NAME = r"[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?"
K8S_LABEL_KEY = re.compile(rf"^([a-z0-9]([a-z0-9.-]{{0,251}}[a-z0-9])?/)?{_K8S_NAME}$")
K8S_LABEL_VALUE = re.compile(rf"^({_K8S_NAME})?$")


# --- Names built from the stack name ----------------------------------------------------------


@dataclass(frozen=True)
class NameRule:
    """One physical name the program builds from `llmchain-<stack>`, and what its API accepts."""

    cloud: str
    computes: tuple[str, ...]  # the compute modes that create the resource
    resource: str
    build: Callable[[str], str]  # stack name -> the name sent (with Pulumi's suffix, if any)
    pattern: re.Pattern[str]
    rule: str  # what the API accepts, in words
    source: str


_ALL = ("serverless", "vm", "cluster")
_LOWER_DNS = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
# Pulumi auto-names append "-" and 7 random characters and fail the preview when the result
# exceeds a provider's maximum ("name ... plus 7 random chars is longer than maximum length").
_AUTONAME = "-abcdefg"

NAME_RULES: tuple[NameRule, ...] = (
    NameRule(
        "aws", ("serverless", "vm"), "the ALB (aws:lb:LoadBalancer, auto-named)",
        lambda s: f"llmchain-{s}-alb{_AUTONAME}",
        re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$"),
        "at most 32 alphanumerics or hyphens, not starting or ending with a hyphen",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html"
        " (read 2026-11-29)",
    ),
    NameRule(
        "aws", ("serverless", "vm"), "the target group (auto-named)",
        lambda s: f"llmchain-{s}-tg{_AUTONAME}",
        re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$"),
        "at most 32 alphanumerics or hyphens, not starting or ending with a hyphen",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html"
        " (32 characters, as the ALB; read 2026-11-29)",
    ),
    NameRule(
        "aws", _ALL, "the RDS instance identifier",
        lambda s: f"llmchain-{s}-memory",
        re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,61}[a-zA-Z0-9]$"),
        "1-63 letters, digits or hyphens, starting with a letter, no two hyphens in a row",
        "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html"
        " (read 2026-11-29)",
    ),
    NameRule(
        "aws", _ALL, "the ECR repository",
        lambda s: f"llmchain-{s}",
        re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*$"),
        "lowercase letters, digits and single . _ - separators",
        "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html"
        " (repositoryName pattern; not re-read 2026-11-29)",
    ),
    NameRule(
        "azure", ("serverless",), "the Container App",
        lambda s: f"llmchain-{s}",
        re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,30}[a-z0-9]$"),
        "2-32 lowercase letters, digits or hyphens, starting with a letter",
        "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules"
        " (read 2026-11-29)",
    ),
    NameRule(
        "azure", _ALL, "the container registry",
        lambda s: f"llmchain{s.replace('-', '')}abc123",
        re.compile(r"^[A-Za-z0-9]{5,50}$"),
        "5-50 alphanumerics",
        "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules"
        " (read 2026-11-29)",
    ),
    NameRule(
        "azure", _ALL, "the PostgreSQL server",
        lambda s: f"llmchain-{s}-pg-abc123",
        re.compile(r"^[a-z0-9]([a-z0-9-]{1,61}[a-z0-9])$"),
        "3-63 lowercase letters, digits or hyphens, not starting or ending with a hyphen",
        "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules"
        " (read 2026-11-29)",
    ),
    NameRule(
        "gcp", _ALL, "the service account id",
        lambda s: f"llmchain-{s}-app"[:30],  # infra/gcp/target.py cuts it at 30
        re.compile(r"^[a-z]([-a-z0-9]{4,28}[a-z0-9])$"),
        "6-30 lowercase letters, digits or hyphens, starting with a letter, ending alphanumeric",
        "https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/create"
        " (accountId pattern; not re-read 2026-11-29)",
    ),
    NameRule(
        "gcp", ("cluster",), "the GKE cluster (auto-named)",
        lambda s: f"llmchain-{s}-gke{_AUTONAME}",
        re.compile(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$"),
        "at most 40 lowercase letters, digits or hyphens, starting with a letter",
        "GKE's cluster-name rule, 40 characters (as quoted in gitlab-org/gitlab#22655 and"
        " Azure/telescope#989; read 2026-11-29)",
    ),
    NameRule(
        "gcp", _ALL, "the `stack` label",
        lambda s: s,
        GCP_LABEL_VALUE,
        "at most 63 lowercase letters, digits, underscores or hyphens",
        "https://cloud.google.com/resource-manager/docs/labels-overview#requirements"
        " (read 2026-11-29)",
    ),
    NameRule(
        "kubernetes", ("cluster",), "the Kubernetes namespace",
        lambda s: f"llmchain-{s}",
        re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"),
        "a DNS label: at most 63 lowercase letters, digits or hyphens",
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names"
        " (not re-read 2026-11-29)",
    ),
)  # fmt: skip


def name_problems(stack: str, cloud: str, compute: str) -> list[str]:
    """Each physical name built from `stack` that the cloud would refuse, and why."""
    problems = []
    for rule in NAME_RULES:
        applies = rule.cloud == cloud or (rule.cloud == "kubernetes" and cloud != "local")
        if not applies or compute not in rule.computes:
            continue
        name = rule.build(stack)
        if not rule.pattern.match(name):
            problems.append(
                f"{rule.resource} would be {name!r}; the API accepts {rule.rule} ({rule.source})"
            )
    return problems


def longest_stack(cloud: str, compute: str) -> int:
    """The longest lowercase stack name every name rule of this cloud and mode accepts."""
    size = 1
    while size < 100 and not name_problems("a" * (size + 1), cloud, compute):
        size += 1
    return size


# --- The combinations a stack may not ask for -------------------------------------------------


def _listed(values: tuple[float, ...] | tuple[int, ...] | list[int]) -> str:
    return ", ".join(f"{v:g}" for v in values)


def resource_refusals(cloud: str, compute: str, cpu: float, memory: int) -> list[str]:
    """`resources.cpu`/`.memory` the serverless platform refuses, as `llmchain:` lines."""
    cpu_key, mem_key = f"llmchain:resources.cpu={cpu:g}", f"llmchain:resources.memory={memory}"
    if compute != "serverless":
        return []
    if cloud == "aws":
        allowed = fargate_memory(cpu)
        if allowed is None:
            return [
                f"{cpu_key}: not a Fargate task size; allowed: {_listed(tuple(FARGATE_MEMORY_MIB))}"
            ]
        if memory not in allowed:
            return [
                f"{mem_key}: Fargate refuses {memory} MiB with {cpu:g} vCPU; allowed with "
                f"{cpu:g} vCPU: {_listed(allowed)}"
            ]
    if cloud == "azure":
        paired = container_apps_memory(cpu)
        if paired is None:
            return [
                f"{cpu_key}: not a Container Apps Consumption size; allowed: "
                f"{_listed(tuple(CONTAINER_APPS_PAIRS))}"
            ]
        if memory != paired:
            return [
                f"{mem_key}: Container Apps pairs {cpu:g} vCPU with {paired} MiB only "
                f"(2 GiB per vCPU); allowed with {cpu:g} vCPU: {paired}"
            ]
    if cloud == "gcp":
        bounds = cloud_run_memory(cpu)
        if bounds is None:
            return [
                f"{cpu_key}: Cloud Run takes whole vCPUs here (below 1 needs concurrency 1); "
                f"allowed: {_listed(tuple(CLOUD_RUN_MEMORY_MIB))}"
            ]
        if not bounds[0] <= memory <= bounds[1]:
            return [
                f"{mem_key}: Cloud Run refuses {memory} MiB with {cpu:g} vCPU; allowed with "
                f"{cpu:g} vCPU: {bounds[0]} to {bounds[1]}"
            ]
    return []


# Where the program runs the image on hardware it does not choose from a setting: the runtime's
# platform, and why. linux/arm64 elsewhere follows the instance type.
_AMD64_ONLY = {
    ("azure", "serverless"): "Container Apps runs linux/amd64 images only "
    "(https://learn.microsoft.com/azure/container-apps/containers, read 2026-11-29)",
    ("gcp", "serverless"): "Cloud Run runs the Linux x86_64 ABI only "
    "(https://cloud.google.com/run/docs/container-contract, read 2026-11-29)",
    ("azure", "vm"): "the scale set boots the x64 Ubuntu image (infra/azure/vm.py)",
    ("gcp", "vm"): "the instance template boots ubuntu-2404-lts-amd64 (infra/gcp/vm.py)",
    ("aws", "cluster"): "the EKS node group uses AL2023_x86_64_STANDARD (infra/aws/cluster.py)",
    ("gcp", "cluster"): "Autopilot schedules pods on amd64 nodes unless they select arm64, "
    "which the workload does not",
}


def architecture_refusals(
    cloud: str, compute: str, platform: str, types: dict[str, str]
) -> list[str]:
    """`image.platform` against the runtime and the instance type the mode uses."""
    refusals = []
    runtime = _AMD64_ONLY.get((cloud, compute))
    if runtime is not None and platform != AMD64:
        refusals.append(f"llmchain:image.platform={platform!r}: {runtime}; allowed: {AMD64}")
    # The instance type that runs the image in this mode, and how to tell its architecture.
    key, arch_of, families = {
        ("aws", "vm"): ("aws.instanceType", ec2_platform, f"Graviton ({GRAVITON_EXAMPLES})"),
        ("aws", "cluster"): ("aws.nodeInstanceType", ec2_platform, ""),
        ("azure", "vm"): ("azure.vmSize", azure_platform, ""),
        ("azure", "cluster"): ("azure.nodeVmSize", azure_platform, f"Arm ({AZURE_ARM_EXAMPLES})"),
        ("gcp", "vm"): ("gcp.machineType", gcp_platform, ""),
    }.get((cloud, compute), ("", ec2_platform, ""))
    if not key:
        return refusals
    value = types[key]
    needed = platform if runtime is None else AMD64
    if arch_of(value) != needed:
        wanted = families if needed == ARM64 else "an x86-64 type (no Arm family)"
        refusals.append(
            f"llmchain:{key}={value!r}: runs {arch_of(value)} but the image is {needed} "
            f"(llmchain:image.platform), so the instance cannot start it; allowed: {wanted}"
        )
    return refusals


def ha_refusals(cloud: str, ha: bool, instance: str | None, default_instance: str) -> list[str]:
    """`ha` against the database SKU tier the cloud refuses it on."""
    if not ha or cloud != "azure":
        return []
    sku = instance or default_instance
    if not azure_pg_burstable(sku):
        return []
    which = f"llmchain:database.instance={sku!r}" if instance else "llmchain:ha=True"
    shown = "" if instance else f" with llmchain:database.instance unset (the default {sku!r})"
    return [
        f"{which}: Azure PostgreSQL Flexible Server does not support high availability on the "
        f"Burstable tier{shown}; allowed with llmchain:ha=true: a General Purpose SKU, e.g. "
        f"{AZURE_PG_HA_EXAMPLES}"
    ]


def tag_refusals(cloud: str, compute: str, tags: dict[str, str]) -> list[str]:
    """`tags` the cloud's labels (and Kubernetes labels in cluster mode) refuse."""
    refusals = []
    for key, value in tags.items():
        shown = f"llmchain:tags.{key}={value!r}"
        if cloud == "gcp" and not (GCP_LABEL_KEY.match(key) and GCP_LABEL_VALUE.match(value)):
            refusals.append(
                f"{shown}: GCP labels take lowercase letters, digits, '_' and '-' only, keys "
                "starting with a letter, at most 63 characters; allowed e.g. team=ml-platform"
            )
        if cloud == "azure" and (AZURE_TAG_FORBIDDEN.search(key) or len(value) > 256):
            refusals.append(
                f"{shown}: Azure tag names may not contain < > % & \\ ? /; values at most 256 "
                "characters"
            )
        if compute == "cluster" and not (K8S_LABEL_KEY.match(key) and K8S_LABEL_VALUE.match(value)):
            refusals.append(
                f"{shown}: cluster mode puts tags on Kubernetes objects as labels: at most 63 "
                "alphanumerics, '-', '_', '.', starting and ending alphanumeric (a key may have "
                "a DNS prefix and '/')"
            )
    return refusals


# Container Apps HTTP ingress: "Request timeout is 240 seconds" (not configurable on the
# Consumption profile). https://learn.microsoft.com/en-us/azure/container-apps/ingress-overview
# (read 2026-11-29). The app must give up first, so its client gets the app's 504, not a cut.
CONTAINER_APPS_REQUEST_TIMEOUT_S = 240


def request_timeout_refusals(cloud: str, compute: str, app_settings: dict[str, str]) -> list[str]:
    """`LLMCHAIN_REQUEST_TIMEOUT_S` past what the platform's ingress lets a request run."""
    value = app_settings.get("LLMCHAIN_REQUEST_TIMEOUT_S")
    if value is None or not (cloud == "azure" and compute == "serverless"):
        return []
    try:
        seconds = float(value)
    except ValueError:
        return []  # the app refuses it at start with its own message
    limit = CONTAINER_APPS_REQUEST_TIMEOUT_S
    if seconds < limit:
        return []
    return [
        f"llmchain:appSettings.LLMCHAIN_REQUEST_TIMEOUT_S={value!r}: Azure Container Apps ingress "
        f"cuts every request at {limit} s; allowed: below {limit} (or llmchain:compute vm or "
        "cluster)"
    ]
