"""Rule: on GCP, the service's network paths are admitted at every hop, and nothing else is.

Modelled (each fact cited where it is encoded, read 2026-11-29): VPC firewall rules (direction,
priority, deny before allow at equal priority, implied deny-ingress / allow-egress, source
ranges, target tags and service accounts), Google's load balancer and health-check source
ranges, global forwarding rules -> proxies -> URL maps -> backend services -> managed instance
groups and their templates' tags, Cloud Run ingress settings and the `allUsers` invoker,
Direct VPC egress / connectors, Cloud SQL private IP over private services access, Cloud NAT
and Private Google Access, GKE `LoadBalancer` Services. Not modelled: see
docs/deploy-readiness.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from infra.readiness import Finding
from infra.readiness.network_aws import (
    SENSITIVE,
    _container_port,
    _int,
    _list,
    _net,
    covers,
    overlaps,
    resolve,
)

if TYPE_CHECKING:
    from infra.plan import Plan, Resource

RULE = "network-gcp"

NETWORK = "gcp:compute/network:Network"
SUBNETWORK = "gcp:compute/subnetwork:Subnetwork"
FIREWALL = "gcp:compute/firewall:Firewall"
ROUTER = "gcp:compute/router:Router"
ROUTER_NAT = "gcp:compute/routerNat:RouterNat"
PSA = "gcp:servicenetworking/connection:Connection"
GLOBAL_ADDRESS = "gcp:compute/globalAddress:GlobalAddress"
RUN = "gcp:cloudrunv2/service:Service"
RUN_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
RUN_BINDING = "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding"
TEMPLATE = "gcp:compute/instanceTemplate:InstanceTemplate"
MIGS = (
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
    "gcp:compute/instanceGroupManager:InstanceGroupManager",
)
BACKENDS = (
    "gcp:compute/backendService:BackendService",
    "gcp:compute/regionBackendService:RegionBackendService",
)
URL_MAPS = ("gcp:compute/uRLMap:URLMap", "gcp:compute/regionUrlMap:RegionUrlMap")
PROXIES = (
    "gcp:compute/targetHttpProxy:TargetHttpProxy",
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
    "gcp:compute/regionTargetHttpProxy:RegionTargetHttpProxy",
    "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy",
)
FORWARDING = (
    "gcp:compute/globalForwardingRule:GlobalForwardingRule",
    "gcp:compute/forwardingRule:ForwardingRule",
)
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
GKE = "gcp:container/cluster:Cluster"
K8S_SERVICE = "kubernetes:core/v1:Service"

# https://cloud.google.com/load-balancing/docs/firewall-rules (read 2026-11-29): a global
# external Application Load Balancer's health checks come from these ranges, and with instance
# group backends its GFE proxies use the same ranges.
LB_RANGES = ("130.211.0.0/22", "35.191.0.0/16")
HTTPS = 443
RFC1918 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
INTERNAL_SERVICE = {
    "networking.gke.io/load-balancer-type": "internal",
    "cloud.google.com/load-balancer-type": "internal",
}


@dataclass(frozen=True)
class FirewallRule:
    """One VPC firewall rule as the network enforces it."""

    name: str
    network: str | None
    ingress: bool
    priority: int
    allow: bool
    protocols: tuple[tuple[str, tuple[str, ...]], ...]  # (protocol, ports)
    ranges: tuple[str, ...]  # sources (ingress) or destinations (egress)
    target_tags: tuple[str, ...]
    target_accounts: tuple[str, ...]

    def applies_to(self, network: str | None, tags: Iterable[str], account: str | None) -> bool:
        """A rule with target tags / service accounts applies only to instances carrying them;
        with neither it applies to every instance of its network (provider docs for
        `target_tags`, https://www.pulumi.com/registry/packages/gcp/api-docs/compute/firewall/,
        read 2026-11-29)."""
        if self.network and network and self.network != network:
            return False
        if self.target_tags:
            return bool(set(self.target_tags) & set(tags))
        if self.target_accounts:
            return account in self.target_accounts
        return True

    def matches_port(self, port: int) -> bool:
        """`all` or tcp with no ports is every port; ports are numbers or `a-b` ranges."""
        for protocol, ports in self.protocols:
            if protocol in ("all", "6"):
                return True
            if protocol != "tcp":
                continue
            if not ports:
                return True
            for spec in ports:
                low, _, high = spec.partition("-")
                if _int(low, -1) <= port <= _int(high or low, -1):
                    return True
        return False


def firewall_rules(plan: Plan) -> list[FirewallRule]:
    """Every enabled VPC firewall rule in the plan."""
    rules = []
    for r in plan.of_type(FIREWALL):
        if r.inputs.get("disabled"):
            continue
        network = resolve(plan, r, "network", r.inputs.get("network"), (NETWORK,))
        ingress = str(r.inputs.get("direction", "INGRESS")).upper() != "EGRESS"
        for key, allow in (("allows", True), ("denies", False)):
            blocks = _list(r.inputs.get(key))
            if not blocks:
                continue
            ranges = r.inputs.get("sourceRanges" if ingress else "destinationRanges")
            rules.append(
                FirewallRule(
                    name=r.name,
                    network=network.urn if network else None,
                    ingress=ingress,
                    priority=_int(r.inputs.get("priority"), 1000),
                    allow=allow,
                    protocols=tuple(
                        (
                            str(b.get("protocol", "all")).lower(),
                            tuple(str(p) for p in _list(b.get("ports"))),
                        )
                        for b in blocks
                    ),
                    # An egress rule without destination ranges applies to every destination.
                    ranges=tuple(str(x) for x in _list(ranges))
                    or (() if ingress else ("0.0.0.0/0",)),
                    target_tags=tuple(str(t) for t in _list(r.inputs.get("targetTags"))),
                    target_accounts=tuple(
                        str(a) for a in _list(r.inputs.get("targetServiceAccounts"))
                    ),
                )
            )
    return rules


@dataclass(frozen=True)
class Instance:
    """What a firewall rule sees of a workload: its network, tags and service account."""

    network: str | None
    tags: tuple[str, ...] = ()
    account: str | None = None


def decide(
    rules: list[FirewallRule], instance: Instance, ingress: bool, port: int, peer: Iterable[str]
) -> tuple[bool, str]:
    """Is tcp `port` admitted between `instance` and every address of `peer`? And by what.

    The applicable rule with the lowest priority number wins; at equal priority a deny beats an
    allow ("DENY rules take precedence over ALLOW rules having equal priority": the `priority`
    field, https://www.pulumi.com/registry/packages/gcp/api-docs/compute/firewall/). When no
    rule applies, the implied rules decide: deny all ingress, allow all egress, at priority
    65535 (https://cloud.google.com/firewall/docs/firewalls#default_firewall_rules). Read
    2026-11-29. A deny touching part of the peer's range counts; an allow must cover all of it.
    """
    peers = list(peer)
    candidates = []
    for rule in rules:
        if rule.ingress != ingress or not rule.applies_to(
            instance.network, instance.tags, instance.account
        ):
            continue
        if not rule.matches_port(port):
            continue
        if rule.allow and not all(any(covers(r, p) for r in rule.ranges) for p in peers):
            continue
        if not rule.allow and not any(overlaps(r, p) for r in rule.ranges for p in peers):
            continue
        candidates.append(rule)
    if not candidates:
        return (not ingress), (
            "the implied deny-ingress rule" if ingress else "the implied allow-egress rule"
        )
    best = min(candidates, key=lambda r: (r.priority, r.allow))
    return best.allow, f"firewall {best.name} (priority {best.priority})"


# --- workloads and their paths ----------------------------------------------------------


@dataclass
class Workload:
    """What runs the service, as the network sees it."""

    resource: Resource
    instance: Instance
    subnet: Resource | None
    in_vpc: bool  # has an interface in the VPC (Cloud Run: Direct VPC egress or a connector)
    all_traffic: bool  # every packet leaves through the VPC (VMs, nodes; Cloud Run ALL_TRAFFIC)
    external_ip: bool = False
    port: int | None = None
    backends: list[Resource] = field(default_factory=list)


def _template_of(plan: Plan, mig: Resource) -> Resource | None:
    for version in _list(mig.inputs.get("versions")):
        found = resolve(plan, mig, "versions", version.get("instanceTemplate"), (TEMPLATE,))
        if found:
            return found
    return resolve(plan, mig, "instanceTemplate", mig.inputs.get("instanceTemplate"), (TEMPLATE,))


def workloads(plan: Plan) -> list[Workload]:
    """Cloud Run services, managed instance groups and GKE clusters."""
    found: list[Workload] = []
    for r in plan.of_type(RUN):
        template = r.inputs.get("template") or {}
        access = template.get("vpcAccess") or {}
        nic = (_list(access.get("networkInterfaces")) or [{}])[0]
        network = resolve(plan, r, "template", nic.get("network"), (NETWORK,)) if nic else None
        subnet = resolve(plan, r, "template", nic.get("subnetwork"), (SUBNETWORK,)) if nic else None
        containers = _list(template.get("containers"))
        port = _int(
            ((containers[0] if containers else {}).get("ports") or {}).get("containerPort"), 8080
        )
        found.append(
            Workload(
                r,
                Instance(network.urn if network else None, tuple(_list(nic.get("tags")))),
                subnet,
                in_vpc=bool(nic.get("network") or nic.get("subnetwork") or access.get("connector")),
                # https://cloud.google.com/run/docs/configuring/vpc-direct-vpc (read 2026-11-29):
                # PRIVATE_RANGES_ONLY (the default) sends only private ranges into the VPC.
                all_traffic=access.get("egress") == "ALL_TRAFFIC",
                port=port,
            )
        )
    for r in plan.resources:
        if r.type not in MIGS:
            continue
        template = _template_of(plan, r)
        inputs = template.inputs if template else {}
        nic = (_list(inputs.get("networkInterfaces")) or [{}])[0]
        network = (
            resolve(plan, template, "networkInterfaces", nic.get("network"), (NETWORK,))
            if template
            else None
        )
        subnet = (
            resolve(plan, template, "networkInterfaces", nic.get("subnetwork"), (SUBNETWORK,))
            if template
            else None
        )
        account = (inputs.get("serviceAccount") or {}).get("email")
        found.append(
            Workload(
                r,
                Instance(
                    network.urn if network else None, tuple(_list(inputs.get("tags"))), account
                ),
                subnet,
                in_vpc=True,
                all_traffic=True,
                external_ip=bool(_list(nic.get("accessConfigs"))),
                port=next(
                    (_int(p.get("port"), 0) for p in _list(r.inputs.get("namedPorts"))), None
                ),
            )
        )
    for r in plan.of_type(GKE):
        network = resolve(plan, r, "network", r.inputs.get("network"), (NETWORK,))
        subnet = resolve(plan, r, "subnetwork", r.inputs.get("subnetwork"), (SUBNETWORK,))
        private = bool((r.inputs.get("privateClusterConfig") or {}).get("enablePrivateNodes"))
        # GKE gives nodes its own generated tags: rules targeting the program's tags do not
        # apply to them, so nodes are evaluated with none.
        found.append(
            Workload(r, Instance(network.urn if network else None), subnet, True, True, not private)
        )
    return found


def _chain_to_backends(plan: Plan, rule: Resource) -> list[Resource]:
    """Forwarding rule -> target proxy -> URL map -> backend services."""
    proxy = resolve(plan, rule, "target", rule.inputs.get("target"), PROXIES)
    if proxy is None:
        backend = resolve(plan, rule, "backendService", rule.inputs.get("backendService"), BACKENDS)
        return [backend] if backend else []
    url_map = resolve(plan, proxy, "urlMap", proxy.inputs.get("urlMap"), URL_MAPS)
    if url_map is None:
        return []
    known = plan.by_urn()
    return [
        known[u]
        for prop, urns in url_map.property_dependencies.items()
        for u in urns
        if u in known and known[u].type in BACKENDS
    ]


def _backend_groups(plan: Plan, backend: Resource) -> list[Resource]:
    groups = []
    for b in _list(backend.inputs.get("backends")):
        found = resolve(plan, backend, "backends", b.get("group"), MIGS)
        if found:
            groups.append(found)
    return groups


def is_public(plan: Plan) -> bool:
    """Whether the stack means to be public: `llmchain:ingress.public` when the plan carries
    its config, else what the program declared (internal Cloud Run ingress or Service)."""
    config = getattr(plan, "config", None)
    if isinstance(config, dict) and isinstance(config.get("llmchain:ingress"), dict):
        return bool(config["llmchain:ingress"].get("public", True))
    if any(
        str(r.inputs.get("ingress", "")).startswith("INGRESS_TRAFFIC_INTERNAL")
        for r in plan.of_type(RUN)
    ):
        return False
    return not any(_service_internal(s) for s in plan.of_type(K8S_SERVICE))


def _service_internal(service: Resource) -> bool:
    annotations = (service.inputs.get("metadata") or {}).get("annotations") or {}
    return any(str(annotations.get(k, "")).lower() == v for k, v in INTERNAL_SERVICE.items())


def gcp_network_paths(plan: Plan, public: bool | None = None) -> list[Finding]:
    """Internet -> entry -> service port, service -> database and -> HTTPS, and nothing else.

    For a public stack every hop from the internet to the workload's port must be admitted; for
    a private one none may be. The workload must reach its Cloud SQL port over the VPC and the
    internet on 443 (Vertex AI / the model endpoint, Artifact Registry). No firewall rule may
    admit SSH, RDP or a database port from 0.0.0.0/0 or ::/0, nor Cloud SQL authorise it.
    Semantics and sources: see the functions above and below, all read 2026-11-29.
    """
    if not any(r.type.startswith("gcp:") for r in plan.resources):
        return []
    public = is_public(plan) if public is None else public
    rules = firewall_rules(plan)
    found: list[Finding] = []
    runs = workloads(plan)
    for w in runs:
        if w.resource.type == RUN:
            found += _cloud_run_entry(plan, w, public)
        elif w.resource.type in MIGS:
            found += _load_balancer_entry(plan, w, rules, public)
        found += _database(plan, w, rules)
        found += _https_out(plan, w, rules)
    found += _kubernetes_entry(plan, public)
    found += _open_to_world(plan, rules)
    return found


def _cloud_run_entry(plan: Plan, w: Workload, public: bool) -> list[Finding]:
    """Internet -> Cloud Run: the ingress setting, then IAM for unauthenticated callers.

    INGRESS_TRAFFIC_ALL lets the internet reach the service; INTERNAL_ONLY and
    INTERNAL_LOAD_BALANCER refuse requests from the internet on run.app and custom domains
    (the latter admits an external Application Load Balancer,
    https://cloud.google.com/run/docs/securing/ingress). A public service also needs
    `allUsers` as roles/run.invoker, or the invoker IAM check disabled
    (https://cloud.google.com/run/docs/authenticating/public). Read 2026-11-29.
    """
    r = w.resource
    ingress = str(r.inputs.get("ingress", "INGRESS_TRAFFIC_ALL"))
    open_iam = bool(r.inputs.get("invokerIamDisabled")) or _all_users_invoker(plan, r)
    via_lb = ingress == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER" and _serverless_lb(plan)
    reachable = ingress == "INGRESS_TRAFFIC_ALL" or via_lb
    if not public:
        if reachable:
            return [
                Finding(RULE, r.urn, f"private stack, yet internet -> {r.name}: ingress {ingress}")
            ]
        return []
    found = []
    if not reachable:
        found.append(
            Finding(
                RULE, r.urn, f"internet -> {r.name}: ingress {ingress} refuses internet requests"
            )
        )
    if not open_iam:
        found.append(
            Finding(
                RULE, r.urn, f"internet -> {r.name}: no allUsers roles/run.invoker, callers get 403"
            )
        )
    return found


def _all_users_invoker(plan: Plan, service: Resource) -> bool:
    for m in [*plan.of_type(RUN_MEMBER), *plan.of_type(RUN_BINDING)]:
        if m.inputs.get("role") != "roles/run.invoker":
            continue
        members = [m.inputs.get("member"), *_list(m.inputs.get("members"))]
        target = resolve(plan, m, "name", m.inputs.get("name"), (RUN,))
        if "allUsers" in members and (target is None or target.urn == service.urn):
            return True
    return False


def _serverless_lb(plan: Plan) -> bool:
    return any(
        r.type == "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup"
        and r.inputs.get("networkEndpointType") == "SERVERLESS"
        for r in plan.resources
    )


def _load_balancer_entry(
    plan: Plan, w: Workload, rules: list[FirewallRule], public: bool
) -> list[Finding]:
    """Internet -> external forwarding rule -> backend service -> instances on the named port."""
    found: list[Finding] = []
    r = w.resource
    external = []
    for rule in (x for x in plan.resources if x.type in FORWARDING):
        scheme = str(rule.inputs.get("loadBalancingScheme", "EXTERNAL"))
        backends = [b for b in _chain_to_backends(plan, rule) if r in _backend_groups(plan, b)]
        if backends and scheme.startswith("EXTERNAL"):
            external.append((rule, backends))
    if not public:
        for rule, _ in external:
            found.append(
                Finding(
                    RULE,
                    rule.urn,
                    f"private stack, yet internet -> {rule.name}:{rule.inputs.get('portRange')} "
                    f"reaches {r.name} (scheme "
                    f"{rule.inputs.get('loadBalancingScheme', 'EXTERNAL')})",
                )
            )
        return found
    if not external:
        found.append(
            Finding(RULE, r.urn, f"internet -> {r.name}: no external forwarding rule leads to it")
        )
        return found
    for rule, backends in external:
        for backend in backends:
            named = {
                str(p.get("name")): _int(p.get("port"), 0)
                for p in _list(r.inputs.get("namedPorts"))
            }
            port = named.get(str(backend.inputs.get("portName", "http")))
            if port is None:
                found.append(
                    Finding(
                        RULE,
                        backend.urn,
                        f"{backend.name} -> {r.name}: port name "
                        f"{backend.inputs.get('portName', 'http')!r} is not a named port of "
                        "the group",
                    )
                )
                continue
            ok, why = decide(rules, w.instance, True, port, LB_RANGES)
            if not ok:
                found.append(
                    Finding(
                        RULE,
                        r.urn,
                        f"{rule.name} -> {r.name}:{port} from Google's load "
                        f"balancer ranges not admitted ({why})",
                    )
                )
    return found


def _kubernetes_entry(plan: Plan, public: bool) -> list[Finding]:
    """Internet -> a GKE `LoadBalancer` Service -> pod port.

    GKE creates the external passthrough load balancer and the VPC firewall rules that admit
    its clients itself, unless `networking.gke.io/load-balancer-type: Internal` asks for an
    internal one (https://cloud.google.com/kubernetes-engine/docs/how-to/service-parameters and
    https://cloud.google.com/kubernetes-engine/docs/how-to/user-managed-firewall-rules, read
    2026-11-29). A ClusterIP Service is not reachable from outside the cluster.
    """
    found: list[Finding] = []
    if not plan.of_type(GKE):
        return found
    for service in plan.of_type(K8S_SERVICE):
        spec = service.inputs.get("spec") or {}
        external = spec.get("type") == "LoadBalancer" and not _service_internal(service)
        if not public:
            if external:
                found.append(
                    Finding(
                        RULE,
                        service.urn,
                        f"private stack, yet internet -> {service.name}: an external load balancer",
                    )
                )
            continue
        if not external:
            found.append(
                Finding(
                    RULE,
                    service.urn,
                    f"internet -> {service.name}: Service type "
                    f"{spec.get('type', 'ClusterIP')} gets no external load balancer",
                )
            )
        elif _container_port(plan, service) is None:
            found.append(
                Finding(
                    RULE, service.urn, f"{service.name} -> pod: targetPort names no container port"
                )
            )
    return found


def _psa_networks(plan: Plan) -> set[str]:
    """Networks with a private services access connection (what Cloud SQL private IP needs)."""
    found = set()
    for c in plan.of_type(PSA):
        network = resolve(plan, c, "network", c.inputs.get("network"), (NETWORK,))
        if network:
            found.add(network.urn)
    return found


def _psa_ranges(plan: Plan) -> tuple[str, ...]:
    ranges = []
    for a in plan.of_type(GLOBAL_ADDRESS):
        if a.inputs.get("purpose") == "VPC_PEERING" and a.inputs.get("address"):
            ranges.append(f"{a.inputs['address']}/{a.inputs.get('prefixLength', 16)}")
    return tuple(ranges) or RFC1918  # Google allocates it from private space when not given


def _database(plan: Plan, w: Workload, rules: list[FirewallRule]) -> list[Finding]:
    """Workload -> Cloud SQL private IP: same VPC, private services access, an interface in the
    VPC, and egress to the allocated range on the database port.

    Private IP needs private services access on the instance's network
    (https://cloud.google.com/sql/docs/postgres/private-ip); Cloud Run reaches it only with
    Direct VPC egress or a connector (https://cloud.google.com/sql/docs/postgres/connect-run).
    Read 2026-11-29.
    """
    found: list[Finding] = []
    r = w.resource
    for db in plan.of_type(SQL):
        ip = (db.inputs.get("settings") or {}).get("ipConfiguration") or {}
        version = str(db.inputs.get("databaseVersion", "POSTGRES"))
        port = (
            3306
            if version.startswith("MYSQL")
            else 1433
            if version.startswith("SQLSERVER")
            else 5432
        )
        network = (
            resolve(plan, db, "settings", ip.get("privateNetwork"), (NETWORK,))
            if ip.get("privateNetwork")
            else None
        )
        if network is None:
            if ip.get("ipv4Enabled") is not False:
                continue  # public IP (with the Cloud SQL connectors): not a VPC path
            found.append(
                Finding(
                    RULE,
                    db.urn,
                    f"{r.name} -> {db.name}:{port}: no private network and no public IP",
                )
            )
            continue
        if not w.in_vpc:
            found.append(
                Finding(
                    RULE,
                    r.urn,
                    f"{r.name} -> {db.name}:{port}: the workload has no VPC access "
                    "(Direct VPC egress or connector)",
                )
            )
            continue
        if w.instance.network and w.instance.network != network.urn:
            found.append(
                Finding(
                    RULE,
                    r.urn,
                    f"{r.name} -> {db.name}:{port}: the workload is in another VPC than "
                    "the database",
                )
            )
        if network.urn not in _psa_networks(plan):
            found.append(
                Finding(
                    RULE,
                    db.urn,
                    f"{r.name} -> {db.name}:{port}: no private services access connection "
                    f"on {network.name}",
                )
            )
        ok, why = decide(rules, w.instance, False, port, _psa_ranges(plan))
        if not ok:
            found.append(Finding(RULE, r.urn, f"{r.name} -> {db.name}:{port} not admitted ({why})"))
    return found


def _nat_covers(plan: Plan, subnet: Resource | None) -> bool:
    """Is there a Cloud NAT gateway serving this subnet (its region, all or listed subnets)?

    Instances without external IPs, private GKE nodes and Cloud Run with ALL_TRAFFIC egress
    reach the internet only through Cloud NAT (https://cloud.google.com/nat/docs/overview,
    read 2026-11-29).
    """
    if subnet is None:
        return False
    network = resolve(plan, subnet, "network", subnet.inputs.get("network"), (NETWORK,))
    for nat in plan.of_type(ROUTER_NAT):
        router = resolve(plan, nat, "router", nat.inputs.get("router"), (ROUTER,))
        if router is None:
            continue
        on = resolve(plan, router, "network", router.inputs.get("network"), (NETWORK,))
        if network is not None and on is not None and on.urn != network.urn:
            continue
        if nat.inputs.get("region", router.inputs.get("region")) != subnet.inputs.get("region"):
            continue
        mode = str(nat.inputs.get("sourceSubnetworkIpRangesToNat", ""))
        if mode.startswith("ALL_SUBNETWORKS"):
            return True
        listed = [
            resolve(plan, nat, "subnetworks", s.get("name"), (SUBNETWORK,))
            for s in _list(nat.inputs.get("subnetworks"))
        ]
        if any(x is not None and x.urn == subnet.urn for x in listed):
            return True
    return False


def _https_out(plan: Plan, w: Workload, rules: list[FirewallRule]) -> list[Finding]:
    """Workload -> the model endpoint and the registry over 443."""
    r = w.resource
    if not w.all_traffic:
        return []  # Cloud Run sends public destinations straight out, not through the VPC
    found = []
    ok, why = decide(rules, w.instance, False, HTTPS, ("0.0.0.0/0",))
    if not ok:
        found.append(Finding(RULE, r.urn, f"{r.name} -> internet:443 not admitted ({why})"))
    if not w.external_ip and not _nat_covers(plan, w.subnet):
        found.append(
            Finding(
                RULE,
                r.urn,
                f"{r.name} -> internet:443: no external IP and no Cloud NAT for "
                f"{w.subnet.name if w.subnet else 'its subnet'}",
            )
        )
    return found


def _open_to_world(plan: Plan, rules: list[FirewallRule]) -> list[Finding]:
    """SSH, RDP or a database port admitted from anywhere; Cloud SQL authorising anywhere."""
    found: list[Finding] = []
    by_name = {r.name: r for r in plan.of_type(FIREWALL)}
    for rule in rules:
        world = [c for c in rule.ranges if getattr(_net(c), "prefixlen", None) == 0]
        if not (rule.ingress and rule.allow and world):
            continue
        probe = Instance(rule.network, rule.target_tags, (rule.target_accounts or (None,))[0])
        for port, what in SENSITIVE.items():
            if rule.matches_port(port) and decide(rules, probe, True, port, world)[0]:
                found.append(
                    Finding(
                        RULE,
                        by_name[rule.name].urn,
                        f"internet -> {rule.name}:{port} ({what}) admitted from {world[0]}",
                    )
                )
    # https://cloud.google.com/sql/docs/postgres/authorize-networks (read 2026-11-29).
    for db in plan.of_type(SQL):
        ip = (db.inputs.get("settings") or {}).get("ipConfiguration") or {}
        if ip.get("ipv4Enabled") is False:
            continue
        for net in _list(ip.get("authorizedNetworks")):
            if getattr(_net(str(net.get("value"))), "prefixlen", None) == 0:
                found.append(
                    Finding(
                        RULE,
                        db.urn,
                        f"internet -> {db.name}: authorized network {net.get('value')}",
                    )
                )
    return found
