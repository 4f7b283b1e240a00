"""Containers: no secret in a plain environment or user data, images by digest, pods hardened."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .detect import REGISTRY_IMAGE, decoded, env_lines, pinned, secret_value, secret_variable
from .model import Resource, get, mappings

ECS_TASK = "aws:ecs/taskDefinition:TaskDefinition"
CONTAINER_APP = "azure-native:app:ContainerApp"
CONTAINER_APP_JOB = "azure-native:app:Job"
CLOUD_RUN = "gcp:cloudrunv2/service:Service"
CLOUD_RUN_JOB = "gcp:cloudrunv2/job:Job"
CLOUD_RUN_V1 = "gcp:cloudrun/service:Service"
DOCKER_CONTAINER = "docker:index/container:Container"
K8S_CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
# Where each Kubernetes kind keeps its pod spec.
POD_SPEC = {
    "kubernetes:apps/v1:Deployment": "spec.template.spec",
    "kubernetes:apps/v1:StatefulSet": "spec.template.spec",
    "kubernetes:apps/v1:DaemonSet": "spec.template.spec",
    "kubernetes:apps/v1:ReplicaSet": "spec.template.spec",
    "kubernetes:batch/v1:Job": "spec.template.spec",
    "kubernetes:batch/v1:CronJob": "spec.jobTemplate.spec.template.spec",
    "kubernetes:core/v1:Pod": "spec",
}
# Where VMs keep the script they boot with.
USER_DATA = {
    "aws:ec2/launchTemplate:LaunchTemplate": ("userData",),
    "aws:ec2/instance:Instance": ("userData", "userDataBase64"),
    "azure-native:compute:VirtualMachineScaleSet": (
        "virtualMachineProfile.osProfile.customData",
        "virtualMachineProfile.userData",
    ),
    "azure-native:compute:VirtualMachine": ("osProfile.customData", "userData"),
    "gcp:compute/instanceTemplate:InstanceTemplate": ("metadata", "metadataStartupScript"),
    "gcp:compute/instance:Instance": ("metadata", "metadataStartupScript"),
    # Extensions on their own: their public settings run like user data.
    "azure-native:compute:VirtualMachineScaleSetExtension": (),
    "azure-native:compute:VirtualMachineExtension": (),
}
# Where Azure keeps a VM's extensions inline. A script extension's public `settings` (its
# `script`, base64, or `commandToExecute`) are stored in the VM model, readable by anyone who
# can read the VM, and run on it: they count as user data. (`protectedSettings` are
# encrypted and never returned.)
VMSS_EXTENSIONS = "virtualMachineProfile.extensionProfile.extensions"
INLINE_EXTENSIONS = {
    "azure-native:compute:VirtualMachineScaleSet": VMSS_EXTENSIONS,
    "azure-native:compute:VirtualMachine": "resources",
}
SCRIPT_SETTINGS = ("script", "commandToExecute")
CONTAINER_TYPES = (
    ECS_TASK,
    CONTAINER_APP,
    CONTAINER_APP_JOB,
    CLOUD_RUN,
    CLOUD_RUN_JOB,
    CLOUD_RUN_V1,
    *POD_SPEC,
)
SECRET_ENV_TYPES = (*CONTAINER_TYPES, K8S_CONFIG_MAP, *USER_DATA)
IMAGE_TYPES = (*CONTAINER_TYPES, DOCKER_CONTAINER, *USER_DATA)


@dataclass(frozen=True)
class Container:
    """One container of a workload: its image and its plain (literal) environment."""

    name: str
    image: Any
    plain_env: list[tuple[str, Any]]
    spec: Mapping[str, Any]


def _literal_env(entries: Any, value_key: str = "value") -> list[tuple[str, Any]]:
    """Environment entries that carry a literal value (references to secrets are fine)."""
    return [(str(e.get("name")), e.get(value_key)) for e in mappings(entries) if value_key in e]


def containers(resource: Resource) -> Iterator[Container]:
    """The containers a workload resource runs, whatever the platform."""
    props, kind = resource.props, resource.type
    if kind == ECS_TASK:
        for c in mappings(props.get("containerDefinitions")):
            yield Container(
                c.get("name", "?"), c.get("image"), _literal_env(c.get("environment")), c
            )
    elif kind in (CONTAINER_APP, CONTAINER_APP_JOB):
        for key in ("containers", "initContainers"):
            for c in mappings(get(props, f"template.{key}")):
                yield Container(c.get("name", "?"), c.get("image"), _literal_env(c.get("env")), c)
    elif kind in (CLOUD_RUN, CLOUD_RUN_JOB):
        path = "template.containers" if kind == CLOUD_RUN else "template.template.containers"
        for c in mappings(get(props, path)):
            yield Container(c.get("name", "app"), c.get("image"), _literal_env(c.get("envs")), c)
    elif kind == CLOUD_RUN_V1:
        for c in mappings(get(props, "template.spec.containers")):
            yield Container(c.get("name", "app"), c.get("image"), _literal_env(c.get("envs")), c)
    elif kind in POD_SPEC:
        pod = get(props, POD_SPEC[kind], {})
        for key in ("containers", "initContainers"):
            for c in mappings(pod.get(key)):
                yield Container(c.get("name", "?"), c.get("image"), _literal_env(c.get("env")), c)


def user_data(resource: Resource) -> Iterator[tuple[str, str]]:
    """(property, text) of the boot scripts and metadata a VM resource carries."""
    for path in USER_DATA.get(resource.type, ()):
        value = get(resource.props, path)
        if isinstance(value, Mapping):  # GCE metadata: every value is readable by the VM
            for key, item in value.items():
                yield f"{path}.{key}", decoded(item)
        elif value is not None:
            yield path, decoded(value)
    inline = INLINE_EXTENSIONS.get(resource.type)
    extensions = mappings(get(resource.props, inline)) if inline else [resource.props]
    if inline or resource.type.endswith("Extension"):
        for extension in extensions:
            settings = extension.get("settings")
            if not isinstance(settings, Mapping):
                continue
            for key in SCRIPT_SETTINGS:
                if isinstance(settings.get(key), str):
                    name = extension.get("name") or resource.name
                    yield f"extension {name!r} settings.{key}", decoded(settings[key])


def check_secret_env(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """Secrets reach workloads from the cloud's secret store, never as plain values."""
    for container in containers(resource):
        for name, value in container.plain_env:
            why = secret_variable(name, value)
            if why:
                yield f"container {container.name!r}: {why}; use the secret store"
    if resource.type == K8S_CONFIG_MAP:
        for name, value in (resource.props.get("data") or {}).items():
            why = secret_variable(name, value)
            if why:
                yield f"data: {why}; a ConfigMap is not a Secret"
    for where, text in user_data(resource):
        kind = secret_value(text)
        if kind:
            yield f"{where} holds {kind}: user data is readable by anything on the VM"
            continue
        for name, value in env_lines(text):
            why = secret_variable(name, value)
            if why:
                yield f"{where}: {why}: user data is readable by anything on the VM"
                break


