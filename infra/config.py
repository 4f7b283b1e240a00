"""The stack configuration (namespace `llmchain:`): typed, validated, every error naming its key."""

from __future__ import annotations

import platform
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, NamedTuple

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic.alias_generators import to_camel, to_snake

from infra import limits

NAMESPACE = "llmchain"
# Secret stack keys and the service setting each becomes (through the cloud's secret store).
SECRET_SETTINGS = {
    "openaiApiKey": "LLMCHAIN_OPENAI_API_KEY",
    "apiKeys": "LLMCHAIN_API_KEYS",
    "langsmithApiKey": "LANGSMITH_API_KEY",
    "redisUrl": "LLMCHAIN_REDIS_URL",
}
SECRET_KEYS = tuple(SECRET_SETTINGS)


class ConfigError(Exception):
    """The stack's configuration is wrong; nothing is registered."""


class Cloud(StrEnum):
    """Where the stack deploys."""

    LOCAL = "local"
    AWS = "aws"
    AZURE = "azure"
    GCP = "gcp"


class Compute(StrEnum):
    """How the service runs on its cloud."""

    SERVERLESS = "serverless"
    VM = "vm"
    CLUSTER = "cluster"


class Provider(StrEnum):
    """The model providers the service knows (app/providers/factory.py)."""

    FAKE = "fake"
    OPENAI = "openai"
    OPENAI_COMPATIBLE = "openai-compatible"
    AZURE_OPENAI = "azure-openai"
    BEDROCK = "bedrock"
    VERTEXAI = "vertexai"


class Backend(StrEnum):
    """Where chat memory is kept."""

    MEMORY = "memory"
    SQLITE = "sqlite"
    POSTGRES = "postgres"


# What each cloud offers (docs/configuration.md); the first entry is the default.
COMPUTE_BY_CLOUD = {
    Cloud.LOCAL: [Compute.SERVERLESS],
    Cloud.AWS: [Compute.SERVERLESS, Compute.VM, Compute.CLUSTER],
    Cloud.AZURE: [Compute.SERVERLESS, Compute.VM, Compute.CLUSTER],
    Cloud.GCP: [Compute.SERVERLESS, Compute.VM, Compute.CLUSTER],
}
BACKENDS_BY_CLOUD = {
    Cloud.LOCAL: [Backend.SQLITE, Backend.MEMORY],
    Cloud.AWS: [Backend.POSTGRES, Backend.MEMORY],
    Cloud.AZURE: [Backend.POSTGRES, Backend.MEMORY],
    Cloud.GCP: [Backend.POSTGRES, Backend.MEMORY],
}
# Where the target sets up HTTPS for `llmchain:ingress.domain` (certificate and routing).
DOMAIN_SUPPORT = {
    Cloud.AWS: (Compute.SERVERLESS, Compute.VM),
    # Application Gateway v2 with a Let's Encrypt certificate (infra/azure/gateway.py).
    Cloud.AZURE: (Compute.VM, Compute.CLUSTER),
    Cloud.GCP: (Compute.VM,),
}
# The cloud's own LLM, reached without static keys, is each cloud's default.
PROVIDER_BY_CLOUD = {
    Cloud.LOCAL: Provider.FAKE,
    Cloud.AWS: Provider.BEDROCK,
    Cloud.AZURE: Provider.AZURE_OPENAI,
    Cloud.GCP: Provider.VERTEXAI,
}
# Keys whose default depends on the cloud: StackConfig fills them in before validating, so the
# validated config always holds them (docs/configuration.md shows the default "per cloud").
FILLED_BY_CLOUD: dict[str, dict[Cloud, StrEnum]] = {
    "compute": {cloud: computes[0] for cloud, computes in COMPUTE_BY_CLOUD.items()},
    "llm.provider": dict(PROVIDER_BY_CLOUD),
    "memory.backend": {cloud: backends[0] for cloud, backends in BACKENDS_BY_CLOUD.items()},
}

# The model each provider uses when `llmchain:llm.model` is unset (the app's defaults too;
# tests/infra checks the two tables agree).
DEFAULT_MODELS = {
    Provider.FAKE: "fake-echo",
    Provider.OPENAI: "gpt-4o-mini",
    Provider.OPENAI_COMPATIBLE: "llama3.1",
    # GPT-4.1 mini (2025-04-14, llmchain:azure.openaiModelVersion): gpt-4o-mini 2024-07-18 is
    # Deprecated (no new deployments since 2025-07-18); 4.1 mini is Legacy, which still admits
    # new deployments, to 2027-04-14, and takes temperature and max_tokens (GPT-5.x refuses
    # them). https://learn.microsoft.com/en-us/azure/foundry/openai/concepts/model-retirement-schedule
    # (read 2026-11-29; dates in infra/readiness/facts.py)
    Provider.AZURE_OPENAI: "gpt-4.1-mini",
    # Claude Haiku 4.5 by its US cross-Region inference profile: newer Claude models refuse
    # on-demand calls by bare id, and Haiku 4.5 takes the app's temperature (Haiku 5.5 thinks
    # adaptively by default and refuses it). A stack in another geography sets its own
    # profile (`eu.`...); the AWS target refuses a mismatch with aws:region and asks Bedrock
    # at preview. Model card (Active, model and profile ids):
    # https://docs.aws.amazon.com/bedrock/latest/userguide/model-card-anthropic-claude-haiku-4-5.html
    # (read 2026-11-29; dates in infra/readiness/facts.py)
    Provider.BEDROCK: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
    # Gemini 3.5 Flash-Lite: named on its model page as the replacement for Gemini 2.5 Flash
    # (retired 2026-10-20); Gemini 3.x is served from Vertex AI's `global` endpoint, hence
    # llmchain:gcp.modelLocation's default. It ignores a custom temperature (no error).
    # https://docs.cloud.google.com/vertex-ai/generative-ai/docs/models/gemini/3-5-flash-lite
    # (read 2026-11-29; dates in infra/readiness/facts.py)
    Provider.VERTEXAI: "gemini-3.5-flash-lite",
}


class ProviderKey(NamedTuple):
    """A cloud provider's own setting a stack needs: the Location field it fills, how to set it."""

    field: str  # of Location
    example: str


# The cloud provider's own settings each cloud needs (read once, by load_stack_config).
PROVIDER_KEYS: dict[Cloud, dict[str, ProviderKey]] = {
    Cloud.LOCAL: {},
    Cloud.AWS: {"aws:region": ProviderKey("region", "pulumi config set aws:region eu-west-1")},
    Cloud.AZURE: {
        "azure-native:location": ProviderKey(
            "region", "pulumi config set azure-native:location westeurope"
        )
    },
    Cloud.GCP: {
        "gcp:project": ProviderKey("project", "pulumi config set gcp:project <project-id>"),
        "gcp:region": ProviderKey("region", "pulumi config set gcp:region us-central1"),
    },
}

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TAG_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.:/=+@-]{0,62}$")  # "-" last: not a range


