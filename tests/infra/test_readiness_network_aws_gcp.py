"""Network paths on AWS and GCP: internet -> entry -> service port, service -> database and
HTTPS, and nothing else from the internet; hand-built plans that fail and pass each hop, then
every AWS and GCP mode x variant as the program plans it today."""

from __future__ import annotations

from typing import Any

import pytest

from infra.plan import Plan, Resource
from infra.readiness import Finding, rules
from infra.readiness.network_aws import aws_network_paths
from infra.readiness.network_gcp import gcp_network_paths
from tests.infra.readiness_fixtures import plan_of, res

VPC_CIDR = "10.40.0.0/16"


def _text(found: list[Finding]) -> str:
    return "\n".join(f.line() for f in found)


def _id(r: Resource) -> str:
    """The id the mocks give a resource: what other resources' inputs carry."""
    return f"{r.name}-id"


# --- AWS ---------------------------------------------------------------------------------

SG = "aws:ec2/securityGroup:SecurityGroup"
WORLD_80 = {"protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlocks": ["0.0.0.0/0"]}
EGRESS_443 = {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}
EGRESS_5432 = {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": [VPC_CIDR]}


def _aws(
    alb_ingress: dict[str, Any] | None = None,
    workload_egress: list[dict[str, Any]] | None = None,
    db_from_workload: bool = True,
    internal: bool = False,
    nat_route: bool = True,
    extra: list[Resource] | None = None,
    acl: list[dict[str, Any]] | None = None,
) -> Plan:
    """ALB in a public subnet -> ECS service in a private one (NAT) -> RDS."""
    vpc = res("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": VPC_CIDR})
    igw = res("aws:ec2/internetGateway:InternetGateway", "igw")
    public = res("aws:ec2/subnet:Subnet", "public-0", {"cidrBlock": "10.40.0.0/20"})
    private = res("aws:ec2/subnet:Subnet", "private-0", {"cidrBlock": "10.40.32.0/20"})
    public_rt = res(
        "aws:ec2/routeTable:RouteTable",
        "public-rt",
        {"routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": _id(igw)}]},
        props={"routes": [igw]},
    )
    nat = res(
        "aws:ec2/natGateway:NatGateway",
        "nat",
        {"subnetId": _id(public)},
        props={"subnetId": [public]},
    )
    private_routes = [{"cidrBlock": "0.0.0.0/0", "natGatewayId": _id(nat)}] if nat_route else []
    private_rt = res(
        "aws:ec2/routeTable:RouteTable",
        "private-rt",
        {"routes": private_routes},
        props={"routes": [nat]},
    )
    assoc = "aws:ec2/routeTableAssociation:RouteTableAssociation"
    assocs = [
        res(
            assoc,
            f"{s.name}-assoc",
            {"subnetId": _id(s), "routeTableId": _id(t)},
            props={"subnetId": [s], "routeTableId": [t]},
        )
        for s, t in ((public, public_rt), (private, private_rt))
    ]
    alb_sg = res(
        SG,
        "alb-sg",
        {
            "ingress": [alb_ingress or WORLD_80],
            "egress": [
                {"protocol": "tcp", "fromPort": 8000, "toPort": 8000, "cidrBlocks": [VPC_CIDR]}
            ],
            "vpcId": _id(vpc),
        },
        props={"vpcId": [vpc]},
    )
    work_sg = res(
        SG,
        "workload-sg",
        {
            "ingress": [
                {
                    "protocol": "tcp",
                    "fromPort": 8000,
                    "toPort": 8000,
                    "securityGroups": [_id(alb_sg)],
                }
            ],
            "egress": workload_egress if workload_egress is not None else [EGRESS_443, EGRESS_5432],
            "vpcId": _id(vpc),
        },
        props={"ingress": [alb_sg], "vpcId": [vpc]},
    )
    other_sg = res(SG, "other-sg", {"vpcId": _id(vpc)}, props={"vpcId": [vpc]})
    client = work_sg if db_from_workload else other_sg
    db_sg = res(
        SG,
        "db-sg",
        {
            "ingress": [
                {
                    "protocol": "tcp",
                    "fromPort": 5432,
                    "toPort": 5432,
                    "securityGroups": [_id(client)],
                }
            ],
            "vpcId": _id(vpc),
        },
        props={"ingress": [client], "vpcId": [vpc]},
    )
    alb = res(
        "aws:lb/loadBalancer:LoadBalancer",
        "alb",
        {"internal": internal, "securityGroups": [_id(alb_sg)], "subnets": [_id(public)]},
        props={"securityGroups": [alb_sg], "subnets": [public]},
    )
    tg = res("aws:lb/targetGroup:TargetGroup", "tg", {"port": 8000, "targetType": "ip"})
    listener = res(
        "aws:lb/listener:Listener",
        "http",
        {
            "port": 80,
            "loadBalancerArn": "arn:alb",
            "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}],
        },
        props={"loadBalancerArn": [alb], "defaultActions": [tg]},
    )
    service = res(
        "aws:ecs/service:Service",
        "service",
        {
            "loadBalancers": [{"containerPort": 8000, "targetGroupArn": "arn:tg"}],
            "networkConfiguration": {
                "assignPublicIp": False,
                "securityGroups": [_id(work_sg)],
                "subnets": [_id(private)],
            },
        },
        props={"loadBalancers": [tg], "networkConfiguration": [work_sg, private]},
    )
    db = res(
        "aws:rds/instance:Instance",
        "db",
        {"engine": "postgres", "vpcSecurityGroupIds": [_id(db_sg)]},
        props={"vpcSecurityGroupIds": [db_sg]},
    )
    acls = []
    if acl is not None:
        acls.append(
            res(
                "aws:ec2/networkAcl:NetworkAcl",
                "private-acl",
                {"subnetIds": [_id(private)], "ingress": acl, "egress": acl},
                props={"subnetIds": [private]},
            )
        )
    return plan_of(
        vpc, igw, public, private, public_rt, nat, private_rt, *assocs, alb_sg, work_sg,
        other_sg, db_sg, alb, tg, listener, service, db, *acls, *(extra or []),
    )  # fmt: skip


