"""Service settings, read from the environment (`LLMCHAIN_*`, plus `PORT`)."""

from __future__ import annotations

import difflib
import os
import re
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from app.core.errors import ConfigError

ENV_PREFIX = "LLMCHAIN_"
DEFAULT_CHAINS_FILE = Path(__file__).resolve().parent.parent / "chains.yaml"


class Provider(StrEnum):
    """The model providers the factory knows."""

    FAKE = "fake"
    OPENAI = "openai"
    OPENAI_COMPATIBLE = "openai-compatible"
    AZURE_OPENAI = "azure-openai"
    BEDROCK = "bedrock"
    VERTEXAI = "vertexai"


class MemoryBackend(StrEnum):
    """Where chat memory (LangGraph checkpoints) is kept."""

    MEMORY = "memory"
    SQLITE = "sqlite"
    POSTGRES = "postgres"


# A model name per provider when LLMCHAIN_MODEL is not set.
DEFAULT_MODELS: dict[Provider, str] = {
    Provider.FAKE: "fake-echo",
    Provider.OPENAI: "gpt-4o-mini",
    Provider.OPENAI_COMPATIBLE: "llama3.1",
    Provider.AZURE_OPENAI: "gpt-4.1-mini",
    Provider.BEDROCK: "us.anthropic.claude-haiku-4-5-20251001-v1:0",  # as infra/config.py
    Provider.VERTEXAI: "gemini-3.5-flash-lite",  # as infra/config.py
}


# Public list prices (USD per million tokens: input, output); LLMCHAIN_PRICES overrides.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "fake-echo": (0.0, 0.0),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "anthropic.claude-3-5-haiku-20241022-v1:0": (0.80, 4.00),
    # Claude Haiku 4.5: Anthropic's list price, $1 / $5 (read 2026-11-29 at
    # https://platform.claude.com/docs/zh-CN/models/haiku-4-5/overview); Bedrock's may differ.
    "us.anthropic.claude-haiku-4-5-20251001-v1:0": (1.00, 5.00),
    "gemini-2.5-flash": (0.30, 2.50),
}


