"""WorkloadSpec: the contract between the stack's config and the targets, built once from it.

A target reads the spec and its own cloud's typed settings (`llmchain:aws|azure|gcp`), never
the rest of the config: what the service is (image, size, settings, secrets, memory, ingress)
and how the stack runs it (compute mode, HA, database, monitoring) are all here, with the
per-cloud defaults StackConfig fills in already in place (no Optional left to guess at).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi

from infra import image_contract as contract
from infra.base_image import dockerfile_default, pin
from infra.config import (
    DEFAULT_MODELS,
    SECRET_SETTINGS,
    Backend,
    Compute,
    DatabaseConfig,
    MonitoringConfig,
    Provider,
    StackConfig,
)

ROOT = Path(__file__).resolve().parents[1]
APP_DIR = ROOT / "app"
PORT = contract.PORT
SQLITE_PATH = f"{contract.DATA_DIR}/chat.sqlite"
SHUTDOWN_GRACE_S = 30
# Files of the build context that do not change the image (mirrors app/.dockerignore).
_IGNORED_PARTS = {"__pycache__", ".data"}
_IGNORED_SUFFIXES = {".pyc", ".sqlite"}
TAG_LENGTH = 16  # hex digits of the tag: 64 bits, no collision among one repository's images


def _context_hash(context: Path) -> hashlib._Hash:
    """sha256 over the build context's files (paths and contents), build leftovers skipped."""
    digest = hashlib.sha256()
    for path in sorted(context.rglob("*")):
        rel = path.relative_to(context)
        if not path.is_file() or _IGNORED_PARTS & set(rel.parts):
            continue
        if path.suffix in _IGNORED_SUFFIXES or ".sqlite-" in path.name:
            continue
        digest.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest


def context_digest(context: Path = APP_DIR) -> str:
    """A digest of the build context's files alone (one of the inputs of `image_tag`)."""
    return _context_hash(context).hexdigest()[:16]


def image_tag(
    context: Path, dockerfile: Path, platforms: Sequence[str], build_args: Mapping[str, str]
) -> str:
    """The image tag: a digest over every build input, so a tag never names two images.

    Registries with immutable tags (ECR here) refuse a second push under an existing tag, and
    a mutable one would silently serve whichever came last; so whatever changes the image
    (the context's files, the Dockerfile, the platform, the build arguments: providers, base
    image) changes the tag. Paths are not hashed: the same inputs give the same tag anywhere.
    """
    inputs = {
        "context": _context_hash(context).hexdigest(),
        "dockerfile": hashlib.sha256(dockerfile.read_bytes()).hexdigest(),
        "platforms": sorted(platforms),
        "build_args": dict(sorted(build_args.items())),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:TAG_LENGTH]


@dataclass(frozen=True)
class ImageBuild:
    """What to build: the context, its Dockerfile, the platform, providers and base image.

    `tag` is computed from all of them (`image_tag`), never given: it cannot go stale.
    """

    context: Path
    dockerfile: Path
    platform: str
    providers: str
    base_image: str | None = None  # None: the Dockerfile's own default (its ARG BASE_IMAGE)
    # `llmchain:image.ref`: an image built elsewhere (`name@sha256:...`), run as given, not built.
    prebuilt: str | None = None
    tag: str = field(init=False)

    def __post_init__(self) -> None:
        """Compute the tag from the inputs just given."""
        tag = image_tag(self.context, self.dockerfile, [self.platform], self.build_args)
        object.__setattr__(self, "tag", tag)  # frozen: set once, here

    @property
    def build_args(self) -> dict[str, str]:
        """The Dockerfile's build arguments (ARG PROVIDERS, ARG BASE_IMAGE)."""
        args = {"PROVIDERS": self.providers}
        if self.base_image:
            args["BASE_IMAGE"] = self.base_image
        return args


@dataclass(frozen=True)
class MemoryNeed:
    """What backs chat memory; a target provides it (a volume, a database) and its URL."""

    backend: Backend
    sqlite_path: str = SQLITE_PATH

    @property
    def needs_database(self) -> bool:
        """True when the target must provide PostgreSQL."""
        return self.backend is Backend.POSTGRES

    @property
    def needs_volume(self) -> bool:
        """True when the target must mount persistent storage at /data."""
        return self.backend is Backend.SQLITE


@dataclass(frozen=True)
class Ingress:
    """Who reaches the service, and under what name."""

    public: bool
    domain: str | None
    host_port: int  # local only: the port published on the host


