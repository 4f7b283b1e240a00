"""Identities: no wildcard permissions, no grants atop the account, public only by intent."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .model import Resource, items, mappings

AWS_POLICY_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
AWS_ROLE = "aws:iam/role:Role"
AWS_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
)
AWS_ADMIN_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
AZURE_ROLE_DEFINITION = "azure-native:authorization:RoleDefinition"
AZURE_ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
# Built-in roles that can do anything in their scope (Owner, Contributor, User Access Admin).
AZURE_BROAD_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
}
AZURE_TOP_SCOPE = re.compile(
    r"^(/subscriptions/[^/]+/?|/providers/Microsoft\.Management/managementGroups/.*|/)$",
    re.IGNORECASE,
)
GCP_PROJECT_GRANTS = (
    "gcp:projects/iAMMember:IAMMember",
    "gcp:projects/iAMBinding:IAMBinding",
)
GCP_AUTHORITATIVE = ("gcp:projects/iAMPolicy:IAMPolicy",)
GCP_ABOVE_PROJECT = (
    "gcp:organizations/iAMMember:IAMMember",
    "gcp:organizations/iAMBinding:IAMBinding",
    "gcp:folder/iAMMember:IAMMember",
    "gcp:folder/iAMBinding:IAMBinding",
)
GCP_BASIC_ROLES = ("roles/owner", "roles/editor")
# Roles Google offers at project level only: agents writing logs, metrics and traces, and
# calling Vertex AI. Granting them on the project is the narrowest possible.
PROJECT_ONLY_ROLES = (
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/cloudtrace.agent",
    "roles/aiplatform.user",
    "roles/errorreporting.writer",
    "roles/cloudprofiler.agent",
    "roles/stackdriver.resourceMetadata.writer",
    # GKE nodes' own role; Google grants it "on the project" (GKE, Configure node service
    # accounts: docs.cloud.google.com/kubernetes-engine/security/configure-node-service-accounts,
    # read 2026-11-29).
    "roles/container.defaultNodeServiceAccount",
)
RUN_IAM = (
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
    "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding",
    "gcp:cloudrun/iamMember:IamMember",
    "gcp:cloudrun/iamBinding:IamBinding",
)
RUN_SERVICES = ("gcp:cloudrunv2/service:Service", "gcp:cloudrun/service:Service")
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


def _statements(document: Any) -> list[Mapping[str, Any]]:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    if not isinstance(document, Mapping):
        return []
    return list(mappings(document.get("Statement")))


def _wildcards(document: Any) -> Iterator[str]:
    for index, statement in enumerate(_statements(document)):
        if statement.get("Effect", "Allow") != "Allow":
            continue
        label = statement.get("Sid") or f"Statement[{index}]"
        if "NotAction" in statement:
            yield f"{label} allows NotAction: everything but a list"
        for action in items(statement.get("Action")):
            if isinstance(action, str) and (action == "*" or action.endswith(":*")):
                yield f"{label} allows action {action!r}"


def check_no_wildcard_actions(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """Every permission is named: no `*` actions, no admin-equivalent roles."""
    props = resource.props
    if resource.type in AWS_POLICY_TYPES:
        yield from _wildcards(props.get("policy"))
    elif resource.type == AWS_ROLE:
        for inline in mappings(props.get("inlinePolicies")):
            yield from _wildcards(inline.get("policy"))
    elif resource.type in AWS_ATTACHMENTS:
        arn = str(props.get("policyArn", ""))
        if arn.rsplit("/", 1)[-1] in AWS_ADMIN_POLICIES:
            yield f"attaches {arn.rsplit('/', 1)[-1]}"
    elif resource.type == AZURE_ROLE_DEFINITION:
        for permission in mappings(props.get("permissions")):
            for action in items(permission.get("actions")) + items(permission.get("dataActions")):
                if action == "*" or str(action).endswith("/*"):
                    yield f"the role allows {action!r}"
    elif resource.type == AZURE_ROLE_ASSIGNMENT:
        role = str(props.get("roleDefinitionId", "")).rsplit("/", 1)[-1].lower()
        if role in AZURE_BROAD_ROLES:
            yield f"assigns {AZURE_BROAD_ROLES[role]}, which can do anything in its scope"
    elif (
        resource.type in GCP_PROJECT_GRANTS + GCP_ABOVE_PROJECT
        and props.get("role") in GCP_BASIC_ROLES
    ):
        yield f"grants the basic role {props.get('role')}"


def check_grant_scope(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """Grants on the resource they are for, not on the subscription or project."""
    props = resource.props
    if resource.type == AZURE_ROLE_ASSIGNMENT:
        scope = props.get("scope")
        if isinstance(scope, str) and AZURE_TOP_SCOPE.match(scope):
            yield f"scope {scope!r} is a whole subscription or management group"
    elif resource.type in GCP_AUTHORITATIVE + GCP_ABOVE_PROJECT:
        yield "a grant on the project (authoritative) or above it"
    elif resource.type in GCP_PROJECT_GRANTS:
        role = props.get("role")
        allowed = config.get("projectRoles", PROJECT_ONLY_ROLES)
        if isinstance(role, str) and role not in allowed:
            yield (
                f"{role} is granted on the whole project; grant it on the resource "
                "(secret, repository, service) instead"
            )


def _members(props: Mapping[str, Any]) -> list[str]:
    return [m for m in [props.get("member"), *items(props.get("members"))] if isinstance(m, str)]


def check_public_invoker(
    resources: list[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """Cloud Run's `allUsers` invoker only on a service the stack made public."""
    services = [r for r in resources if r.type in RUN_SERVICES]
    for grant in resources:
        if grant.type not in RUN_IAM:
            continue
        public = [m for m in _members(grant.props) if m in PUBLIC_MEMBERS]
        if not public:
            continue
        if not config.get("allowPublic", True):
            yield (
                grant,
                f"{public[0]} may invoke the service, and this pack forbids public services",
            )
            continue
        target = grant.props.get("name") or grant.props.get("service")
        named = [s for s in services if target in (s.props.get("name"), s.name)]
        service = named[0] if named else (services[0] if len(services) == 1 else None)
        if service is None:
            yield grant, f"{public[0]} may invoke a service this stack does not declare"
        elif service.props.get("ingress", "INGRESS_TRAFFIC_ALL") != "INGRESS_TRAFFIC_ALL":
            yield (
                grant,
                (
                    f"{public[0]} may invoke {service.name!r}, which the stack made private "
                    f"(ingress {service.props.get('ingress')})"
                ),
            )
