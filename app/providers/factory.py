"""One factory for every model provider; a provider's package is imported only when selected."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from types import ModuleType
from typing import Any

from langchain_core.language_models import BaseChatModel

from app.core.config import Provider, Settings
from app.core.errors import ConfigError
from app.core.metrics import ModelCallMetrics
from app.providers.fake import FakeChatModel
from app.providers.resilience import SERVICE_BREAKERS, ResilientChatModel

# provider -> (module to import, the PyPI package that provides it)
PACKAGES: dict[Provider, tuple[str, str]] = {
    Provider.OPENAI: ("langchain_openai", "langchain-openai"),
    Provider.OPENAI_COMPATIBLE: ("langchain_openai", "langchain-openai"),
    Provider.AZURE_OPENAI: ("langchain_openai", "langchain-openai"),
    Provider.BEDROCK: ("langchain_aws", "langchain-aws"),
    Provider.VERTEXAI: ("langchain_google_genai", "langchain-google-genai"),
}
AZURE_SCOPE = "https://cognitiveservices.azure.com/.default"


def _import(provider: Provider, module: str, package: str) -> ModuleType:
    """Import a provider's module, or say exactly what to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(
            f"LLMCHAIN_PROVIDER={provider.value} needs the Python package '{package}', "
            f"which is not installed: pip install -r app/requirements/{provider.value}.txt "
            f"(for the image: --build-arg PROVIDERS={provider.value})"
        ) from None


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def _fake(s: Settings, temperature: float, max_tokens: int | None) -> BaseChatModel:
    return FakeChatModel(
        model_name=s.model,
        temperature=temperature,
        max_tokens=max_tokens,
        latency_ms=s.fake_latency_ms,
        token_latency_ms=s.fake_token_latency_ms,
        failure_rate=s.fake_failure_rate,
        failure_kind=s.fake_failure_kind,
        fail_first=s.fake_fail_first,
        failure_seed=s.fake_failure_seed,
    )


def _openai(s: Settings, temperature: float, max_tokens: int | None) -> BaseChatModel:
    mod = _import(s.provider, *PACKAGES[Provider.OPENAI])
    key = _secret(s.openai_api_key)
    if s.provider is Provider.OPENAI and not (key or os.environ.get("OPENAI_API_KEY")):
        raise ConfigError(
            "LLMCHAIN_PROVIDER=openai needs an API key: set LLMCHAIN_OPENAI_API_KEY "
            "(or OPENAI_API_KEY)"
        )
    if s.provider is Provider.OPENAI_COMPATIBLE and not key:
        key = "not-needed"  # vLLM and Ollama accept any key; the client insists on one
    model: BaseChatModel = mod.ChatOpenAI(
        model=s.model,
        temperature=temperature,
        max_tokens=max_tokens,
        api_key=key,
        base_url=s.base_url if s.provider is Provider.OPENAI_COMPATIBLE else None,
        timeout=s.call_timeout_s,
        max_retries=0,  # app/providers/resilience.py retries, honouring Retry-After
        stream_usage=True,
    )
    return model


def _azure_openai(s: Settings, temperature: float, max_tokens: int | None) -> BaseChatModel:
    mod = _import(s.provider, *PACKAGES[Provider.AZURE_OPENAI])
    key = _secret(s.azure_openai_api_key)
    auth: dict[str, Any] = {"api_key": key}
    if not key:
        # Keyless: the managed identity (or az login locally) gets an Entra ID token.
        identity = _import(s.provider, "azure.identity", "azure-identity")
        credential = identity.DefaultAzureCredential()
        auth = {
            "azure_ad_token_provider": identity.get_bearer_token_provider(credential, AZURE_SCOPE)
        }
    model: BaseChatModel = mod.AzureChatOpenAI(
        azure_endpoint=s.azure_openai_endpoint,
        azure_deployment=s.azure_openai_deployment or s.model,
        api_version=s.azure_openai_api_version,
        model=s.model,
        temperature=temperature,
        max_tokens=max_tokens,
        timeout=s.call_timeout_s,
        max_retries=0,
        stream_usage=True,
        **auth,
    )
    return model


