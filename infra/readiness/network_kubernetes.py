"""Rule: the NetworkPolicy that selects the service's pods admits every flow they need.

The model, from the Kubernetes and cloud documentation (read 2026-11-29):

- A pod selected by any policy whose policyTypes include Egress may send only what the union
  of those policies' egress rules lists; same for Ingress. policyTypes defaults to Ingress,
  plus Egress when the policy has an egress section. A rule with no `ports` admits every port,
  one with no `to`/`from` every peer; a port's protocol defaults to TCP; `endPort` makes a
  range. ipBlock is meant for addresses outside the cluster: whether a Service's ClusterIP is
  rewritten before or after the policy sees it is undefined, so in-cluster DNS is proven only
  by a rule with no peers or a namespace/pod selector.
  https://kubernetes.io/docs/concepts/services-networking/network-policies/
- GKE (Workload Identity, Dataplane V2 on Autopilot): pods get Google credentials from the GKE
  metadata server; a policy must admit 169.254.169.254 on TCP 80 and 169.254.169.252 on TCP 988
  or no token is ever issued.
  https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity#limitations
  https://cloud.google.com/kubernetes-engine/docs/how-to/network-policy
- EKS, IAM roles for service accounts: the SDK exchanges the projected token with STS
  (AssumeRoleWithWebIdentity) over HTTPS; IMDS is not needed.
  https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html
  EKS Pod Identity instead asks the node's agent, which "uses the loopback (localhost) IP
  address 169.254.170.23" (the SDKs call http://169.254.170.23/v1/credentials: TCP 80).
  https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html
- AKS workload identity: the pod exchanges its projected token with Microsoft Entra ID over
  HTTPS (login.microsoftonline.com:443).
  https://learn.microsoft.com/azure/aks/workload-identity-overview

What is not modelled is listed in docs/deploy-readiness.md.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from infra.readiness import Finding

if TYPE_CHECKING:
    from infra.plan import Plan, Resource

RULE = "network-kubernetes"

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
GKE = "gcp:container/cluster:Cluster"
EKS = "aws:eks/cluster:Cluster"
EKS_POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
AKS = "azure-native:containerservice:ManagedCluster"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
AZURE_WI_LABEL = "azure.workload.identity/use"


@dataclass(frozen=True)
class Peer:
    """A destination or source as a policy sees it."""

    label: str
    address: ipaddress.IPv4Address | None  # None: a pod in the cluster (cluster DNS)
    port: int
    protocol: str = "TCP"


# Documentation addresses (RFC 5737 / RFC 1918) stand in for peers whose exact address the
# plan cannot know: only public-versus-private matters to an ipBlock.
PUBLIC = ipaddress.IPv4Address("203.0.113.10")
PRIVATE = ipaddress.IPv4Address("10.0.0.5")
DNS = [Peer("cluster DNS", None, 53, "UDP"), Peer("cluster DNS", None, 53, "TCP")]
APP = [Peer("the database", PRIVATE, 5432), Peer("the model endpoint", PUBLIC, 443)]
GKE_METADATA = [
    Peer("the GKE metadata server", ipaddress.IPv4Address("169.254.169.254"), 80),
    Peer("the GKE metadata server", ipaddress.IPv4Address("169.254.169.252"), 988),
]
STS = Peer("STS (IRSA)", PUBLIC, 443)
EKS_AGENT = Peer("the EKS Pod Identity agent", ipaddress.IPv4Address("169.254.170.23"), 80)
ENTRA = Peer("Entra ID (workload identity)", PUBLIC, 443)


def _labels_match(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A LabelSelector against labels: matchLabels and matchExpressions; empty selects all."""
    selector = selector or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and present and labels.get(key) in values)
            or (op == "Exists" and not present)
            or (op == "DoesNotExist" and present)
        ):
            return False
    return True


def _meta(resource: Resource) -> dict[str, Any]:
    return resource.inputs.get("metadata") or {}


def _spec(resource: Resource) -> dict[str, Any]:
    return resource.inputs.get("spec") or {}


def _pod(deployment: Resource) -> tuple[dict[str, str], dict[str, Any]]:
    template = _spec(deployment).get("template") or {}
    return (template.get("metadata") or {}).get("labels") or {}, template.get("spec") or {}


def _policy_types(policy: Resource) -> list[str]:
    spec = _spec(policy)
    if spec.get("policyTypes"):
        return list(spec["policyTypes"])
    return ["Ingress", *(["Egress"] if "egress" in spec else [])]


def _container_ports(pod_spec: dict[str, Any]) -> dict[str, int]:
    ports = {}
    for container in pod_spec.get("containers") or []:
        for p in container.get("ports") or []:
            if p.get("name"):
                ports[str(p["name"])] = int(p.get("containerPort", 0))
    return ports


def _port_matches(
    rule_ports: list[dict[str, Any]] | None, peer: Peer, named: dict[str, int]
) -> bool:
    if not rule_ports:
        return True
    for p in rule_ports:
        if str(p.get("protocol") or "TCP").upper() != peer.protocol:
            continue
        port = p.get("port")
        if port is None:
            return True
        if isinstance(port, str) and not port.isdigit():
            if named.get(port) == peer.port:  # named ports resolve on the receiving pod
                return True
            continue
        low, high = int(port), int(p.get("endPort") or port)
        if low <= peer.port <= high:
            return True
    return False


