"""Settings: defaults; a bad value stops start-up naming the variable and what is allowed."""

from __future__ import annotations

import os

import pytest

from app.core.config import MemoryBackend, Provider, load_settings
from app.core.errors import ConfigError
from tests.conftest import ServerFactory


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("LLMCHAIN_") or name in ("PORT", "OPENAI_API_KEY"):
            monkeypatch.delenv(name)


def test_defaults_are_the_laptop_setup() -> None:
    settings = load_settings()
    assert settings.provider is Provider.FAKE
    assert settings.model == "fake-echo"
    assert settings.memory_backend is MemoryBackend.SQLITE
    assert settings.port == 8000
    assert settings.host == "127.0.0.1"
    assert settings.api_keys == []
    assert settings.chains_file.name == "chains.yaml"


def test_environment_is_read_with_prefix_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("LLMCHAIN_PROVIDER", "openai")
    monkeypatch.setenv("LLMCHAIN_TEMPERATURE", "0.3")
    monkeypatch.setenv("LLMCHAIN_API_KEYS", " k1, k2 ,,k3")
    monkeypatch.setenv("LLMCHAIN_LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.port == 9123
    assert settings.provider is Provider.OPENAI
    assert settings.model == "gpt-4o-mini"  # the provider's default model
    assert settings.temperature == 0.3
    assert settings.api_key_values() == [b"k1", b"k2", b"k3"]
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("LLMCHAIN_PROVIDER", "gpt", ["LLMCHAIN_PROVIDER='gpt'", "'fake'", "'bedrock'"]),
        ("LLMCHAIN_MEMORY_BACKEND", "redis", ["LLMCHAIN_MEMORY_BACKEND='redis'", "'postgres'"]),
        ("LLMCHAIN_TEMPERATURE", "3", ["LLMCHAIN_TEMPERATURE='3'", "less than or equal to 2"]),
        ("PORT", "eighty", ["PORT='eighty'", "valid integer"]),
        ("LLMCHAIN_LOG_LEVEL", "loud", ["LLMCHAIN_LOG_LEVEL", "'DEBUG'", "'ERROR'"]),
        ("LLMCHAIN_MAX_BATCH_SIZE", "0", ["LLMCHAIN_MAX_BATCH_SIZE='0'", "greater than or equal"]),
        ("LLMCHAIN_SSE_PING_S", "60", ["LLMCHAIN_SSE_PING_S='60'", "less than or equal to 15"]),
    ],
)
def test_bad_value_names_variable_and_allowed(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    for fragment in expected:
        assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LLMCHAIN_PROVIDER": "openai-compatible"}, "LLMCHAIN_BASE_URL is required"),
        ({"LLMCHAIN_PROVIDER": "azure-openai"}, "LLMCHAIN_AZURE_OPENAI_ENDPOINT is required"),
        (
            {"LLMCHAIN_MEMORY_BACKEND": "postgres", "LLMCHAIN_MEMORY_URL": "chat.sqlite"},
            "LLMCHAIN_MEMORY_URL must be a PostgreSQL URL",
        ),
    ],
)
def test_provider_and_backend_needs(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=expected):
        load_settings()


def test_secret_values_are_not_echoed_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMCHAIN_PROVIDER", "nope")
    monkeypatch.setenv("LLMCHAIN_OPENAI_API_KEY", "sk-very-secret")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "sk-very-secret" not in str(info.value)
    monkeypatch.setenv("LLMCHAIN_PROVIDER", "openai")
    assert "sk-very-secret" not in repr(load_settings())


def test_bad_setting_stops_the_process_with_the_message(servers: ServerFactory) -> None:
    code, output = servers.run_to_exit({"LLMCHAIN_PROVIDER": "gpt-5"})
    assert code == 2
    assert "configuration error" in output
    assert "LLMCHAIN_PROVIDER='gpt-5'" in output
    assert "'openai-compatible'" in output


