"""Network-path readiness rules for Azure (NSGs, load balancers, AKS, Container Apps) and for the
Kubernetes NetworkPolicy shared by EKS, AKS and GKE: each fails on a plan with the defect and
passes on one without, and today's real plans fail exactly where the cloud issues say."""

from __future__ import annotations

import ipaddress
from typing import Any

from infra.plan import Plan, Resource
from infra.readiness import Finding, rules
from infra.readiness.network_azure import (
    AZURE_DNS,
    INTERNET,
    PROBE,
    Endpoint,
    azure_network_paths,
    evaluate,
    traverse,
)
from infra.readiness.network_kubernetes import kubernetes_network_paths
from tests.infra.readiness_fixtures import plan_of, res

NSG = "azure-native:network:NetworkSecurityGroup"
SUBNET = "azure-native:network:Subnet"
VNET = "azure-native:network:VirtualNetwork"
LB = "azure-native:network:LoadBalancer"
VMSS = "azure-native:compute:VirtualMachineScaleSet"
AKS = "azure-native:containerservice:ManagedCluster"
ENV = "azure-native:app:ManagedEnvironment"
APP = "azure-native:app:ContainerApp"
PG = "azure-native:dbforpostgresql:Server"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
ACCOUNT = "kubernetes:core/v1:ServiceAccount"


def rule(
    name: str,
    priority: int,
    source: str,
    ports: str,
    access: str = "Allow",
    direction: str = "Inbound",
    destination: str = "*",
    protocol: str = "Tcp",
) -> dict[str, Any]:
    return {
        "name": name,
        "priority": priority,
        "direction": direction,
        "access": access,
        "protocol": protocol,
        "sourceAddressPrefix": source,
        "sourcePortRange": "*",
        "destinationAddressPrefix": destination,
        "destinationPortRange": ports,
    }


DENY_INTERNET = rule("deny-internet-in", 4000, "Internet", "*", access="Deny", protocol="*")


def nsg(name: str, *rules_: dict[str, Any]) -> Resource:
    return res(NSG, name, {"securityRules": list(rules_)})


def subnet(name: str, cidr: str, group: Resource | None) -> Resource:
    return res(
        SUBNET,
        name,
        {"addressPrefix": cidr},
        props={"networkSecurityGroup": [group]} if group else None,
    )


VNET_RES = res(VNET, "vnet", {"addressSpace": {"addressPrefixes": ["10.50.0.0/16"]}})


# --- the NSG model --------------------------------------------------------------------


def test_nsg_first_match_by_priority_wins() -> None:
    allow_first = nsg("a", rule("allow", 100, "Internet", "8000"), DENY_INTERNET)
    deny_first = nsg("b", rule("deny", 100, "*", "8000", access="Deny"), rule("ok", 200, "*", "*"))
    vm = subnet_host()
    assert evaluate(allow_first, "Inbound", INTERNET, vm, 8000, "Tcp").why() == (
        "admitted by allow (priority 100)"
    )
    assert evaluate(deny_first, "Inbound", INTERNET, vm, 8000, "Tcp").why() == (
        "denied by deny (priority 100)"
    )


def test_nsg_defaults_deny_the_internet_and_admit_the_vnet_and_the_probe() -> None:
    empty = nsg("empty")
    vm = subnet_host()
    client = subnet_host("client", "10.50.9.9")
    assert evaluate(empty, "Inbound", INTERNET, vm, 8000, "Tcp").why() == (
        "denied by DenyAllInBound (priority 65500)"
    )
    assert evaluate(empty, "Inbound", client, vm, 8000, "Tcp").rule.name == "AllowVnetInBound"
    assert (
        evaluate(empty, "Inbound", PROBE, vm, 8000, "Tcp").rule.name
        == "AllowAzureLoadBalancerInBound"
    )


def test_azure_load_balancer_tag_admits_the_probe_not_the_clients() -> None:
    group = nsg("g", rule("from-lb", 100, "AzureLoadBalancer", "8000"), DENY_INTERNET)
    assert evaluate(group, "Inbound", PROBE, subnet_host(), 8000, "Tcp").allowed
    assert not evaluate(group, "Inbound", INTERNET, subnet_host(), 8000, "Tcp").allowed


def test_subnet_and_nic_nsgs_must_both_admit() -> None:
    open_subnet = nsg("subnet", rule("web", 100, "Internet", "8000"))
    closed_nic = nsg("nic")  # only the defaults: DenyAllInBound
    verdict = traverse([open_subnet, closed_nic], "Inbound", INTERNET, subnet_host(), 8000)
    assert not verdict.allowed and verdict.nsg is closed_nic


