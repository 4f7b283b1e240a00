"""Rule: on AWS, the service's network paths are admitted at every hop, and nothing else is.

Modelled (each fact cited where it is encoded, read 2026-11-29): security groups (stateful,
allow-only, by CIDR or by referenced group, protocol "-1" = every port), the provider's removal
of AWS's default allow-all egress rule, the EKS cluster security group and how managed nodes get
it, network ACLs when the program defines any (stateless, numbered, first match wins), the
default route of each subnet (internet gateway, NAT gateway, VPC endpoints), ALBs, their
listeners and target groups, ECS services, Auto Scaling groups, EKS node groups, RDS and a
Kubernetes `LoadBalancer` Service on EKS. Not modelled: see docs/deploy-readiness.md.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from infra.readiness import Finding

if TYPE_CHECKING:
    from infra.plan import Plan, Resource

RULE = "network-aws"

SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
EKS = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
SUBNET = "aws:ec2/subnet:Subnet"
VPC = "aws:ec2/vpc:Vpc"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
IGW = "aws:ec2/internetGateway:InternetGateway"
NAT = "aws:ec2/natGateway:NatGateway"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
NACL = "aws:ec2/networkAcl:NetworkAcl"
NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
DEFAULT_NACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
ECS_SERVICE = "aws:ecs/service:Service"
ASG = "aws:autoscaling/group:Group"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
RDS = "aws:rds/instance:Instance"
DB_SUBNETS = "aws:rds/subnetGroup:SubnetGroup"
K8S_SERVICE = "kubernetes:core/v1:Service"
K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment"

WORLD = ("0.0.0.0/0", "::/0")
HTTPS = 443
EPHEMERAL = (1024, 65535)  # what NACLs must let back for replies (ELB and NAT use this range)
SENSITIVE = {22: "SSH", 3389: "RDP", 5432: "PostgreSQL", 3306: "MySQL"}
ENGINE_PORTS = {"postgres": 5432, "aurora-postgresql": 5432, "mysql": 3306, "mariadb": 3306}
# Without a NAT route, private workloads reach these only through interface/gateway endpoints.
ENDPOINT_SERVICES = ("ecr.api", "ecr.dkr", "s3", "logs", "secretsmanager", "bedrock-runtime")
INTERNAL_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": ("true",),
    "service.beta.kubernetes.io/aws-load-balancer-scheme": ("internal",),
}


def _list(value: Any) -> list[Any]:
    """A list input as a list (absent, unknown or scalar values made safe)."""
    if isinstance(value, list):
        return value
    return [] if value in (None, "", "[unknown]") else [value]


def resolve(
    plan: Plan, resource: Resource, prop: str, value: Any, kinds: Iterable[str]
) -> Resource | None:
    """The resource of one of `kinds` that an input value came from.

    A reference value names its URN; otherwise the property's recorded dependencies say which
    resources fed it, and when there are several the one whose logical name the value carries
    (ids are derived from names) is chosen. A literal id of something outside the program
    resolves to None.
    """
    known = plan.by_urn()
    if isinstance(value, dict) and "$ref" in value:
        return known.get(str(value["$ref"]))
    wanted = set(kinds)
    deps = [
        known[u]
        for u in resource.property_dependencies.get(prop, [])
        if u in known and known[u].type in wanted
    ]
    text = str(value)
    named = sorted((d for d in deps if d.name in text), key=lambda d: -len(d.name))
    if named:
        return named[0]
    return deps[0] if len(deps) == 1 else None


def _net(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def covers(cidr: str, inner: str) -> bool:
    """True when every address of `inner` is in `cidr` (same IP version)."""
    outer, sub = _net(cidr), _net(inner)
    if outer is None or sub is None or outer.version != sub.version:
        return False
    return sub.subnet_of(outer)  # type: ignore[arg-type]


def overlaps(cidr: str, other: str) -> bool:
    """True when the two ranges share an address."""
    a, b = _net(cidr), _net(other)
    return a is not None and b is not None and a.version == b.version and a.overlaps(b)


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True)
class Perm:
    """One security group permission: protocol, port range, and who (CIDRs or groups)."""

    protocol: str
    low: int
    high: int
    cidrs: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()  # group keys: a security group's URN or an EKS cluster's

    def admits_port(self, port: int) -> bool:
        """Protocol "-1" is every protocol and port (ports ignored); tcp is 6."""
        # https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
        # (read 2026-11-29): "-1" / all traffic covers every port.
        if self.protocol in ("-1", "all"):
            return True
        return self.protocol in ("tcp", "6") and self.low <= port <= self.high


@dataclass
class Group:
    """A security group as AWS enforces it: its ingress and egress permissions."""

    key: str
    name: str
    resource: Resource
    ingress: list[Perm] = field(default_factory=list)
    egress: list[Perm] = field(default_factory=list)


@dataclass(frozen=True)
class Peer:
    """One side of a connection: the groups it carries and the address ranges it is in."""

    groups: frozenset[str]
    cidrs: tuple[str, ...]


INTERNET = Peer(frozenset(), ("0.0.0.0/0",))


def admits(
    groups: dict[str, Group], keys: Iterable[str], egress: bool, port: int, peer: Peer
) -> bool:
    """Do these groups (their rules aggregated) admit tcp `port` to or from `peer`?

    Security groups are stateful and allow-only: a connection is admitted when any rule of any
    group on the interface admits it, and its replies need no rule
    (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html, read
    2026-11-29). A referenced group matches members of that group; a CIDR must contain every
    address the peer may use.
    """
    for key in keys:
        group = groups.get(key)
        if group is None:
            continue
        for perm in group.egress if egress else group.ingress:
            if not perm.admits_port(port):
                continue
            if peer.groups & set(perm.groups):
                return True
            if peer.cidrs and any(all(covers(c, p) for p in peer.cidrs) for c in perm.cidrs):
                return True
    return False


def _perm(plan: Plan, owner: Resource, prop: str, rule: dict[str, Any], self_key: str) -> Perm:
    """An inline `ingress`/`egress` block or a rule resource as a permission."""
    groups: list[str] = []
    for key in ("securityGroups", "sourceSecurityGroupId", "referencedSecurityGroupId"):
        for value in _list(rule.get(key)):
            found = resolve(plan, owner, prop if prop else key, value, (SG, DEFAULT_SG, EKS))
            groups.append(found.urn if found else f"external:{value}")
    if rule.get("self"):
        groups.append(self_key)
    cidrs = [*_list(rule.get("cidrBlocks")), *_list(rule.get("ipv6CidrBlocks"))]
    cidrs += [*_list(rule.get("cidrIpv4")), *_list(rule.get("cidrIpv6"))]
    protocol = str(rule.get("protocol", rule.get("ipProtocol", "-1"))).lower()
    return Perm(
        protocol=protocol,
        low=_int(rule.get("fromPort"), 0),
        high=_int(rule.get("toPort"), 65535),
        cidrs=tuple(str(c) for c in cidrs),
        groups=tuple(groups),
    )


def security_groups(plan: Plan) -> dict[str, Group]:
    """Every security group the plan creates or relies on, with its effective rules.

    Egress: AWS gives a new group an allow-all egress rule, but the Pulumi/Terraform provider
    revokes it when it creates `aws.ec2.SecurityGroup` in a VPC ("this provider will remove
    this default rule": https://www.pulumi.com/registry/packages/aws/api-docs/ec2/securitygroup/
    and hashicorp/terraform-provider-aws internal/service/ec2/vpc_security_group.go, read
    2026-11-29). So a group's egress is exactly the program's rules, inline or separate.
    `DefaultSecurityGroup` is emptied and gets only its inline rules (same docs). The EKS
    cluster security group is created by EKS with: inbound all from itself, outbound all to
    0.0.0.0/0 and ::/0 (https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html,
    read 2026-11-29).
    """
    groups: dict[str, Group] = {}
    for r in plan.resources:
        if r.type in (SG, DEFAULT_SG):
            group = Group(r.urn, r.name, r)
            for rule in _list(r.inputs.get("ingress")):
                group.ingress.append(_perm(plan, r, "ingress", rule, r.urn))
            for rule in _list(r.inputs.get("egress")):
                group.egress.append(_perm(plan, r, "egress", rule, r.urn))
            groups[r.urn] = group
        elif r.type == EKS:
            everything = Perm("-1", 0, 65535, WORLD)
            groups[r.urn] = Group(
                r.urn,
                f"{r.name} cluster security group",
                r,
                ingress=[Perm("-1", 0, 65535, groups=(r.urn,))],
                egress=[everything],
            )
    for r in plan.resources:
        if r.type not in (SG_RULE, SG_INGRESS, SG_EGRESS):
            continue
        owner = resolve(
            plan, r, "securityGroupId", r.inputs.get("securityGroupId"), (SG, DEFAULT_SG, EKS)
        )
        if owner is None or owner.urn not in groups:
            continue
        perm = _perm(plan, r, "", r.inputs, owner.urn)
        egress = r.type == SG_EGRESS or (r.type == SG_RULE and r.inputs.get("type") == "egress")
        (groups[owner.urn].egress if egress else groups[owner.urn].ingress).append(perm)
    return groups


def _refs(plan: Plan, r: Resource, prop: str, values: Any, kinds: Iterable[str]) -> list[Resource]:
    found = (resolve(plan, r, prop, v, kinds) for v in _list(values))
    return [f for f in found if f is not None]


# --- routes -----------------------------------------------------------------------------


def _default_routes(plan: Plan, table: Resource) -> list[Resource | str]:
    """Where a route table sends 0.0.0.0/0: the gateway resources (or a word for others)."""
    targets: list[Resource | str] = []
    routes = [(table, "routes", route) for route in _list(table.inputs.get("routes"))]
    routes += [
        (r, "", r.inputs)
        for r in plan.of_type(ROUTE)
        if (t := resolve(plan, r, "routeTableId", r.inputs.get("routeTableId"), (ROUTE_TABLE,)))
        and t.urn == table.urn
    ]
    for owner, prop, route in routes:
        if route.get("cidrBlock", route.get("destinationCidrBlock")) != "0.0.0.0/0":
            continue
        for key, kind in (("gatewayId", IGW), ("natGatewayId", NAT)):
            if route.get(key):
                target = resolve(plan, owner, prop or key, route[key], (kind,))
                targets.append(target if target else f"{key} {route[key]}")
    return targets


def route_table(plan: Plan, subnet: Resource) -> Resource | None:
    """The route table associated with a subnet (None: the VPC's main table, local only)."""
    for a in plan.of_type(ASSOCIATION):
        found = resolve(plan, a, "subnetId", a.inputs.get("subnetId"), (SUBNET,))
        if found is not None and found.urn == subnet.urn:
            return resolve(plan, a, "routeTableId", a.inputs.get("routeTableId"), (ROUTE_TABLE,))
    return None


def reaches_internet(
    plan: Plan, subnet: Resource, public_ip: bool, inbound: bool = False
) -> str | None:
    """None when a subnet's default route leads to the internet, else why not.

    A subnet without an explicit association uses the VPC's main route table, which has only
    the local route unless the program changes it; an internet gateway route serves only
    addresses with a public IP; a NAT gateway needs an internet gateway route in its own
    subnet (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html and
    https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Internet_Gateway.html, read 2026-11-29).
    """
    table = route_table(plan, subnet)
    if table is None:
        return (
            f"subnet {subnet.name} has no route table with a default route (main table: local only)"
        )
    targets = _default_routes(plan, table)
    for target in targets:
        if isinstance(target, str):
            continue
        if target.type == IGW and public_ip:
            return None
        if target.type == NAT and not inbound:  # a NAT gateway carries no inbound connections
            nat_subnet = resolve(plan, target, "subnetId", target.inputs.get("subnetId"), (SUBNET,))
            if nat_subnet is not None and reaches_internet(plan, nat_subnet, True) is None:
                return None
    if any(not isinstance(t, str) and t.type == IGW for t in targets):
        return (
            f"subnet {subnet.name} routes to an internet gateway but the workload has no public IP"
        )
    return (
        f"subnet {subnet.name} (route table {table.name}) has no default route to "
        f"{'an internet gateway' if inbound else 'a NAT or internet gateway'}"
    )


def endpoints_cover(plan: Plan) -> bool:
    """True when VPC endpoints stand in for the internet for every AWS service the app uses."""
    names = [str(r.inputs.get("serviceName", "")) for r in plan.of_type(ENDPOINT)]
    return all(any(n.endswith("." + s) for n in names) for s in ENDPOINT_SERVICES)


# --- network ACLs -----------------------------------------------------------------------


@dataclass(frozen=True)
class AclRule:
    """One numbered NACL entry."""

    number: int
    egress: bool
    allow: bool
    protocol: str
    low: int
    high: int
    cidr: str


def _acl_rule(raw: dict[str, Any], egress: bool) -> AclRule:
    protocol = str(raw.get("protocol", "-1")).lower()
    return AclRule(
        number=_int(raw.get("ruleNo", raw.get("ruleNumber")), 32766),
        egress=egress,
        allow=str(raw.get("action", raw.get("ruleAction", "deny"))).lower() == "allow",
        protocol="-1"
        if protocol in ("-1", "all")
        else ("tcp" if protocol in ("tcp", "6") else protocol),
        low=_int(raw.get("fromPort"), 0),
        high=_int(raw.get("toPort"), 65535),
        cidr=str(raw.get("cidrBlock") or raw.get("ipv6CidrBlock") or ""),
    )


def subnet_acls(plan: Plan) -> dict[str, list[AclRule]]:
    """Subnet URN -> the NACL rules the program gives it (absent: AWS's default NACL)."""
    acls: dict[str, list[AclRule]] = {}
    for acl in [*plan.of_type(NACL), *plan.of_type(DEFAULT_NACL)]:
        rules = [_acl_rule(x, False) for x in _list(acl.inputs.get("ingress"))]
        rules += [_acl_rule(x, True) for x in _list(acl.inputs.get("egress"))]
        for r in plan.of_type(NACL_RULE):
            owner = resolve(
                plan, r, "networkAclId", r.inputs.get("networkAclId"), (NACL, DEFAULT_NACL)
            )
            if owner is not None and owner.urn == acl.urn:
                rules.append(_acl_rule(r.inputs, bool(r.inputs.get("egress"))))
        for subnet in _refs(plan, acl, "subnetIds", acl.inputs.get("subnetIds"), (SUBNET,)):
            acls[subnet.urn] = rules
    return acls


def acl_admits(rules: list[AclRule], egress: bool, low: int, high: int, peer: str) -> bool:
    """First matching rule by number decides; nothing matching is denied (the `*` rule).

    NACLs are stateless: replies need their own rule (ephemeral ports)
    (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html, read 2026-11-29). A
    rule that allows only part of the range is passed over (conservative); a deny touching any
    part of it stops the connection.
    """
    for rule in sorted((r for r in rules if r.egress == egress), key=lambda r: r.number):
        if rule.protocol not in ("-1", "tcp"):
            continue
        whole_ports = rule.protocol == "-1" or (rule.low <= low and high <= rule.high)
        some_ports = rule.protocol == "-1" or (rule.low <= high and low <= rule.high)
        if not rule.allow and some_ports and overlaps(rule.cidr, peer):
            return False
        if rule.allow and whole_ports and covers(rule.cidr, peer):
            return True
    return False


def acl_path(
    acls: dict[str, list[AclRule]], src: list[Resource], dst: list[Resource], port: int
) -> str | None:
    """None when the NACLs on both subnets pass a connection and its replies, else which hop fails.

    `src`/`dst` are subnets; an empty list means the internet (0.0.0.0/0). Traffic within one
    subnet is not filtered by its NACL.
    """

    def cidr(subnets: list[Resource]) -> list[str]:
        return [str(s.inputs.get("cidrBlock")) for s in subnets] or ["0.0.0.0/0"]

    for s in src:
        for d_cidr in cidr(dst):
            if s.urn in acls and not any(x.urn == s.urn for x in dst):
                rules = acls[s.urn]
                if not acl_admits(rules, True, port, port, d_cidr):
                    return f"network ACL of {s.name} denies egress to {d_cidr}:{port}"
                if not acl_admits(rules, False, *EPHEMERAL, d_cidr):
                    return f"network ACL of {s.name} denies the replies from {d_cidr} (1024-65535)"
    for d in dst:
        for s_cidr in cidr(src):
            if d.urn in acls and not any(x.urn == d.urn for x in src):
                rules = acls[d.urn]
                if not acl_admits(rules, False, port, port, s_cidr):
                    return f"network ACL of {d.name} denies ingress from {s_cidr}:{port}"
                if not acl_admits(rules, True, *EPHEMERAL, s_cidr):
                    return (
                        f"network ACL of {d.name} denies the replies to {s_cidr} (ports 1024-65535)"
                    )
    return None


# --- what runs the service, and what fronts it -------------------------------------------


@dataclass
class Workload:
    """What runs the service: its groups, subnets and the port its targets serve."""

    resource: Resource
    groups: list[str]
    subnets: list[Resource]
    public_ip: bool = False
    target_groups: dict[str, int] = field(default_factory=dict)  # target group URN -> port

    def peer(self) -> Peer:
        """The workload as the other side of a connection."""
        return Peer(
            frozenset(self.groups), tuple(str(s.inputs.get("cidrBlock")) for s in self.subnets)
        )


def _launch_template_of(plan: Plan, resource: Resource) -> Resource | None:
    """The launch template an Auto Scaling group or node group starts its instances from."""
    ref = (resource.inputs.get("launchTemplate") or {}).get("id")
    return resolve(plan, resource, "launchTemplate", ref, (LAUNCH_TEMPLATE,))


def _launch_template_groups(plan: Plan, template: Resource | None) -> tuple[list[str], bool]:
    if template is None:
        return [], False
    groups = _refs(
        plan, template, "vpcSecurityGroupIds", template.inputs.get("vpcSecurityGroupIds"), (SG,)
    )
    public_ip = False
    for nic in _list(template.inputs.get("networkInterfaces")):
        groups += _refs(plan, template, "networkInterfaces", nic.get("securityGroups"), (SG,))
        public_ip = public_ip or str(nic.get("associatePublicIpAddress")).lower() == "true"
    return [g.urn for g in groups], public_ip


def workloads(plan: Plan) -> list[Workload]:
    """ECS services, Auto Scaling groups and EKS managed node groups, as the network sees them.

    Managed nodes get the EKS cluster security group unless their launch template names
    security groups, in which case EKS adds none
    (https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html, read 2026-11-29);
    pods on the VPC CNI use their node's interfaces and so its groups
    (https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html, read 2026-11-29).
    """
    found: list[Workload] = []
    for r in plan.of_type(ECS_SERVICE):
        net = r.inputs.get("networkConfiguration") or {}
        w = Workload(
            r,
            [
                g.urn
                for g in _refs(plan, r, "networkConfiguration", net.get("securityGroups"), (SG,))
            ],
            _refs(plan, r, "networkConfiguration", net.get("subnets"), (SUBNET,)),
            public_ip=bool(net.get("assignPublicIp")),
        )
        for lb in _list(r.inputs.get("loadBalancers")):
            tg = resolve(plan, r, "loadBalancers", lb.get("targetGroupArn"), (TARGET_GROUP,))
            if tg is not None:
                w.target_groups[tg.urn] = _int(lb.get("containerPort"), 0)
        found.append(w)
    for r in plan.of_type(ASG):
        groups, public_ip = _launch_template_groups(plan, _launch_template_of(plan, r))
        w = Workload(
            r,
            groups,
            _refs(plan, r, "vpcZoneIdentifiers", r.inputs.get("vpcZoneIdentifiers"), (SUBNET,)),
            public_ip,
        )
        for tg in _refs(
            plan, r, "targetGroupArns", r.inputs.get("targetGroupArns"), (TARGET_GROUP,)
        ):
            w.target_groups[tg.urn] = _int(tg.inputs.get("port"), 0)
        found.append(w)
    for r in plan.of_type(NODE_GROUP):
        groups, public_ip = _launch_template_groups(plan, _launch_template_of(plan, r))
        if not groups:
            cluster = resolve(plan, r, "clusterName", r.inputs.get("clusterName"), (EKS,))
            groups = [cluster.urn] if cluster else []
        found.append(
            Workload(
                r,
                groups,
                _refs(plan, r, "subnetIds", r.inputs.get("subnetIds"), (SUBNET,)),
                public_ip,
            )
        )
    return found


@dataclass
class Entry:
    """An ALB: scheme, groups, subnets and the listener ports that forward to each target group."""

    resource: Resource
    internal: bool
    groups: list[str]
    subnets: list[Resource]
    forwards: dict[str, list[int]] = field(default_factory=dict)  # target group URN -> ports
    ports: list[int] = field(default_factory=list)  # every listener port

    def peer(self) -> Peer:
        """The load balancer's nodes as the source of connections to targets."""
        return Peer(
            frozenset(self.groups), tuple(str(s.inputs.get("cidrBlock")) for s in self.subnets)
        )


def entries(plan: Plan) -> list[Entry]:
    """Application load balancers and what their listeners forward where."""
    found = {}
    for r in plan.of_type(LB):
        if r.inputs.get("loadBalancerType", "application") != "application":
            continue
        found[r.urn] = Entry(
            r,
            bool(r.inputs.get("internal")),
            [
                g.urn
                for g in _refs(plan, r, "securityGroups", r.inputs.get("securityGroups"), (SG,))
            ],
            _refs(plan, r, "subnets", r.inputs.get("subnets"), (SUBNET,)),
        )
    for listener in plan.of_type(LISTENER):
        lb = resolve(
            plan, listener, "loadBalancerArn", listener.inputs.get("loadBalancerArn"), (LB,)
        )
        if lb is None or lb.urn not in found:
            continue
        port = _int(listener.inputs.get("port"), 0)
        entry = found[lb.urn]
        entry.ports.append(port)
        for action in _list(listener.inputs.get("defaultActions")):
            arns = [action.get("targetGroupArn")]
            arns += [t.get("arn") for t in _list((action.get("forward") or {}).get("targetGroups"))]
            for tg in _refs(
                plan, listener, "defaultActions", [a for a in arns if a], (TARGET_GROUP,)
            ):
                entry.forwards.setdefault(tg.urn, []).append(port)
    return list(found.values())


def _names(groups: dict[str, Group], keys: Iterable[str]) -> str:
    return ", ".join(groups[k].name for k in keys if k in groups) or "no security group"


# --- the rule ---------------------------------------------------------------------------


def is_public(plan: Plan) -> bool:
    """Whether the stack means to be public: `llmchain:ingress.public` when the plan carries
    its config, else what the program declared (an internal ALB or Service means private)."""
    config = getattr(plan, "config", None)
    if isinstance(config, dict) and isinstance(config.get("llmchain:ingress"), dict):
        return bool(config["llmchain:ingress"].get("public", True))
    if any(bool(r.inputs.get("internal")) for r in plan.of_type(LB)):
        return False
    return not any(_service_internal(s) for s in plan.of_type(K8S_SERVICE))


def _service_internal(service: Resource) -> bool:
    annotations = (service.inputs.get("metadata") or {}).get("annotations") or {}
    return any(str(annotations.get(k, "")).lower() in v for k, v in INTERNAL_ANNOTATIONS.items())


def aws_network_paths(plan: Plan, public: bool | None = None) -> list[Finding]:
    """Internet -> entry -> service port, service -> database and -> HTTPS, and nothing else.

    For a public stack every hop from the internet to the workload's port must be admitted; for
    a private one none may be. The workload must reach its database port (its own egress and
    the database's ingress) and the internet on 443 for the model endpoint and the registry
    (egress rule plus a NAT route, or VPC endpoints). No security group may admit SSH, RDP or
    a database port from 0.0.0.0/0 or ::/0. Semantics and sources: see the functions above
    (security groups, EKS cluster group, NACLs, routes), all read 2026-11-29.
    """
    if not any(r.type.startswith("aws:") for r in plan.resources):
        return []
    public = is_public(plan) if public is None else public
    groups = security_groups(plan)
    acls = subnet_acls(plan)
    found: list[Finding] = []
    runs = workloads(plan)
    fronts = entries(plan)
    for entry in fronts:
        found += _entry(plan, entry, runs, groups, acls, public)
    found += _kubernetes_entry(plan, runs, groups, public)
    for w in runs:
        found += _database(plan, w, groups, acls)
        found += _https_out(plan, w, groups, acls)
    found += _open_to_world(plan, groups)
    return found


def _entry(
    plan: Plan,
    entry: Entry,
    runs: list[Workload],
    groups: dict[str, Group],
    acls: dict[str, list[AclRule]],
    public: bool,
) -> list[Finding]:
    """Internet -> ALB listener ports -> each target's port."""
    found: list[Finding] = []
    lb = entry.resource
    open_ports = [p for p in entry.ports if admits(groups, entry.groups, False, p, INTERNET)]
    routed = [s for s in entry.subnets if reaches_internet(plan, s, True, inbound=True) is None]
    reachable = not entry.internal and bool(open_ports) and bool(routed)
    if not public:
        if reachable:
            found.append(
                Finding(
                    RULE,
                    lb.urn,
                    f"private stack, yet internet -> {lb.name}:{open_ports[0]} is admitted "
                    f"(internet-facing, {_names(groups, entry.groups)} open to 0.0.0.0/0)",
                )
            )
        return found
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html
    # (read 2026-11-29): an internal ALB has only private addresses; an internet-facing one
    # needs public subnets (a route to an internet gateway) and its security group must admit
    # clients on the listener ports.
    if entry.internal:
        found.append(Finding(RULE, lb.urn, f"internet -> {lb.name}: the load balancer is internal"))
    for subnet in entry.subnets:
        why = reaches_internet(plan, subnet, True, inbound=True)
        if why:
            found.append(Finding(RULE, lb.urn, f"internet -> {lb.name}: {why}"))
    for port in entry.ports:
        if port not in open_ports:
            found.append(
                Finding(
                    RULE, lb.urn, f"internet -> {_names(groups, entry.groups)}:{port} not admitted"
                )
            )
        why = acl_path(acls, [], entry.subnets, port)
        if why:
            found.append(Finding(RULE, lb.urn, f"internet -> {lb.name}:{port}: {why}"))
    for w in runs:
        for tg, port in w.target_groups.items():
            if tg not in entry.forwards:
                continue
            target = w.resource
            if not admits(groups, entry.groups, True, port, w.peer()):
                found.append(
                    Finding(
                        RULE,
                        lb.urn,
                        f"{lb.name} -> {target.name}:{port} not admitted by the egress of "
                        f"{_names(groups, entry.groups)}",
                    )
                )
            if not admits(groups, w.groups, False, port, entry.peer()):
                found.append(
                    Finding(
                        RULE,
                        target.urn,
                        f"{lb.name} -> {_names(groups, w.groups)}:{port} not admitted",
                    )
                )
            why = acl_path(acls, entry.subnets, w.subnets, port)
            if why:
                found.append(Finding(RULE, target.urn, f"{lb.name} -> {target.name}:{port}: {why}"))
    return found


def _container_port(plan: Plan, service: Resource) -> int | None:
    """The container port a Service's targetPort resolves to (by name or number)."""
    spec = service.inputs.get("spec") or {}
    selector = spec.get("selector") or {}
    target = (_list(spec.get("ports")) or [{}])[0].get("targetPort")
    for d in plan.of_type(K8S_DEPLOYMENT):
        template = (d.inputs.get("spec") or {}).get("template") or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            continue
        for container in _list((template.get("spec") or {}).get("containers")):
            for p in _list(container.get("ports")):
                if target in (p.get("name"), p.get("containerPort")) or str(target) == str(
                    p.get("containerPort")
                ):
                    return _int(p.get("containerPort"), 0)
    return None


def _kubernetes_entry(
    plan: Plan, runs: list[Workload], groups: dict[str, Group], public: bool
) -> list[Finding]:
    """Internet -> an NLB for a `LoadBalancer` Service on EKS -> node port -> pod port.

    With `service.beta.kubernetes.io/aws-load-balancer-type: nlb` the AWS cloud provider's
    service controller creates the NLB (internet-facing unless the internal annotation is set,
    https://cloud-provider-aws.sigs.k8s.io/service_controller/) in subnets tagged
    `kubernetes.io/role/elb`, and opens the node security group tagged for the cluster to the
    client CIDRs (kubernetes/cloud-provider-aws `updateInstanceSecurityGroupsForNLB`); EKS tags
    its cluster security group `kubernetes.io/cluster/<name>`
    (https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html). Read 2026-11-29.
    """
    found: list[Finding] = []
    clusters = {r.urn for r in plan.of_type(EKS)}
    nodes = [w for w in runs if w.resource.type == NODE_GROUP]
    if not clusters:
        return found
    for service in plan.of_type(K8S_SERVICE):
        spec = service.inputs.get("spec") or {}
        balanced = spec.get("type") == "LoadBalancer"
        internet_facing = balanced and not _service_internal(service)
        if not public:
            if internet_facing:
                found.append(
                    Finding(
                        RULE,
                        service.urn,
                        f"private stack, yet internet -> {service.name}: an internet-facing "
                        "load balancer",
                    )
                )
            continue
        if not internet_facing:
            found.append(
                Finding(
                    RULE,
                    service.urn,
                    f"internet -> {service.name}: Service type {spec.get('type', 'ClusterIP')}"
                    f"{' (internal)' if balanced else ''} gets no internet-facing load balancer",
                )
            )
            continue
        elb_subnets = [
            s
            for s in plan.of_type(SUBNET)
            if str((s.inputs.get("tags") or {}).get("kubernetes.io/role/elb")) == "1"
            and reaches_internet(plan, s, True, inbound=True) is None
        ]
        if not elb_subnets:
            found.append(
                Finding(
                    RULE,
                    service.urn,
                    f"internet -> {service.name}: no subnet tagged kubernetes.io/role/elb routes "
                    "to an internet gateway",
                )
            )
        for w in nodes:
            if not clusters & set(w.groups):
                found.append(
                    Finding(
                        RULE,
                        w.resource.urn,
                        f"{service.name} -> {w.resource.name}: the nodes do not carry the cluster "
                        "security group the controller opens to clients",
                    )
                )
        if _container_port(plan, service) is None:
            found.append(
                Finding(
                    RULE, service.urn, f"{service.name} -> pod: targetPort names no container port"
                )
            )
    return found


def _vpc_cidrs(plan: Plan, sgs: list[str]) -> tuple[str, ...]:
    """The address ranges of the VPCs these security groups belong to."""
    known = plan.by_urn()
    vpcs = [
        resolve(plan, known[g], "vpcId", known[g].inputs.get("vpcId"), (VPC,))
        for g in sgs
        if g in known
    ]
    return tuple(str(v.inputs.get("cidrBlock")) for v in vpcs if v is not None)


def databases(plan: Plan) -> list[tuple[Resource, list[str], list[Resource], Peer, int]]:
    """RDS instances: resource, security groups, subnets, the instance as a peer, and port.

    When the subnet group's name is not known offline, the instance is somewhere in the VPC of
    its security groups: only rules that admit that whole VPC range count.
    """
    found = []
    for db in plan.of_type(RDS):
        subnet_group = resolve(
            plan, db, "dbSubnetGroupName", db.inputs.get("dbSubnetGroupName"), (DB_SUBNETS,)
        )
        subnets = (
            _refs(plan, subnet_group, "subnetIds", subnet_group.inputs.get("subnetIds"), (SUBNET,))
            if subnet_group
            else []
        )
        sgs = [
            g.urn
            for g in _refs(
                plan, db, "vpcSecurityGroupIds", db.inputs.get("vpcSecurityGroupIds"), (SG,)
            )
        ]
        port = _int(db.inputs.get("port"), ENGINE_PORTS.get(str(db.inputs.get("engine")), 5432))
        cidrs = tuple(str(n.inputs.get("cidrBlock")) for n in subnets) or _vpc_cidrs(plan, sgs)
        found.append((db, sgs, subnets, Peer(frozenset(sgs), cidrs), port))
    return found


def _database(
    plan: Plan, w: Workload, groups: dict[str, Group], acls: dict[str, list[AclRule]]
) -> list[Finding]:
    """Workload -> database port: the workload's egress and the database's ingress."""
    found: list[Finding] = []
    for db, sgs, subnets, peer, port in databases(plan):
        if not admits(groups, w.groups, True, port, peer):
            found.append(
                Finding(
                    RULE,
                    w.resource.urn,
                    f"{w.resource.name} -> {db.name}:{port} not admitted by the egress of "
                    f"{_names(groups, w.groups)}",
                )
            )
        if not admits(groups, sgs, False, port, w.peer()):
            found.append(
                Finding(
                    RULE,
                    db.urn,
                    f"{w.resource.name} -> {_names(groups, sgs)}:{port} not admitted",
                )
            )
        why = acl_path(acls, w.subnets, subnets, port)
        if why:
            found.append(Finding(RULE, db.urn, f"{w.resource.name} -> {db.name}:{port}: {why}"))
    return found


def _https_out(
    plan: Plan, w: Workload, groups: dict[str, Group], acls: dict[str, list[AclRule]]
) -> list[Finding]:
    """Workload -> model endpoint and registry over 443: an egress rule and a way out."""
    found: list[Finding] = []
    name = w.resource.name
    vpcs = tuple(str(v.inputs.get("cidrBlock")) for v in plan.of_type(VPC))
    if not admits(groups, w.groups, True, HTTPS, INTERNET) and not (
        endpoints_cover(plan) and admits(groups, w.groups, True, HTTPS, Peer(frozenset(), vpcs))
    ):
        found.append(
            Finding(
                RULE,
                w.resource.urn,
                f"{name} -> internet:443 (model endpoint, registry) not admitted by the egress of "
                f"{_names(groups, w.groups)}",
            )
        )
    if not endpoints_cover(plan):
        for subnet in w.subnets:
            why = reaches_internet(plan, subnet, w.public_ip)
            if why:
                found.append(Finding(RULE, w.resource.urn, f"{name} -> internet:443: {why}"))
    why = acl_path(acls, w.subnets, [], HTTPS)
    if why:
        found.append(Finding(RULE, w.resource.urn, f"{name} -> internet:443: {why}"))
    return found


def _open_to_world(plan: Plan, groups: dict[str, Group]) -> list[Finding]:
    """SSH, RDP or a database port admitted from anywhere."""
    found: list[Finding] = []
    for group in groups.values():
        for perm in group.ingress:
            world = [c for c in perm.cidrs if getattr(_net(c), "prefixlen", None) == 0]
            if not world:
                continue
            for port, what in SENSITIVE.items():
                if perm.admits_port(port):
                    found.append(
                        Finding(
                            RULE,
                            group.resource.urn,
                            f"internet -> {group.name}:{port} ({what}) admitted from {world[0]}",
                        )
                    )
    # https://www.pulumi.com/registry/packages/aws/api-docs/eks/nodegroup/ (read 2026-11-29):
    # an ec2SshKey without sourceSecurityGroupIds opens port 22 on the nodes to 0.0.0.0/0.
    for r in plan.of_type(NODE_GROUP):
        remote = r.inputs.get("remoteAccess") or {}
        if remote.get("ec2SshKey") and not _list(remote.get("sourceSecurityGroupIds")):
            found.append(
                Finding(
                    RULE,
                    r.urn,
                    f"internet -> {r.name}:22 (SSH) admitted: remoteAccess without "
                    "sourceSecurityGroupIds",
                )
            )
    return found
