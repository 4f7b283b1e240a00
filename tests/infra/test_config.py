"""Stack configuration: every bad key fails before any resource, naming the key, value and rule."""

from __future__ import annotations

import pytest

from infra.plan import PlanConfigError, run_plan


def refused(stack: str, overrides: dict, secrets: dict | None = None) -> str:
    with pytest.raises(PlanConfigError) as info:
        run_plan(stack, overrides, secrets)
    assert info.value.registered == []  # nothing was registered
    return str(info.value)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"llmchain:cloud": "mars"}, "llmchain:cloud='mars': Input should be 'local', 'aws'"),
        ({"llmchain:compute": "lambda"}, "llmchain:compute='lambda': Input should be 'serverless'"),
        ({"llmchain:compute": "cluster"}, "llmchain:compute='cluster': not available for cloud 'local'; allowed: serverless"),
        ({"llmchain:llm.provider": "gpt"}, "llmchain:llm.provider='gpt': Input should be 'fake'"),
        ({"llmchain:llm.temperature": 3}, "llmchain:llm.temperature=3: Input should be less than or equal to 2"),
        ({"llmchain:llm.provider": "openai"}, "llmchain:openaiApiKey: required when llmchain:llm.provider is openai"),
        ({"llmchain:llm.provider": "openai-compatible"}, "llmchain:llm.baseUrl: required"),
        ({"llmchain:llm.baseUrl": "localhost:11434"}, "llmchain:llm.baseUrl='localhost:11434': String should match pattern"),
        ({"llmchain:memory.backend": "postgres"}, "llmchain:memory.backend='postgres': not available for cloud 'local'; allowed: sqlite, memory"),
        ({"llmchain:memory.backend": "redis"}, "llmchain:memory.backend='redis': Input should be"),
        ({"llmchain:scaling.max": 0}, "llmchain:scaling.max=0: Input should be greater than or equal to 1"),
        ({"llmchain:scaling.min": 5, "llmchain:scaling.max": 2}, "llmchain:scaling.min=5: must not exceed llmchain:scaling.max (2)"),
        ({"llmchain:scaling.concurrency": "lots"}, "llmchain:scaling.concurrency='lots': Input should be a valid integer"),
        ({"llmchain:resources.cpu": 64}, "llmchain:resources.cpu=64: Input should be less than or equal to 8"),
        ({"llmchain:resources.memory": 128}, "llmchain:resources.memory=128: Input should be greater than or equal to 512"),
        ({"llmchain:ingress.public": "maybe"}, "llmchain:ingress.public='maybe': Input should be a valid boolean"),
        ({"llmchain:ingress.domain": "https://x.io"}, "llmchain:ingress.domain='https://x.io': must be a DNS name"),
        ({"llmchain:ingress.port": 80}, "llmchain:ingress.port=80: Input should be greater than or equal to 1024"),
        ({"llmchain:alerts.email": "ops"}, "llmchain:alerts.email='ops': must be an e-mail address"),
        ({"llmchain:tags": {"bad key!": "x"}}, "llmchain:tags: Value error, tag 'bad key!'"),
        ({"llmchain:image.platform": "windows/amd64"}, "llmchain:image.platform='windows/amd64': String should match pattern"),
        ({"llmchain:scalling": 3}, "llmchain:scalling=3: unknown key (a typo?)"),
        ({"llmchain:scaling.maximum": 3}, "llmchain:scaling.maximum=3: unknown key (a typo?)"),
        ({"llmchain:appSettings": {"PATH": "/tmp"}}, "llmchain:appSettings: Value error, 'PATH': only service settings (LLMCHAIN_*, OTEL_*, LANGSMITH_*) may be set here"),
        ({"llmchain:appSettings": {"LLMCHAIN_MODEL": "gpt-4o"}}, "'LLMCHAIN_MODEL' is set by llmchain:llm.model"),
        ({"llmchain:appSettings": {"LLMCHAIN_REDIS_URL": "redis://h"}}, "'LLMCHAIN_REDIS_URL' is set by the secret llmchain:redisUrl"),
        ({"llmchain:appSettings": {"OTEL_EXPORTER_OTLP_HEADERS": "a=b"}}, "'OTEL_EXPORTER_OTLP_HEADERS' looks secret"),
        ({"llmchain:appSettings": {"LLMCHAIN_RETRY_ATTEMPTS": [1]}}, "'LLMCHAIN_RETRY_ATTEMPTS': a string, number or boolean"),
    ],
)  # fmt: skip
def test_bad_key_is_named_and_nothing_is_registered(overrides: dict, expected: str) -> None:
    message = refused("dev", overrides)
    assert expected.replace("Value error, ", "") in message