def _split_csv(value: Any) -> Any:
    """Accept `a,b,c` (how people write env vars) as well as a list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Everything the service reads from its environment, validated at start-up."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        case_sensitive=False,
        extra="ignore",
        validate_default=True,
    )

    # --- serving
    host: str = "127.0.0.1"
    port: int = Field(
        default=8000, ge=1, le=65535, validation_alias=AliasChoices("PORT", "LLMCHAIN_PORT")
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    shutdown_grace_s: int = Field(default=30, ge=0, le=3600)
    # How long an idle keep-alive connection stays open. Behind a load balancer that reuses
    # backend connections it must outlast the balancer's own timeout, or a request sent as
    # the app closes the connection gets a 502. uvicorn's default is 5 s.
    keep_alive_s: int = Field(default=5, ge=1, le=3600)
    # A request's headers must arrive within this of the connection (or of the request's
    # first byte), its body within BODY_TIMEOUT_S of its headers (app/core/connections.py).
    header_timeout_s: float = Field(default=10.0, gt=0, le=600)
    body_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    max_header_bytes: int = Field(default=65_536, ge=4096, le=1_048_576)
    # 0: the open-files limit (raised to its hard limit at start) less a reserve.
    max_connections: int = Field(default=0, ge=0)

    # --- model
    provider: Provider = Provider.FAKE
    model: str = ""
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, gt=0)
    base_url: str | None = None
    openai_api_key: SecretStr | None = None
    azure_openai_endpoint: str | None = None
    azure_openai_deployment: str | None = None
    azure_openai_api_version: str = "2024-10-21"
    azure_openai_api_key: SecretStr | None = None
    aws_region: str | None = None
    gcp_project: str | None = None
    gcp_location: str = "global"  # Gemini 3.x is served from the global endpoint
    fake_latency_ms: int = Field(default=0, ge=0, le=600_000)
    fake_token_latency_ms: int = Field(default=0, ge=0, le=60_000)
    # Fault injection (fake provider, primary model only): for tests and drills.
    fake_failure_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    fake_failure_kind: Literal["429", "500", "hang"] = "500"
    fake_fail_first: int = Field(default=0, ge=0)
    fake_failure_seed: int | None = None

    # --- resilience
    fallback_models: Annotated[list[str], NoDecode] = Field(default_factory=list)
    retry_attempts: int = Field(default=3, ge=1, le=10)
    retry_budget_s: float = Field(default=20.0, gt=0, le=600)
    call_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    stream_idle_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    # A model failing this many times in a row (timeouts, 5xx, 429) is skipped for the
    # cool-down, then probed by one call (app/providers/resilience.py); 0 turns it off.
    breaker_failures: int = Field(default=5, ge=0, le=1000)
    breaker_cooldown_s: float = Field(default=30.0, gt=0, le=3600)
    rate_limit_per_minute: int = Field(default=0, ge=0, description="per API key; 0 = off")
    rate_limit_burst: int | None = Field(default=None, ge=1)
    redis_url: str | None = Field(default=None, pattern=r"^rediss?://")
    # A frozen Redis costs a request at most this (connect and reply), and only until
    # the breaker opens: then the limiter skips Redis for the cool-down.
    redis_timeout_s: float = Field(default=0.25, gt=0, le=10)
    redis_breaker_cooldown_s: float = Field(default=10.0, gt=0, le=600)

    # --- agent
    agent_max_model_calls: int = Field(default=6, ge=1, le=100)
    agent_max_tool_calls: int = Field(default=8, ge=1, le=100)
    agent_http_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    agent_http_timeout_s: float = Field(default=5.0, gt=0, le=60)
    agent_http_max_bytes: int = Field(default=65_536, ge=1024, le=10_000_000)
    # The agent's memory window in tokens (approximate: LangChain's count_tokens_approximately).
    agent_history_tokens: int = Field(default=8_000, ge=100, le=2_000_000)

    # --- cost: model -> [USD per million input tokens, per million output tokens]
    prices: dict[str, tuple[float, float]] = Field(default_factory=lambda: dict(DEFAULT_PRICES))

    # --- chains and memory
    chains_file: Path = DEFAULT_CHAINS_FILE
    memory_backend: MemoryBackend = MemoryBackend.SQLITE
    memory_url: str = ".data/chat.sqlite"
    memory_connect_timeout_s: float = Field(default=30.0, gt=0, le=600)
    # Fail fast while PostgreSQL is down: a request waits this long for a pooled
    # connection, then gets 503 (psycopg_pool's own default is 30 s).
    memory_pool_timeout_s: float = Field(default=5.0, gt=0, le=120)
    # Turns of one session waiting behind the one running; one more gets 503 at once.
    session_queue_max: int = Field(default=8, ge=0, le=10_000)
    # PostgreSQL session leases: renewed while a turn runs, so a crashed replica's
    # lease blocks its sessions for at most this long.
    session_lease_s: float = Field(default=15.0, ge=1, le=600)
    chat_system_prompt: str = "You are a helpful assistant."
    chat_history_limit: int = Field(default=40, ge=2, le=10_000)
    session_retention_days: float = Field(default=0, ge=0, le=36_500, description="0 = forever")

    # --- access and limits
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_input_chars: int = Field(default=20_000, ge=1)
    max_batch_size: int = Field(default=32, ge=1, le=1000)
    request_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    sse_ping_s: float = Field(default=15.0, gt=0, le=15.0)

    @field_validator("api_keys", "fallback_models", "agent_http_allowed_hosts", mode="before")
    @classmethod
    def _csv(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _provider_needs(self) -> Settings:
        """Check the settings a provider cannot work without."""
        if not self.model:
            self.model = DEFAULT_MODELS[self.provider]
        needs: dict[Provider, list[str]] = {
            Provider.OPENAI_COMPATIBLE: ["base_url"],
            Provider.AZURE_OPENAI: ["azure_openai_endpoint"],
        }
        for field in needs.get(self.provider, []):
            if not getattr(self, field):
                raise ValueError(
                    f"{ENV_PREFIX}{field.upper()} is required when "
                    f"{ENV_PREFIX}PROVIDER={self.provider.value}"
                )
        if self.memory_backend is MemoryBackend.POSTGRES and not self.memory_url.startswith(
            ("postgres://", "postgresql://", "host=", "dbname=")
        ):
            raise ValueError(
                f"{ENV_PREFIX}MEMORY_URL must be a PostgreSQL URL (postgresql://...) when "
                f"{ENV_PREFIX}MEMORY_BACKEND=postgres"
            )
        explicit_call_timeout = "call_timeout_s" in self.model_fields_set
        if explicit_call_timeout and self.call_timeout_s > self.request_timeout_s:
            # One try could never finish inside its request: retries and fallbacks would
            # never get a chance, and every hang would surface as a request timeout. Only
            # an explicit CALL_TIMEOUT_S is refused: lowering REQUEST_TIMEOUT_S alone (below
            # the 30 s default) is a plain request deadline and stays allowed.
            raise ValueError(
                f"{ENV_PREFIX}CALL_TIMEOUT_S={self.call_timeout_s:g} is larger than "
                f"{ENV_PREFIX}REQUEST_TIMEOUT_S={self.request_timeout_s:g}: one model call "
                "must fit inside a request"
            )
        for entry in self.fallback_models:
            if problem := _fallback_problem(entry, self.provider):
                known = ", ".join(repr(p.value) for p in Provider)
                raise ValueError(
                    f"{ENV_PREFIX}FALLBACK_MODELS entry {entry!r}: {problem}; "
                    f"write `provider:model` with a provider among {known}, "
                    "or a model of the primary provider"
                )
        return self

    def api_key_values(self) -> list[bytes]:
        """The accepted API keys as bytes, ready for constant-time comparison."""
        return [key.get_secret_value().encode() for key in self.api_keys]


# Primary providers whose model ids never contain a colon (OpenAI's only colons are in
# fine-tuned ids, `ft:...`): there, `x:model` with an unknown `x` cannot be a model id.
# Bedrock ids (`...-v1:0`) and OpenAI-compatible servers' (Ollama's `llama3.1:8b`) do.
_NO_COLON_IDS = {Provider.FAKE, Provider.AZURE_OPENAI, Provider.VERTEXAI, Provider.OPENAI}


def _fallback_problem(entry: str, primary: Provider) -> str | None:
    """Why a fallback entry cannot be meant as written, or None when it can."""
    prefix, colon, _ = entry.partition(":")
    known = [p.value for p in Provider]
    if not colon or prefix in known:
        return None
    close = difflib.get_close_matches(prefix, known, n=1, cutoff=0.7)
    if close:
        return f"{prefix!r} is not a provider (did you mean {close[0]!r}?)"
    if primary in _NO_COLON_IDS and not (primary is Provider.OPENAI and prefix == "ft"):
        return f"{prefix!r} is not a provider, and {primary.value} model ids have no colon"
    return None


def _env_name(loc: tuple[int | str, ...]) -> str:
    """The environment variable behind a validation error location."""
    if not loc:
        return f"{ENV_PREFIX}*"
    field = str(loc[0])
    if field.lower() == "port":
        # pydantic reports the alias (`PORT`) whichever of PORT / LLMCHAIN_PORT was set.
        set_prefixed = f"{ENV_PREFIX}PORT" in os.environ and "PORT" not in os.environ
        return f"{ENV_PREFIX}PORT" if set_prefixed else "PORT"
    return f"{ENV_PREFIX}{field.upper()}"


def describe_settings_error(exc: ValidationError) -> str:
    """Turn pydantic's error into lines that name the variable and what is allowed."""
    lines = []
    for err in exc.errors(include_url=False):
        name = _env_name(err["loc"])
        got = err.get("input")
        msg = err["msg"]
        if msg.startswith("Value error, "):
            lines.append(msg.removeprefix("Value error, "))
            continue
        shown = "" if isinstance(got, dict) or got is None else f"={got!r}"
        if "api_key" in name.lower():
            shown = ""  # never echo a secret back
        lines.append(f"{name}{shown} is invalid: {msg}")
    return "invalid settings:\n  " + "\n  ".join(lines)


