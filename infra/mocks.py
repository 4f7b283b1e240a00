"""Pulumi mocks for the offline plan: plausible computed outputs and answers to every invoke."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pulumi

ACCOUNT = "123456789012"
REGION = "us-east-1"
UNKNOWN_INVOKE = "the offline plan has no answer for invoke"


class InvokeFailure(Exception):
    """A data source's own error (not found, invalid id): the program sees it, as from a cloud."""

    def __init__(self, message: str, prop: str) -> None:
        super().__init__(message)
        self.prop = prop  # the argument it is about


def fake_digest(seed: str) -> str:
    """A stable `sha256:...` digest for a name."""
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def _docker_build_image(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """As pulumi-docker-build computes them (provider/internal/image.go, read 2026-11-29).

    `digest` is the exporter's *manifest* digest, for a push and for a load alike
    (pulumi/pulumi-docker-build#260): a classic-store engine cannot resolve it as an image
    id, so the mock names it `manifest-...` and it never equals a loaded image's id. `ref`
    is the first tag with that digest appended whenever something was exported, else the tag.
    """
    tags = inputs.get("tags") or []
    exported = bool(inputs.get("push") or inputs.get("load") or inputs.get("exports"))
    digest = fake_digest(f"manifest-{name}") if exported else ""
    ref = tags[0] if tags else ""
    if digest and tags:
        ref = f"{tags[0]}@{digest}"
    return {"digest": digest, "ref": ref, "contextHash": fake_digest(f"ctx-{name}")[7:]}


def _named(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"name": inputs.get("name") or name}


def _arn(token: str, name: str) -> str:
    """`aws:ecr/repository:Repository` -> arn:aws:ecr:<region>:<account>:repository/<name>."""
    service, kind = token.split(":")[1].split("/")
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{kind.lower()}/{name}"


def _aws_repository(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    repo = inputs.get("name") or name
    return {
        "repositoryUrl": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{repo}",
        "registryId": ACCOUNT,
        "name": repo,
    }


def _aws_alb(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "dnsName": f"{name}-1234567890.{REGION}.elb.amazonaws.com",
        "arnSuffix": f"app/{name}/50dc6c495c0c9188",
        "zoneId": "Z35SXDOTRQ7X7K",
    }


def _aws_rds(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    ident = inputs.get("identifier") or name
    address = f"{ident}.abcdefghij.{REGION}.rds.amazonaws.com"
    return {"address": address, "endpoint": f"{address}:5432", "identifier": ident}


def _aws_eks(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": inputs.get("name") or name,
        "endpoint": f"https://{name.upper()}.gr7.{REGION}.eks.amazonaws.com",
        "certificateAuthority": {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"},
        "identities": [
            {
                "oidcs": [
                    {
                        "issuer": f"https://oidc.eks.{REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
                    }
                ]
            }
        ],
        "vpcConfig": {
            **(inputs.get("vpcConfig") or {}),
            "clusterSecurityGroupId": f"sg-{name}-cluster",
        },
    }


def _aws_certificate(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    domain = inputs.get("domainName", "example.com")
    return {
        "domainValidationOptions": [
            {
                "domainName": domain,
                "resourceRecordName": f"_x1.{domain}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": "_x2.acm-validations.aws.",
            }
        ]
    }


def _aws_suffix(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"arnSuffix": f"targetgroup/{name}/6d0ecf831eec9f09", "name": name}


SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"
AKS_USER_KUBECONFIG = (
    "YXBpVmVyc2lvbjogdjEKa2luZDogQ29uZmlnCmNsdXN0ZXJzOgotIG5hbWU6IGFrcwogIGNsdXN0ZXI6CiAgICBz"
    "ZXJ2ZXI6IGh0dHBzOi8vYWtzLmhjcC53ZXN0ZXVyb3BlLmF6bWs4cy5pbzo0NDMKICAgIGNlcnRpZmljYXRlLWF1"
    "dGhvcml0eS1kYXRhOiBMUzB0Q2c9PQp1c2VyczoKLSBuYW1lOiBjbHVzdGVyVXNlcgogIHVzZXI6CiAgICBleGVj"
    "OgogICAgICBjb21tYW5kOiBrdWJlbG9naW4K"
)
TENANT = "99999999-8888-7777-6666-555555555555"


def _azure_name(token: str, name: str, inputs: dict[str, Any]) -> str:
    """The Azure name a resource was given (`registryName`, `vaultName`...) or its logical name."""
    kind = token.rsplit(":", 1)[1]
    for key in (f"{kind[0].lower()}{kind[1:]}Name", "resourceName", "name"):
        if isinstance(inputs.get(key), str):
            return str(inputs[key])
    return name


def _azure(token: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """What Azure computes: the name, and the kind-specific addresses and ids."""
    real = _azure_name(token, name, inputs)
    group = inputs.get("resourceGroupName", f"{name}-rg")
    kind = token.rsplit(":", 1)[1]
    state: dict[str, Any] = {
        "name": real,
        "azureApiVersion": "2024-01-01",
        "id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers/Mock/{kind}/{real}",
    }
    extra: dict[str, dict[str, Any]] = {
        "UserAssignedIdentity": {
            "principalId": f"{real}-principal",
            "clientId": f"{real}-client",
            "tenantId": TENANT,
        },
        "Registry": {"loginServer": f"{real}.azurecr.io"},
        "Vault": {
            "properties": {
                **(inputs.get("properties") or {}),
                "vaultUri": f"https://{real}.vault.azure.net/",
            }
        },
        "Server": {"fullyQualifiedDomainName": f"{real}.postgres.database.azure.com"},
        "Account": {
            "properties": {
                **(inputs.get("properties") or {}),
                "endpoint": f"https://{real}.openai.azure.com/",
            }
        },
        "Workspace": {"customerId": f"{real}-customer-id"},
        "Component": {
            "connectionString": f"InstrumentationKey={real}-key;IngestionEndpoint=https://x/"
        },
        "PublicIPAddress": {"ipAddress": "20.30.40.50"},
        "ManagedEnvironment": {  # an internal one's address is private, in its subnet
            "defaultDomain": "happyhill-1234.westeurope.azurecontainerapps.io",
            "staticIp": "10.50.0.100",
        },
        "ContainerApp": {
            "configuration": {
                **(inputs.get("configuration") or {}),
                "ingress": {
                    **((inputs.get("configuration") or {}).get("ingress") or {}),
                    "fqdn": f"{real}.happyhill-1234.westeurope.azurecontainerapps.io",
                },
            }
        },
        "ManagedCluster": {
            "identityProfile": {
                "kubeletidentity": {
                    "objectId": f"{real}-kubelet",
                    "clientId": "k",
                    "resourceId": "r",
                }
            },
            "oidcIssuerProfile": {
                "enabled": True,
                "issuerURL": f"https://westeurope.oic.prod-aks.azure.com/{TENANT}/x/",
            },
        },
    }
    state.update(extra.get(kind, {}))
    identity = inputs.get("identity")
    if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), list):
        # Given as a list of ids; Azure answers with a map of id -> identity.
        ids = identity["userAssignedIdentities"]
        state["identity"] = {
            **identity,
            "userAssignedIdentities": {i: {"principalId": "p"} for i in ids},
        }
    if token == "azure-native:keyvault:Secret":
        vault = inputs.get("vaultName", "vault")
        state["properties"] = {"secretUri": f"https://{vault}.vault.azure.net/secrets/{real}"}
    return state


def _gcp(token: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """What Google computes for the kinds the program reads back."""
    kind = token.rsplit(":", 1)[1]
    real = inputs.get("name") or name
    project = "demo-project"
    state: dict[str, Any] = {"name": real}
    extra: dict[str, dict[str, Any]] = {
        "Account": {
            "email": f"{inputs.get('accountId', name)}@{project}.iam.gserviceaccount.com",
            "name": f"projects/{project}/serviceAccounts/{inputs.get('accountId', name)}",
        },
        "Secret": {
            "secretId": inputs.get("secretId", name),
            "name": f"projects/{project}/secrets/{inputs.get('secretId', name)}",
        },
        "SecretVersion": {"version": "1"},  # Secret Manager numbers versions from 1
        "DatabaseInstance": {
            "privateIpAddress": "10.61.0.3",
            "connectionName": f"{project}:us-central1:{real}",
        },
        "Service": {"uri": f"https://{real}-abcdefghij-uc.a.run.app"}
        if token.startswith("gcp:cloudrunv2")
        else {},
        "GlobalAddress": {"address": "34.120.0.10"},
        "Address": {"address": "10.60.0.50"},  # a regional internal address, in the subnet
        "Cluster": {
            "endpoint": "34.70.0.5",
            "masterAuth": {"clusterCaCertificate": "LS0tLS1CRUdJTi0tLS0t"},
        },
        "InstanceTemplate": {
            "selfLinkUnique": f"https://www.googleapis.com/compute/v1/projects/{project}/global/instanceTemplates/{name}?uniqueId=1"
        },
        "RegionInstanceGroupManager": {
            "instanceGroup": f"https://www.googleapis.com/compute/v1/projects/{project}/regions/us-central1/instanceGroups/{name}"
        },
        "UptimeCheckConfig": {"uptimeCheckId": f"{name}-check"},
        "NotificationChannel": {"name": f"projects/{project}/notificationChannels/1234"},
        "Dashboard": {"id": f"projects/{project}/dashboards/{name}"},
        "Repository": {"repositoryId": inputs.get("repositoryId", name)},
    }
    state.update(extra.get(kind, {}))
    return state


# type token -> extra outputs the provider would compute
COMPUTED: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
    "docker-build:index:Image": _docker_build_image,
    "docker:index/network:Network": _named,
    "docker:index/volume:Volume": _named,
    "docker:index/container:Container": _named,
    "aws:ecr/repository:Repository": _aws_repository,
    "aws:lb/loadBalancer:LoadBalancer": _aws_alb,
    "aws:lb/targetGroup:TargetGroup": _aws_suffix,
    "aws:rds/instance:Instance": _aws_rds,
    "aws:eks/cluster:Cluster": _aws_eks,
    "aws:acm/certificate:Certificate": _aws_certificate,
    "aws:acm/certificateValidation:CertificateValidation": lambda n, i: {},
    "aws:route53/record:Record": lambda n, i: {"fqdn": str(i.get("name", n)).rstrip(".")},
    "aws:ec2/launchTemplate:LaunchTemplate": lambda n, i: {"latestVersion": 1},
    "aws:ecs/cluster:Cluster": _named,
    "aws:ecs/service:Service": _named,
    "aws:autoscaling/group:Group": _named,
    "aws:cloudwatch/logGroup:LogGroup": _named,
    # Pulumi auto-names an IAM role before create, so its name is known at preview.
    "aws:iam/role:Role": _named,
    "aws:cloudwatch/dashboard:Dashboard": lambda n, i: {"dashboardName": i.get("dashboardName", n)},
    "random:index/randomPassword:RandomPassword": lambda n, i: {
        "result": "mock-Password-0123456789abcdef"
    },
    "random:index/randomString:RandomString": lambda n, i: {"result": "x7k2q9"},
    "random:index/randomBytes:RandomBytes": lambda n, i: {
        "base64": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "hex": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    },
}


def _bedrock_rows(model_id: str) -> tuple[bool, bool]:
    """(served as an inference profile, served on demand by its bare id) per the facts table.

    A row past its retirement date is served no more: Bedrock removes a model at end of life.
    """
    from datetime import date

    from infra.aws.model import BedrockModel
    from infra.readiness.facts import FACTS

    profile, bare = False, False
    base = model_id.partition(".")[2] if BedrockModel(model_id, "").profile_prefix else model_id
    for fact in FACTS:
        if fact.provider != "bedrock" or (fact.deadline and fact.deadline <= date.today()):
            continue
        is_profile = BedrockModel(fact.id, "").profile_prefix is not None
        if (fact.id.partition(".")[2] if is_profile else fact.id) == base:
            profile, bare = profile or is_profile, bare or not is_profile
    return profile, bare


def _bedrock_inference_profile(args: dict[str, Any]) -> dict[str, Any]:
    """GetInferenceProfile: a facts-table model in a profile of the region's geography."""
    from infra.aws.model import GEOGRAPHIES, BedrockModel

    profile_id = str(args.get("inferenceProfileId"))
    region = str(args.get("region") or REGION)
    prefix = BedrockModel(profile_id, "").profile_prefix
    in_geography = prefix == "global" or region.startswith(GEOGRAPHIES.get(prefix or "", ("-",)))
    if not (prefix and in_geography and _bedrock_rows(profile_id)[0]):
        # As the Terraform provider reports a failed GetInferenceProfile.
        raise InvokeFailure(
            f"error reading inference profile: {profile_id}: ResourceNotFoundException "
            f"(offline plan: no current Bedrock row of infra/readiness/facts.py is offered "
            f"as this profile from {region})",
            "inferenceProfileId",
        )
    base = profile_id.partition(".")[2]
    return {
        "id": profile_id,
        "inferenceProfileId": profile_id,
        "inferenceProfileArn": f"arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{profile_id}",
        "inferenceProfileName": profile_id,
        "models": [{"modelArn": f"arn:aws:bedrock:{region}::foundation-model/{base}"}],
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
        "region": region,
        "createdAt": "2025-10-16T00:00:00Z",
        "updatedAt": "2025-10-16T00:00:00Z",
        "description": "",
    }


def _bedrock_foundation_model(args: dict[str, Any]) -> dict[str, Any]:
    """GetFoundationModel: ON_DEMAND for a bare facts-table id, profile-only for newer ones."""
    model_id = str(args.get("modelId"))
    region = str(args.get("region") or REGION)
    profile, bare = _bedrock_rows(model_id)
    if not (profile or bare):
        raise InvokeFailure(
            f"reading Bedrock Foundation Model: ValidationException: {model_id} (offline "
            "plan: no current Bedrock row of infra/readiness/facts.py)",
            "modelId",
        )
    return {
        "id": model_id,
        "modelId": model_id,
        "modelArn": f"arn:aws:bedrock:{region}::foundation-model/{model_id}",
        "modelName": model_id,
        "providerName": model_id.split(".")[0],
        "inferenceTypesSupporteds": ["ON_DEMAND"] if bare else ["INFERENCE_PROFILE"],
        "inputModalities": ["TEXT"],
        "outputModalities": ["TEXT"],
        "customizationsSupporteds": [],
        "responseStreamingSupported": True,
        "region": region,
    }


# invoke token -> its answer
INVOKES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "docker:index/getRegistryImage:getRegistryImage": lambda a: {
        "name": a.get("name"),
        "sha256Digest": fake_digest(f"registry-{a.get('name')}"),
        "id": a.get("name"),
    },
    "gcp:organizations/getClientConfig:getClientConfig": lambda a: {
        "accessToken": "mock-gcp-access-token",
        "project": "demo-project",
        "region": "us-central1",
        "zone": "us-central1-a",
        "id": "client",
    },
    "gcp:organizations/getProject:getProject": lambda a: {
        "projectId": a.get("projectId", "demo-project"),
        "number": "123456789012",
        "name": "demo",
        "id": "p",
    },
    "azure-native:authorization:getClientConfig": lambda a: {
        "clientId": "deployer-client",
        "objectId": "deployer-object",
        "subscriptionId": SUBSCRIPTION,
        "tenantId": TENANT,
    },
    "azure-native:authorization:getClientToken": lambda a: {"token": "mock-entra-token"},
    "azure-native:operationalinsights:getSharedKeys": lambda a: {
        "primarySharedKey": "mock-workspace-key",
        "secondarySharedKey": "mock-workspace-key-2",
    },
    # AKS's user kubeconfig (format exec: kubelogin), base64 as ARM returns it.
    "azure-native:containerservice:listManagedClusterUserCredentials": lambda a: {
        "kubeconfigs": [{"name": "clusterUser", "value": AKS_USER_KUBECONFIG}],
    },
    "azure-native:containerservice:listManagedClusterAdminCredentials": lambda a: {
        "kubeconfigs": [
            {"name": "clusterAdmin", "value": "YXBpVmVyc2lvbjogdjEKa2luZDogQ29uZmlnCg=="}
        ],
    },
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda a: {
        "names": [f"{REGION}a", f"{REGION}b", f"{REGION}c"],
        "zoneIds": ["use1-az1", "use1-az2", "use1-az4"],
        "id": REGION,
    },
    "aws:index/getCallerIdentity:getCallerIdentity": lambda a: {
        "accountId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:user/deployer",
        "userId": "AIDAEXAMPLE",
        "id": ACCOUNT,
    },
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": lambda a: {
        "authorizationToken": "QVdTOm1vY2stdG9rZW4=",
        "proxyEndpoint": f"https://{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com",
        "userName": "AWS",
        "password": "mock-ecr-token",
        "expiresAt": "2030-01-01T00:00:00Z",
        "id": ACCOUNT,
    },
    "aws:bedrock/getInferenceProfile:getInferenceProfile": _bedrock_inference_profile,
    "aws:bedrockfoundation/getModel:getModel": _bedrock_foundation_model,
    "aws:ssm/getParameter:getParameter": lambda a: {
        "name": a.get("name"),
        "value": "ami-0123456789abcdef0",
        "type": "String",
        "id": a.get("name"),
    },
}


class PlanMocks(pulumi.runtime.Mocks):
    """Echo inputs, add what the provider would compute, answer invokes from a table."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        """A resource's id and state: its inputs plus computed outputs for its type."""
        state = dict(args.inputs)
        computed = COMPUTED.get(args.typ)
        if computed is not None:
            state.update(computed(args.name, args.inputs))
        elif args.typ.startswith("azure-native:"):
            state.update(_azure(args.typ, args.name, args.inputs))
        elif args.typ.startswith("gcp:"):
            state.update(_gcp(args.typ, args.name, args.inputs))
        if args.typ.startswith("aws:"):
            state.setdefault("arn", _arn(args.typ, args.name))
        ident = state.get("id") if isinstance(state.get("id"), str) else None
        return ident or f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        """An invoke's answer; an invoke the table does not know fails the plan by name."""
        answer = INVOKES.get(args.token)
        if answer is None:
            raise NotImplementedError(f"{UNKNOWN_INVOKE} {args.token!r}: add it to infra/mocks.py")
        try:
            return answer(args.args), []
        except InvokeFailure as exc:  # as a provider reports it: a failure the caller can catch
            return {}, [(exc.prop, str(exc))]