def test_aws_passes_the_whole_public_path() -> None:
    assert aws_network_paths(_aws(), public=True) == []


def test_aws_fails_when_the_alb_group_does_not_admit_the_internet() -> None:
    vpc_only = {"protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlocks": [VPC_CIDR]}
    found = aws_network_paths(_aws(alb_ingress=vpc_only), public=True)
    assert [f.message for f in found] == ["internet -> alb-sg:80 not admitted"]
    assert found[0].name == "alb"


def test_aws_fails_an_internal_alb_in_a_public_stack_and_passes_it_in_a_private_one() -> None:
    vpc_only = {"protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlocks": [VPC_CIDR]}
    found = aws_network_paths(_aws(alb_ingress=vpc_only, internal=True), public=True)
    assert "internet -> alb: the load balancer is internal" in _text(found)
    assert aws_network_paths(_aws(alb_ingress=vpc_only, internal=True), public=False) == []


def test_aws_fails_a_private_stack_whose_alb_is_open_to_the_internet() -> None:
    found = aws_network_paths(_aws(), public=False)
    assert [f.name for f in found] == ["alb"]
    assert "private stack, yet internet -> alb:80 is admitted" in found[0].message


def test_aws_group_without_egress_rules_sends_nothing() -> None:
    # The provider revokes AWS's default allow-all egress: no rules, no egress at all.
    found = aws_network_paths(_aws(workload_egress=[]), public=True)
    text = _text(found)
    assert "service -> db:5432 not admitted by the egress of workload-sg" in text
    assert "service -> internet:443 (model endpoint, registry) not admitted" in text


def test_aws_protocol_minus_one_admits_every_port() -> None:
    everything = [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]
    assert aws_network_paths(_aws(workload_egress=everything), public=True) == []


