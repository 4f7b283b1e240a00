"""The provider factory: each provider's model and credentials, lazy imports, clear failures."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from app.core.config import load_settings
from app.core.errors import ConfigError
from app.providers.factory import build_base_model as build_chat_model
from tests.conftest import ROOT, ServerFactory


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("LLMCHAIN_", "AWS_", "OPENAI_", "AZURE_", "GOOGLE_")):
            monkeypatch.delenv(name)


def build(**settings: Any) -> Any:
    return build_chat_model(load_settings(**settings))


def test_fake_is_the_default() -> None:
    model = build()
    assert type(model).__name__ == "FakeChatModel"


def test_openai_with_key_and_overrides() -> None:
    settings = load_settings(provider="openai", openai_api_key="sk-test", temperature=0.1)
    model = build_chat_model(settings, temperature=0.9, max_tokens=42)
    assert type(model).__name__ == "ChatOpenAI"
    assert model.model_name == "gpt-4o-mini"
    assert model.temperature == 0.9
    assert model.max_tokens == 42
    assert model.openai_api_key.get_secret_value() == "sk-test"
    assert model.stream_usage is True


def test_openai_without_key_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="LLMCHAIN_OPENAI_API_KEY"):
        build(provider="openai")


def test_openai_compatible_points_at_base_url() -> None:
    model = build(provider="openai-compatible", base_url="http://127.0.0.1:11434/v1", model="qwen")
    assert type(model).__name__ == "ChatOpenAI"
    assert model.openai_api_base == "http://127.0.0.1:11434/v1"
    assert model.model_name == "qwen"


def test_azure_openai_is_keyless_by_default() -> None:
    model = build(
        provider="azure-openai",
        azure_openai_endpoint="https://example.openai.azure.com",
        azure_openai_deployment="gpt4o",
    )
    assert type(model).__name__ == "AzureChatOpenAI"
    assert model.openai_api_key is None
    assert model.azure_ad_token_provider is not None  # DefaultAzureCredential's token
    assert model.deployment_name == "gpt4o"


def test_azure_openai_uses_a_key_when_given() -> None:
    model = build(
        provider="azure-openai",
        azure_openai_endpoint="https://example.openai.azure.com",
        azure_openai_api_key="azure-key",
    )
    assert model.openai_api_key.get_secret_value() == "azure-key"
    assert model.azure_ad_token_provider is None


def test_bedrock_uses_converse_and_the_region() -> None:
    model = build(provider="bedrock", aws_region="eu-west-1", temperature=0.2)
    assert type(model).__name__ == "ChatBedrockConverse"
    assert model.region_name == "eu-west-1"
    assert "anthropic.claude" in model.model_id  # the default: a `us.anthropic...` profile
    assert model.temperature == 0.2


def test_bedrock_without_region_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="LLMCHAIN_AWS_REGION"):
        build(provider="bedrock")


def test_vertexai_uses_google_genai_on_vertex() -> None:
    model = build(provider="vertexai", gcp_project="my-project", gcp_location="europe-west4")
    assert type(model).__name__ == "ChatGoogleGenerativeAI"
    assert model.vertexai is True
    assert model.project == "my-project"
    assert model.location == "europe-west4"


def test_vertexai_without_project_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="LLMCHAIN_GCP_PROJECT"):
        build(provider="vertexai")


@pytest.mark.parametrize(
    ("provider", "module", "package", "extra"),
    [
        ("bedrock", "langchain_aws", "langchain-aws", {"aws_region": "us-east-1"}),
        ("vertexai", "langchain_google_genai", "langchain-google-genai", {"gcp_project": "p"}),
        ("openai", "langchain_openai", "langchain-openai", {"openai_api_key": "k"}),
    ],
)
def test_missing_package_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, provider: str, module: str, package: str, extra: dict
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    with pytest.raises(ConfigError) as info:
        build(provider=provider, **extra)
    message = str(info.value)
    assert f"'{package}'" in message
    assert f"pip install -r app/requirements/{provider}.txt" in message
    assert f"PROVIDERS={provider}" in message


def test_provider_packages_are_imported_only_when_selected() -> None:
    code = (
        "import sys\n"
        "from app.main import create_app\n"
        "from app.providers.factory import build_chat_model\n"
        "from app.core.config import load_settings\n"
        "build_chat_model(load_settings())\n"
        "create_app(load_settings())\n"
        "heavy = ('langchain_openai', 'langchain_aws', 'langchain_google_genai', 'boto3',"
        " 'openai', 'azure', 'google')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith(heavy)}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMCHAIN_")}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_openai_compatible_provider_over_real_http(servers: ServerFactory, http) -> None:
    """The openai-compatible provider talks to an OpenAI-style server (here: another llmchain)."""
    upstream = servers.start()
    downstream = servers.start(
        {
            "LLMCHAIN_PROVIDER": "openai-compatible",
            "LLMCHAIN_BASE_URL": f"{upstream.url}/v1",
            "LLMCHAIN_MODEL": "product-description",
            "LLMCHAIN_MEMORY_BACKEND": "memory",
        }
    )
    client = http(downstream.url)
    reply = client.post("/v1/chat", json={"session_id": "s", "message": "velvet slippers"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    # The upstream chain filled its template with the message the downstream sent.
    assert "Write a product description for velvet slippers." in body["reply"]
    assert body["usage"]["completion_tokens"] > 0
    streamed = client.post(
        "/v1/chat/completions",
        json={
            "model": "chat",
            "messages": [{"role": "user", "content": "silk scarves"}],
            "stream": True,
        },
    )
    assert "silk" in streamed.text and "data: [DONE]" in streamed.text


def test_unreachable_provider_is_a_clear_502(servers: ServerFactory, http) -> None:
    from tests.conftest import free_port

    server = servers.start(
        {
            "LLMCHAIN_PROVIDER": "openai-compatible",
            "LLMCHAIN_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
            "LLMCHAIN_REQUEST_TIMEOUT_S": "20",
        }
    )
    response = http(server.url).post(
        "/v1/chains/product-description/invoke", json={"input": {"product": "x"}}
    )
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["type"] == "provider_error"
    assert "failed after retries" in error["message"]
    assert "openai-compatible:llama3.1: unreachable" in error["message"]
