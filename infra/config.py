"""The stack configuration (namespace `llmchain:`): typed, validated, every error naming its key."""

from __future__ import annotations

import platform
import re
from enum import StrEnum
from typing import Annotated, Any

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
from pydantic.alias_generators import to_camel

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

# The cloud provider's own settings each cloud needs, and how to set them.
PROVIDER_KEYS: dict[Cloud, dict[str, str]] = {
    Cloud.LOCAL: {},
    Cloud.AWS: {"aws:region": "pulumi config set aws:region eu-west-1"},
    Cloud.AZURE: {"azure-native:location": "pulumi config set azure-native:location westeurope"},
    Cloud.GCP: {
        "gcp:project": "pulumi config set gcp:project <project-id>",
        "gcp:region": "pulumi config set gcp:region us-central1",
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


class _Section(BaseModel):
    """A config object: camelCase keys as in Pulumi config, unknown keys refused."""

    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True
    )


class LlmConfig(_Section):
    """`llmchain:llm`: which model answers."""

    provider: Provider | None = None
    model: str | None = None
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    base_url: str | None = Field(default=None, pattern=r"^https?://")


class MemoryConfig(_Section):
    """`llmchain:memory`: where chat memory is kept, and for how long."""

    backend: Backend | None = None
    # LLMCHAIN_SESSION_RETENTION_DAYS: sessions unused this long are deleted; 0 = forever.
    retention_days: float = Field(default=0, ge=0, le=36_500)


class ScalingConfig(_Section):
    """`llmchain:scaling`: replica range and requests per replica."""

    min: int = Field(default=1, ge=0, le=100)
    max: int = Field(default=3, ge=1, le=100)
    concurrency: int = Field(default=50, ge=1, le=1000)


class ResourcesConfig(_Section):
    """`llmchain:resources`: what one replica gets."""

    cpu: float = Field(default=0.5, ge=0.25, le=8)
    memory: int = Field(default=1024, ge=512, le=32768, description="MiB")


class IngressConfig(_Section):
    """`llmchain:ingress`: who can reach the service."""

    public: bool = True
    domain: Annotated[str | None, AfterValidator(_domain)] = None
    # A public stack without `llmchain:apiKeys` gets a generated key (output `api_key`);
    # true serves it to anyone, on purpose.
    anonymous: bool = False
    # 8080, not 8000: `make run` serves on 8000, and both may run on one laptop.
    port: int = Field(default=8080, ge=1024, le=65535, description="local: host port")


class AlertsConfig(_Section):
    """`llmchain:alerts`: where alarms go."""

    email: Annotated[str | None, AfterValidator(_email)] = None


class DatabaseConfig(_Section):
    """`llmchain:database`: the PostgreSQL that keeps chat memory in the clouds."""

    deletion_protection: bool = True
    instance: str | None = Field(default=None, description="the cloud's instance class")


class MonitoringConfig(_Section):
    """`llmchain:monitoring`: log retention and alarm thresholds."""

    log_retention_days: int = Field(default=30, ge=1, le=3653)
    error_rate_percent: float = Field(default=5.0, gt=0, le=100)
    latency_p95_ms: int = Field(default=10_000, ge=100, le=600_000)


class AwsConfig(_Section):
    """`llmchain:aws`: settings only AWS has."""

    hosted_zone_id: str | None = Field(default=None, pattern=r"^Z[A-Z0-9]{4,31}$")
    instance_type: str = Field(default="t3.small", pattern=r"^[a-z0-9-]+\.[a-z0-9]+$")
    node_instance_type: str = Field(default="t3.medium", pattern=r"^[a-z0-9-]+\.[a-z0-9]+$")
    # Percent of ECS tasks on Fargate Spot (serverless): cheaper, interruptible at two
    # minutes' notice; a cost option for non-production stacks.
    fargate_spot: int = Field(default=0, ge=0, le=100)


class AzureConfig(_Section):
    """`llmchain:azure`: settings only Azure has."""

    vm_size: str = Field(default="Standard_B2s", pattern=r"^Standard_[A-Za-z0-9_]+$")
    node_vm_size: str = Field(default="Standard_D2s_v5", pattern=r"^Standard_[A-Za-z0-9_]+$")
    purge_protection: bool = True
    # The model version for llmchain:llm.model (DEFAULT_MODELS' gpt-4.1-mini by default).
    openai_model_version: str = Field(default="2025-04-14", pattern=r"^[0-9A-Za-z.-]+$")
    openai_capacity: int = Field(default=10, ge=1, le=1000, description="thousand tokens/minute")
    # AKS's Kubernetes minor; None: KUBERNETES_VERSION in infra/azure/cluster.py (dated in
    # infra/readiness/facts.py). AKS refuses new clusters on a minor past its support date.
    kubernetes_version: str | None = Field(default=None, pattern=r"^1\.[0-9]+(\.[0-9]+)?$")
    # AKS: Entra groups (object ids) whose members are cluster-admin; Azure RBAC for Kubernetes
    # authorizes everyone else (https://learn.microsoft.com/en-us/azure/aks/manage-azure-rbac,
    # read 2026-11-29).
    admin_group_object_ids: tuple[
        Annotated[str, Field(pattern=r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")],
        ...,
    ] = ()
    # AKS: who may reach the API server, as CIDRs; empty: any address, Entra ID still
    # authenticates (preview warns). The machine running Pulumi must be inside.
    # https://learn.microsoft.com/en-us/azure/aks/api-server-authorized-ip-ranges (read 2026-11-29)
    authorized_ip_ranges: tuple[Annotated[str, Field(pattern=r"^[0-9.]+(/[0-9]{1,2})?$")], ...] = ()
    # With llmchain:ingress.domain (vm, cluster): the resource id of the public Azure DNS zone
    # that holds the domain, in the stack's subscription: it proves the domain to Let's
    # Encrypt (DNS-01) and carries the domain's A record.
    dns_zone_id: str | None = Field(
        default=None,
        pattern=r"(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/dnszones/[^/]+$",
    )


class GcpConfig(_Section):
    """`llmchain:gcp`: settings only GCP has."""

    machine_type: str = Field(default="e2-small", pattern=r"^[a-z0-9]+-[a-z0-9-]+$")
    deletion_protection: bool = True  # Cloud Run service and GKE cluster
    # Where Vertex AI serves the model (LLMCHAIN_GCP_LOCATION): `global` (every Gemini 3.x
    # model; https://docs.cloud.google.com/vertex-ai/generative-ai/docs/learn/locations, read
    # 2026-11-29), a multi-region (`us`, `eu`) or a region such as `us-central1`.
    model_location: str = Field(default="global", pattern=r"^(global|us|eu|[a-z]+-[a-z]+[0-9]+)$")
    # GKE: who may reach the control plane's public endpoint (master authorized networks), as
    # CIDRs; empty: anyone, authenticated by Google IAM (preview warns). The machine running
    # Pulumi must be inside. https://cloud.google.com/kubernetes-engine/docs/how-to/authorized-networks
    # (read 2026-11-29)
    authorized_networks: tuple[
        Annotated[str, Field(pattern=r"^[0-9a-fA-F.:]+/[0-9]{1,3}$")], ...
    ] = ()


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
    platform: str | None = Field(default=None, pattern=r"^linux/(amd64|arm64)$")
    providers: str | None = Field(default=None, pattern=r"^[a-z-]+(,[a-z-]+)*$")
    # The Dockerfile's BASE_IMAGE build argument; None keeps the Dockerfile's default.
    base_image: Annotated[str | None, AfterValidator(_pullable)] = Field(
        default=None, max_length=255, pattern=_IMAGE_REF
    )
    # A prebuilt image to run instead of building app/: CI builds once and promotes that one
    # image, by digest, from stack to stack (docs/ci.md). A digest, never a bare tag: a tag
    # can be re-pointed, and then two stacks with "the same" setting run different code.
    ref: str | None = Field(default=None, max_length=255, pattern=_IMAGE_BY_DIGEST)

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

    cloud: Cloud
    compute: Compute | None = None
    llm: LlmConfig = LlmConfig()
    memory: MemoryConfig = MemoryConfig()
    scaling: ScalingConfig = ScalingConfig()
    resources: ResourcesConfig = ResourcesConfig()
    ingress: IngressConfig = IngressConfig()
    alerts: AlertsConfig = AlertsConfig()
    image: ImageConfig = ImageConfig()
    database: DatabaseConfig = DatabaseConfig()
    monitoring: MonitoringConfig = MonitoringConfig()
    ha: bool = False  # a NAT gateway per zone, a standby database
    aws: AwsConfig = AwsConfig()
    azure: AzureConfig = AzureConfig()
    gcp: GcpConfig = GcpConfig()
    tags: Annotated[dict[str, str], AfterValidator(_tags)] = Field(default_factory=dict)
    # Other service settings, e.g. {"LLMCHAIN_RATE_LIMIT_PER_MINUTE": 120}.
    app_settings: Annotated[dict[str, Any], AfterValidator(_app_settings)] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _fits_the_cloud(self, info: ValidationInfo) -> StackConfig:
        """Fill per-cloud defaults and refuse what the cloud does not offer."""
        fill: dict[str, Any] = {}
        computes = COMPUTE_BY_CLOUD[self.cloud]
        compute = self.compute or computes[0]
        if compute not in computes:
            raise _KeyError(
                "compute",
                compute.value,
                f"not available for cloud '{self.cloud.value}'; allowed: "
                + ", ".join(c.value for c in computes),
            )
        fill["compute"] = compute
        backends = BACKENDS_BY_CLOUD[self.cloud]
        backend = self.memory.backend or backends[0]
        if backend not in backends:
            raise _KeyError(
                "memory.backend",
                backend.value,
                f"not available for cloud '{self.cloud.value}'; allowed: "
                + ", ".join(b.value for b in backends),
            )
        fill["memory"] = self.memory.model_copy(update={"backend": backend})
        provider = self.llm.provider or PROVIDER_BY_CLOUD[self.cloud]
        fill["llm"] = self.llm.model_copy(update={"provider": provider})
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
        refusals = _api_refusals(self, compute)
        if refusals:
            raise ValueError("\n  ".join(refusals))  # each line names its key (infra/limits.py)
        for key, value in fill.items():
            object.__setattr__(self, key, value)  # frozen model: filling its own defaults
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
    backend = stack.memory.backend or BACKENDS_BY_CLOUD[stack.cloud][0]
    ha_database = stack.ha and backend is Backend.POSTGRES
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


def load_stack_config() -> StackConfig:
    """Read `llmchain:*` from the stack and validate it; raise ConfigError naming each bad key."""
    config = pulumi.Config(NAMESPACE)
    raw: dict[str, Any] = {}
    for key in _raw_keys():
        if key in SECRET_KEYS:
            continue
        try:
            raw[key] = config.get_object(key)  # objects, numbers, booleans
        except pulumi.ConfigTypeError:
            raw[key] = config.get(key)  # plain strings such as `aws`
    secrets = [key for key in SECRET_KEYS if config.get_secret(key) is not None]
    if "cloud" not in raw:
        raise ConfigError(
            "invalid stack configuration:\n  llmchain:cloud: required; one of local, aws, "
            "azure, gcp (pulumi config set llmchain:cloud aws)"
        )
    try:
        stack = StackConfig.model_validate(raw, context={"secrets": secrets})
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
    missing = [key for key in PROVIDER_KEYS[stack.cloud] if not _provider_setting(key)]
    if missing:
        raise ConfigError(
            "invalid stack configuration:\n  "
            + "\n  ".join(
                f"{key}: required for cloud {stack.cloud.value} ({PROVIDER_KEYS[stack.cloud][key]})"
                for key in missing
            )
        )
    return stack


def _provider_setting(key: str) -> str | None:
    """A provider's own setting (`aws:region`...), as the stack holds it."""
    namespace, _, name = key.partition(":")
    value: str | None = pulumi.Config(namespace).get(name)
    return value