def test_aws_separate_egress_rule_resources_add_to_the_group() -> None:
    plan = _aws(workload_egress=[EGRESS_443])
    work_sg = next(r for r in plan.resources if r.name == "workload-sg")
    rule = res(
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "to-db",
        {
            "securityGroupId": _id(work_sg),
            "ipProtocol": "tcp",
            "fromPort": 5432,
            "toPort": 5432,
            "cidrIpv4": VPC_CIDR,
        },
        props={"securityGroupId": [work_sg]},
    )
    assert "db:5432" in _text(aws_network_paths(plan, public=True))
    plan.resources.append(rule)
    assert aws_network_paths(plan, public=True) == []


def test_aws_database_group_must_admit_the_workload_group() -> None:
    found = aws_network_paths(_aws(db_from_workload=False), public=True)
    assert [f.message for f in found] == ["service -> db-sg:5432 not admitted"]
    assert found[0].name == "db"


def test_aws_private_subnet_needs_a_nat_route() -> None:
    found = aws_network_paths(_aws(nat_route=False), public=True)
    assert [f.name for f in found] == ["service"]
    assert "no default route to a NAT or internet gateway" in found[0].message


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0"])
def test_aws_fails_ssh_from_anywhere(cidr: str) -> None:
    ssh = res(
        SG,
        "admin-sg",
        {
            "ingress": [
                {
                    "protocol": "tcp",
                    "fromPort": 22,
                    "toPort": 22,
                    "cidrBlocks" if ":" not in cidr else "ipv6CidrBlocks": [cidr],
                }
            ]
        },
    )
    found = aws_network_paths(_aws(extra=[ssh]), public=True)
    assert [f.message for f in found] == [f"internet -> admin-sg:22 (SSH) admitted from {cidr}"]


def test_aws_network_acls_are_stateless_and_first_match() -> None:
    def rule(number: int, action: str, low: int, high: int) -> dict[str, Any]:
        return {
            "ruleNo": number, "action": action, "protocol": "tcp",
            "fromPort": low, "toPort": high, "cidrBlock": "0.0.0.0/0",
        }  # fmt: skip

    allow_all = [rule(100, "allow", 0, 65535)]
    assert aws_network_paths(_aws(acl=allow_all), public=True) == []
    deny_first = [rule(90, "deny", 8000, 8000), *allow_all]
    found = aws_network_paths(_aws(acl=deny_first), public=True)
    assert "network ACL of private-0 denies ingress from 10.40.0.0/20:8000" in _text(found)
    no_replies = [rule(100, "allow", 8000, 8000), rule(110, "allow", 443, 443)]
    found = aws_network_paths(_aws(acl=no_replies), public=True)
    assert "denies the replies" in _text(found)  # stateless: replies need ephemeral ports