def _peer_matches(peers: list[dict[str, Any]] | None, peer: Peer) -> bool:
    if not peers:
        return True
    for spec in peers:
        block = spec.get("ipBlock")
        if block:
            if peer.address is None:
                continue  # a ClusterIP behind DNAT: undefined for ipBlock
            net = ipaddress.ip_network(str(block.get("cidr")), strict=False)
            excepted = any(
                peer.address in ipaddress.ip_network(str(e), strict=False)
                for e in block.get("except") or []
            )
            if peer.address in net and not excepted:
                return True
        elif peer.address is None and ("namespaceSelector" in spec or "podSelector" in spec):
            return True  # in-cluster peers (the DNS pods) are selected by labels
    return False


def _admits(
    rules: list[dict[str, Any]], key: str, peer: Peer, named: dict[str, int] | None = None
) -> bool:
    return any(
        _port_matches(rule.get("ports"), peer, named or {}) and _peer_matches(rule.get(key), peer)
        for rule in rules
    )


def _identity_peers(plan: Plan, deployment: Resource) -> list[Peer]:
    """What the cloud's workload identity needs to reach from the pod."""
    labels, pod = _pod(deployment)
    namespace = _meta(deployment).get("namespace")
    account_name = pod.get("serviceAccountName")
    annotations: dict[str, Any] = {}
    for account in plan.of_type(SERVICE_ACCOUNT):
        meta = _meta(account)
        if meta.get("name") == account_name and meta.get("namespace") == namespace:
            annotations = meta.get("annotations") or {}
    peers: list[Peer] = []
    if plan.of_type(GKE):
        peers += GKE_METADATA
    if plan.of_type(EKS):
        if IRSA_ANNOTATION in annotations:
            peers.append(STS)
        if plan.of_type(EKS_POD_IDENTITY):
            peers.append(EKS_AGENT)
    if plan.of_type(AKS) and str(labels.get(AZURE_WI_LABEL, "")).lower() == "true":
        peers.append(ENTRA)
    return peers


def kubernetes_network_paths(plan: Plan) -> list[Finding]:
    """Pods -> DNS, database, model endpoint and the cloud's identity endpoint; users -> pods.

    Every NetworkPolicy selecting the service's pods together must admit egress to cluster DNS
    (53 UDP and TCP), PostgreSQL (5432), the model endpoint (443) and the cloud's identity
    endpoint (GKE metadata server 169.254.169.254:80 and 169.254.169.252:988; STS:443 for EKS
    IRSA or 169.254.170.23:80 for EKS Pod Identity; Entra ID:443 for AKS workload identity), and
    ingress from outside the cluster to the port a LoadBalancer Service targets. Semantics and
    sources in the module docstring, read 2026-11-29.
    """
    policies = plan.of_type(POLICY)
    if not policies:
        return []
    findings = []
    for deployment in plan.of_type(DEPLOYMENT):
        labels, pod = _pod(deployment)
        namespace = _meta(deployment).get("namespace")
        selecting = [
            p
            for p in policies
            if _meta(p).get("namespace") == namespace
            and _labels_match(_spec(p).get("podSelector"), labels)
        ]
        if not selecting:
            continue
        owner = selecting[0]
        egress = [
            r
            for p in selecting
            if "Egress" in _policy_types(p)
            for r in _spec(p).get("egress") or []
        ]
        if any("Egress" in _policy_types(p) for p in selecting):
            for peer in [*DNS, *APP, *_identity_peers(plan, deployment)]:
                if not _admits(egress, "to", peer):
                    target = str(peer.address) if peer.address else "kube-dns"
                    findings.append(
                        Finding(
                            RULE,
                            owner.urn,
                            f"pod {deployment.name} -> {peer.label} {target}:{peer.port}/"
                            f"{peer.protocol.lower()} denied: no egress rule of "
                            f"{', '.join(p.name for p in selecting)} admits it",
                        )
                    )
        if any("Ingress" in _policy_types(p) for p in selecting):
            ingress = [
                r
                for p in selecting
                if "Ingress" in _policy_types(p)
                for r in _spec(p).get("ingress") or []
            ]
            findings.extend(_ingress(plan, deployment, labels, pod, owner, ingress))
    return findings


def _ingress(
    plan: Plan,
    deployment: Resource,
    labels: dict[str, str],
    pod: dict[str, Any],
    owner: Resource,
    rules: list[dict[str, Any]],
) -> list[Finding]:
    """Traffic from outside the cluster reaches the port a LoadBalancer Service targets."""
    findings = []
    named = _container_ports(pod)
    namespace = _meta(deployment).get("namespace")
    for service in plan.of_type(SERVICE):
        spec = _spec(service)
        if _meta(service).get("namespace") != namespace or spec.get("type") != "LoadBalancer":
            continue
        selector = spec.get("selector") or {}
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            continue
        for port in spec.get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            number = named.get(target) if isinstance(target, str) else target
            if number is None:
                continue
            protocol = str(port.get("protocol") or "TCP").upper()
            peer = Peer("a client outside the cluster", PUBLIC, int(number), protocol)
            if not _admits(rules, "from", peer, named):
                findings.append(
                    Finding(
                        RULE,
                        owner.urn,
                        f"Service {service.name}:{port.get('port')} -> pod {deployment.name}:"
                        f"{number}/{protocol.lower()} denied: no ingress rule of {owner.name} "
                        "admits it",
                    )
                )
    return findings