def test_platform_dns_escapes_nsgs_unless_a_rule_names_its_tag() -> None:
    deny_all = nsg("out", rule("no-out", 100, "*", "*", access="Deny", direction="Outbound"))
    assert evaluate(deny_all, "Outbound", subnet_host(), AZURE_DNS, 53, "Udp").allowed
    named = nsg(
        "dns",
        rule(
            "no-dns",
            100,
            "*",
            "53",
            "Deny",
            "Outbound",
            destination="AzurePlatformDNS",
            protocol="*",
        ),
    )
    assert not evaluate(named, "Outbound", subnet_host(), AZURE_DNS, 53, "Udp").allowed


def test_cidr_sources_and_port_ranges() -> None:
    group = nsg("g", rule("office", 100, "198.51.100.0/24", "8000-8010"), DENY_INTERNET)
    office = Endpoint("office", ipaddress.IPv4Address("198.51.100.7"), frozenset({"Internet"}))
    assert evaluate(group, "Inbound", office, subnet_host(), 8005, "Tcp").allowed
    assert not evaluate(group, "Inbound", INTERNET, subnet_host(), 8005, "Tcp").allowed


def subnet_host(label: str = "vm", address: str = "10.50.2.10") -> Endpoint:
    return Endpoint(label, ipaddress.IPv4Address(address), frozenset({"VirtualNetwork"}))


# --- vm: Standard load balancer in front of a scale set ---------------------------------

PROBE_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb"


def vm_plan(*vms_rules: dict[str, Any], public: bool = True, frontend_port: int = 80) -> Plan:
    group = nsg("vms-nsg", *vms_rules)
    vms = subnet("vms", "10.50.2.0/24", group)
    front = {"name": "front", "publicIPAddress": {"id": "ip"}} if public else {"name": "front"}
    lb = res(
        LB,
        "lb",
        {
            "loadBalancerName": "lb",
            "frontendIPConfigurations": [front],
            "probes": [{"name": "ready", "port": 8000, "protocol": "Http"}],
            "loadBalancingRules": [
                {
                    "name": "http",
                    "protocol": "Tcp",
                    "frontendPort": frontend_port,
                    "backendPort": 8000,
                    "probe": {"id": f"{PROBE_ID}/probes/ready"},
                }
            ],
        },
    )
    pool = {"id": f"{PROBE_ID}/backendAddressPools/pool"}
    vmss = res(
        VMSS,
        "vmss",
        {"virtualMachineProfile": {"networkProfile": {"pools": [pool]}}},
        props={"virtualMachineProfile": [vms]},
    )
    return plan_of(VNET_RES, group, vms, lb, vmss)


LB_AND_VNET_ONLY = (
    rule("service-from-lb", 100, "AzureLoadBalancer", "8000"),
    rule("service-from-vnet", 110, "VirtualNetwork", "8000"),
    DENY_INTERNET,
)


def test_vm_fails_when_only_the_probe_tag_is_admitted() -> None:
    found = azure_network_paths(vm_plan(*LB_AND_VNET_ONLY))
    assert [f.name for f in found] == ["vms-nsg"]
    assert found[0].message.startswith(
        "internet -> lb:80 -> vms-nsg:8000/tcp denied by deny-internet-in (priority 4000)"
    )


def test_vm_passes_when_the_clients_are_admitted() -> None:
    admitted = (*LB_AND_VNET_ONLY[:2], rule("service-from-internet", 120, "Internet", "8000"))
    assert azure_network_paths(vm_plan(*admitted, DENY_INTERNET)) == []


def test_vm_fails_when_the_probe_is_denied() -> None:
    found = azure_network_paths(
        vm_plan(
            rule("no-probe", 100, "AzureLoadBalancer", "*", access="Deny"),
            rule("web", 110, "Internet", "8000"),
        )
    )
    assert [f.message.split(" denied")[0] for f in found] == ["probe lb/ready -> vms-nsg:8000/tcp"]


def test_private_vm_needs_the_vnet_admitted_not_the_internet() -> None:
    assert azure_network_paths(vm_plan(*LB_AND_VNET_ONLY, public=False)) == []
    found = azure_network_paths(
        vm_plan(rule("no-vnet", 100, "VirtualNetwork", "8000", access="Deny"), public=False)
    )
    assert [f.message.split(" denied")[0] for f in found] == [
        "a client in the VNet -> lb:80 -> vms-nsg:8000/tcp"
    ]