def describe_source_error(exc: SettingsError) -> str:
    """Name the variable whose value could not be decoded (a JSON setting that is not JSON)."""
    match = re.search(r'field "(\w+)"', str(exc))
    name = _env_name((match.group(1),)) if match else f"{ENV_PREFIX}*"
    return f"invalid settings:\n  {name} is invalid: not valid JSON ({exc.__cause__ or exc})"


# LLMCHAIN_ variables read outside the Settings fields.
OTHER_KNOWN_VARIABLES = {f"{ENV_PREFIX}SECRETS_DIR", f"{ENV_PREFIX}PORT"}


def unknown_variables(environ: dict[str, str] | None = None) -> list[tuple[str, str | None]]:
    """`LLMCHAIN_*` variables no setting reads, each with the closest known name (or None).

    They are only warned about: the environment may carry other tools' LLMCHAIN_ variables.
    """
    env = os.environ if environ is None else environ
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields} | (
        OTHER_KNOWN_VARIABLES
    )
    found = []
    for name in sorted(env):
        upper = name.upper()
        if upper.startswith(ENV_PREFIX) and upper not in known:
            close = difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.6)
            found.append((name, close[0] if close else None))
    return found


LIBRARY_SECRET_PREFIXES = ("LANGSMITH_",)


def export_library_secrets(secrets_dir: Path) -> list[str]:
    """Put mounted secrets that libraries read from the environment (LangSmith's) there.

    The environment wins: a variable already set is left alone. Returns the names exported.
    """
    exported = []
    for path in sorted(secrets_dir.iterdir()):
        if path.name.startswith(LIBRARY_SECRET_PREFIXES) and path.name not in os.environ:
            os.environ[path.name] = path.read_text().strip()
            exported.append(path.name)
    return exported


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the settings; raise ConfigError with a readable message.

    With LLMCHAIN_SECRETS_DIR set, settings are also read from files in that directory,
    one per variable (e.g. `LLMCHAIN_OPENAI_API_KEY`): how Kubernetes mounts a Secret, and
    safer than environment variables, which child processes and crash dumps inherit.
    """
    secrets_dir = os.environ.get(f"{ENV_PREFIX}SECRETS_DIR")
    if secrets_dir and not Path(secrets_dir).is_dir():
        raise ConfigError(f"{ENV_PREFIX}SECRETS_DIR={secrets_dir!r} is not a directory")
    if secrets_dir:
        export_library_secrets(Path(secrets_dir))
    try:
        if secrets_dir:
            return Settings(_secrets_dir=secrets_dir, **overrides)  # type: ignore[call-arg]
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_settings_error(exc)) from None
    except SettingsError as exc:
        # pydantic-settings decodes complex fields (LLMCHAIN_PRICES) as JSON before
        # validation, and a decoding failure escapes as SettingsError, not ValidationError.
        raise ConfigError(describe_source_error(exc)) from None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