def _domain(value: str | None) -> str | None:
    if value is not None and not _DOMAIN.match(value):
        raise ValueError("must be a DNS name such as api.example.com (lowercase, no scheme)")
    return value


def _email(value: str | None) -> str | None:
    if value is not None and not _EMAIL.match(value):
        raise ValueError("must be an e-mail address")
    return value


def _tags(value: dict[str, str]) -> dict[str, str]:
    for key, item in value.items():
        if not _TAG_KEY.match(key) or len(item) > 63:
            raise ValueError(
                f"tag {key!r}: keys start with a letter, at most 63 characters of letters, "
                "digits and _.:/=+-@; values at most 63 characters (the strictest cloud's rule)"
            )
    return value


# Service settings (docs/settings.md) a stack may pass through `llmchain:appSettings`; those
# the program sets itself are refused there, pointing at the key that owns them.
_APP_SETTING = re.compile(r"^(LLMCHAIN|OTEL|LANGSMITH)_[A-Z0-9_]+$")
OWNED_SETTINGS = {
    "LLMCHAIN_HOST": "the program (the container listens on all interfaces)",
    "LLMCHAIN_PORT": "the program",
    "LLMCHAIN_PROVIDER": "llmchain:llm.provider",
    "LLMCHAIN_MODEL": "llmchain:llm.model",
    "LLMCHAIN_TEMPERATURE": "llmchain:llm.temperature",
    "LLMCHAIN_BASE_URL": "llmchain:llm.baseUrl",
    "LLMCHAIN_MEMORY_BACKEND": "llmchain:memory.backend",
    "LLMCHAIN_SESSION_RETENTION_DAYS": "llmchain:memory.retentionDays",
    "LLMCHAIN_MEMORY_URL": "the program (the database it creates)",
    "LLMCHAIN_SHUTDOWN_GRACE_S": "the program (it matches the platform's stop timeout)",
    "LLMCHAIN_SECRETS_DIR": "the program (where the cloud's secret store is mounted)",
    "LLMCHAIN_GCP_PROJECT": "gcp:project",
    "LLMCHAIN_GCP_LOCATION": "llmchain:gcp.modelLocation",
    "LLMCHAIN_AWS_REGION": "aws:region",
    "LLMCHAIN_AZURE_OPENAI_ENDPOINT": "the program (the Azure OpenAI account it creates)",
    "LLMCHAIN_AZURE_OPENAI_DEPLOYMENT": "the program (the deployment it creates)",
    **{env: f"the secret llmchain:{key}" for key, env in SECRET_SETTINGS.items()},
}
_SECRET_NAME = re.compile(r"(KEY|TOKEN|PASSWORD|SECRET|HEADERS)")


def _app_settings(value: dict[str, Any]) -> dict[str, str]:
    settings: dict[str, str] = {}
    for name, item in value.items():
        if not _APP_SETTING.match(name):
            raise ValueError(
                f"{name!r}: only service settings (LLMCHAIN_*, OTEL_*, LANGSMITH_*) may be set here"
            )
        if name in OWNED_SETTINGS:
            raise ValueError(f"{name!r} is set by {OWNED_SETTINGS[name]}")
        if _SECRET_NAME.search(name):
            raise ValueError(
                f"{name!r} looks secret; plain config is stored in clear text in the stack file"
            )
        if isinstance(item, dict | list) or item is None:
            raise ValueError(f"{name!r}: a string, number or boolean, not {item!r}")
        settings[name] = str(item).lower() if isinstance(item, bool) else str(item)
    return settings


def _shown(default: str | None = None, allowed: str | None = None) -> dict[str, Any]:
    """How docs/configuration.md shows a key's default and allowed values when the type and
    constraints do not say it (infra/config_docs.py derives the rest)."""
    shown: dict[str, Any] = {}
    if default is not None:
        shown["shown_default"] = default
    if allowed is not None:
        shown["shown_allowed"] = allowed
    return shown


class _Section(BaseModel):
    """A config object: camelCase keys as in Pulumi config, unknown keys refused."""

    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True
    )


class LlmConfig(_Section):
    """`llmchain:llm`: which model answers."""

    # Required here, filled by StackConfig from the cloud when unset (FILLED_BY_CLOUD).
    provider: Provider = Field(
        description="the model provider (the clouds' own LLMs need no static key)",
        json_schema_extra=_shown(
            "per cloud: " + ", ".join(f"`{p.value}`" for p in PROVIDER_BY_CLOUD.values())
        ),
    )
    model: str | None = Field(
        default=None,
        description="the provider's model id; unset: "
        + ", ".join(f"{p.value} `{m}`" for p, m in DEFAULT_MODELS.items() if p is not Provider.FAKE)
        + " (Bedrock: an inference profile of `aws:region`'s geography, "
        "[aws.md](aws.md#prerequisites))",
        json_schema_extra=_shown("the provider's default", "a model id"),
    )
    temperature: float = Field(
        default=0.7,
        ge=0.0,
        le=2.0,
        description="default temperature (chains override it in `app/chains.yaml`)",
    )
    base_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="`openai-compatible` only (required): the server's `/v1` URL",
        json_schema_extra=_shown(allowed="`http(s)://...`"),
    )


class MemoryConfig(_Section):
    """`llmchain:memory`: where chat memory is kept, and for how long."""

    # Required here, filled by StackConfig from the cloud when unset (FILLED_BY_CLOUD).
    backend: Backend = Field(
        description="what keeps chat memory (`memory` is lost on restart)",
        json_schema_extra=_shown(
            "`sqlite` locally, `postgres` in clouds",
            "local: `sqlite`, `memory`; clouds: `postgres`, `memory`",
        ),
    )
    # LLMCHAIN_SESSION_RETENTION_DAYS: sessions unused this long are deleted; 0 = forever.
    retention_days: float = Field(
        default=0,
        ge=0,
        le=36_500,
        description="chat and agent sessions unused this many days are deleted whole (the "
        "service's `LLMCHAIN_SESSION_RETENTION_DAYS`, set on every target when not 0)",
        json_schema_extra=_shown("`0` (forever)", "0 to 36500 (fractions allowed)"),
    )


class ScalingConfig(_Section):
    """`llmchain:scaling`: replica range and requests per replica."""

    min: int = Field(
        default=1,
        ge=0,
        le=100,
        description="fewest replicas (0: scale to zero where the cloud can)",
        json_schema_extra=_shown(allowed="0 – 100, ≤ max"),
    )
    max: int = Field(default=3, ge=1, le=100, description="most replicas")
    concurrency: int = Field(
        default=50, ge=1, le=1000, description="requests per replica before scaling out"
    )


class ResourcesConfig(_Section):
    """`llmchain:resources`: what one replica gets."""

    cpu: float = Field(
        default=0.5,
        ge=0.25,
        le=8,
        description="vCPU per replica (`vm`: the container's limit; the VM's type is its own key)",
    )
    memory: int = Field(
        default=1024,
        ge=512,
        le=32768,
        description="MiB per replica (`vm`: the container's limit; the VM's type is its own key)",
    )


