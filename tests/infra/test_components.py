"""Every component follows one naming rule, and no shipped type token is lost to a rename."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

import pulumi
import pytest

import infra
from infra.component import Component, extended, type_token

# Every component type token a released stack may hold. A class renamed without naming its old
# token in FORMER_TYPES would change the URN of the component and of all its children, and
# `pulumi up` would replace them (the database included): this list makes that fail here.
SHIPPED = {
    "llmchain:aws:AwsTarget", "llmchain:aws:Cluster", "llmchain:aws:Database",
    "llmchain:aws:LoadBalancer", "llmchain:aws:Monitoring", "llmchain:aws:Network",
    "llmchain:aws:Registry", "llmchain:aws:Secrets", "llmchain:aws:Serverless", "llmchain:aws:Vm",
    "llmchain:azure:AzureTarget", "llmchain:azure:Cluster", "llmchain:azure:Database",
    "llmchain:azure:Monitoring", "llmchain:azure:Network", "llmchain:azure:OpenAi",
    "llmchain:azure:Registry", "llmchain:azure:Secrets", "llmchain:azure:Serverless",
    "llmchain:azure:TlsGateway", "llmchain:azure:Vm", "llmchain:azure:Workspace",
    "llmchain:azure:ContainerApp", "llmchain:azure:Vault", "llmchain:azure:Alerts",
    "llmchain:azure:ScaleSet", "llmchain:azure:Aks", "llmchain:azure:Logs",
    "llmchain:gcp:GcpTarget", "llmchain:gcp:Cluster", "llmchain:gcp:Database",
    "llmchain:gcp:LogStorage", "llmchain:gcp:Monitoring", "llmchain:gcp:Network",
    "llmchain:gcp:Registry", "llmchain:gcp:Secrets", "llmchain:gcp:Serverless", "llmchain:gcp:Vm",
    "llmchain:gcp:CloudRun", "llmchain:gcp:InstanceGroup", "llmchain:gcp:Gke", "llmchain:gcp:Logs",
    "llmchain:image:AppImage", "llmchain:kubernetes:KubernetesWorkload",
    "llmchain:local:LocalTarget",
}  # fmt: skip


def _components() -> list[type[Component]]:
    """Every concrete Component subclass defined under infra/."""
    for module in pkgutil.walk_packages(infra.__path__, "infra."):
        if ".readiness" in module.name or module.name.endswith("__main__"):
            continue
        importlib.import_module(module.name)
    found: list[type[Component]] = []
    todo = list(Component.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if not getattr(cls, "__abstractmethods__", None):
            found.append(cls)
    return found


def test_every_component_resource_is_a_component() -> None:
    """No component bypasses the base (and with it the naming rule and the aliases)."""
    others = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _all_subclasses(pulumi.ComponentResource)
        if cls.__module__.startswith("infra.") and not issubclass(cls, Component)
    ]
    assert others == []


def _all_subclasses(base: type) -> list[type]:
    """base's subclasses, transitively."""
    out, todo = [], list(base.__subclasses__())
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo += cls.__subclasses__()
    return out


def test_every_shipped_type_token_is_a_components_type_or_former_type() -> None:
    """A renamed component names its old type token, so deployed stacks keep their resources."""
    _components()
    known = {t for cls in _all_subclasses(Component) for t in (cls.TYPE, *cls.FORMER_TYPES)}
    assert sorted(SHIPPED - known) == []


def test_every_component_type_is_listed_as_shipped() -> None:
    """A new component joins SHIPPED, so that renaming it later is caught like the others."""
    assert sorted({cls.TYPE for cls in _components()} - SHIPPED) == []


@pytest.mark.parametrize("cls", _components(), ids=lambda c: c.TYPE)
def test_the_type_token_is_llmchain_package_class(cls: type[Component]) -> None:
    """`llmchain:<folder under infra/>:<class name>`, for every component alike."""
    package = cls.__module__.split(".")[1]
    assert cls.TYPE == f"llmchain:{package}:{cls.__name__}" == type_token(cls)


def test_a_component_outside_infra_is_refused() -> None:
    """The rule needs the folder: a component elsewhere fails at its definition, not at deploy."""
    with pytest.raises(TypeError, match="a component lives in a module under infra/"):
        type("Stray", (Component,), {"__module__": "somewhere"})


def test_extended_args_take_the_base_fields_and_refuse_an_unrelated_base() -> None:
    """`extended(VmArgs, runtime, ...)`: the shared fields come from `runtime` itself."""

    @dataclasses.dataclass
    class Base:
        a: int

    @dataclasses.dataclass(kw_only=True)
    class Child(Base):
        b: int

    @dataclasses.dataclass
    class Other:
        a: int

    assert extended(Child, Base(1), b=2) == Child(a=1, b=2)
    with pytest.raises(TypeError, match="Child does not extend Other"):
        extended(Child, Other(1), b=2)
