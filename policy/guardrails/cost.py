"""Cost guard (advisory): replica ceilings and machine sizes within the pack's bounds."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any

from .model import Resource, get, is_list, items, mappings
from .workloads import containers

DEFAULTS: dict[str, Any] = {
    "maxReplicas": 10,
    "maxCpu": 2.0,
    "allowedSizes": [
        "t3.micro", "t3.small", "t3.medium", "t3.large", "t4g.*",
        "db.t3.*", "db.t4g.*",
        "Standard_B*", "Standard_D2s_v5", "Standard_D2as_v5",
        # The smallest General Purpose PostgreSQL server: Azure refuses HA on Burstable.
        "Standard_D2ds_v5",
        "e2-*", "db-f1-micro", "db-g1-small", "db-custom-1-*", "db-custom-2-*",
    ],
}  # fmt: skip

# (type, path to a replica ceiling)
REPLICA_CEILINGS = (
    ("aws:appautoscaling/target:Target", "maxCapacity"),
    ("aws:autoscaling/group:Group", "maxSize"),
    ("aws:eks/nodeGroup:NodeGroup", "scalingConfig.maxSize"),
    ("azure-native:app:ContainerApp", "template.scale.maxReplicas"),
    ("gcp:cloudrunv2/service:Service", "template.scaling.maxInstanceCount"),
    ("gcp:compute/regionAutoscaler:RegionAutoscaler", "autoscalingPolicy.maxReplicas"),
    ("gcp:compute/autoscaler:Autoscaler", "autoscalingPolicy.maxReplicas"),
    ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "spec.maxReplicas"),
)
# (type, path to a machine size; a list where a resource names several)
SIZES = (
    ("aws:ec2/launchTemplate:LaunchTemplate", "instanceType"),
    ("aws:ec2/instance:Instance", "instanceType"),
    ("aws:eks/nodeGroup:NodeGroup", "instanceTypes"),
    ("aws:rds/instance:Instance", "instanceClass"),
    ("azure-native:compute:VirtualMachineScaleSet", "sku.name"),
    ("azure-native:dbforpostgresql:Server", "sku.name"),
    ("gcp:compute/instanceTemplate:InstanceTemplate", "machineType"),
    ("gcp:sql/databaseInstance:DatabaseInstance", "settings.tier"),
)
AKS = "azure-native:containerservice:ManagedCluster"
AUTOSCALE = "azure-native:monitor:AutoscaleSetting"
ECS_TASK = "aws:ecs/taskDefinition:TaskDefinition"


def _cpu(value: Any) -> float | None:
    """`"500m"`, `"1"`, `0.5`, or ECS CPU units (`"1024"` = 1 vCPU) as vCPUs."""
    text = str(value).strip()
    try:
        return float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        return None


def _ceilings(resource: Resource) -> Iterator[tuple[str, Any]]:
    for kind, path in REPLICA_CEILINGS:
        if resource.type == kind:
            yield path, get(resource.props, path)
    if resource.type == AKS:
        for pool in mappings(resource.props.get("agentPoolProfiles")):
            yield f"agentPoolProfiles[{pool.get('name')}].maxCount", pool.get("maxCount")
    if resource.type == AUTOSCALE:
        for profile in mappings(get(resource.props, "profiles")):
            yield "profiles.capacity.maximum", get(profile, "capacity.maximum")


def _sizes(resource: Resource) -> Iterator[tuple[str, str]]:
    for kind, path in SIZES:
        if resource.type == kind:
            value = get(resource.props, path)
            for size in items(value) if is_list(value) else [value]:
                if isinstance(size, str):
                    yield path, size
    if resource.type == AKS:
        for pool in mappings(resource.props.get("agentPoolProfiles")):
            if isinstance(pool.get("vmSize"), str):
                yield "agentPoolProfiles.vmSize", pool["vmSize"]


def _cpus(resource: Resource) -> Iterator[tuple[str, float | None]]:
    if resource.type == ECS_TASK and resource.props.get("cpu") is not None:
        units = _cpu(resource.props["cpu"])
        yield "cpu", units / 1024 if units is not None else None
    for container in containers(resource):
        if resource.type == ECS_TASK:
            continue
        spec = container.spec
        value = get(spec, "resources.cpu") or get(spec, "resources.limits.cpu")
        if value is not None:
            yield f"container {container.name!r} cpu", _cpu(value)


def check_cost(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """Replicas at most `maxReplicas`, vCPUs per replica at most `maxCpu`, sizes allowed."""
    ceiling = int(config.get("maxReplicas", DEFAULTS["maxReplicas"]))
    for path, value in _ceilings(resource):
        count = _cpu(value) if value is not None else None  # a number, however it is spelled
        if count is not None and count > ceiling:
            yield f"{path} is {count:g}; the pack allows at most {ceiling} (maxReplicas)"
    max_cpu = float(config.get("maxCpu", DEFAULTS["maxCpu"]))
    for path, cpus in _cpus(resource):
        if cpus is not None and cpus > max_cpu:
            yield f"{path} is {cpus:g} vCPU; the pack allows at most {max_cpu:g} (maxCpu)"
    allowed = list(config.get("allowedSizes", DEFAULTS["allowedSizes"]))
    for path, size in _sizes(resource):
        if not any(fnmatch.fnmatchcase(size, pattern) for pattern in allowed):
            yield f"{path} {size!r} is not among the allowed sizes (allowedSizes)"