def test_every_problem_is_reported_at_once() -> None:
    message = refused("dev", {"llmchain:scaling.max": 0, "llmchain:resources.cpu": 0.1})
    assert "llmchain:scaling.max=0" in message
    assert "llmchain:resources.cpu=0.1" in message


def test_missing_cloud_says_how_to_set_it() -> None:
    message = refused("dev", {"llmchain:cloud": None})
    assert "llmchain:cloud: required" in message


def test_cloud_defaults_follow_the_cloud() -> None:
    plan = run_plan("dev", {"llmchain:llm": {}, "llmchain:memory": {}})
    envs = plan.one("docker:index/container:Container").inputs["envs"]
    assert "LLMCHAIN_PROVIDER=fake" in envs
    assert "LLMCHAIN_MEMORY_BACKEND=sqlite" in envs


def test_openai_with_its_secret_is_accepted() -> None:
    plan = run_plan(
        "dev",
        {"llmchain:llm.provider": "openai", "llmchain:image.providers": "openai"},
        {"llmchain:openaiApiKey": "sk-test"},
    )
    image = plan.one("docker-build:index:Image")
    assert image.inputs["buildArgs"]["PROVIDERS"] == "openai"


def test_app_settings_reach_the_service() -> None:
    plan = run_plan(
        "dev",
        {
            "llmchain:appSettings": {
                "LLMCHAIN_RATE_LIMIT_PER_MINUTE": 120,
                "LLMCHAIN_FALLBACK_MODELS": "fake:fake-backup",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
                "LANGSMITH_TRACING": True,
            }
        },
    )
    envs = plan.one("docker:index/container:Container").inputs["envs"]
    for expected in (
        "LLMCHAIN_RATE_LIMIT_PER_MINUTE=120",
        "LLMCHAIN_FALLBACK_MODELS=fake:fake-backup",
        "OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318",
        "LANGSMITH_TRACING=true",
    ):
        assert expected in envs


def test_library_secrets_go_to_the_clouds_secret_store() -> None:
    plan = run_plan(
        "aws",
        {},
        {"llmchain:langsmithApiKey": "ls-test", "llmchain:redisUrl": "redis://:pw@cache:6379"},
    )
    names = {s.inputs["namePrefix"] for s in plan.of_type("aws:secretsmanager/secret:Secret")}
    assert {"llmchain-aws/langsmith-api-key-", "llmchain-aws/llmchain-redis-url-"} <= names
    assert "ls-test" not in str(plan.resources) and "pw@cache" not in str(plan.resources)


def test_every_key_has_a_line_in_docs_configuration() -> None:
    """A config key a user cannot read about is a key nobody sets right."""
    from pydantic import BaseModel
    from pydantic.alias_generators import to_camel

    from infra.config import StackConfig
    from infra.plan import ROOT

    doc = (ROOT / "docs" / "configuration.md").read_text()

    def keys(model: type[BaseModel], prefix: str) -> list[str]:
        found = []
        for name, field in model.model_fields.items():
            key, kind = prefix + to_camel(name), field.annotation
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                found += keys(kind, key + ".")
            else:
                found.append(key)
        return found

    assert [k for k in keys(StackConfig, "") if f"`llmchain:{k}`" not in doc] == []