class IngressConfig(_Section):
    """`llmchain:ingress`: who can reach the service."""

    public: bool = Field(
        default=True,
        description="reachable from the internet; locally: published on all interfaces "
        "instead of 127.0.0.1",
        json_schema_extra=_shown("`true` (dev: `false`)"),
    )
    domain: Annotated[str | None, AfterValidator(_domain)] = Field(
        default=None,
        description="serve HTTPS under this name: AWS `serverless`/`vm` (ACM + Route 53), GCP "
        "`vm` (managed certificate), Azure `vm`/`cluster` (Application Gateway v2, Let's "
        "Encrypt certificate, Azure DNS; public stacks only); refused elsewhere, with the reason",
        json_schema_extra=_shown(allowed="a DNS name"),
    )
    # A public stack without `llmchain:apiKeys` gets a generated key (output `api_key`);
    # true serves it to anyone, on purpose.
    anonymous: bool = Field(
        default=False,
        description="a public stack without `llmchain:apiKeys` gets a generated key (secret "
        "output `api_key`: `pulumi stack output --show-secrets api_key`); `true` serves anyone, "
        "and the preview says so",
    )
    # 8080, not 8000: `make run` serves on 8000, and both may run on one laptop.
    port: int = Field(
        default=8080,
        ge=1024,
        le=65535,
        description="local only: the host port (`make run` has 8000)",
    )


class AlertsConfig(_Section):
    """`llmchain:alerts`: where alarms go."""

    email: Annotated[str | None, AfterValidator(_email)] = Field(
        default=None,
        description="where alarms are sent (clouds)",
        json_schema_extra=_shown(allowed="an e-mail address"),
    )


class DatabaseConfig(_Section):
    """`llmchain:database`: the PostgreSQL that keeps chat memory in the clouds."""

    deletion_protection: bool = Field(
        default=True,
        description="clouds: the database refuses deletion — AWS: RDS deletion protection (and "
        "a final snapshot); Azure: the Flexible Server is Pulumi-protected and carries a "
        "`CanNotDelete` lock; GCP: Cloud SQL deletion protection (Pulumi's and the instance's). "
        "Set `false` and `pulumi up` before `pulumi destroy`",
    )
    instance: str | None = Field(
        default=None,
        description="the database's size",
        json_schema_extra=_shown("per cloud (`db.t4g.micro` on AWS)", "the cloud's instance class"),
    )


class MonitoringConfig(_Section):
    """`llmchain:monitoring`: log retention and alarm thresholds."""

    log_retention_days: int = Field(default=30, ge=1, le=3653, description="how long logs are kept")
    error_rate_percent: float = Field(
        default=5.0, gt=0, le=100, description="alarm: 5xx responses above this share of requests"
    )
    latency_p95_ms: int = Field(
        default=10_000, ge=100, le=600_000, description="alarm: p95 response time above this"
    )


class AwsConfig(_Section):
    """`llmchain:aws`: settings only AWS has."""

    hosted_zone_id: str | None = Field(
        default=None,
        pattern=r"^Z[A-Z0-9]{4,31}$",
        description="AWS, with `ingress.domain`: where the certificate is validated and the "
        "name points at the load balancer",
        json_schema_extra=_shown(allowed="a Route 53 zone id"),
    )
    instance_type: str = Field(
        default="t3.small",
        pattern=r"^[a-z0-9-]+\.[a-z0-9]+$",
        description="AWS `vm`: the instances",
        json_schema_extra=_shown(allowed="an EC2 type"),
    )
    node_instance_type: str = Field(
        default="t3.medium",
        pattern=r"^[a-z0-9-]+\.[a-z0-9]+$",
        description="AWS `cluster`: the EKS nodes",
        json_schema_extra=_shown(allowed="an EC2 type"),
    )
    # Percent of ECS tasks on Fargate Spot (serverless): cheaper, interruptible at two
    # minutes' notice; a cost option for non-production stacks.
    fargate_spot: int = Field(
        default=0,
        ge=0,
        le=100,
        description="AWS `serverless`: percent of tasks on Fargate Spot (cheaper, stopped at "
        "two minutes' notice when AWS needs the capacity back); below 100 the first task stays "
        "on regular Fargate. A cost option for non-production stacks",
    )