def test_nothing_else_from_the_internet() -> None:
    ssh = azure_network_paths(vm_plan(rule("ssh", 90, "Internet", "22"), *LB_AND_VNET_ONLY))
    assert any("internet -> vms-nsg:22/tcp admitted by ssh (priority 90)" in f.message for f in ssh)
    forwarded = azure_network_paths(
        vm_plan(*LB_AND_VNET_ONLY, rule("web", 120, "Internet", "8000"), frontend_port=22)
    )
    assert [f.name for f in forwarded] == ["lb"]


# --- cluster: AKS with a subnet NSG you bring -------------------------------------------


def aks_plan(
    *aks_rules: dict[str, Any], kind: str = "LoadBalancer", internal: bool = False
) -> Plan:
    group = nsg("aks-nsg", *aks_rules)
    aks = subnet("aks", "10.50.8.0/22", group)
    cluster = res(AKS, "aks", {"agentPoolProfiles": [{}]}, props={"agentPoolProfiles": [aks]})
    annotations = {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}
    service = res(
        SERVICE,
        "svc",
        {
            "metadata": {"name": "app", "annotations": annotations if internal else {}},
            "spec": {"type": kind, "ports": [{"port": 80, "targetPort": "http"}]},
        },
    )
    return plan_of(VNET_RES, group, aks, cluster, service)


def test_aks_fails_when_the_subnet_nsg_drops_the_service_port() -> None:
    found = azure_network_paths(aks_plan(DENY_INTERNET))
    assert [f.name for f in found] == ["aks-nsg"]
    assert found[0].message.startswith(
        "internet -> Service svc -> aks-nsg:80/tcp denied by deny-internet-in (priority 4000)"
    )


def test_aks_passes_when_the_subnet_nsg_admits_the_service_port() -> None:
    assert azure_network_paths(aks_plan(rule("web", 100, "Internet", "80"), DENY_INTERNET)) == []


def test_private_aks_needs_a_load_balancer_service_not_an_annotated_cluster_ip() -> None:
    found = azure_network_paths(aks_plan(DENY_INTERNET, kind="ClusterIP", internal=True))
    assert [f.name for f in found] == ["svc"]
    assert "ClusterIP Service has no address in the VNet" in found[0].message
    assert azure_network_paths(aks_plan(DENY_INTERNET, internal=True)) == []


# --- serverless: Container Apps in a VNet -----------------------------------------------


def apps_plan(
    *apps_rules: dict[str, Any], internal: bool, external: bool = True, profiles: bool = True
) -> Plan:
    group = nsg("apps-nsg", *apps_rules)
    apps = subnet("apps", "10.50.0.0/23", group)
    env = res(
        ENV,
        "env",
        {
            "vnetConfiguration": {"internal": internal},
            "workloadProfiles": [{"name": "Consumption"}] if profiles else None,
        },
        props={"vnetConfiguration": [apps]},
    )
    app = res(
        APP,
        "app",
        {"configuration": {"ingress": {"external": external, "targetPort": 8000}}},
        props={"managedEnvironmentId": [env]},
    )
    return plan_of(VNET_RES, group, apps, env, app)


def test_external_workload_profiles_ingress_does_not_cross_the_subnet_nsg() -> None:
    assert azure_network_paths(apps_plan(DENY_INTERNET, internal=False)) == []


def test_consumption_only_external_ingress_needs_the_subnet_nsg() -> None:
    found = azure_network_paths(apps_plan(DENY_INTERNET, internal=False, profiles=False))
    assert [f.message.split(" denied")[0] for f in found] == ["internet -> app -> apps-nsg:443/tcp"]


def test_internal_environment_needs_vnet_clients_on_the_edge_ports() -> None:
    assert azure_network_paths(apps_plan(DENY_INTERNET, internal=True)) == []
    blocked = rule("no-vnet", 100, "VirtualNetwork", "31443", access="Deny")
    found = azure_network_paths(apps_plan(blocked, internal=True))
    assert [f.message.split(" denied")[0] for f in found] == [
        "a client in the VNet -> app -> apps-nsg:31443/tcp"
    ]


def test_internal_ingress_is_for_the_environment_only() -> None:
    found = azure_network_paths(apps_plan(DENY_INTERNET, internal=True, external=False))
    assert [f.name for f in found] == ["app"]
    assert "only apps of the same environment" in found[0].message
    assert azure_network_paths(apps_plan(DENY_INTERNET, internal=True, external=True)) == []


def test_internal_environment_needs_the_probe_on_the_edge_range() -> None:
    no_probe = rule("no-lb", 100, "AzureLoadBalancer", "30000-32767", access="Deny")
    found = azure_network_paths(apps_plan(no_probe, internal=True))
    assert {f.message.split(" denied")[0] for f in found} == {
        "probe -> env -> apps-nsg:30000/tcp",
        "probe -> env -> apps-nsg:32767/tcp",
    }