def _eks(template_groups: bool) -> Plan:
    vpc = res("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": VPC_CIDR})
    igw = res("aws:ec2/internetGateway:InternetGateway", "igw")
    subnet = res(
        "aws:ec2/subnet:Subnet",
        "public-0",
        {"cidrBlock": "10.40.0.0/20", "tags": {"kubernetes.io/role/elb": "1"}},
    )
    rt = res(
        "aws:ec2/routeTable:RouteTable",
        "rt",
        {"routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": _id(igw)}]},
        props={"routes": [igw]},
    )
    assoc = res(
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "assoc",
        {"subnetId": _id(subnet), "routeTableId": _id(rt)},
        props={"subnetId": [subnet], "routeTableId": [rt]},
    )
    nat = res(
        "aws:ec2/natGateway:NatGateway",
        "nat",
        {"subnetId": _id(subnet)},
        props={"subnetId": [subnet]},
    )
    private = res("aws:ec2/subnet:Subnet", "private-0", {"cidrBlock": "10.40.32.0/20"})
    private_rt = res(
        "aws:ec2/routeTable:RouteTable",
        "private-rt",
        {"routes": [{"cidrBlock": "0.0.0.0/0", "natGatewayId": _id(nat)}]},
        props={"routes": [nat]},
    )
    private_assoc = res(
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "private-assoc",
        {"subnetId": _id(private), "routeTableId": _id(private_rt)},
        props={"subnetId": [private], "routeTableId": [private_rt]},
    )
    cluster = res("aws:eks/cluster:Cluster", "eks")
    node_sg = res(SG, "node-sg", {"egress": [EGRESS_443]})
    template = res(
        "aws:ec2/launchTemplate:LaunchTemplate",
        "lt",
        {"vpcSecurityGroupIds": [_id(node_sg)]} if template_groups else {},
        props={"vpcSecurityGroupIds": [node_sg]} if template_groups else {},
    )
    nodes = res(
        "aws:eks/nodeGroup:NodeGroup",
        "nodes",
        {
            "clusterName": "eks",
            "subnetIds": [_id(private)],
            "launchTemplate": {"id": _id(template), "version": "1"},
        },
        props={"clusterName": [cluster], "subnetIds": [private], "launchTemplate": [template]},
    )
    db_sg = res(
        SG,
        "db-sg",
        {
            "ingress": [
                {
                    "protocol": "tcp",
                    "fromPort": 5432,
                    "toPort": 5432,
                    "securityGroups": ["sg-eks-cluster"],
                }
            ],
            "vpcId": _id(vpc),
        },
        props={"ingress": [cluster], "vpcId": [vpc]},
    )
    db = res(
        "aws:rds/instance:Instance",
        "db",
        {"engine": "postgres", "vpcSecurityGroupIds": [_id(db_sg)]},
        props={"vpcSecurityGroupIds": [db_sg]},
    )
    labels = {"app": "x"}
    deployment = res(
        "kubernetes:apps/v1:Deployment",
        "app",
        {
            "spec": {
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"ports": [{"name": "http", "containerPort": 8000}]}]},
                }
            }
        },
    )
    service = res(
        "kubernetes:core/v1:Service",
        "svc",
        {
            "metadata": {
                "annotations": {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}
            },
            "spec": {
                "type": "LoadBalancer",
                "selector": labels,
                "ports": [{"port": 80, "targetPort": "http"}],
            },
        },
    )
    return plan_of(vpc, igw, subnet, rt, assoc, nat, private, private_rt, private_assoc, cluster,
                   node_sg, template, nodes, db_sg, db, deployment, service)  # fmt: skip


def test_aws_eks_nodes_get_the_cluster_group_and_reach_the_database() -> None:
    assert aws_network_paths(_eks(template_groups=False), public=True) == []


def test_aws_eks_launch_template_groups_replace_the_cluster_group() -> None:
    found = aws_network_paths(_eks(template_groups=True), public=True)
    text = _text(found)
    assert "nodes -> db:5432 not admitted by the egress of node-sg" in text
    assert "nodes -> eks cluster security group:5432 not admitted" not in text
    assert "do not carry the cluster security group" in text


# --- GCP ---------------------------------------------------------------------------------

LB_RANGES = ["130.211.0.0/22", "35.191.0.0/16"]


def _gcp_network(extra_firewalls: list[dict[str, Any]] | None = None) -> list[Resource]:
    net = res("gcp:compute/network:Network", "vpc")
    subnet = res(
        "gcp:compute/subnetwork:Subnetwork",
        "subnet",
        {"network": _id(net), "region": "r1", "ipCidrRange": "10.60.0.0/20"},
        props={"network": [net]},
    )
    router = res(
        "gcp:compute/router:Router",
        "router",
        {"network": _id(net), "region": "r1"},
        props={"network": [net]},
    )
    nat = res(
        "gcp:compute/routerNat:RouterNat",
        "nat",
        {
            "router": router.name,
            "region": "r1",
            "sourceSubnetworkIpRangesToNat": "ALL_SUBNETWORKS_ALL_IP_RANGES",
        },
        props={"router": [router]},
    )
    peering = res(
        "gcp:servicenetworking/connection:Connection",
        "psa",
        {"network": _id(net)},
        props={"network": [net]},
    )
    sql = res(
        "gcp:sql/databaseInstance:DatabaseInstance",
        "sql",
        {
            "databaseVersion": "POSTGRES_16",
            "settings": {"ipConfiguration": {"ipv4Enabled": False, "privateNetwork": _id(net)}},
        },
        props={"settings": [net]},
    )
    firewalls = [
        res(
            "gcp:compute/firewall:Firewall",
            f"fw-{i}",
            {"network": _id(net), **spec},
            props={"network": [net]},
        )
        for i, spec in enumerate(extra_firewalls or [])
    ]
    return [net, subnet, router, nat, peering, sql, *firewalls]