@dataclass(frozen=True)
class WorkloadSpec:
    """Everything a target needs to run the service; targets read this and their cloud's
    settings only."""

    name: str
    image: ImageBuild
    port: int
    cpu: float  # vCPU per replica
    memory_mib: int
    min_replicas: int
    max_replicas: int
    concurrency: int  # requests per replica before scaling out
    env: dict[str, str]  # plain settings
    secret_env: dict[str, pulumi.Output[str]]  # name -> secret output; never plain
    health_path: str
    readiness_path: str
    memory: MemoryNeed
    ingress: Ingress
    labels: dict[str, str]
    alert_email: str | None  # None: alarms fire on the console only
    provider: Provider
    shutdown_grace_s: int  # SIGTERM to exit: in-flight requests and streams finish
    compute: Compute
    ha: bool  # zone-redundant compute and database
    database: DatabaseConfig  # the PostgreSQL a cloud target makes when memory needs one
    monitoring: MonitoringConfig  # log retention and alarm thresholds


def labels_for(config: StackConfig, stack: str) -> dict[str, str]:
    """Tags/labels every resource carries: who made it, for which stack, plus the user's."""
    return {
        "app": "llmchain",
        "stack": stack,
        "managed-by": "pulumi",
        **config.tags,
    }


def build_spec(
    config: StackConfig,
    stack: str,
    secrets: Mapping[str, pulumi.Output[str]],
    api_key: pulumi.Output[str] | None = None,
) -> WorkloadSpec:
    """Turn the validated config into the workload description.

    secrets: the stack's secret keys that are set, as `load_stack_config` read them.
    api_key: a generated key the service requires when `llmchain:apiKeys` is not set.
    """
    provider = config.llm.provider
    backend = config.memory.backend
    env = {
        "LLMCHAIN_HOST": "0.0.0.0",
        "PORT": str(PORT),
        "LLMCHAIN_PROVIDER": str(provider),
        "LLMCHAIN_TEMPERATURE": f"{config.llm.temperature:g}",
        "LLMCHAIN_MEMORY_BACKEND": str(backend),
        "LLMCHAIN_SHUTDOWN_GRACE_S": str(SHUTDOWN_GRACE_S),
    }
    # Always explicit: IAM grants name the model, so infra and app must agree on it.
    env["LLMCHAIN_MODEL"] = config.llm.model or DEFAULT_MODELS[provider]
    if config.llm.base_url:
        env["LLMCHAIN_BASE_URL"] = config.llm.base_url
    if backend is Backend.SQLITE:
        env["LLMCHAIN_MEMORY_URL"] = SQLITE_PATH
    if config.memory.retention_days:
        env["LLMCHAIN_SESSION_RETENTION_DAYS"] = f"{config.memory.retention_days:g}"
    env.update(config.app_settings)  # validated: none of the above can be overridden
    secret_env: dict[str, pulumi.Output[str]] = {}
    for key, name in SECRET_SETTINGS.items():
        if key in secrets:
            secret_env[name] = secrets[key]
    if api_key is not None:
        secret_env.setdefault(SECRET_SETTINGS["apiKeys"], api_key)
    return WorkloadSpec(
        name=f"llmchain-{stack}",
        image=ImageBuild(
            context=APP_DIR,
            dockerfile=APP_DIR / "Dockerfile",
            platform=config.platform,
            providers=config.providers,
            # Pinned by digest at preview: a moving tag would make builds unrepeatable. A
            # prebuilt image (image.ref) is not built, so there is no base to pin.
            base_image=None
            if config.image.ref
            else pin(config.image.base_image or dockerfile_default(APP_DIR / "Dockerfile")),
            prebuilt=config.image.ref,
        ),
        port=PORT,
        cpu=config.resources.cpu,
        memory_mib=config.resources.memory,
        min_replicas=config.scaling.min,
        max_replicas=config.scaling.max,
        concurrency=config.scaling.concurrency,
        env=env,
        secret_env=secret_env,
        health_path=contract.HEALTH_PATH,
        readiness_path="/readyz",
        memory=MemoryNeed(backend),
        ingress=Ingress(
            public=config.ingress.public,
            domain=config.ingress.domain,
            host_port=config.ingress.port,
        ),
        labels=labels_for(config, stack),
        alert_email=config.alerts.email,
        provider=provider,
        shutdown_grace_s=SHUTDOWN_GRACE_S,
        compute=config.compute,
        ha=config.ha,
        database=config.database,
        monitoring=config.monitoring,
    )