def test_container_apps_need_entra_registry_and_the_model_over_443() -> None:
    no_443 = rule("no-web", 100, "*", "443", "Deny", "Outbound", destination="Internet")
    found = azure_network_paths(apps_plan(no_443, internal=False))
    targets = {f.message.split(" -> ")[1] for f in found}
    assert {"the model endpoint", "Entra ID", "the registry"} <= targets


# --- workload -> PostgreSQL -------------------------------------------------------------


def db_plan(*db_rules: dict[str, Any]) -> Plan:
    base = aks_plan(rule("web", 100, "Internet", "80"))
    group = nsg("db-nsg", *db_rules)
    db = subnet("db", "10.50.3.0/24", group)
    server = res(
        PG, "pg", {"network": {"publicNetworkAccess": "Disabled"}}, props={"network": [db]}
    )
    return plan_of(*base.resources, group, db, server)


def test_database_port_must_be_admitted_from_the_workload_subnet() -> None:
    assert azure_network_paths(db_plan(rule("pg", 100, "VirtualNetwork", "5432"))) == []
    found = azure_network_paths(
        db_plan(
            rule("only-apps", 100, "10.50.0.0/23", "5432"),
            DENY_INTERNET,
            rule("rest", 200, "VirtualNetwork", "5432", access="Deny"),
        )
    )
    assert [f.message.split(" denied")[0] for f in found] == ["aks -> pg -> db-nsg:5432/tcp"]


# --- Kubernetes NetworkPolicy -----------------------------------------------------------

LABELS = {"app.kubernetes.io/instance": "svc"}
OLD_EGRESS = [
    {
        "ports": [
            {"port": 53, "protocol": "UDP"},
            {"port": 53, "protocol": "TCP"},
            {"port": 443, "protocol": "TCP"},
            {"port": 5432, "protocol": "TCP"},
        ]
    }
]
GKE_METADATA_EGRESS = [
    {"to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}], "ports": [{"port": 80}]},
    {"to": [{"ipBlock": {"cidr": "169.254.169.252/32"}}], "ports": [{"port": 988}]},
]
ANY_INGRESS_8000 = [{"ports": [{"port": 8000, "protocol": "TCP"}]}]


def workload(
    egress: list[dict[str, Any]] | None,
    cluster: tuple[str, str, dict[str, Any]],
    ingress: list[dict[str, Any]] | None = None,
    pod_labels: dict[str, str] | None = None,
    account_annotations: dict[str, str] | None = None,
    types: list[str] | None = None,
    extra: tuple[Resource, ...] = (),
) -> Plan:
    spec: dict[str, Any] = {"podSelector": {"matchLabels": LABELS}}
    if types is not None:
        spec["policyTypes"] = types
    if egress is not None:
        spec["egress"] = egress
    spec["ingress"] = ANY_INGRESS_8000 if ingress is None else ingress
    meta = {"name": "svc", "namespace": "ns"}
    policy = res(POLICY, "netpol", {"metadata": meta, "spec": spec})
    deployment = res(
        DEPLOYMENT,
        "app",
        {
            "metadata": meta,
            "spec": {
                "template": {
                    "metadata": {"labels": {**LABELS, **(pod_labels or {})}},
                    "spec": {
                        "serviceAccountName": "svc",
                        "containers": [{"ports": [{"name": "http", "containerPort": 8000}]}],
                    },
                }
            },
        },
    )
    account = res(ACCOUNT, "sa", {"metadata": {**meta, "annotations": account_annotations or {}}})
    service = res(
        SERVICE,
        "lb",
        {
            "metadata": meta,
            "spec": {
                "type": "LoadBalancer",
                "selector": LABELS,
                "ports": [{"port": 80, "targetPort": "http"}],
            },
        },
    )
    return plan_of(
        res(cluster[0], cluster[1], cluster[2]), policy, deployment, account, service, *extra
    )


GKE_CLUSTER: tuple[str, str, dict[str, Any]] = (
    "gcp:container/cluster:Cluster",
    "gke",
    {"enableAutopilot": True},
)
EKS_CLUSTER: tuple[str, str, dict[str, Any]] = ("aws:eks/cluster:Cluster", "eks", {})
AKS_CLUSTER: tuple[str, str, dict[str, Any]] = (AKS, "aks", {})


def messages(found: list[Finding]) -> list[str]:
    return [f.message.split(" denied")[0] for f in found]


def test_gke_policy_without_the_metadata_server_fails() -> None:
    found = kubernetes_network_paths(workload(OLD_EGRESS, GKE_CLUSTER))
    assert messages(found) == [
        "pod app -> the GKE metadata server 169.254.169.254:80/tcp",
        "pod app -> the GKE metadata server 169.254.169.252:988/tcp",
    ]
    assert {f.name for f in found} == {"netpol"}


def test_gke_policy_admitting_the_metadata_server_passes() -> None:
    assert kubernetes_network_paths(workload(OLD_EGRESS + GKE_METADATA_EGRESS, GKE_CLUSTER)) == []


def test_policies_add_up() -> None:
    plan = workload(OLD_EGRESS, GKE_CLUSTER)
    second = res(
        POLICY,
        "metadata",
        {
            "metadata": {"name": "metadata", "namespace": "ns"},
            "spec": {
                "podSelector": {"matchLabels": LABELS},
                "policyTypes": ["Egress"],
                "egress": GKE_METADATA_EGRESS,
            },
        },
    )
    assert kubernetes_network_paths(plan_of(*plan.resources, second)) == []


def test_ip_block_except_carves_out() -> None:
    carved: list[dict[str, Any]] = [
        *OLD_EGRESS,
        {
            "to": [{"ipBlock": {"cidr": "169.254.0.0/16", "except": ["169.254.169.252/32"]}}],
            "ports": [{"port": 80}, {"port": 988}],
        },
    ]
    assert messages(kubernetes_network_paths(workload(carved, GKE_CLUSTER))) == [
        "pod app -> the GKE metadata server 169.254.169.252:988/tcp"
    ]


def test_eks_irsa_needs_sts_over_443_not_imds() -> None:
    irsa = {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/app"}
    no_https = [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}, {"port": 5432}]}]
    found = messages(
        kubernetes_network_paths(workload(no_https, EKS_CLUSTER, account_annotations=irsa))
    )
    assert "pod app -> STS (IRSA) 203.0.113.10:443/tcp" in found
    assert (
        kubernetes_network_paths(workload(OLD_EGRESS, EKS_CLUSTER, account_annotations=irsa)) == []
    )