def test_secrets_can_come_from_files(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    (tmp_path / "LLMCHAIN_OPENAI_API_KEY").write_text("sk-from-file")
    (tmp_path / "LLMCHAIN_API_KEYS").write_text("k1,k2")
    monkeypatch.setenv("LLMCHAIN_SECRETS_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.openai_api_key.get_secret_value() == "sk-from-file"
    assert settings.api_key_values() == [b"k1", b"k2"]
    monkeypatch.setenv("LLMCHAIN_API_KEYS", "from-env")  # the environment still wins
    assert load_settings().api_key_values() == [b"from-env"]


def test_mounted_langsmith_key_reaches_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """LangSmith reads only its environment: a mounted LANGSMITH_API_KEY is exported there."""
    (tmp_path / "LANGSMITH_API_KEY").write_text("ls-from-file\n")
    (tmp_path / "LANGSMITH_PROJECT").write_text("kept-from-env")
    (tmp_path / "OTHER_SECRET").write_text("not exported")
    monkeypatch.setenv("LLMCHAIN_SECRETS_DIR", str(tmp_path))
    for name in ("LANGSMITH_API_KEY", "OTHER_SECRET"):  # unset now, restored afterwards
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("LANGSMITH_PROJECT", "from-env")
    load_settings()
    assert os.environ["LANGSMITH_API_KEY"] == "ls-from-file"
    assert os.environ["LANGSMITH_PROJECT"] == "from-env"  # the environment wins
    assert "OTHER_SECRET" not in os.environ


def test_missing_secrets_dir_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("LLMCHAIN_SECRETS_DIR", str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="LLMCHAIN_SECRETS_DIR="):
        load_settings()


def test_prices_that_are_not_json_are_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, servers: ServerFactory
) -> None:
    """A JSON setting that does not parse is reported like every other bad setting."""
    monkeypatch.setenv("LLMCHAIN_PRICES", "gpt-4o-mini=0.15")
    with pytest.raises(ConfigError, match="LLMCHAIN_PRICES"):
        load_settings()
    code, output = servers.run_to_exit({"LLMCHAIN_PRICES": "{not json"})
    assert code == 2
    assert "configuration error" in output
    assert "LLMCHAIN_PRICES" in output
    assert "JSON" in output
    assert "Traceback" not in output


def test_bad_port_names_port_not_its_prefixed_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "abc")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "\n  PORT='abc' is invalid" in str(info.value)
    assert "LLMCHAIN_PORT" not in str(info.value)


def test_call_timeout_above_request_timeout_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMCHAIN_CALL_TIMEOUT_S", "90")
    monkeypatch.setenv("LLMCHAIN_REQUEST_TIMEOUT_S", "60")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "LLMCHAIN_CALL_TIMEOUT_S" in str(info.value)
    assert "LLMCHAIN_REQUEST_TIMEOUT_S" in str(info.value)


@pytest.mark.parametrize(
    ("provider", "fallbacks"),
    [
        ("fake", "opnai:gpt-4o-mini"),
        ("bedrock", "openai:gpt-4o-mini,bedrok:us.anthropic.claude-haiku-4-5-20251001-v1:0"),
        ("openai", "azur-openai:gpt-4.1-mini"),
    ],
)
def test_fallback_with_misspelt_provider_is_refused(
    monkeypatch: pytest.MonkeyPatch, provider: str, fallbacks: str
) -> None:
    monkeypatch.setenv("LLMCHAIN_PROVIDER", provider)
    monkeypatch.setenv("LLMCHAIN_FALLBACK_MODELS", fallbacks)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "LLMCHAIN_FALLBACK_MODELS" in str(info.value)
    assert "'openai'" in str(info.value) and "'vertexai'" in str(info.value)


@pytest.mark.parametrize(
    ("provider", "fallbacks"),
    [
        ("bedrock", "us.anthropic.claude-haiku-4-5-20251001-v1:0"),  # Bedrock ids hold colons
        ("openai-compatible", "llama3.1:8b,mistral:latest"),  # Ollama tags too
        ("openai", "ft:gpt-4o-mini-2024-07-18:org::abc123,fake:fake-echo"),
    ],
)
def test_fallback_model_ids_with_colons_are_kept(
    monkeypatch: pytest.MonkeyPatch, provider: str, fallbacks: str
) -> None:
    monkeypatch.setenv("LLMCHAIN_PROVIDER", provider)
    monkeypatch.setenv("LLMCHAIN_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("LLMCHAIN_FALLBACK_MODELS", fallbacks)
    assert load_settings().fallback_models == fallbacks.split(",")


def test_misspelt_variable_is_warned_about_at_start(servers: ServerFactory) -> None:
    """Unknown LLMCHAIN_ variables may belong to other tools: a warning, not a refusal."""
    server = servers.start({"LLMCHAIN_RATE_LIMIT_PER_MINUT": "10"})
    server.stop()
    logs = server.logs()
    assert "LLMCHAIN_RATE_LIMIT_PER_MINUT" in logs
    assert "LLMCHAIN_RATE_LIMIT_PER_MINUTE" in logs


def test_short_request_timeout_alone_is_still_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMCHAIN_REQUEST_TIMEOUT_S", "5")
    assert load_settings().request_timeout_s == 5
