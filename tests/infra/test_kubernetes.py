"""KubernetesWorkload under mocks: every object and property, valid for the API, clean for checkov."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pulumi
import pulumi_kubernetes as k8s
import pytest

from infra.config import StackConfig
from infra.kubernetes import KubernetesWorkload, KubernetesWorkloadArgs
from infra.kubernetes.accepted_findings import ACCEPTED
from infra.kubernetes.version import MANIFEST_SCHEMA_VERSION as KUBERNETES_VERSION
from infra.plan import Plan, Resource, plan_program
from infra.spec import build_spec
from tests.infra.k8s_render import checkov_failures, manifests, write_manifests

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/llmchain@sha256:" + "ab" * 32
ROLE = "arn:aws:iam::123456789012:role/llmchain"
DB_URL = "postgresql://llmchain:pa55word@db.internal:5432/llmchain"


def workload_plan(
    *,
    public: bool = True,
    min_replicas: int = 2,
    token: bool = False,
    api_keys: bool = True,
    identity_egress: tuple[tuple[str, int], ...] = (),
) -> Plan:
    def program() -> None:
        config = StackConfig.model_validate(
            {
                "cloud": "aws",
                "compute": "cluster",
                "scaling": {"min": min_replicas, "max": 6},
                "ingress": {"public": public},
            }
        )
        secrets = {"apiKeys": pulumi.Output.secret("key-1")} if api_keys else {}
        spec = build_spec(config, "test", secrets)
        provider = k8s.Provider("cluster", kubeconfig="{}")
        KubernetesWorkload(
            "llmchain-test",
            KubernetesWorkloadArgs(
                spec=spec,
                image_ref=IMAGE,
                provider=provider,
                service_account_annotations={"eks.amazonaws.com/role-arn": ROLE},
                service_annotations={
                    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"
                },
                automount_token=token,
                extra_env={"AWS_REGION": "us-east-1"},
                extra_secret_env={"LLMCHAIN_MEMORY_URL": pulumi.Output.secret(DB_URL)},
                identity_egress=identity_egress,
            ),
        )

    return plan_program(program, "test")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return workload_plan()


def obj(plan: Plan, kind: str) -> Resource:
    found = [r for r in plan.resources if r.inputs.get("kind") == kind]
    assert len(found) == 1, f"{kind}: {len(found)}"
    return found[0]


def pod(plan: Plan) -> dict:
    spec: dict = obj(plan, "Deployment").inputs["spec"]["template"]["spec"]
    return spec


def test_objects_are_all_there_under_the_component(plan: Plan) -> None:
    kinds = sorted(r.inputs["kind"] for r in plan.resources if "kind" in r.inputs)
    assert kinds == sorted(["Namespace", "ServiceAccount", "ConfigMap", "Secret", "Deployment",
                            "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                            "NetworkPolicy"])  # fmt: skip
    component = plan.one("llmchain:kubernetes:KubernetesWorkload")
    for resource in plan.resources:
        if "kind" in resource.inputs:
            assert resource.parent == component.urn
            assert resource.inputs["metadata"]["labels"]["app"] == "llmchain"
    assert (
        obj(plan, "Namespace").inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        == "restricted"
    )


def test_identity_annotations_and_no_token_by_default(plan: Plan) -> None:
    account = obj(plan, "ServiceAccount").inputs
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": ROLE}
    assert account["automountServiceAccountToken"] is False
    assert pod(plan)["automountServiceAccountToken"] is False
    assert pod(plan)["serviceAccountName"] == account["metadata"]["name"]
    with_token = workload_plan(token=True)
    assert pod(with_token)["automountServiceAccountToken"] is True


def test_settings_in_a_configmap_secrets_as_mounted_files(plan: Plan) -> None:
    data = obj(plan, "ConfigMap").inputs["data"]
    assert data["LLMCHAIN_PROVIDER"] == "bedrock"
    assert data["LLMCHAIN_SECRETS_DIR"] == "/run/secrets/llmchain"  # the image contract's path
    secret = obj(plan, "Secret").inputs
    assert secret["stringData"] == "[secret]"
    container = pod(plan)["containers"][0]
    assert [e.get("configMapRef") for e in container["envFrom"]] == [
        {"name": "llmchain-test-settings"}
    ]
    names = {e["name"] for e in container.get("env", [])}
    assert names == {"AWS_REGION"}  # no secret is an environment variable
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["secrets"] == {
        "name": "secrets",
        "mountPath": "/run/secrets/llmchain",
        "readOnly": True,
    }
    assert "pa55word" not in str(plan.to_json()) and "key-1" not in str(plan.to_json())


def test_deployment_image_probes_and_resources(plan: Plan) -> None:
    container = pod(plan)["containers"][0]
    assert container["image"] == IMAGE
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["resources"] == {
        "requests": {"cpu": "500m", "memory": "1024Mi"},
        "limits": {"cpu": "500m", "memory": "1024Mi"},
    }


def test_pod_is_hardened(plan: Plan) -> None:
    spec = pod(plan)
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    context = spec["containers"][0]["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["runAsUser"] == 10001
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["tmp"]["emptyDir"] == {"sizeLimit": "64Mi"}


def test_rollout_spread_and_graceful_termination(plan: Plan) -> None:
    deployment = obj(plan, "Deployment").inputs["spec"]
    assert deployment["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    keys = {c["topologyKey"] for c in pod(plan)["topologySpreadConstraints"]}
    assert "topology.kubernetes.io/zone" in keys
    assert pod(plan)["terminationGracePeriodSeconds"] > 30  # the app's grace for streams
    assert pod(plan)["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][0] == "python3"


def test_service_hpa_pdb_and_network_policy(plan: Plan) -> None:
    service = obj(plan, "Service").inputs
    assert service["spec"]["type"] == "LoadBalancer"
    assert (
        service["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"]
        == "internet-facing"
    )
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http"}]
    hpa = obj(plan, "HorizontalPodAutoscaler").inputs["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)
    assert hpa["scaleTargetRef"]["kind"] == "Deployment"
    assert obj(plan, "PodDisruptionBudget").inputs["spec"]["maxUnavailable"] == 1
    policy = obj(plan, "NetworkPolicy").inputs["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["ingress"] == [{"ports": [{"port": 8000, "protocol": "TCP"}]}]
    egress = {(p["port"], p["protocol"]) for p in policy["egress"][0]["ports"]}
    assert egress == {(53, "UDP"), (53, "TCP"), (443, "TCP"), (5432, "TCP")}


def test_identity_egress_admits_only_that_address_and_port() -> None:
    # GKE's metadata server (Workload Identity); without these rules no pod gets a token.
    metadata = (("169.254.169.254/32", 80), ("169.254.169.252/32", 988))
    plan = workload_plan(identity_egress=metadata)
    egress = obj(plan, "NetworkPolicy").inputs["spec"]["egress"]
    assert egress[1:] == [
        {"to": [{"ipBlock": {"cidr": cidr}}], "ports": [{"port": port, "protocol": "TCP"}]}
        for cidr, port in metadata
    ]
    for manifest in manifests(plan):
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_no_identity_egress_by_default(plan: Plan) -> None:
    assert len(obj(plan, "NetworkPolicy").inputs["spec"]["egress"]) == 1  # EKS, AKS: unchanged


def test_private_single_replica_variant() -> None:
    plan = workload_plan(public=False, min_replicas=1)
    assert obj(plan, "Service").inputs["spec"]["type"] == "ClusterIP"
    assert [r for r in plan.resources if r.inputs.get("kind") == "PodDisruptionBudget"] == []
    assert plan.one("llmchain:kubernetes:KubernetesWorkload")


def test_manifests_are_valid_for_the_cluster_version(plan: Plan) -> None:
    for manifest in manifests(plan):
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_checkov_finds_nothing_but_the_accepted(plan: Plan, tmp_path: Path) -> None:
    write_manifests(manifests(plan), tmp_path)
    failed = checkov_failures(tmp_path, list(ACCEPTED))
    assert failed == [], [(f["check_id"], f["check_name"], f["resource"]) for f in failed]


def test_checkov_would_catch_a_weakened_pod(plan: Plan, tmp_path: Path) -> None:
    objects = manifests(plan)
    for manifest in objects:
        if manifest["kind"] == "Deployment":
            context = manifest["spec"]["template"]["spec"]["containers"][0]["securityContext"]
            context["readOnlyRootFilesystem"] = False
            context["allowPrivilegeEscalation"] = True
    write_manifests(objects, tmp_path)
    failed = {f["check_id"] for f in checkov_failures(tmp_path, list(ACCEPTED))}
    assert {"CKV_K8S_20", "CKV_K8S_22"} <= failed  # privilege escalation, read-only root


def test_manifests_are_validated_against_the_version_the_clusters_run() -> None:
    from infra.aws.cluster import KUBERNETES_VERSION as EKS
    from infra.azure.cluster import KUBERNETES_VERSION as AKS

    minor = ".".join(KUBERNETES_VERSION.split(".")[:2])
    assert minor == EKS == AKS
