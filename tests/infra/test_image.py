"""The image component: pushed by digest with explicit credentials, loaded by its tag; the tag
is a digest over every build input."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from infra.config import Cloud, ImageConfig, StackConfig, host_platform
from infra.image import AppImage, AppImageArgs, RegistryLogin
from infra.mocks import PlanMocks
from infra.plan import readable
from infra.spec import APP_DIR, ImageBuild, image_tag
from tests.infra.plan_cache import Plans

BUILD = ImageBuild(APP_DIR, APP_DIR / "Dockerfile", "linux/amd64", "bedrock")


class Recorder(PlanMocks):
    """Keeps the inputs and the mocked outputs of the image resource."""

    def __init__(self) -> None:
        self.inputs: dict = {}
        self.state: dict = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        ident, state = super().new_resource(args)
        if args.typ == "docker-build:index:Image":
            self.inputs = dict(args.inputs)
            self.state = state
        return ident, state


@pytest.fixture
def recorder() -> Recorder:
    mocks = Recorder()
    pulumi.runtime.set_mocks(mocks, project="llmchain", stack="test", preview=False)
    return mocks


@pulumi.runtime.test
def test_pushed_image_is_referenced_by_digest(recorder: Recorder) -> pulumi.Output:
    password = pulumi.Output.secret("registry-token")
    image = AppImage(
        "app",
        AppImageArgs(
            build=BUILD,
            repository="123456789012.dkr.ecr.us-east-1.amazonaws.com/llmchain",
            registry=RegistryLogin("123456789012.dkr.ecr.us-east-1.amazonaws.com", "AWS", password),
        ),
    )

    def check(ref: str) -> None:
        assert ref.startswith("123456789012.dkr.ecr.us-east-1.amazonaws.com/llmchain@sha256:")
        assert ref.endswith(recorder.state["digest"])
        inputs = recorder.inputs
        assert inputs["push"] is True
        assert inputs["load"] is False
        assert inputs["tags"] == [
            f"123456789012.dkr.ecr.us-east-1.amazonaws.com/llmchain:{BUILD.tag}"
        ]
        assert inputs["buildArgs"] == {"PROVIDERS": "bedrock"}
        # The credentials travel as a Pulumi secret (the whole list, password included).
        assert readable(inputs["registries"]) == "[secret]"
        registry = inputs["registries"]["value"][0]
        assert registry["address"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com"
        assert registry["username"] == "AWS"

    return image.ref.apply(check)


@pulumi.runtime.test
def test_loaded_image_is_referenced_by_its_tag(recorder: Recorder) -> pulumi.Output:
    build = ImageBuild(APP_DIR, APP_DIR / "Dockerfile", "linux/arm64", "fake", "python:3.12-slim")
    image = AppImage("app", AppImageArgs(build=build, repository="localhost/llmchain-dev"))

    def check(ref: str) -> None:
        # The provider reports a load's manifest digest (the mock does too, like the real
        # one): not an id a classic-store engine resolves. The tag is.
        assert recorder.state["digest"].startswith("sha256:")
        assert recorder.state["digest"] not in ref
        assert ref == f"localhost/llmchain-dev:{build.tag}"
        assert recorder.inputs["load"] is True
        assert recorder.inputs["push"] is False
        assert recorder.inputs["platforms"] == ["linux/arm64"]
        assert recorder.inputs["buildArgs"] == {
            "PROVIDERS": "fake",
            "BASE_IMAGE": "python:3.12-slim",
        }

    return image.ref.apply(check)


# --- the tag covers every build input ------------------------------------------------------


@pytest.fixture
def context(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "Dockerfile").write_text("ARG BASE_IMAGE=python:3.11-slim\nFROM ${BASE_IMAGE}\n")
    return tmp_path


def test_tag_changes_with_each_build_input(context: Path) -> None:
    def tag(**change: str) -> str:
        inputs = {"platform": "linux/amd64", "providers": "fake", "base_image": "", **change}
        build = ImageBuild(
            context,
            context / "Dockerfile",
            inputs["platform"],
            inputs["providers"],
            inputs["base_image"] or None,
        )
        return build.tag

    first = tag()
    assert tag() == first  # deterministic
    variants = {
        "platform": tag(platform="linux/arm64"),
        "providers": tag(providers="fake,openai"),
        "base image": tag(base_image="python:3.12-slim"),
    }
    (context / "Dockerfile").write_text("FROM python:3.12-slim\n")
    variants["Dockerfile"] = tag()
    (context / "Dockerfile").write_text("ARG BASE_IMAGE=python:3.11-slim\nFROM ${BASE_IMAGE}\n")
    assert tag() == first
    (context / "app.py").write_text("x = 2\n")
    variants["context file"] = tag()
    assert first not in variants.values(), variants
    assert len(set(variants.values())) == len(variants), variants


def test_tag_covers_any_build_arg_and_ignores_paths(context: Path, tmp_path: Path) -> None:
    dockerfile = context / "Dockerfile"
    plain = image_tag(context, dockerfile, ["linux/amd64"], {"PROVIDERS": "fake"})
    extra = image_tag(context, dockerfile, ["linux/amd64"], {"PROVIDERS": "fake", "X": "1"})
    assert plain != extra
    # The same inputs in another checkout give the same tag (no path is hashed).
    copy = tmp_path / "elsewhere"
    copy.mkdir()
    for name in ("app.py", "Dockerfile"):
        (copy / name).write_bytes((context / name).read_bytes())
    assert image_tag(copy, copy / "Dockerfile", ["linux/amd64"], {"PROVIDERS": "fake"}) == plain


def test_stack_config_reaches_the_tag(plans: Plans) -> None:
    base = plans.get("aws").one("docker-build:index:Image").inputs
    for key, value in (
        ("llmchain:image.providers", "bedrock,openai"),
        ("llmchain:image.platform", "linux/arm64"),
        ("llmchain:image.baseImage", "public.ecr.aws/docker/library/python:3.12-slim"),
    ):
        changed = plans.get("aws", {key: value}).one("docker-build:index:Image").inputs
        assert changed["tags"] != base["tags"], key
    plan = plans.get("aws", {"llmchain:image.baseImage": "python:3.12-slim"})
    build_args = plan.one("docker-build:index:Image").inputs["buildArgs"]
    assert build_args["BASE_IMAGE"].startswith("python:3.12-slim@sha256:")
    held = "python:3.12-slim@sha256:" + "e" * 64  # a digest given is used as it is
    plan = plans.get("aws", {"llmchain:image.baseImage": held})
    assert plan.one("docker-build:index:Image").inputs["buildArgs"]["BASE_IMAGE"] == held


# --- the platform ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("machine", "platform"),
    [
        ("x86_64", "linux/amd64"),
        ("AMD64", "linux/amd64"),  # Windows spells it so
        ("arm64", "linux/arm64"),  # macOS on Apple silicon
        ("aarch64", "linux/arm64"),  # arm64 Linux
        ("riscv64", "linux/amd64"),  # not one we build: the clouds' platform
    ],
)
def test_host_platform(machine: str, platform: str) -> None:
    assert host_platform(machine) == platform


def test_platform_defaults_to_the_host_locally_and_amd64_in_the_clouds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("platform.machine", lambda: "arm64")
    assert StackConfig.model_validate({"cloud": "local"}).platform == "linux/arm64"
    for cloud in (Cloud.AWS, Cloud.AZURE, Cloud.GCP):
        # Built without validation: only the platform default is under test here.
        config = StackConfig.model_construct(cloud=cloud, image=ImageConfig())
        assert config.platform == "linux/amd64"
    chosen = {"cloud": "local", "image": {"platform": "linux/amd64"}}
    assert StackConfig.model_validate(chosen).platform == "linux/amd64"


def test_base_image_must_be_pullable() -> None:
    with pytest.raises(ValueError, match="local-only image cannot be a base"):
        StackConfig.model_validate({"cloud": "local", "image": {"baseImage": "localhost/b:1"}})
    with pytest.raises(ValueError, match="String should match pattern"):
        StackConfig.model_validate({"cloud": "local", "image": {"baseImage": "Not An Image"}})
    ok = {"cloud": "local", "image": {"baseImage": "localhost:5000/python:3.11-slim"}}
    assert StackConfig.model_validate(ok).image.base_image == "localhost:5000/python:3.11-slim"
