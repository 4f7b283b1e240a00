"""Each rule with a resource that passes and one that fails, as a user would write them."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from policy.guardrails import RULES, RULES_BY_NAME, Resource, evaluate

DIGEST = "@sha256:" + "a" * 64
ECR_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app" + DIGEST
SG = "aws:ec2/securityGroup:SecurityGroup"
NSG = "azure-native:network:NetworkSecurityGroup"
FIREWALL = "gcp:compute/firewall:Firewall"


def nsg_rule(port: str, source: str = "Internet", access: str = "Allow") -> dict[str, Any]:
    return {
        "name": "r",
        "direction": "Inbound",
        "access": access,
        "protocol": "Tcp",
        "sourceAddressPrefix": source,
        "destinationPortRange": port,
    }


def ecs(environment: list[dict[str, str]], image: str = ECR_IMAGE) -> dict[str, Any]:
    return {
        "containerDefinitions": json.dumps(
            [{"name": "app", "image": image, "environment": environment}]
        )
    }


def pod(container: dict[str, Any], pod_context: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "spec": {
            "template": {"spec": {"securityContext": pod_context or {}, "containers": [container]}}
        }
    }


HARDENED: dict[str, Any] = {
    "name": "app",
    "image": ECR_IMAGE,
    "securityContext": {
        "runAsNonRoot": True,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
    },
    "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}},
}


def policy_doc(*actions: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
        }
    )


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# (rule, type, passing props, failing props, a fragment of the failing message)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], str]] = [
    ("no-admin-ports-to-world", SG,
     {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]},
     {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]},
     "ingress[0] opens 22 (SSH) to the whole internet"),
    ("no-admin-ports-to-world", SG,
     {"ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "securityGroups": ["sg-1"]}]},
     {"ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}]},
     "3389 (RDP)"),
    ("no-admin-ports-to-world", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
     {"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrIpv4": "10.0.0.0/16"},
     {"ipProtocol": "tcp", "fromPort": 5400, "toPort": 5500, "cidrIpv4": "0.0.0.0/0"},
     "5432 (PostgreSQL)"),
    ("no-admin-ports-to-world", NSG,
     {"securityRules": [nsg_rule("443"), nsg_rule("22", source="VirtualNetwork"), nsg_rule("*", access="Deny")]},
     {"securityRules": [nsg_rule("3000-4000")]},
     "rule 'r' opens 3306 (MySQL), 3389 (RDP)"),
    ("no-admin-ports-to-world", FIREWALL,
     {"sourceRanges": ["130.211.0.0/22"], "allows": [{"protocol": "tcp", "ports": ["22"]}]},
     {"allows": [{"protocol": "tcp", "ports": ["22", "8000"]}]},  # no ranges, no tags: 0.0.0.0/0
     "allow tcp opens 22 (SSH)"),
    ("database-private-encrypted-backed-up", "aws:rds/instance:Instance",
     {"publiclyAccessible": False, "storageEncrypted": True, "backupRetentionPeriod": 7},
     {"publiclyAccessible": True, "backupRetentionPeriod": 0},
     "publiclyAccessible is true"),
    ("database-private-encrypted-backed-up", "aws:rds/instance:Instance",
     {"storageEncrypted": True},
     {"publiclyAccessible": False},
     "storageEncrypted is not true"),
    ("database-private-encrypted-backed-up", "azure-native:dbforpostgresql:Server",
     {"network": {"publicNetworkAccess": "Disabled"}, "backup": {"backupRetentionDays": 7}},
     {"network": {"publicNetworkAccess": "Enabled"}, "backup": {"backupRetentionDays": 7}},
     "publicNetworkAccess is not Disabled"),
    ("database-private-encrypted-backed-up", "gcp:sql/databaseInstance:DatabaseInstance",
     {"settings": {"ipConfiguration": {"ipv4Enabled": False}, "backupConfiguration": {"enabled": True}}},
     {"settings": {"backupConfiguration": {"enabled": True}}},
     "ipv4Enabled is not false"),
    ("database-private-encrypted-backed-up", "gcp:sql/databaseInstance:DatabaseInstance",
     {"settings": {"ipConfiguration": {"ipv4Enabled": False}, "backupConfiguration": {"enabled": True}}},
     {"settings": {"ipConfiguration": {"ipv4Enabled": False}}},
     "backupConfiguration.enabled is not true"),
    ("no-secrets-in-plain-env", "aws:ecs/taskDefinition:TaskDefinition",
     ecs([{"name": "LLMCHAIN_SECRETS_DIR", "value": "/run/secrets"}, {"name": "MODEL", "value": "gpt"}]),
     ecs([{"name": "LLMCHAIN_OPENAI_API_KEY", "value": "sk-abc"}]),
     "container 'app': LLMCHAIN_OPENAI_API_KEY is named like a secret"),
    ("no-secrets-in-plain-env", "aws:ecs/taskDefinition:TaskDefinition",
     ecs([{"name": "DATABASE_HOST", "value": "db.internal"}]),
     ecs([{"name": "DATABASE", "value": "postgresql://app:hunter2@db.internal/app"}]),
     "DATABASE holds a URL with a password"),
    ("no-secrets-in-plain-env", "azure-native:app:ContainerApp",
     {"template": {"containers": [{"name": "app", "env": [{"name": "API_KEY", "secretRef": "api-key"}]}]}},
     {"template": {"containers": [{"name": "app", "env": [{"name": "API_KEY", "value": "k-123"}]}]}},
     "API_KEY is named like a secret"),
    ("no-secrets-in-plain-env", "gcp:cloudrunv2/service:Service",
     {"template": {"containers": [{"envs": [{"name": "TOKEN", "valueSource": {"secretKeyRef": {"secret": "s"}}}]}]}},
     {"template": {"containers": [{"envs": [{"name": "X", "value": "AKIAABCDEFGHIJKLMNOP"}]}]}},
     "X holds an AWS access key id"),
    ("no-secrets-in-plain-env", "kubernetes:apps/v1:Deployment",
     pod({**HARDENED, "env": [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}),
     pod({**HARDENED, "env": [{"name": "DB_PASSWORD", "value": "hunter2"}]}),
     "DB_PASSWORD is named like a secret"),
    ("no-secrets-in-plain-env", "kubernetes:core/v1:ConfigMap",
     {"data": {"LLMCHAIN_MODEL": "gpt-4o-mini"}},
     {"data": {"OPENAI_API_KEY": "sk-proj-aaaaaaaaaaaaaaaaaaaaaaaa"}},
     "a ConfigMap is not a Secret"),
    ("no-secrets-in-plain-env", "aws:ec2/launchTemplate:LaunchTemplate",
     {"userData": b64("#!/bin/sh\nexport MODEL=gpt\naws secretsmanager get-secret-value --secret-id x\n")},
     {"userData": b64("#!/bin/sh\nexport API_TOKEN=abc123\n")},
     "userData: API_TOKEN is named like a secret"),
    ("no-secrets-in-plain-env", "gcp:compute/instanceTemplate:InstanceTemplate",
     {"metadata": {"user-data": "#cloud-config\n", "block-project-ssh-keys": "TRUE"}},
     {"metadata": {"user-data": "-----BEGIN RSA PRIVATE KEY-----\nMII..."}},
     "metadata.user-data holds a private key"),
    ("images-by-digest", "aws:ecs/taskDefinition:TaskDefinition",
     ecs([]),
     ecs([], image="123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest"),
     "image '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest' is a tag"),
    ("images-by-digest", "kubernetes:apps/v1:Deployment",
     pod(HARDENED),
     pod({**HARDENED, "image": "nginx:1.27"}),
     "container 'app': image 'nginx:1.27' is a tag"),
    ("images-by-digest", "azure-native:compute:VirtualMachineScaleSet",
     {"virtualMachineProfile": {"osProfile": {"customData": b64("docker run r.azurecr.io/app" + DIGEST)}}},
     {"virtualMachineProfile": {"osProfile": {"customData": b64("docker run r.azurecr.io/app:v1")}}},
     "image 'r.azurecr.io/app:v1' is a tag"),
    ("images-by-digest", "docker:index/container:Container",
     {"image": "localhost/llmchain-dev:215f6432ec8d2bbc"},
     {"image": "localhost/llmchain-dev:latest"},
     "image 'localhost/llmchain-dev:latest' is a tag"),
    ("images-by-digest", "kubernetes:apps/v1:Deployment",
     pod(HARDENED),
     pod({**HARDENED, "image": "localhost/llmchain-dev:215f6432ec8d2bbc"}),
     "is a tag"),  # the local content tag is for the local engine only
    ("images-by-digest", "docker:index/container:Container",
     {"image": "sha256:" + "a" * 64},
     {"image": "docker.io/library/app:215f6432ec8d2bbc"},
     "image 'docker.io/library/app:215f6432ec8d2bbc' is a tag"),
    ("images-by-digest", "azure-native:compute:VirtualMachineScaleSet",
     {"virtualMachineProfile": {"extensionProfile": {"extensions": [
         {"name": "release", "settings": {"script": b64("LLMCHAIN_IMAGE=r.azurecr.io/app" + DIGEST)}}]}}},
     {"virtualMachineProfile": {"extensionProfile": {"extensions": [
         {"name": "release", "settings": {"script": b64("LLMCHAIN_IMAGE=r.azurecr.io/app:v1")}}]}}},
     "extension 'release' settings.script: image 'r.azurecr.io/app:v1' is a tag"),
    ("no-secrets-in-plain-env", "azure-native:compute:VirtualMachineScaleSetExtension",
     {"settings": {"commandToExecute": "systemctl restart llmchain"}},
     {"settings": {"commandToExecute": "export API_TOKEN=abc123 && systemctl restart llmchain"}},
     "API_TOKEN is named like a secret"),
    ("registry-immutable-and-scanned", "aws:ecr/repository:Repository",
     {"imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True}},
     {"imageScanningConfiguration": {"scanOnPush": True}},
     "imageTagMutability is not IMMUTABLE"),
    ("registry-immutable-and-scanned", "gcp:artifactregistry/repository:Repository",
     {"format": "DOCKER", "dockerConfig": {"immutableTags": True}},
     {"format": "DOCKER"},
     "dockerConfig.immutableTags is not true"),
    ("ec2-imdsv2-required", "aws:ec2/launchTemplate:LaunchTemplate",
     {"metadataOptions": {"httpTokens": "required"}},
     {"metadataOptions": {"httpTokens": "optional"}},
     "httpTokens is not 'required'"),
    ("log-retention-set", "aws:cloudwatch/logGroup:LogGroup",
     {"retentionInDays": 30},
     {"name": "/app"},
     "kept (and billed) forever"),
    ("log-retention-set", "azure-native:operationalinsights:Workspace",
     {"retentionInDays": 30},
     {},
     "retentionInDays is not set"),
    ("iam-no-wildcards", "aws:iam/rolePolicy:RolePolicy",
     {"policy": policy_doc("ecr:GetAuthorizationToken", "logs:PutLogEvents")},
     {"policy": policy_doc("s3:*")},
     "allows action 's3:*'"),
    ("iam-no-wildcards", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
     {"policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"},
     {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
     "attaches AdministratorAccess"),
    ("iam-no-wildcards", "azure-native:authorization:RoleAssignment",
     {"roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d", "scope": "/subscriptions/s/resourceGroups/g"},
     {"roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "scope": "/subscriptions/s/resourceGroups/g"},
     "assigns Owner"),
    ("iam-no-wildcards", "gcp:projects/iAMMember:IAMMember",
     {"role": "roles/logging.logWriter", "member": "serviceAccount:a@p.iam.gserviceaccount.com"},
     {"role": "roles/editor", "member": "serviceAccount:a@p.iam.gserviceaccount.com"},
     "grants the basic role roles/editor"),
    ("grants-on-resources", "azure-native:authorization:RoleAssignment",
     {"scope": "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v"},
     {"scope": "/subscriptions/00000000-1111-2222-3333-444444444444"},
     "is a whole subscription"),
    ("grants-on-resources", "gcp:projects/iAMMember:IAMMember",
     {"role": "roles/monitoring.metricWriter"},
     {"role": "roles/secretmanager.secretAccessor"},
     "roles/secretmanager.secretAccessor is granted on the whole project"),
    ("kubernetes-pod-hardening", "kubernetes:apps/v1:Deployment",
     pod({**HARDENED, "securityContext": {**HARDENED["securityContext"], "runAsNonRoot": None}}, {"runAsNonRoot": True}),
     pod({**HARDENED, "securityContext": {"runAsNonRoot": True}}),
     "readOnlyRootFilesystem is not true"),
    ("kubernetes-pod-hardening", "kubernetes:batch/v1:CronJob",
     {"spec": {"jobTemplate": pod(HARDENED)}},
     {"spec": {"jobTemplate": pod({**HARDENED, "resources": {}})}},
     "no cpu or memory limit"),
    ("acr-admin-user-off", "azure-native:containerregistry:Registry",
     {"adminUserEnabled": False},
     {"adminUserEnabled": True},
     "adminUserEnabled is true"),
    ("key-vault-purge-protection", "azure-native:keyvault:Vault",
     {"properties": {"enablePurgeProtection": True}},
     {"properties": {"enableSoftDelete": True}},
     "enablePurgeProtection is not true"),
    ("cost-guard", "aws:appautoscaling/target:Target",
     {"maxCapacity": 10},
     {"maxCapacity": 50},
     "maxCapacity is 50; the pack allows at most 10"),
    ("cost-guard", "aws:ec2/launchTemplate:LaunchTemplate",
     {"instanceType": "t3.small"},
     {"instanceType": "p5.48xlarge"},
     "instanceType 'p5.48xlarge' is not among the allowed sizes"),
    ("cost-guard", "azure-native:app:ContainerApp",
     {"template": {"containers": [{"name": "app", "resources": {"cpu": 0.5}}]}},
     {"template": {"containers": [{"name": "app", "resources": {"cpu": 4}}]}},
     "container 'app' cpu is 4 vCPU; the pack allows at most 2"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "kind", "good", "bad", "fragment"),
    CASES,
    ids=[f"{c[0]}:{c[1].rsplit(':', 1)[-1]}:{i}" for i, c in enumerate(CASES)],
)
def test_rule_passes_the_good_and_names_what_is_wrong_with_the_bad(
    rule: str, kind: str, good: dict[str, Any], bad: dict[str, Any], fragment: str
) -> None:
    only = [RULES_BY_NAME[rule]]
    assert evaluate([Resource(kind, "good", good)], rules=only) == []
    found = evaluate([Resource(kind, "bad", bad)], rules=only)
    assert found, f"{rule} let a bad {kind} through"
    assert all(v.rule == rule and v.resource == "bad" for v in found)
    assert any(fragment in v.message for v in found), [v.message for v in found]


def test_every_rule_has_a_case() -> None:
    stack_rules = {r.name for r in RULES if r.stack_check is not None}
    assert {c[0] for c in CASES} | stack_rules == {r.name for r in RULES}


RUN = "gcp:cloudrunv2/service:Service"
INVOKER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"


def run_stack(ingress: str, member: str = "allUsers") -> list[Resource]:
    return [
        Resource(RUN, "svc", {"name": "llmchain", "ingress": ingress}),
        Resource(
            INVOKER, "invoker", {"name": "llmchain", "member": member, "role": "roles/run.invoker"}
        ),
    ]


def test_public_cloud_run_invoker_only_on_a_public_service() -> None:
    only = [RULES_BY_NAME["cloud-run-public-only-when-public"]]
    assert evaluate(run_stack("INGRESS_TRAFFIC_ALL"), rules=only) == []
    assert (
        evaluate(run_stack("INGRESS_TRAFFIC_INTERNAL_ONLY", "serviceAccount:x"), rules=only) == []
    )
    (found,) = evaluate(run_stack("INGRESS_TRAFFIC_INTERNAL_ONLY"), rules=only)
    assert found.resource == "invoker"
    assert "which the stack made private (ingress INGRESS_TRAFFIC_INTERNAL_ONLY)" in found.message
    # An organisation that forbids public services says so in the pack config.
    config = {"cloud-run-public-only-when-public": {"allowPublic": False}}
    (found,) = evaluate(run_stack("INGRESS_TRAFFIC_ALL"), config, rules=only)
    assert "this pack forbids public services" in found.message


LISTENER = "aws:lb/listener:Listener"
CERT = "aws:acm/certificate:Certificate"
REDIRECT = {
    "type": "redirect",
    "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"},
}
FORWARD = {"type": "forward", "targetGroupArn": "tg"}


def test_https_when_a_domain_is_set() -> None:
    only = [RULES_BY_NAME["https-when-domain"]]
    http_forward = Resource(
        LISTENER, "http", {"protocol": "HTTP", "port": 80, "defaultActions": [FORWARD]}
    )
    http_redirect = Resource(
        LISTENER, "http", {"protocol": "HTTP", "port": 80, "defaultActions": [REDIRECT]}
    )
    https = Resource(
        LISTENER, "https", {"protocol": "HTTPS", "port": 443, "defaultActions": [FORWARD]}
    )
    cert = Resource(CERT, "cert", {"domainName": "api.example.com"})
    assert evaluate([http_forward], rules=only) == []  # no domain: HTTP is all there can be
    assert evaluate([cert, http_redirect, https], rules=only) == []
    found = evaluate([cert, http_forward], rules=only)
    assert {v.message for v in found} == {
        "a domain is set but no listener serves HTTPS",
        "a domain is set and this HTTP listener does not redirect to HTTPS",
    }
    configured = evaluate(
        [http_forward, https], {"https-when-domain": {"domain": "api.example.com"}}, rules=only
    )
    assert [v.resource for v in configured] == ["http"]
    insecure = Resource(
        "azure-native:app:ContainerApp",
        "app",
        {"configuration": {"ingress": {"allowInsecure": True}}},
    )
    assert "allowInsecure is true" in evaluate([insecure], rules=only)[0].message


def test_gcp_http_proxy_must_redirect_with_a_domain() -> None:
    only = [RULES_BY_NAME["https-when-domain"]]
    cert = Resource("gcp:compute/managedSslCertificate:ManagedSslCertificate", "cert", {})
    redirect_map = Resource(
        "gcp:compute/uRLMap:URLMap",
        "redirect",
        {"name": "app-redirect", "defaultUrlRedirect": {"httpsRedirect": True}},
    )
    serving_map = Resource(
        "gcp:compute/uRLMap:URLMap", "serve", {"name": "app-serve", "defaultService": "b"}
    )
    https = Resource(
        "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
        "https",
        {"urlMap": "projects/p/global/urlMaps/app-serve"},
    )
    good = Resource(
        "gcp:compute/targetHttpProxy:TargetHttpProxy",
        "http",
        {"urlMap": "projects/p/global/urlMaps/app-redirect"},
    )
    bad = Resource(
        "gcp:compute/targetHttpProxy:TargetHttpProxy",
        "http",
        {"urlMap": "projects/p/global/urlMaps/app-serve"},
    )
    assert evaluate([cert, redirect_map, serving_map, https, good], rules=only) == []
    (found,) = evaluate([cert, redirect_map, serving_map, https, bad], rules=only)
    assert found.message == "a domain is set and this HTTP proxy does not redirect to HTTPS"


def test_registry_gaps_are_advisory_and_name_the_fix() -> None:
    only = [RULES_BY_NAME["registry-scanning-gaps"]]
    repo = Resource("gcp:artifactregistry/repository:Repository", "repo", {"format": "DOCKER"})
    api = Resource(
        "gcp:projects/service:Service", "scan", {"service": "containerscanning.googleapis.com"}
    )
    assert evaluate([repo, api], rules=only) == []
    (found,) = evaluate([repo], rules=only)
    assert found.level == "advisory" and "containerscanning.googleapis.com" in found.message
    (acr,) = evaluate([Resource("azure-native:containerregistry:Registry", "acr", {})], rules=only)
    assert "Defender for Containers" in acr.message


def test_pack_config_changes_levels_and_settings() -> None:
    vault = Resource("azure-native:keyvault:Vault", "kv", {"properties": {}})
    (found,) = evaluate([vault])
    assert found.level == "mandatory"
    dev = json.loads(Path("policy/dev.json").read_text())
    (lowered,) = evaluate([vault], dev)
    assert lowered.level == "advisory"
    assert evaluate([vault], {"key-vault-purge-protection": "disabled"}) == []
    target = Resource("aws:appautoscaling/target:Target", "t", {"maxCapacity": 20})
    assert evaluate([target], {"cost-guard": {"maxReplicas": 25}}) == []
    assert evaluate([target])[0].level == "advisory"


def test_unknown_values_during_preview_are_not_violations() -> None:
    """Inputs not known until apply are absent: a rule judges only what it can see."""
    unknown = [
        Resource("aws:ecs/taskDefinition:TaskDefinition", "t", {}),
        Resource(
            "kubernetes:apps/v1:Deployment",
            "d",
            {"spec": {"template": {"spec": {"containers": [{**HARDENED, "image": None}]}}}},
        ),
        Resource(SG, "sg", {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22}]}),
    ]
    assert [
        v for v in evaluate(unknown) if v.rule in ("images-by-digest", "no-admin-ports-to-world")
    ] == []
