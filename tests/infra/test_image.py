"""The image component pushed to a registry: explicit credentials, a digest-pinned ref."""

from __future__ import annotations

import pulumi
import pytest

from infra.image import AppImage, AppImageArgs, RegistryLogin
from infra.mocks import PlanMocks
from infra.plan import readable
from infra.spec import APP_DIR, ImageBuild

BUILD = ImageBuild(APP_DIR, APP_DIR / "Dockerfile", "linux/amd64", "bedrock", "abc123")


class Recorder(PlanMocks):
    """Keeps the inputs of the image resource."""

    def __init__(self) -> None:
        self.inputs: dict = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        if args.typ == "docker-build:index:Image":
            self.inputs = dict(args.inputs)
        return super().new_resource(args)


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
        inputs = recorder.inputs
        assert inputs["push"] is True
        assert inputs["load"] is False
        assert inputs["tags"] == ["123456789012.dkr.ecr.us-east-1.amazonaws.com/llmchain:abc123"]
        assert inputs["buildArgs"] == {"PROVIDERS": "bedrock"}
        # The credentials travel as a Pulumi secret (the whole list, password included).
        assert readable(inputs["registries"]) == "[secret]"
        registry = inputs["registries"]["value"][0]
        assert registry["address"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com"
        assert registry["username"] == "AWS"

    return image.ref.apply(check)