LB_TO_SERVICE = {
    "direction": "INGRESS",
    "sourceRanges": LB_RANGES,
    "targetTags": ["llmchain"],
    "allows": [{"protocol": "tcp", "ports": ["8000"]}],
}


def _gcp_vm(
    tags: list[str] | None = None,
    firewalls: list[dict[str, Any]] | None = None,
    scheme: str = "EXTERNAL_MANAGED",
    nat: bool = True,
) -> Plan:
    base = _gcp_network([LB_TO_SERVICE] if firewalls is None else firewalls)
    if not nat:
        base = [r for r in base if r.name != "nat"]
    net, subnet = base[0], base[1]
    template = res(
        "gcp:compute/instanceTemplate:InstanceTemplate",
        "template",
        {
            "tags": ["llmchain"] if tags is None else tags,
            "networkInterfaces": [{"network": _id(net), "subnetwork": _id(subnet)}],
        },
        props={"networkInterfaces": [net, subnet]},
    )
    mig = res(
        "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
        "group",
        {
            "namedPorts": [{"name": "http", "port": 8000}],
            "versions": [{"instanceTemplate": "template-link"}],
        },
        props={"versions": [template]},
    )
    backend = res(
        "gcp:compute/backendService:BackendService",
        "backend",
        {"portName": "http", "backends": [{"group": "group-link"}]},
        props={"backends": [mig]},
    )
    url_map = res(
        "gcp:compute/uRLMap:URLMap",
        "urls",
        {"defaultService": _id(backend)},
        props={"defaultService": [backend]},
    )
    proxy = res(
        "gcp:compute/targetHttpProxy:TargetHttpProxy",
        "proxy",
        {"urlMap": _id(url_map)},
        props={"urlMap": [url_map]},
    )
    rule = res(
        "gcp:compute/globalForwardingRule:GlobalForwardingRule",
        "fr-80",
        {"target": _id(proxy), "portRange": "80", "loadBalancingScheme": scheme},
        props={"target": [proxy]},
    )
    return plan_of(*base, template, mig, backend, url_map, proxy, rule)


def test_gcp_passes_the_whole_load_balancer_path() -> None:
    assert gcp_network_paths(_gcp_vm(), public=True) == []


def test_gcp_firewall_with_target_tags_misses_untagged_instances() -> None:
    found = gcp_network_paths(_gcp_vm(tags=[]), public=True)
    assert [f.name for f in found] == ["group"]
    assert "from Google's load balancer ranges not admitted" in found[0].message
    assert "implied deny-ingress rule" in found[0].message


def test_gcp_deny_beats_allow_at_equal_priority_and_loses_at_lower() -> None:
    deny = {"direction": "INGRESS", "sourceRanges": ["0.0.0.0/0"],
            "denies": [{"protocol": "all"}]}  # fmt: skip
    found = gcp_network_paths(_gcp_vm(firewalls=[LB_TO_SERVICE, {**deny, "priority": 1000}]))
    assert "firewall fw-1 (priority 1000)" in _text(found)
    assert gcp_network_paths(_gcp_vm(firewalls=[LB_TO_SERVICE, {**deny, "priority": 2000}])) == []


def test_gcp_private_stack_fails_an_external_forwarding_rule_and_passes_an_internal_one() -> None:
    found = gcp_network_paths(_gcp_vm(), public=False)
    assert [f.name for f in found] == ["fr-80"]
    assert "private stack, yet internet -> fr-80:80 reaches group" in found[0].message
    assert gcp_network_paths(_gcp_vm(scheme="INTERNAL_MANAGED"), public=False) == []


def test_gcp_instances_without_external_ip_need_cloud_nat() -> None:
    found = gcp_network_paths(_gcp_vm(nat=False), public=True)
    assert [f.message for f in found] == [
        "group -> internet:443: no external IP and no Cloud NAT for subnet"
    ]