class AzureConfig(_Section):
    """`llmchain:azure`: settings only Azure has."""

    vm_size: str = Field(
        default="Standard_B2s",
        pattern=r"^Standard_[A-Za-z0-9_]+$",
        description="Azure `vm`: the scale set's instances",
        json_schema_extra=_shown(allowed="an Azure VM size"),
    )
    node_vm_size: str = Field(
        default="Standard_D2s_v5",
        pattern=r"^Standard_[A-Za-z0-9_]+$",
        description="Azure `cluster`: the AKS nodes",
        json_schema_extra=_shown(allowed="an Azure VM size"),
    )
    purge_protection: bool = Field(
        default=True,
        description="Azure: Key Vault purge protection (turn off for throwaway stacks)",
    )
    # The model version for llmchain:llm.model (DEFAULT_MODELS' gpt-4.1-mini by default).
    openai_model_version: str = Field(
        default="2025-04-14",
        pattern=r"^[0-9A-Za-z.-]+$",
        description="Azure: the OpenAI deployment's model version, for `llmchain:llm.model` "
        f"(default `{DEFAULT_MODELS[Provider.AZURE_OPENAI]}`); set both together, to a pair "
        "dated in `infra/readiness/facts.py` (`--check` names an undated or retired pair)",
        json_schema_extra=_shown(allowed="a model version"),
    )
    openai_capacity: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Azure: the deployment's capacity, thousands of tokens per minute",
    )
    # AKS's Kubernetes minor; None: KUBERNETES_VERSION in infra/kubernetes/version.py (dated in
    # infra/readiness/facts.py). AKS refuses new clusters on a minor past its support date.
    kubernetes_version: str | None = Field(
        default=None,
        pattern=r"^1\.[0-9]+(\.[0-9]+)?$",
        description="Azure `cluster`: AKS's Kubernetes version (AKS refuses new clusters on a "
        "minor past its support date)",
        # The default is KUBERNETES_VERSION (infra/kubernetes/version.py); the docs read it.
        json_schema_extra=_shown(allowed="`1.<minor>`"),
    )
    # AKS: Entra groups (object ids) whose members are cluster-admin; Azure RBAC for Kubernetes
    # authorizes everyone else (https://learn.microsoft.com/en-us/azure/aks/manage-azure-rbac,
    # read 2026-11-29).
    admin_group_object_ids: tuple[
        Annotated[str, Field(pattern=r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")],
        ...,
    ] = Field(
        default=(),
        description="Azure `cluster`: groups whose members are cluster-admin (sign-in is Entra "
        "ID, authorization Azure RBAC; local accounts are off)",
        json_schema_extra=_shown("none", "Entra group object ids"),
    )
    # AKS: who may reach the API server, as CIDRs; empty: any address, Entra ID still
    # authenticates (preview warns). The machine running Pulumi must be inside.
    # https://learn.microsoft.com/en-us/azure/aks/api-server-authorized-ip-ranges (read 2026-11-29)
    authorized_ip_ranges: tuple[Annotated[str, Field(pattern=r"^[0-9.]+(/[0-9]{1,2})?$")], ...] = (
        Field(
            default=(),
            description="Azure `cluster`: who may reach the AKS API server; the machine running "
            "Pulumi must be inside (preview warns while empty)",
            json_schema_extra=_shown("none (any address)", "IPv4 CIDRs"),
        )
    )
    # With llmchain:ingress.domain (vm, cluster): the resource id of the public Azure DNS zone
    # that holds the domain, in the stack's subscription: it proves the domain to Let's
    # Encrypt (DNS-01) and carries the domain's A record.
    dns_zone_id: str | None = Field(
        default=None,
        pattern=r"(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/dnszones/[^/]+$",
        description="Azure, with `ingress.domain`: the public zone (in the stack's subscription) "
        "that holds the domain — it proves the domain to Let's Encrypt and gets the domain's A "
        "record",
        json_schema_extra=_shown(
            allowed="an Azure DNS zone's resource id (`/subscriptions/…/resourceGroups/…/"
            "providers/Microsoft.Network/dnszones/<zone>`)"
        ),
    )


class GcpConfig(_Section):
    """`llmchain:gcp`: settings only GCP has."""

    machine_type: str = Field(
        default="e2-small",
        pattern=r"^[a-z0-9]+-[a-z0-9-]+$",
        description="GCP `vm`: the instances",
        json_schema_extra=_shown(allowed="a Compute Engine type"),
    )
    deletion_protection: bool = Field(
        default=True,
        description="GCP: the Cloud Run service and the GKE cluster refuse deletion",
    )
    # Where Vertex AI serves the model (LLMCHAIN_GCP_LOCATION): `global` (every Gemini 3.x
    # model; https://docs.cloud.google.com/vertex-ai/generative-ai/docs/learn/locations, read
    # 2026-11-29), a multi-region (`us`, `eu`) or a region such as `us-central1`.
    model_location: str = Field(
        default="global",
        pattern=r"^(global|us|eu|[a-z]+-[a-z]+[0-9]+)$",
        description="GCP `vertexai`: where Vertex AI serves the model (`LLMCHAIN_GCP_LOCATION`); "
        "Gemini 3.x is served from `global`",
        json_schema_extra=_shown(allowed="`global`, `us`, `eu` or a region such as `us-central1`"),
    )
    # GKE: who may reach the control plane's public endpoint (master authorized networks), as
    # CIDRs; empty: anyone, authenticated by Google IAM (preview warns). The machine running
    # Pulumi must be inside. https://cloud.google.com/kubernetes-engine/docs/how-to/authorized-networks
    # (read 2026-11-29)
    authorized_networks: tuple[
        Annotated[str, Field(pattern=r"^[0-9a-fA-F.:]+/[0-9]{1,3}$")], ...
    ] = Field(
        default=(),
        description="GCP `cluster`: who may reach the GKE control plane's public endpoint; "
        "include where Pulumi runs",
        json_schema_extra=_shown("none (any address; preview warns)", "list of CIDRs"),
    )


# An image reference, [registry[:port]/]name[:tag][@sha256:digest]: a slightly looser form of
# the grammar in https://github.com/distribution/reference/blob/main/reference.go (read
# 2026-11-29: lowercase path components, tags [\w][\w.-]{0,127}, names up to 255 characters).
_IMAGE_REF = (
    r"^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*"
    r"(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$"
)
# `llmchain:image.ref`: the same grammar, a digest required (`name[:tag]@sha256:<64 hex>`).
_IMAGE_BY_DIGEST = _IMAGE_REF.removesuffix(r"(@sha256:[0-9a-f]{64})?$") + r"@sha256:[0-9a-f]{64}$"
_MACHINES = {"x86_64": "linux/amd64", "amd64": "linux/amd64", "aarch64": "linux/arm64",
             "arm64": "linux/arm64"}  # fmt: skip


def _pullable(value: str | None) -> str | None:
    """A base image the builder can pull: pulumi-docker-build builds in a BuildKit container.

    That builder does not see the engine's own images (moby/buildkit#2343, open, read
    2026-11-29), so `localhost/<name>` (a local-only name) would be looked up on a registry.
    """
    if value is not None and value.startswith("localhost/"):
        raise ValueError(
            "a local-only image cannot be a base: the build runs in a BuildKit container that "
            "pulls FROM images from a registry; push it to one (e.g. localhost:5000/...) first"
        )
    return value


def host_platform(machine: str | None = None) -> str:
    """This machine's image platform (`platform.machine()`); linux/amd64 when not one we build."""
    return _MACHINES.get((machine or platform.machine()).lower(), "linux/amd64")


class ImageConfig(_Section):
    """`llmchain:image`: how the app image is built."""

    # None: linux/amd64 in the clouds, this machine's platform for the local engine (no
    # emulation on Apple silicon or arm64 Linux); see StackConfig.platform.
    platform: str | None = Field(
        default=None,
        pattern=r"^linux/(amd64|arm64)$",
        description="the image's platform",
        json_schema_extra=_shown(
            "local: this machine's; clouds: `linux/amd64`", "`linux/amd64`, `linux/arm64`"
        ),
    )
    providers: str | None = Field(
        default=None,
        pattern=r"^[a-z-]+(,[a-z-]+)*$",
        description="provider packages in the image (`PROVIDERS` build argument)",
        json_schema_extra=_shown("the `llm.provider`", "comma-separated providers"),
    )
    # The Dockerfile's BASE_IMAGE build argument; None keeps the Dockerfile's default.
    base_image: Annotated[str | None, AfterValidator(_pullable)] = Field(
        default=None,
        max_length=255,
        pattern=_IMAGE_REF,
        description="the `BASE_IMAGE` build argument; BuildKit pulls it, so an image only in "
        "your engine cannot be used. A tag is pinned at preview to the digest its registry "
        "serves then (`name:tag@sha256:...`, part of the image tag and kept in the state); give "
        "`name:tag@sha256:...` to hold a base still",
        # The default names the Dockerfile's ARG BASE_IMAGE; the docs generator reads it.
        json_schema_extra=_shown(
            allowed="an image reference a registry serves (not `localhost/...`)"
        ),
    )
    # A prebuilt image to run instead of building app/: CI builds once and promotes that one
    # image, by digest, from stack to stack (docs/ci.md). A digest, never a bare tag: a tag
    # can be re-pointed, and then two stacks with "the same" setting run different code.
    ref: str | None = Field(
        default=None,
        max_length=255,
        pattern=_IMAGE_BY_DIGEST,
        description="a prebuilt image to run instead of building: nothing is built, the "
        "workload runs exactly that digest (how CI promotes one build from stack to stack, "
        "docs/ci.md). The workload's pull grant covers the stack's own registry, so copy the "
        "image there first (`pulumi stack output image_ref` names the repository); "
        "`image.platform` and `image.providers` must describe how it was built; "
        "`image.baseImage` beside it is refused",
        json_schema_extra=_shown(
            "unset: the image is built from `app/`",
            "`name[:tag]@sha256:<64 hex>` (a digest is required)",
        ),
    )

    @model_validator(mode="after")
    def _built_or_given(self) -> ImageConfig:
        """A prebuilt `ref` is not built, so a build-only setting beside it would be ignored."""
        if self.ref is not None and self.base_image is not None:
            raise _KeyError(
                "image.baseImage",
                self.base_image,
                "a build setting, but llmchain:image.ref names a prebuilt image (nothing is "
                "built); unset one of them",
            )
        return self


class StackConfig(_Section):
    """Everything under `llmchain:` once validated; the program only ever sees this."""

    cloud: Cloud = Field(
        description="where the stack deploys", json_schema_extra=_shown("(required)")
    )
    # Filled from the cloud when unset (FILLED_BY_CLOUD), like llm.provider and memory.backend.
    compute: Compute = Field(
        description="how the service runs: local container / ECS Fargate, Container Apps, "
        "Cloud Run; VMs behind a load balancer; managed Kubernetes",
        json_schema_extra=_shown("`serverless`", "`serverless`; clouds also `vm`, `cluster`"),
    )
    llm: LlmConfig  # always given: _fill_by_cloud puts its provider in
    memory: MemoryConfig  # always given: _fill_by_cloud puts its backend in
    scaling: ScalingConfig = ScalingConfig()
    resources: ResourcesConfig = ResourcesConfig()
    ingress: IngressConfig = IngressConfig()
    alerts: AlertsConfig = AlertsConfig()
    image: ImageConfig = ImageConfig()
    database: DatabaseConfig = DatabaseConfig()
    monitoring: MonitoringConfig = MonitoringConfig()
    ha: bool = Field(
        default=False,
        description="clouds: redundancy across zones (a NAT gateway per zone, a standby "
        "database); Azure: a zone-redundant standby database, Container Apps environment and "
        "AKS node pool — the vm scale set and its one NAT gateway stay in one zone (see "
        "docs/azure.md)",
    )
    aws: AwsConfig = AwsConfig()
    azure: AzureConfig = AzureConfig()
    gcp: GcpConfig = GcpConfig()
    tags: Annotated[dict[str, str], AfterValidator(_tags)] = Field(
        default_factory=dict,
        description="added to every resource's tags/labels, beside `app`, `stack`, `managed-by`",
        json_schema_extra=_shown(
            allowed="map; keys start with a letter, ≤ 63 characters; per cloud: see "
            "[combinations](#combinations-the-clouds-refuse)"
        ),
    )
    # Other service settings, e.g. {"LLMCHAIN_RATE_LIMIT_PER_MINUTE": 120}.
    app_settings: Annotated[dict[str, Any], AfterValidator(_app_settings)] = Field(
        default_factory=dict,
        description="passed to the service as plain environment ([settings.md](settings.md)): "
        "rate limits, retries, fallbacks, agent limits, the OTLP endpoint. Settings the program "
        "owns (provider, model, memory, port…) are refused naming the key that sets them; names "
        "that look secret (`*KEY*`, `*TOKEN*`, `*PASSWORD*`, `*SECRET*`, `*HEADERS*`) are "
        "refused: use a secret",
        json_schema_extra=_shown(
            allowed="map of service settings (`LLMCHAIN_*`, `OTEL_*`, `LANGSMITH_*`) to strings, "
            "numbers, booleans"
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _fill_by_cloud(cls, data: Any) -> Any:
        """Put the cloud's default of each unset FILLED_BY_CLOUD key into the raw config."""
        if not isinstance(data, dict):
            return data  # not a map: the model's own error says so
        try:
            cloud = Cloud(str(data.get("cloud")))
        except ValueError:
            # The cloud's own error is the one to report; any cloud's defaults keep the filled
            # keys from adding a "Field required" of their own (the config is refused anyway).
            cloud = Cloud.LOCAL
        filled = dict(data)  # a copy: the caller's map stays as given
        for key, by_cloud in FILLED_BY_CLOUD.items():
            section, _, name = key.rpartition(".")  # one level at most: `llm.provider`
            if not section:
                if filled.get(name) is None:
                    filled[name] = by_cloud[cloud]
                continue
            given = filled.get(section, {})
            # A section that is not a map is left alone: its own error says so.
            if isinstance(given, dict) and given.get(name) is None:
                filled[section] = {**given, name: by_cloud[cloud]}
        return filled

    @model_validator(mode="after")
    def _fits_the_cloud(self, info: ValidationInfo) -> StackConfig:
        """Refuse what the cloud does not offer (its defaults are filled in already)."""
        computes = COMPUTE_BY_CLOUD[self.cloud]
        compute = self.compute
        if compute not in computes:
            raise _KeyError(
                "compute",
                compute.value,
                f"not available for cloud '{self.cloud.value}'; allowed: "
                + ", ".join(c.value for c in computes),
            )
        backends = BACKENDS_BY_CLOUD[self.cloud]
        backend = self.memory.backend
        if backend not in backends:
            raise _KeyError(
                "memory.backend",
                backend.value,
                f"not available for cloud '{self.cloud.value}'; allowed: "
                + ", ".join(b.value for b in backends),
            )
        provider = self.llm.provider
        secrets = set((info.context or {}).get("secrets", ()))
        if provider is Provider.OPENAI and "openaiApiKey" not in secrets:
            raise _KeyError(
                "openaiApiKey",
                None,
                "required when llmchain:llm.provider is openai: "
                "pulumi config set --secret llmchain:openaiApiKey sk-...",
            )
        if provider is Provider.OPENAI_COMPATIBLE and not self.llm.base_url:
            raise _KeyError(
                "llm.baseUrl", None, "required when llmchain:llm.provider is openai-compatible"
            )
        if self.ingress.domain and compute not in DOMAIN_SUPPORT.get(self.cloud, ()):
            where = (
                ", ".join(c.value for c in DOMAIN_SUPPORT.get(self.cloud, ())) or "no compute mode"
            )
            raise _KeyError(
                "ingress.domain",
                self.ingress.domain,
                f"on {self.cloud.value} a custom domain is set up for {where} yet, not for "
                f"llmchain:compute={compute.value}; drop it or change the compute mode",
            )
        if self.cloud is Cloud.AWS and self.ingress.domain and not self.aws.hosted_zone_id:
            raise _KeyError(
                "aws.hostedZoneId",
                None,
                "required with llmchain:ingress.domain on AWS: the Route 53 zone that "
                "validates the certificate and points the name at the load balancer",
            )
        if self.cloud is Cloud.AZURE and self.ingress.domain:
            zone_id = self.azure.dns_zone_id
            if not zone_id:
                raise _KeyError(
                    "azure.dnsZoneId",
                    None,
                    "required with llmchain:ingress.domain on Azure: the Azure DNS zone that "
                    "proves the domain to Let's Encrypt and points it at Application Gateway",
                )
            zone = zone_id.rstrip("/").rsplit("/", 1)[1].lower()
            if self.ingress.domain != zone and not self.ingress.domain.endswith("." + zone):
                raise _KeyError(
                    "ingress.domain",
                    self.ingress.domain,
                    f"not in the zone llmchain:azure.dnsZoneId names ({zone})",
                )
            if not self.ingress.public:
                raise _KeyError(
                    "ingress.domain",
                    self.ingress.domain,
                    "a private Azure stack has no HTTPS entry: Application Gateway v2 without a "
                    "public address is a preview behind a subscription feature "
                    "(EnableApplicationGatewayNetworkIsolation); drop the domain or set "
                    "llmchain:ingress.public true",
                )
        private_gcp_vm = self.cloud is Cloud.GCP and compute is Compute.VM
        if private_gcp_vm and self.ingress.domain and not self.ingress.public:
            raise _KeyError(
                "ingress.domain",
                self.ingress.domain,
                "a private GCP vm stack is served by an internal load balancer over HTTP inside "
                "the VPC (no Google-managed certificate); drop the domain or set "
                "llmchain:ingress.public true",
            )
        if self.scaling.min > self.scaling.max:
            limit = f"must not exceed llmchain:scaling.max ({self.scaling.max})"
            raise _KeyError("scaling.min", self.scaling.min, limit)
        refusals = [*unsupported(self), *_api_refusals(self, compute)]
        if refusals:
            raise ValueError("\n  ".join(refusals))  # each line names its key (infra/limits.py)
        return self

    @property
    def providers(self) -> str:
        """The provider packages the image carries (the image's PROVIDERS build argument)."""
        return self.image.providers or str(self.llm.provider)

    @property
    def platform(self) -> str:
        """The image's platform: `llmchain:image.platform`, else the host's (local) or amd64."""
        if self.image.platform:
            return self.image.platform
        return host_platform() if self.cloud is Cloud.LOCAL else "linux/amd64"


# Where each stack key takes effect. A key honoured on every cloud and mode is in
# HONOURED_EVERYWHERE; any other is in KEY_SUPPORT, and a value other than its default is
# refused where it would have no effect (tests/infra/test_config_support.py walks both).
# KNOWN_GAPS: keys a target still ignores somewhere without refusing them (not by design).
Places = dict[Cloud, tuple[Compute, ...]]
CLOUDS = (Cloud.AWS, Cloud.AZURE, Cloud.GCP)


def _on(*clouds: Cloud, modes: tuple[Compute, ...] | None = None) -> Places:
    """Every compute mode of these clouds, or only `modes`."""
    return {c: tuple(m for m in COMPUTE_BY_CLOUD[c] if modes is None or m in modes) for c in clouds}


def _fallbacks(stack: StackConfig) -> str:
    return str(stack.app_settings.get("LLMCHAIN_FALLBACK_MODELS", ""))


@dataclass(frozen=True)
class PlaceCondition:
    """What a key needs on one cloud and mode only, where its other places need nothing."""

    when: Callable[[StackConfig], bool]
    condition: str  # in words, for docs/configuration.md ("with `ingress.domain`")
    reason: str  # why it has no effect there without it, in the refusal's words
    remedy: str  # what to set there instead of unsetting the key


@dataclass(frozen=True)
class Support:
    """Where a key takes effect; elsewhere a value other than its default is refused."""

    places: Places
    reason: str  # why it has no effect elsewhere, in the refusal's words
    when: Callable[[StackConfig], bool] | None = None  # a further condition (filled config)
    condition: str = ""  # that condition in words, for docs/configuration.md
    # Places (among `places`) that need a condition of their own on top of `when`.
    only_if: dict[tuple[Cloud, Compute], PlaceCondition] = field(default_factory=dict)

    def honoured(self, stack: StackConfig) -> bool:
        """True when the key takes effect on this (filled) stack."""
        return self.refusal(stack) is None

    def refusal(self, stack: StackConfig) -> tuple[str, str] | None:
        """Why the key has no effect on this (filled) stack and the fix; None when it does."""
        if stack.compute not in self.places.get(stack.cloud, ()):
            return self.reason, "unset it"
        place = self.only_if.get((stack.cloud, stack.compute))
        if place is not None and not place.when(stack):
            return place.reason, f"{place.remedy} or unset it"
        if self.when is None or self.when(stack):
            return None
        return self.reason, "unset it"


_NO_ALARMS = "local has no alarms (the clouds' monitoring sends them)"
# The 5xx share and p95 latency need a view of every HTTP answer: the ALB (AWS serverless, vm),
# the app's access log in the workspace (Azure serverless, cluster), in CloudWatch Logs through
# Container Insights (AWS cluster: the EKS Service's NLB is layer 4) or Cloud Logging / Managed
# Prometheus (GCP). Azure vm logs to journald on each instance behind a layer-4 load balancer:
# there only Application Gateway's access log sees them, with a domain (_GATEWAY_VIEW).
_HTTP_ALARMS: Places = {
    Cloud.AWS: (Compute.SERVERLESS, Compute.VM, Compute.CLUSTER),
    Cloud.AZURE: tuple(COMPUTE_BY_CLOUD[Cloud.AZURE]),  # vm only with a domain: _GATEWAY_VIEW
    Cloud.GCP: tuple(COMPUTE_BY_CLOUD[Cloud.GCP]),
}
_NO_HTTP_VIEW = "no alarm sees every HTTP answer there: local has no alarms"
# Azure vm logs to journald on each instance behind a layer-4 load balancer: only Application
# Gateway, which a domain puts in front, sees every HTTP answer (its access log feeds the alerts).
_GATEWAY_VIEW = {
    (Cloud.AZURE, Compute.VM): PlaceCondition(
        lambda s: s.ingress.domain is not None,
        "with `ingress.domain`",
        "azure vm without llmchain:ingress.domain has no view of every HTTP answer: the app "
        "logs to journald on each instance and the load balancer is layer 4; the Application "
        "Gateway a domain brings logs each answer to the workspace, which the alerts read",
        "set llmchain:ingress.domain (with llmchain:azure.dnsZoneId)",
    )
}
KEY_SUPPORT: dict[str, Support] = {
    "llm.baseUrl": Support(
        _on(*Cloud),
        "only the openai-compatible provider calls a base URL (app/providers/factory.py)",
        lambda s: (
            s.llm.provider is Provider.OPENAI_COMPATIBLE
            or f"{Provider.OPENAI_COMPATIBLE.value}:" in _fallbacks(s)
        ),
        "with `llm.provider: openai-compatible` (or such a fallback)",
    ),
    "scaling.min": Support(_on(*CLOUDS), "local runs one container (no autoscaling)"),
    "scaling.max": Support(_on(*CLOUDS), "local runs one container (no autoscaling)"),
    "scaling.concurrency": Support(
        _on(Cloud.AZURE, Cloud.GCP, modes=(Compute.SERVERLESS,)),
        "only Container Apps (its HTTP scale rule) and Cloud Run (requests per instance) scale "
        "on requests; AWS and the vm and cluster modes scale on CPU, local runs one container",
    ),
    "ingress.domain": Support(
        {c: DOMAIN_SUPPORT.get(c, ()) for c in Cloud},
        "a custom domain is set up only where the target makes its certificate and routing",
    ),
    "ingress.port": Support(
        _on(Cloud.LOCAL),
        "the host port of the local container; a cloud serves through its own endpoint or "
        "load balancer",
    ),
    "alerts.email": Support(_on(*CLOUDS), _NO_ALARMS),
    "monitoring.logRetentionDays": Support(
        _on(*CLOUDS), "local logs stay with the Docker engine (`docker logs`, its log driver)"
    ),
    "monitoring.errorRatePercent": Support(_HTTP_ALARMS, _NO_HTTP_VIEW, only_if=_GATEWAY_VIEW),
    "monitoring.latencyP95Ms": Support(_HTTP_ALARMS, _NO_HTTP_VIEW, only_if=_GATEWAY_VIEW),
    "ha": Support(_on(*CLOUDS), "local is one container on one machine"),
    "database.deletionProtection": Support(
        _on(*CLOUDS),
        "only a PostgreSQL memory store (clouds, llmchain:memory.backend postgres) creates a "
        "database",
        lambda s: s.memory.backend is Backend.POSTGRES,
        "with `memory.backend: postgres`",
    ),
    "database.instance": Support(
        _on(*CLOUDS),
        "only a PostgreSQL memory store (clouds, llmchain:memory.backend postgres) creates a "
        "database",
        lambda s: s.memory.backend is Backend.POSTGRES,
        "with `memory.backend: postgres`",
    ),
    "aws.hostedZoneId": Support(
        _on(Cloud.AWS, modes=DOMAIN_SUPPORT[Cloud.AWS]),
        "the Route 53 zone of llmchain:ingress.domain; without a domain nothing uses it",
        lambda s: s.ingress.domain is not None,
        "with `ingress.domain`",
    ),
    "aws.instanceType": Support(_on(Cloud.AWS, modes=(Compute.VM,)), "AWS vm's EC2 instances"),
    "aws.nodeInstanceType": Support(
        _on(Cloud.AWS, modes=(Compute.CLUSTER,)), "AWS cluster's EKS nodes"
    ),
    "aws.fargateSpot": Support(
        _on(Cloud.AWS, modes=(Compute.SERVERLESS,)),
        "Fargate Spot is a capacity provider of ECS on Fargate (AWS serverless)",
    ),
    "azure.vmSize": Support(
        _on(Cloud.AZURE, modes=(Compute.VM,)), "Azure vm's scale set instances"
    ),
    "azure.nodeVmSize": Support(_on(Cloud.AZURE, modes=(Compute.CLUSTER,)), "the AKS nodes"),
    "azure.purgeProtection": Support(
        _on(Cloud.AZURE),
        "Key Vault keeps the secrets on serverless and vm",
        only_if={
            (Cloud.AZURE, Compute.CLUSTER): PlaceCondition(
                lambda s: s.ingress.domain is not None,
                "with `ingress.domain`",
                "AKS keeps the secrets in Kubernetes Secrets and has a vault only for "
                "llmchain:ingress.domain's certificate",
                "set llmchain:ingress.domain (with llmchain:azure.dnsZoneId)",
            )
        },
    ),
    "azure.openaiModelVersion": Support(
        _on(Cloud.AZURE),
        "only llmchain:llm.provider azure-openai creates an Azure OpenAI deployment",
        lambda s: s.llm.provider is Provider.AZURE_OPENAI,
        "with `llm.provider: azure-openai`",
    ),
    "azure.openaiCapacity": Support(
        _on(Cloud.AZURE),
        "only llmchain:llm.provider azure-openai creates an Azure OpenAI deployment",
        lambda s: s.llm.provider is Provider.AZURE_OPENAI,
        "with `llm.provider: azure-openai`",
    ),
    "azure.kubernetesVersion": Support(
        _on(Cloud.AZURE, modes=(Compute.CLUSTER,)), "an AKS setting"
    ),
    "azure.adminGroupObjectIds": Support(
        _on(Cloud.AZURE, modes=(Compute.CLUSTER,)), "an AKS setting"
    ),
    "azure.authorizedIpRanges": Support(
        _on(Cloud.AZURE, modes=(Compute.CLUSTER,)), "an AKS setting"
    ),
    "azure.dnsZoneId": Support(
        _on(Cloud.AZURE, modes=DOMAIN_SUPPORT[Cloud.AZURE]),
        "the Azure DNS zone of llmchain:ingress.domain; without a domain nothing uses it",
        lambda s: s.ingress.domain is not None,
        "with `ingress.domain`",
    ),
    "gcp.machineType": Support(_on(Cloud.GCP, modes=(Compute.VM,)), "GCP vm's instances"),
    "gcp.deletionProtection": Support(
        _on(Cloud.GCP, modes=(Compute.SERVERLESS, Compute.CLUSTER)),
        "it protects the Cloud Run service and the GKE cluster; GCP vm's instance group has none",
    ),
    "gcp.modelLocation": Support(
        _on(Cloud.GCP),
        "only llmchain:llm.provider vertexai calls Vertex AI",
        lambda s: s.llm.provider is Provider.VERTEXAI,
        "with `llm.provider: vertexai`",
    ),
    "gcp.authorizedNetworks": Support(
        _on(Cloud.GCP, modes=(Compute.CLUSTER,)), "the GKE control plane's networks"
    ),
}
HONOURED_EVERYWHERE = (
    "cloud",
    "compute",
    "llm.provider",
    "llm.model",
    "llm.temperature",
    "memory.backend",
    "memory.retentionDays",
    "resources.cpu",
    "resources.memory",
    "ingress.public",
    "ingress.anonymous",
    "image.platform",
    "image.providers",
    "image.baseImage",
    "image.ref",
    "tags",
    "appSettings",
)
# Ignored somewhere without a refusal: defects, not design; docs/configuration.md shows them.
KNOWN_GAPS: dict[str, str] = {}


def _value(stack: BaseModel, key: str) -> tuple[Any, Any]:
    """A key's value on the stack and its field default (`scaling.min` -> (2, 1))."""
    *sections, last = key.split(".")
    model: BaseModel = stack
    for part in sections:
        model = getattr(model, to_snake(part))
    name = to_snake(last)
    default = type(model).model_fields[name].get_default(call_default_factory=True)
    return getattr(model, name), default


def unsupported(stack: StackConfig) -> list[str]:
    """One `llmchain:` line per key set (not to its default) where it has no effect."""
    lines = []
    for key, support in KEY_SUPPORT.items():
        value, default = _value(stack, key)
        refused = support.refusal(stack)
        if value == default or refused is None:
            continue
        reason, fix = refused
        where = f"{stack.cloud.value} {stack.compute}"
        lines.append(
            f"{NAMESPACE}:{key}={value!r}: has no effect on {where}: {reason} "
            f"(honoured on: {describe_places(support)}); {fix}"
        )
    return lines


def describe_places(support: Support) -> str:
    """`aws serverless, vm; gcp vm` (and the condition), as users read it."""
    if support.places == _on(*Cloud) and not support.only_if:
        where = "every cloud"
    elif support.places == _on(*CLOUDS) and not support.only_if:
        where = "the clouds (aws, azure, gcp)"
    else:
        parts = []
        for cloud, modes in support.places.items():
            if not modes:
                continue
            conditioned = {m: c for (at, m), c in support.only_if.items() if at is cloud}
            if modes == tuple(COMPUTE_BY_CLOUD[cloud]) and not conditioned:
                parts.append(cloud.value)
            else:
                named = [f"{m.value} {conditioned[m].condition}" if m in conditioned else m.value
                         for m in modes]  # fmt: skip
                parts.append(f"{cloud.value} " + ", ".join(named))
        where = "; ".join(parts) or "nowhere yet"
    return f"{where}, {support.condition}" if support.condition else where


def _api_refusals(stack: StackConfig, compute: Compute) -> list[str]:
    """Combinations the cloud's API (or the runtime) refuses, one `llmchain:` line each."""
    cloud = stack.cloud.value
    if stack.cloud is Cloud.LOCAL:
        return []
    types = {
        "aws.instanceType": stack.aws.instance_type,
        "aws.nodeInstanceType": stack.aws.node_instance_type,
        "azure.vmSize": stack.azure.vm_size,
        "azure.nodeVmSize": stack.azure.node_vm_size,
        "gcp.machineType": stack.gcp.machine_type,
    }
    default_instance = ""
    ha_database = stack.ha and stack.memory.backend is Backend.POSTGRES
    if stack.cloud is Cloud.AZURE and ha_database and not stack.database.instance:
        from infra.azure.database import DEFAULT_SKU  # the SKU the program would send

        default_instance = DEFAULT_SKU
    return [
        *limits.resource_refusals(cloud, compute, stack.resources.cpu, stack.resources.memory),
        *limits.architecture_refusals(cloud, compute, stack.image.platform or limits.AMD64, types),
        *limits.ha_refusals(cloud, ha_database, stack.database.instance, default_instance),
        *limits.tag_refusals(cloud, compute, stack.tags),
        *limits.request_timeout_refusals(cloud, compute, stack.app_settings),
    ]


class _KeyError(ValueError):
    """A cross-field problem, tied to the key it is about."""

    def __init__(self, key: str, value: Any, reason: str) -> None:
        shown = "" if value is None else f"={value!r}"
        super().__init__(f"llmchain:{key}{shown}: {reason}")


def _key_name(loc: tuple[int | str, ...]) -> str:
    """`("scaling", "max")` -> `llmchain:scaling.max`, in the camelCase users write."""
    return f"{NAMESPACE}:" + ".".join(to_camel(str(part)) for part in loc)


def describe(exc: ValidationError) -> str:
    """One line per problem: the key, the value given, and what is allowed."""
    lines = []
    for err in exc.errors(include_url=False):
        msg = err["msg"].removeprefix("Value error, ")
        if msg.startswith(f"{NAMESPACE}:"):
            lines.append(msg)
            continue
        key = _key_name(tuple(err["loc"]))
        value = err.get("input")
        shown = "" if isinstance(value, dict) or err["type"] == "missing" else f"={value!r}"
        if err["type"] == "extra_forbidden":
            msg = "unknown key (a typo?)"
        lines.append(f"{key}{shown}: {msg}")
    return "invalid stack configuration:\n  " + "\n  ".join(lines)


def _raw_keys() -> dict[str, Any]:
    """Every `llmchain:` key set on the stack, as Pulumi hands them to the program."""
    from infra.pulumi_sdk import stack_config_map

    # Pulumi's Config API reads one key at a time; to refuse unknown keys (typos) the whole
    # map is needed, which only the SDK's runtime keeps (infra/pulumi_sdk.py).
    merged = stack_config_map()
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: v for k, v in merged.items() if k.startswith(prefix)}


@dataclass(frozen=True)
class Location:
    """Where a cloud stack deploys, from its provider's own keys (checked at load)."""

    region: str = ""  # aws:region, azure-native:location, gcp:region; "" for local
    project: str = ""  # gcp:project; "" elsewhere


class LoadedStack(NamedTuple):
    """What the program reads from the stack, once: the config, the secrets, the location."""

    config: StackConfig
    # The secret keys the stack sets (`apiKeys`, `openaiApiKey`...), each a secret output;
    # unset ones are absent. build_spec turns them into the service's secret settings.
    secrets: dict[str, pulumi.Output[str]]
    location: Location


def load_stack_config() -> LoadedStack:
    """Read `llmchain:*` from the stack, secrets included, each key once; validate the config.

    Raises ConfigError naming each bad key.
    """
    config = pulumi.Config(NAMESPACE)
    raw: dict[str, Any] = {}
    for key in _raw_keys():
        if key in SECRET_KEYS:
            continue
        try:
            raw[key] = config.get_object(key)  # objects, numbers, booleans
        except pulumi.ConfigTypeError:
            raw[key] = config.get(key)  # plain strings such as `aws`
    read = {key: config.get_secret(key) for key in SECRET_KEYS}
    secrets = {key: value for key, value in read.items() if value is not None}
    if "cloud" not in raw:
        raise ConfigError(
            "invalid stack configuration:\n  llmchain:cloud: required; one of local, aws, "
            "azure, gcp (pulumi config set llmchain:cloud aws)"
        )
    try:
        stack = StackConfig.model_validate(raw, context={"secrets": list(secrets)})
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None
    # The stack name goes into physical names and labels; refuse those the clouds refuse.
    name = pulumi.get_stack()
    problems = limits.name_problems(name, stack.cloud.value, str(stack.compute))
    if problems:
        longest = limits.longest_stack(stack.cloud.value, str(stack.compute))
        raise ConfigError(
            "invalid stack configuration:\n  "
            + "\n  ".join(f"stack {name!r}: {problem}" for problem in problems)
            + f"\n  allowed on {stack.cloud.value} {stack.compute}: stack names of lowercase "
            f"letters, digits and single hyphens, at most {longest} characters"
        )
    provider = {key: _provider_setting(key) for key in PROVIDER_KEYS[stack.cloud]}
    missing = [key for key, value in provider.items() if not value]
    if missing:
        raise ConfigError(
            "invalid stack configuration:\n  "
            + "\n  ".join(
                f"{key}: required for cloud {stack.cloud.value} "
                f"({PROVIDER_KEYS[stack.cloud][key].example})"
                for key in missing
            )
        )
    fields = {
        wanted.field: provider[key] or "" for key, wanted in PROVIDER_KEYS[stack.cloud].items()
    }
    return LoadedStack(stack, secrets, Location(**fields))


def _provider_setting(key: str) -> str | None:
    """A provider's own setting (`aws:region`...), as the stack holds it."""
    namespace, _, name = key.partition(":")
    value: str | None = pulumi.Config(namespace).get(name)
    return value
