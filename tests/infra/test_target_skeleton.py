"""Every cloud's target is the same skeleton: one compute step per mode, dispatched by the base."""

from __future__ import annotations

import importlib

import pytest

from infra.config import COMPUTE_BY_CLOUD, Cloud, Location
from infra.targets import Target

TARGETS = {Cloud.AWS: "AwsTarget", Cloud.AZURE: "AzureTarget", Cloud.GCP: "GcpTarget"}


@pytest.mark.parametrize("cloud", list(TARGETS))
def test_each_cloud_has_a_compute_step_for_each_of_its_modes(cloud: Cloud) -> None:
    """The base dispatches by name; a cloud missing a mode's step would fail only at plan time."""
    target = getattr(importlib.import_module(f"infra.{cloud.value}.target"), TARGETS[cloud])
    assert issubclass(target, Target)
    for mode in COMPUTE_BY_CLOUD[cloud]:
        assert callable(getattr(target, Target.COMPUTE_STEPS[mode], None)), (cloud, mode)
    assert "compute" not in vars(target), "the dispatch is the base's, not written again"


def test_a_target_without_its_build_step_cannot_be_made() -> None:
    """`build` is abstract: a new cloud's target that forgets it fails at once, by name."""

    class Incomplete(Target[object]):
        TYPE = "llmchain:test:Incomplete"

    with pytest.raises(TypeError, match="build"):
        Incomplete("x", None, object(), Location())  # type: ignore[abstract, arg-type]


SKELETON = ("_network", "_identity", "_registry", "_database", "_secrets", "_runtime")


@pytest.mark.parametrize("cloud", list(TARGETS))
def test_each_cloud_writes_the_skeletons_steps_under_the_same_names(cloud: Cloud) -> None:
    """docs/program.md's steps: a newcomer finds each one, by name, in every cloud's target."""
    target = getattr(importlib.import_module(f"infra.{cloud.value}.target"), TARGETS[cloud])
    missing = [step for step in SKELETON if not callable(getattr(target, step, None))]
    assert missing == []