def test_eks_pod_identity_needs_its_agent() -> None:
    association = res("aws:eks/podIdentityAssociation:PodIdentityAssociation", "pia")
    found = messages(
        kubernetes_network_paths(workload(OLD_EGRESS, EKS_CLUSTER, extra=(association,)))
    )
    assert found == ["pod app -> the EKS Pod Identity agent 169.254.170.23:80/tcp"]


def test_aks_workload_identity_needs_entra_over_443() -> None:
    wi = {"azure.workload.identity/use": "true"}
    only_dns = [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}, {"port": 5432}]}]
    found = messages(kubernetes_network_paths(workload(only_dns, AKS_CLUSTER, pod_labels=wi)))
    assert "pod app -> Entra ID (workload identity) 203.0.113.10:443/tcp" in found
    assert kubernetes_network_paths(workload(OLD_EGRESS, AKS_CLUSTER, pod_labels=wi)) == []


def test_dns_by_ip_block_is_not_proven_but_by_namespace_selector_is() -> None:
    by_ip = [
        {
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}],
        }
    ]
    rest = [{"ports": [{"port": 443}, {"port": 5432}]}]
    found = messages(kubernetes_network_paths(workload(by_ip + rest, EKS_CLUSTER)))
    assert found == [
        "pod app -> cluster DNS kube-dns:53/udp",
        "pod app -> cluster DNS kube-dns:53/tcp",
    ]
    by_selector = [
        {
            "to": [{"namespaceSelector": {}}],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}],
        }
    ]
    assert kubernetes_network_paths(workload(by_selector + rest, EKS_CLUSTER)) == []


def test_ingress_from_pods_only_blocks_the_load_balancer() -> None:
    pods_only = [{"from": [{"podSelector": {}}], "ports": [{"port": "http"}]}]
    found = kubernetes_network_paths(workload(OLD_EGRESS, EKS_CLUSTER, ingress=pods_only))
    assert messages(found) == ["Service lb:80 -> pod app:8000/tcp"]


def test_policy_without_egress_types_leaves_egress_open() -> None:
    assert kubernetes_network_paths(workload(None, GKE_CLUSTER, types=["Ingress"])) == []
    assert kubernetes_network_paths(workload(None, GKE_CLUSTER, types=None)) == []


def test_rules_are_registered() -> None:
    assert rules()["network-azure"] is azure_network_paths
    assert rules()["network-kubernetes"] is kubernetes_network_paths