def check_image_digests(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """What runs is exactly what was built and scanned: images are referenced by digest."""
    images: list[tuple[str, Any]] = [
        (f"container {c.name!r}", c.image) for c in containers(resource)
    ]
    local = resource.type == DOCKER_CONTAINER
    if local:
        images.append(("container", resource.props.get("image")))
    for where, text in user_data(resource):
        images += [(where, ref) for ref in REGISTRY_IMAGE.findall(text)]
    for where, image in images:
        if pinned(image, local=local) is False:
            yield f"{where}: image {image!r} is a tag, not a digest (@sha256:...)"


def _context(container: Mapping[str, Any], pod: Mapping[str, Any], key: str) -> Any:
    """A security setting: the container's, else the pod's."""
    own = get(container, f"securityContext.{key}")
    return own if own is not None else get(pod, f"securityContext.{key}")


def check_pod_hardening(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """Kubernetes containers: non-root, read-only root, no escalation, CPU and memory limits."""
    if resource.type not in POD_SPEC:
        return
    pod = get(resource.props, POD_SPEC[resource.type], {})
    for container in containers(resource):
        c, name = container.spec, container.name
        user = _context(c, pod, "runAsUser")
        if _context(c, pod, "runAsNonRoot") is not True and not (user and int(user) > 0):
            yield f"container {name!r}: runAsNonRoot is not true"
        if get(c, "securityContext.readOnlyRootFilesystem") is not True:
            yield f"container {name!r}: readOnlyRootFilesystem is not true"
        if get(c, "securityContext.allowPrivilegeEscalation") is not False:
            yield f"container {name!r}: allowPrivilegeEscalation is not false"
        if get(c, "securityContext.privileged") is True:
            yield f"container {name!r}: privileged"
        limits = get(c, "resources.limits", {})
        missing = [k for k in ("cpu", "memory") if not limits.get(k)]
        if missing:
            yield f"container {name!r}: no {' or '.join(missing)} limit"
