"""The `dev` stack's plan: the image, the container running it, its health check and memory."""

from __future__ import annotations

import json
import re

import pytest

from infra.config import host_platform
from infra.local.engine import resolve_host
from infra.plan import Plan, main, run_plan
from infra.spec import APP_DIR, image_tag

SECRET = "sk-never-in-plain-text"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return run_plan("dev", secrets={"llmchain:apiKeys": SECRET})


def test_image_is_built_from_app_and_loaded_not_pushed(plan: Plan) -> None:
    image = plan.one("docker-build:index:Image")
    assert image.inputs["context"] == {"location": str(APP_DIR)}
    assert image.inputs["dockerfile"] == {"location": str(APP_DIR / "Dockerfile")}
    # The laptop's own platform: no emulation on Apple silicon or arm64 Linux.
    assert image.inputs["platforms"] == [host_platform()]
    assert image.inputs["buildArgs"]["PROVIDERS"] == "fake,openai"
    # the Dockerfile's default base, pinned to the digest its registry names at preview
    assert re.fullmatch(
        r"python:3\.11-slim@sha256:[0-9a-f]{64}", image.inputs["buildArgs"]["BASE_IMAGE"]
    )
    assert image.inputs["push"] is False
    assert image.inputs["load"] is True
    tag = image_tag(APP_DIR, APP_DIR / "Dockerfile", [host_platform()], image.inputs["buildArgs"])
    assert image.inputs["tags"] == [f"localhost/llmchain-dev:{tag}"]
    assert image.parent == plan.one("llmchain:image:AppImage").urn


def test_container_runs_the_loaded_tag_not_the_build_digest(plan: Plan) -> None:
    # A classic-store engine knows a loaded image by the tags it was loaded with and by its
    # config digest; the build's `digest` is the manifest digest, which it cannot resolve
    # (pulumi/pulumi-docker-build#260): `image=<digest>` ends in "pull access denied".
    container = plan.one("docker:index/container:Container")
    image = plan.one("docker-build:index:Image")
    ref = container.inputs["image"]
    assert ref in image.inputs["tags"]
    assert not ref.startswith("sha256:") and "@" not in ref
    assert ref == plan.outputs["image_ref"]
    assert container.parent == plan.one("llmchain:local:LocalTarget").urn
    assert image.urn in container.dependencies  # created after the build has loaded it


def test_build_and_container_use_one_engine(plan: Plan) -> None:
    resources = plan.by_urn()

    def host_of(resource_type: str) -> str:
        provider = plan.one(resource_type).provider
        assert provider is not None, f"{resource_type} uses the ambient provider"
        return str(resources[provider.rsplit("::", 1)[0]].inputs["host"])

    hosts = {
        host_of(kind)
        for kind in (
            "docker-build:index:Image",
            "docker:index/container:Container",
            "docker:index/network:Network",
            "docker:index/volume:Volume",
        )
    }
    assert hosts == {resolve_host()}


def test_container_is_hardened_and_published_on_loopback(plan: Plan) -> None:
    inputs = plan.one("docker:index/container:Container").inputs
    # Host port 8080: `make run` has 8000 and both may run at once.
    assert inputs["ports"] == [{"internal": 8000, "external": 8080, "ip": "127.0.0.1"}]
    assert inputs["user"] == "10001:10001"
    assert inputs["readOnly"] is True
    assert "/tmp" in inputs["tmpfs"]
    assert inputs["capabilities"] == {"drops": ["ALL"]}
    assert inputs["securityOpts"] == ["no-new-privileges:true"]
    assert inputs["restart"] == "unless-stopped"
    assert inputs["stopTimeout"] > 30  # longer than the app's shutdown grace
    assert inputs["memory"] == 1024


def test_health_check_probes_healthz(plan: Plan) -> None:
    check = plan.one("docker:index/container:Container").inputs["healthcheck"]
    assert check["tests"][:3] == ["CMD", "python3", "-c"]
    assert "'http://127.0.0.1:8000/healthz'" in check["tests"][-1]
    assert check["retries"] == 3


def test_chat_memory_is_sqlite_on_a_kept_volume(plan: Plan) -> None:
    volume = plan.one("docker:index/volume:Volume")
    container = plan.one("docker:index/container:Container").inputs
    assert container["volumes"] == [{"volumeName": volume.inputs["name"], "containerPath": "/data"}]
    assert (
        plan.outputs["memory_store"]
        == f"sqlite:/data/chat.sqlite on volume {volume.inputs['name']}"
    )


def test_secrets_never_appear_in_plain_env(plan: Plan) -> None:
    container = plan.one("docker:index/container:Container")
    assert container.inputs["envs"] == "[secret]"  # the whole list is a Pulumi secret
    assert SECRET not in json.dumps(plan.to_json())


def test_env_without_secrets_is_plain_and_complete() -> None:
    envs = run_plan("dev").one("docker:index/container:Container").inputs["envs"]
    assert "LLMCHAIN_PROVIDER=fake" in envs
    assert "LLMCHAIN_MEMORY_URL=/data/chat.sqlite" in envs
    assert "LLMCHAIN_HOST=0.0.0.0" in envs
    assert "PORT=8000" in envs


def test_outputs_contract(plan: Plan) -> None:
    assert set(plan.outputs) == {"url", "image_ref", "health_url", "dashboard_url", "memory_store"}
    assert plan.outputs["url"] == "http://127.0.0.1:8080"
    assert plan.outputs["health_url"] == "http://127.0.0.1:8080/healthz"
    assert plan.outputs["dashboard_url"] is None  # Docker has no dashboard


def test_every_resource_is_labelled_and_parented(plan: Plan) -> None:
    for resource in plan.resources:
        if resource.custom:
            assert resource.parent is not None, resource.name  # inside a component
    for token in ("docker:index/network:Network", "docker:index/volume:Volume",
                  "docker:index/container:Container"):  # fmt: skip
        labels = {x["label"]: x["value"] for x in plan.one(token).inputs["labels"]}
        assert labels["app"] == "llmchain"
        assert labels["stack"] == "dev"
        assert labels["managed-by"] == "pulumi"


def test_public_ingress_binds_all_interfaces_and_tags_flow() -> None:
    plan = run_plan("dev", {"llmchain:ingress.public": True, "llmchain:tags": {"team": "ml"}})
    inputs = plan.one("docker:index/container:Container").inputs
    assert inputs["ports"][0]["ip"] == "0.0.0.0"
    assert {"label": "team", "value": "ml"} in inputs["labels"]


def test_memory_backend_needs_no_volume() -> None:
    plan = run_plan("dev", {"llmchain:memory.backend": "memory"})
    assert plan.of_type("docker:index/volume:Volume") == []
    assert "lost on restart" in plan.outputs["memory_store"]


def test_cli_json_mermaid_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "dev", "--json", "--secret", f"llmchain:apiKeys={SECRET}"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"resources", "outputs", "warnings"}
    assert {"urn", "type", "name", "parent", "custom", "inputs"} <= set(document["resources"][0])
    assert SECRET not in json.dumps(document)
    assert main(["--stack", "dev", "--mermaid"]) == 0
    assert capsys.readouterr().out.startswith("flowchart TD")
    assert main(["--stack", "dev", "--set", "llmchain:compute=vm"]) == 2
    assert "llmchain:compute='vm'" in capsys.readouterr().err
    assert main(["--stack", "nowhere"]) == 2
    assert "no stack file Pulumi.nowhere.yaml" in capsys.readouterr().err