def test_gcp_egress_deny_blocks_the_database() -> None:
    deny = {"direction": "EGRESS", "destinationRanges": ["10.0.0.0/8"], "priority": 100,
            "denies": [{"protocol": "tcp", "ports": ["5432"]}]}  # fmt: skip
    found = gcp_network_paths(_gcp_vm(firewalls=[LB_TO_SERVICE, deny]), public=True)
    assert "group -> sql:5432 not admitted (firewall fw-1 (priority 100))" in _text(found)


@pytest.mark.parametrize(("port", "what"), [("22", "SSH"), ("3389", "RDP"), ("5432", "PostgreSQL")])
def test_gcp_fails_sensitive_ports_from_anywhere(port: str, what: str) -> None:
    open_rule = {"direction": "INGRESS", "sourceRanges": ["0.0.0.0/0"],
                 "allows": [{"protocol": "tcp", "ports": [port]}]}  # fmt: skip
    found = gcp_network_paths(_gcp_vm(firewalls=[LB_TO_SERVICE, open_rule]), public=True)
    assert [f.message for f in found] == [
        f"internet -> fw-1:{port} ({what}) admitted from 0.0.0.0/0"
    ]


def _cloud_run(ingress: str, invoker: bool, vpc_access: bool = True) -> Plan:
    base = _gcp_network()
    net, subnet = base[0], base[1]
    access = (
        {"networkInterfaces": [{"network": _id(net), "subnetwork": _id(subnet)}],
         "egress": "PRIVATE_RANGES_ONLY"}
        if vpc_access else {}
    )  # fmt: skip
    run = res(
        "gcp:cloudrunv2/service:Service",
        "run",
        {
            "ingress": ingress,
            "template": {"vpcAccess": access, "containers": [{"ports": {"containerPort": 8000}}]},
        },
        props={"template": [net, subnet] if vpc_access else []},
    )
    members = [
        res(
            "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
            "public",
            {"name": "run", "role": "roles/run.invoker", "member": "allUsers"},
            props={"name": [run]},
        )
    ]
    return plan_of(*base, run, *(members if invoker else []))


def test_gcp_cloud_run_public_needs_ingress_all_and_all_users_invoker() -> None:
    assert gcp_network_paths(_cloud_run("INGRESS_TRAFFIC_ALL", invoker=True), public=True) == []
    found = gcp_network_paths(_cloud_run("INGRESS_TRAFFIC_ALL", invoker=False), public=True)
    assert [f.message for f in found] == [
        "internet -> run: no allUsers roles/run.invoker, callers get 403"
    ]
    found = gcp_network_paths(_cloud_run("INGRESS_TRAFFIC_INTERNAL_ONLY", True), public=True)
    assert "ingress INGRESS_TRAFFIC_INTERNAL_ONLY refuses internet requests" in _text(found)


def test_gcp_cloud_run_private_must_not_take_internet_traffic() -> None:
    assert gcp_network_paths(_cloud_run("INGRESS_TRAFFIC_INTERNAL_ONLY", False), public=False) == []
    found = gcp_network_paths(_cloud_run("INGRESS_TRAFFIC_ALL", False), public=False)
    assert [f.message for f in found] == [
        "private stack, yet internet -> run: ingress INGRESS_TRAFFIC_ALL"
    ]


def test_gcp_cloud_run_needs_vpc_access_for_cloud_sql_private_ip() -> None:
    found = gcp_network_paths(
        _cloud_run("INGRESS_TRAFFIC_ALL", True, vpc_access=False), public=True
    )
    assert [f.message for f in found] == [
        "run -> sql:5432: the workload has no VPC access (Direct VPC egress or connector)"
    ]


# --- registered (today's real plans: the matrix in test_readiness.py) -----------------


def test_rules_are_registered() -> None:
    assert {"network-aws", "network-gcp"} <= set(rules())


def test_other_clouds_are_left_alone() -> None:
    assert aws_network_paths(_gcp_vm()) == []
    assert gcp_network_paths(_aws()) == []
