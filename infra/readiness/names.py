"""Rule: no two resources of one type ask for the same physical name in the same scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infra.readiness import Finding

if TYPE_CHECKING:
    from infra.plan import Plan, Resource

RULE = "unique-names"
# Inputs that place a name inside something (a resource group, a server, a namespace...):
# the same name in two different places is no clash.
_SCOPE_KEYS = ("project", "location", "region", "zone", "instance", "cluster", "namespace")


def _azure_name_key(type_token: str) -> str:
    """`azure-native:keyvault:Vault` names itself with `vaultName`."""
    kind = type_token.rsplit(":", 1)[1]
    return f"{kind[0].lower()}{kind[1:]}Name"


def physical_name(resource: Resource) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """The name the cloud will be asked for and the scope it must be unique in.

    None when the program leaves the name to Pulumi, whose auto-names carry a random suffix.
    """
    inputs = resource.inputs
    if resource.type.startswith("kubernetes:"):
        meta = inputs.get("metadata") or {}
        name, scope = meta.get("name"), {"namespace": meta.get("namespace") or "default"}
    elif resource.type.startswith("azure-native:"):
        key = _azure_name_key(resource.type)
        name = inputs.get(key) or inputs.get("resourceName")
        scope = {k: v for k, v in inputs.items() if k.endswith("Name") and k != key}
    else:
        name = next(
            (
                inputs[k]
                for k in ("name", "identifier", "accountId", "secretId", "repositoryId")
                if isinstance(inputs.get(k), str)
            ),
            None,
        )
        scope = {k: inputs[k] for k in _SCOPE_KEYS if k in inputs}
    if not isinstance(name, str) or "[unknown]" in name or "[secret]" in name:
        return None
    where = tuple(sorted((k, _text(v)) for k, v in scope.items()))
    return name, where


def _text(value: Any) -> str:
    """A scope value as text: a resource reference by its URN, anything else as written."""
    if isinstance(value, dict) and "$ref" in value:
        return str(value["$ref"])
    return str(value)


def unique_names(plan: Plan) -> list[Finding]:
    """Two resources of one type with one physical name in one scope: the second create fails.

    Clouds key resources by name within their scope: CloudWatch Logs refuses a second log
    group of a name with ResourceAlreadyExistsException
    (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html),
    Azure Resource Manager treats a PUT to an existing name as an update of the same resource
    (two Pulumi resources then fight over one object), GCP answers 409 alreadyExists and the
    Kubernetes API server "AlreadyExists". Read 2026-11-29. Names left to Pulumi carry a random
    suffix and are not checked.
    """
    seen: dict[tuple[str, str | None, str, tuple[tuple[str, str], ...]], Resource] = {}
    findings: list[Finding] = []
    for resource in plan.resources:
        if not resource.custom or resource.type.startswith("pulumi:providers:"):
            continue
        named = physical_name(resource)
        if named is None:
            continue
        name, scope = named
        key = (resource.type, resource.provider, name, scope)
        first = seen.setdefault(key, resource)
        if first is not resource:
            findings.append(
                Finding(
                    RULE,
                    resource.urn,
                    f"physical name {name!r} is also asked for by {first.name!r} "
                    f"({resource.type}); the second create fails",
                )
            )
    return findings