def _bedrock(s: Settings, temperature: float, max_tokens: int | None) -> BaseChatModel:
    mod = _import(s.provider, *PACKAGES[Provider.BEDROCK])
    region = s.aws_region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise ConfigError(
            "LLMCHAIN_PROVIDER=bedrock needs a region: set LLMCHAIN_AWS_REGION (or AWS_REGION)"
        )
    # Credentials come from boto3's default chain: task role, instance profile, IRSA.
    model: BaseChatModel = mod.ChatBedrockConverse(
        model=s.model, region_name=region, temperature=temperature, max_tokens=max_tokens
    )
    return model


def _vertexai(s: Settings, temperature: float, max_tokens: int | None) -> BaseChatModel:
    mod = _import(s.provider, *PACKAGES[Provider.VERTEXAI])
    project = s.gcp_project or os.environ.get("GOOGLE_CLOUD_PROJECT")
    if not project:
        raise ConfigError(
            "LLMCHAIN_PROVIDER=vertexai needs a project: set LLMCHAIN_GCP_PROJECT "
            "(or GOOGLE_CLOUD_PROJECT)"
        )
    # vertexai=True with no key: Application Default Credentials (the service account).
    model: BaseChatModel = mod.ChatGoogleGenerativeAI(
        model=s.model,
        project=project,
        location=s.gcp_location,
        vertexai=True,
        temperature=temperature,
        max_output_tokens=max_tokens,
    )
    return model


_BUILDERS: dict[Provider, Callable[[Settings, float, int | None], BaseChatModel]] = {
    Provider.FAKE: _fake,
    Provider.OPENAI: _openai,
    Provider.OPENAI_COMPATIBLE: _openai,
    Provider.AZURE_OPENAI: _azure_openai,
    Provider.BEDROCK: _bedrock,
    Provider.VERTEXAI: _vertexai,
}


def build_chat_model(
    settings: Settings, *, temperature: float | None = None, max_tokens: int | None = None
) -> BaseChatModel:
    """The configured model and its fallbacks, behind retries and timeouts."""
    models = [build_base_model(settings, temperature=temperature, max_tokens=max_tokens)]
    names = [f"{settings.provider.value}:{settings.model}"]
    for entry in settings.fallback_models:
        # `provider:model`, or a model of the same provider (Bedrock ids contain colons too).
        prefix, _, rest = entry.partition(":")
        known = {p.value for p in Provider}
        provider, model_name = (
            (Provider(prefix), rest) if prefix in known else (settings.provider, entry)
        )
        # A fallback is a clean model of its own: no injected faults.
        fallback = settings.model_copy(
            update={
                "provider": provider,
                "model": model_name,
                "fake_failure_rate": 0.0,
                "fake_fail_first": 0,
            }
        )
        models.append(build_base_model(fallback, temperature=temperature, max_tokens=max_tokens))
        names.append(f"{provider.value}:{model_name}")
    for inner in models:
        # The wrapper streams what these produce; LangGraph must not stream it twice.
        inner.tags = [*(inner.tags or []), "nostream"]
    return ResilientChatModel(
        models=models,
        names=names,
        attempts=settings.retry_attempts,
        retry_budget_s=settings.retry_budget_s,
        call_timeout_s=settings.call_timeout_s,
        idle_timeout_s=settings.stream_idle_timeout_s,
        breaker_failures=settings.breaker_failures,
        breaker_cooldown_s=settings.breaker_cooldown_s,
        breakers=SERVICE_BREAKERS,  # one breaker per provider:model, whichever chain calls it
    )


def build_base_model(
    settings: Settings, *, temperature: float | None = None, max_tokens: int | None = None
) -> BaseChatModel:
    """One provider's chat model, with per-chain overrides applied (no retries)."""
    builder = _BUILDERS[settings.provider]
    try:
        model = builder(
            settings,
            settings.temperature if temperature is None else temperature,
            settings.max_tokens if max_tokens is None else max_tokens,
        )
    except ConfigError:
        raise
    except Exception as exc:  # a provider SDK refusing its arguments
        raise ConfigError(
            f"LLMCHAIN_PROVIDER={settings.provider.value}: the model could not be set up: {exc}"
        ) from None
    model.callbacks = [ModelCallMetrics(settings.provider.value, settings.model, settings.prices)]
    return model
