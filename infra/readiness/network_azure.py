"""Rule: on Azure, every hop of the service's network paths is admitted, and nothing else is.

The model, each fact from Microsoft's documentation (read 2026-11-29):

- An NSG's rules are processed by priority, lowest number first, and processing stops at the
  first rule that matches; the default rules sit below every custom rule: inbound
  AllowVnetInBound (65000), AllowAzureLoadBalancerInBound (65001), DenyAllInbound (65500);
  outbound AllowVnetOutBound (65000), AllowInternetOutBound (65001), DenyAllOutBound (65500).
  https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview
- Inbound traffic passes the subnet's NSG first, then the network interface's; outbound the
  interface's first, then the subnet's; both must allow.
  https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works
- The `AzureLoadBalancer` service tag is the probe source 168.63.129.16 only: "This only
  includes probe traffic, not real traffic to your backend resource". `Internet` is everything
  outside the virtual network that is publicly reachable; `VirtualNetwork` the VNet's space.
  https://learn.microsoft.com/azure/virtual-network/service-tags-overview
- Behind a load balancer the NSG sees the originating client's address, not the load
  balancer's; DNS (168.63.129.16) and IMDS (169.254.169.254) are not subject to NSGs unless a
  rule names AzurePlatformDNS / AzurePlatformIMDS.
  https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview
- AKS "doesn't apply NSGs to its subnet and doesn't modify any of the NSGs associated with
  that subnet"; it opens a LoadBalancer Service's ports only in the NIC-level NSG it manages.
  https://learn.microsoft.com/azure/aks/faq (and https://github.com/Azure/AKS/issues/674)
- The `azure-load-balancer-internal` annotation applies to Services of type LoadBalancer.
  https://kubernetes-sigs.github.io/cloud-provider-azure/topics/loadbalancer
- Application Gateway v2 sits in a subnet of its own; its NSG must admit GatewayManager on
  TCP 65200-65535 (Azure's infrastructure ports), AzureLoadBalancer, and the clients on the
  listeners' ports; outbound internet must stay open. The gateway then connects to its
  backends from its own instances' private addresses in that subnet.
  https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure
- Container Apps, workload-profiles environment: external ingress arrives through a public IP
  in the managed resource group, not through your subnet (its NSG cannot lock it down); for an
  internal environment the subnet's NSG must admit the clients on 80/31080 (HTTP) and
  443/31443 (HTTPS) and AzureLoadBalancer on 30000-32767; outbound it needs
  AzureActiveDirectory, MicrosoftContainerRegistry, AzureFrontDoor.FirstParty, the registry and
  Storage on 443 and Azure DNS on 53. A consumption-only environment takes inbound through the
  subnet (clients on 80/443).
  https://learn.microsoft.com/azure/container-apps/firewall-integration

What is not modelled is listed in docs/deploy-readiness.md.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from infra.readiness import Finding

if TYPE_CHECKING:
    from infra.plan import Plan, Resource

RULE = "network-azure"

NSG = "azure-native:network:NetworkSecurityGroup"
SUBNET = "azure-native:network:Subnet"
VNET = "azure-native:network:VirtualNetwork"
LOAD_BALANCER = "azure-native:network:LoadBalancer"
SCALE_SET = "azure-native:compute:VirtualMachineScaleSet"
AKS = "azure-native:containerservice:ManagedCluster"
ENVIRONMENT = "azure-native:app:ManagedEnvironment"
CONTAINER_APP = "azure-native:app:ContainerApp"
POSTGRES = "azure-native:dbforpostgresql:Server"
POSTGRES_FIREWALL = "azure-native:dbforpostgresql:FirewallRule"
K8S_SERVICE = "kubernetes:core/v1:Service"
INTERNAL_LB = "service.beta.kubernetes.io/azure-load-balancer-internal"
LB_IPV4 = "service.beta.kubernetes.io/azure-load-balancer-ipv4"
APP_GATEWAY = "azure-native:network:ApplicationGateway"
# Application Gateway v2's infrastructure ports (GatewayManager) and the HTTPS port users use.
GATEWAY_MANAGER_PORTS = (65200, 65535)
HTTPS = 443

DATABASE_PORT = 5432
# What must never be reachable from the internet: SSH, RDP, PostgreSQL.
SENSITIVE_PORTS = (22, 3389, DATABASE_PORT)
# Container Apps edge proxy ports behind an internal environment's load balancer.
APPS_HTTP_PORTS = (80, 31080)
APPS_HTTPS_PORTS = (443, 31443)


@dataclass(frozen=True)
class Endpoint:
    """One end of a flow as an NSG sees it: an address and the service tags it belongs to."""

    label: str
    address: ipaddress.IPv4Address
    tags: frozenset[str]
    # Platform addresses (Azure DNS, IMDS) escape NSGs unless a rule names their tag.
    platform: bool = False


def _ep(label: str, address: str, *tags: str, platform: bool = False) -> Endpoint:
    return Endpoint(label, ipaddress.IPv4Address(address), frozenset(tags), platform)


# Documentation addresses (RFC 5737) stand in for public peers: only "outside the VNet and
# publicly reachable" and their service tags matter to an NSG.
INTERNET = _ep("internet", "203.0.113.10", "Internet")
PROBE = _ep("AzureLoadBalancer probe", "168.63.129.16", "AzureLoadBalancer")
AZURE_DNS = _ep("Azure DNS", "168.63.129.16", "AzurePlatformDNS", platform=True)
IMDS = _ep("IMDS", "169.254.169.254", "AzurePlatformIMDS", platform=True)
MODEL = _ep("the model endpoint", "198.51.100.10", "Internet", "AzureCloud", "CognitiveServices")
REGISTRY = _ep("the registry", "198.51.100.20", "Internet", "AzureCloud", "AzureContainerRegistry")
ENTRA = _ep("Entra ID", "198.51.100.30", "Internet", "AzureCloud", "AzureActiveDirectory")
MCR = _ep("MicrosoftContainerRegistry", "198.51.100.40", "Internet", "MicrosoftContainerRegistry")
FRONT_DOOR = _ep(
    "AzureFrontDoor.FirstParty", "198.51.100.50", "Internet", "AzureFrontDoor.FirstParty"
)
STORAGE = _ep("Storage", "198.51.100.60", "Internet", "AzureCloud", "Storage")
GATEWAY_MANAGER = _ep("GatewayManager", "198.51.100.70", "Internet", "AzureCloud", "GatewayManager")


@dataclass(frozen=True)
class NsgRule:
    """One security rule, as ARM evaluates it."""

    name: str
    priority: int
    direction: str
    allow: bool
    protocol: str
    sources: tuple[str, ...]
    destinations: tuple[str, ...]
    ports: tuple[str, ...]

    def matches(self, src: Endpoint, dst: Endpoint, port: int, protocol: str) -> bool:
        """True when the flow matches every part of the rule's five-tuple."""
        if self.protocol.lower() not in ("*", "any", protocol.lower()):
            return False
        if not any(_port_matches(p, port) for p in self.ports):
            return False
        if dst.platform and not any(_names_tag(d, dst) for d in self.destinations):
            return False  # platform services are exempt unless the rule names them
        return any(_prefix_matches(s, src) for s in self.sources) and any(
            _prefix_matches(d, dst) for d in self.destinations
        )


def _default(name: str, priority: int, direction: str, allow: bool, src: str, dst: str) -> NsgRule:
    return NsgRule(name, priority, direction, allow, "*", (src,), (dst,), ("*",))


DEFAULT_RULES = (
    _default("AllowVnetInBound", 65000, "Inbound", True, "VirtualNetwork", "VirtualNetwork"),
    _default("AllowAzureLoadBalancerInBound", 65001, "Inbound", True, "AzureLoadBalancer", "*"),
    _default("DenyAllInBound", 65500, "Inbound", False, "*", "*"),
    _default("AllowVnetOutBound", 65000, "Outbound", True, "VirtualNetwork", "VirtualNetwork"),
    _default("AllowInternetOutBound", 65001, "Outbound", True, "*", "Internet"),
    _default("DenyAllOutBound", 65500, "Outbound", False, "*", "*"),
)


def _names_tag(prefix: str, ep: Endpoint) -> bool:
    tag = prefix.strip().lower()
    return any(tag == t.lower() or tag.startswith(t.lower() + ".") for t in ep.tags)


def _prefix_matches(prefix: str, ep: Endpoint) -> bool:
    """A rule's address prefix (any, CIDR, IP or service tag) against an endpoint."""
    text = prefix.strip()
    if text in ("*", "Any", "any", "0.0.0.0/0"):
        return True
    try:
        return ep.address in ipaddress.ip_network(text, strict=False)
    except ValueError:
        return _names_tag(text, ep)  # a service tag, regional ones included (Storage.westeurope)


def _port_matches(spec: str, port: int) -> bool:
    for part in str(spec).split(","):
        part = part.strip()
        if part in ("*", ""):
            return True
        low, _, high = part.partition("-")
        if int(low) <= port <= int(high or low):
            return True
    return False


def _plural(rule: dict[str, Any], one: str, many: str) -> tuple[str, ...]:
    values = [rule[many]] if isinstance(rule.get(many), str) else list(rule.get(many) or [])
    if rule.get(one) not in (None, ""):
        values.append(rule[one])
    return tuple(str(v) for v in values)


def nsg_rules(nsg: Resource) -> list[NsgRule]:
    """The NSG's custom rules and Azure's defaults, in evaluation order."""
    rules = list(DEFAULT_RULES)
    for raw in nsg.inputs.get("securityRules") or []:
        rules.append(
            NsgRule(
                name=str(raw.get("name", "?")),
                priority=int(raw.get("priority", 0)),
                direction=str(raw.get("direction", "Inbound")),
                allow=str(raw.get("access", "Allow")).lower() == "allow",
                protocol=str(raw.get("protocol", "*")),
                # Application security groups name no address here: they match nothing.
                sources=_plural(raw, "sourceAddressPrefix", "sourceAddressPrefixes"),
                destinations=_plural(raw, "destinationAddressPrefix", "destinationAddressPrefixes"),
                ports=_plural(raw, "destinationPortRange", "destinationPortRanges"),
            )
        )
    return sorted(rules, key=lambda r: r.priority)


@dataclass(frozen=True)
class Verdict:
    """What an NSG decided for one flow, and which rule decided it."""

    allowed: bool
    nsg: Resource | None = None
    rule: NsgRule | None = None

    def why(self) -> str:
        """`denied by deny-internet-in (priority 4000)`."""
        verb = "admitted" if self.allowed else "denied"
        if self.rule is None:
            return f"{verb} (no NSG)"
        return f"{verb} by {self.rule.name} (priority {self.rule.priority})"


def evaluate(
    nsg: Resource | None, direction: str, src: Endpoint, dst: Endpoint, port: int, protocol: str
) -> Verdict:
    """First match by priority wins; no NSG at all admits everything."""
    if nsg is None:
        return Verdict(True)
    for rule in nsg_rules(nsg):
        if rule.direction.lower() == direction.lower() and rule.matches(src, dst, port, protocol):
            return Verdict(rule.allow, nsg, rule)
    return Verdict(True, nsg)  # unreachable: the defaults match everything


def traverse(
    nsgs: Iterable[Resource | None],
    direction: str,
    src: Endpoint,
    dst: Endpoint,
    port: int,
    protocol: str = "Tcp",
) -> Verdict:
    """Every NSG on the way must admit the flow; the first denial is the answer."""
    last = Verdict(True)
    for nsg in nsgs:
        last = evaluate(nsg, direction, src, dst, port, protocol)
        if not last.allowed:
            return last
    return last


# --- the plan's topology ------------------------------------------------------------


def linked(plan: Plan, resource: Resource, prop: str, kind: str) -> list[Resource]:
    """The resources of a type that an input property's value came from.

    From the registration's property dependencies; failing that, from ids in the input that
    end with a resource's name (how the mocks name ids).
    """
    known = plan.by_urn()
    found = [
        known[u]
        for u in resource.property_dependencies.get(prop, [])
        if u in known and known[u].type == kind
    ]
    if found:
        return found
    text = repr(resource.inputs.get(prop))
    return [r for r in plan.of_type(kind) if f"/{r.name}'" in text]


@dataclass
class Subnet:
    """A subnet, its address range and its NSG."""

    resource: Resource
    cidr: ipaddress.IPv4Network
    nsg: Resource | None

    def host(self, label: str) -> Endpoint:
        """An address inside the subnet, as a flow source or destination."""
        hosts = self.cidr.hosts()
        for _ in range(min(9, self.cidr.num_addresses - 3)):
            next(hosts)  # skip Azure's reserved first addresses
        return Endpoint(label, next(hosts), frozenset({"VirtualNetwork"}))


def subnets(plan: Plan) -> dict[str, Subnet]:
    """Every subnet by URN, with its NSG."""
    found = {}
    for r in plan.of_type(SUBNET):
        prefix = r.inputs.get("addressPrefix") or (r.inputs.get("addressPrefixes") or [None])[0]
        try:
            cidr = ipaddress.IPv4Network(str(prefix), strict=False)
        except ValueError:
            continue  # unknown until the cloud answers: nothing to evaluate
        nsgs = linked(plan, r, "networkSecurityGroup", NSG)
        found[r.urn] = Subnet(r, cidr, nsgs[0] if nsgs else None)
    return found


def _subnet_of(plan: Plan, resource: Resource, prop: str) -> Subnet | None:
    known = subnets(plan)
    for s in linked(plan, resource, prop, SUBNET):
        if s.urn in known:
            return known[s.urn]
    return None


@dataclass
class Workload:
    """Where the service runs: its subnet, its NIC-level NSG, what it calls out to."""

    resource: Resource
    subnet: Subnet
    nic_nsg: Resource | None = None
    calls: list[tuple[Endpoint, int, str]] = field(default_factory=list)

    def inbound(self) -> list[Resource | None]:
        """Subnet NSG first, then the NIC's."""
        return [self.subnet.nsg, self.nic_nsg]

    def outbound(self) -> list[Resource | None]:
        """NIC NSG first, then the subnet's."""
        return [self.nic_nsg, self.subnet.nsg]


def _finding(resource: Resource, message: str) -> Finding:
    return Finding(RULE, resource.urn, message)


def _denied(hop: str, verdict: Verdict, port: int, protocol: str, why: str = "") -> Finding:
    assert verdict.nsg is not None  # only NSGs deny
    tail = f"; {why}" if why else ""
    return _finding(
        verdict.nsg,
        f"{hop} -> {verdict.nsg.name}:{port}/{protocol.lower()} {verdict.why()}{tail}",
    )


# --- the rule -------------------------------------------------------------------------


def azure_network_paths(plan: Plan) -> list[Finding]:
    """Internet -> entry -> workload port, workload -> database, model, registry, DNS, identity.

    A public stack's users reach the workload port through every hop; a private stack's entry
    answers only inside the VNet; the workload reaches PostgreSQL on 5432, the model endpoint,
    the registry and Entra ID on 443, Azure DNS and IMDS; the internet reaches no subnet on SSH,
    RDP or PostgreSQL. NSGs are evaluated as Azure does (priority, first match, defaults,
    subnet then NIC, service tags); sources in the module docstring, read 2026-11-29.
    """
    if not plan.of_type(NSG) and not plan.of_type(SUBNET):
        return []
    findings: list[Finding] = []
    workloads: list[Workload] = []
    for builder in (_scale_sets, _aks, _container_apps):
        found, more = builder(plan)
        workloads.extend(found)
        findings.extend(more)
    findings.extend(_application_gateways(plan))
    findings.extend(_database_paths(plan, workloads))
    for workload in workloads:
        findings.extend(_egress(workload))
    findings.extend(_nothing_else(plan))
    return findings


def _scale_sets(plan: Plan) -> tuple[list[Workload], list[Finding]]:
    """VM scale sets behind a Standard load balancer."""
    workloads, findings = [], []
    balancers = {
        str(lb.inputs.get("loadBalancerName") or lb.name): lb for lb in plan.of_type(LOAD_BALANCER)
    }
    for vmss in plan.of_type(SCALE_SET):
        subnet = _subnet_of(plan, vmss, "virtualMachineProfile")
        if subnet is None:
            continue
        nic = linked(plan, vmss, "virtualMachineProfile", NSG)
        workload = Workload(
            vmss,
            subnet,
            nic[0] if nic else None,
            calls=[(IMDS, 80, "Tcp"), (ENTRA, 443, "Tcp"), (REGISTRY, 443, "Tcp")],
        )
        workloads.append(workload)
        pools = repr(vmss.inputs.get("virtualMachineProfile"))
        fronted = [lb for name, lb in balancers.items() if f"/loadBalancers/{name}/" in pools]
        if not fronted:
            findings.append(_finding(vmss, "no load balancer in front: no entry for users"))
        for lb in fronted:
            findings.extend(_load_balancer_paths(plan, lb, workload))
    return workloads, findings


def _load_balancer_paths(plan: Plan, lb: Resource, workload: Workload) -> list[Finding]:
    findings = []
    fronts = lb.inputs.get("frontendIPConfigurations") or []
    public = any(f.get("publicIPAddress") for f in fronts)
    client = INTERNET if public else _vnet_client(plan)
    probes = {p.get("name"): p for p in lb.inputs.get("probes") or []}
    for rule in lb.inputs.get("loadBalancingRules") or []:
        port = int(rule.get("backendPort") or rule.get("frontendPort") or 0)
        protocol = "Udp" if str(rule.get("protocol", "Tcp")).lower() == "udp" else "Tcp"
        hop = f"{client.label} -> {lb.name}:{rule.get('frontendPort')}"
        verdict = traverse(
            workload.inbound(), "Inbound", client, workload.subnet.host("vm"), port, protocol
        )
        if not verdict.allowed:
            why = (
                "a Standard load balancer keeps the client's address, so the backend's NSG must "
                "admit the clients (AzureLoadBalancer is the probe only)"
            )
            findings.append(_denied(hop, verdict, port, protocol, why))
        probe_name = str((rule.get("probe") or {}).get("id", "")).rsplit("/", 1)[-1]
        probe = probes.get(probe_name)
        if probe:
            probe_port = int(probe.get("port", port))
            verdict = traverse(
                workload.inbound(), "Inbound", PROBE, workload.subnet.host("vm"), probe_port
            )
            if not verdict.allowed:
                findings.append(
                    _denied(
                        f"probe {lb.name}/{probe_name}",
                        verdict,
                        probe_port,
                        "Tcp",
                        "every backend is marked down",
                    )
                )
    return findings


def _vnet_client(plan: Plan) -> Endpoint:
    """A client elsewhere in the VNet."""
    for vnet in plan.of_type(VNET):
        prefixes = (vnet.inputs.get("addressSpace") or {}).get("addressPrefixes") or []
        for prefix in prefixes:
            try:
                net = ipaddress.IPv4Network(str(prefix), strict=False)
            except ValueError:
                continue
            return Endpoint("a client in the VNet", net[-10], frozenset({"VirtualNetwork"}))
    return _ep("a client in the VNet", "10.255.255.200", "VirtualNetwork")


def _aks(plan: Plan) -> tuple[list[Workload], list[Finding]]:
    """AKS node pools and the LoadBalancer Services in front of them."""
    workloads, findings = [], []
    for cluster in plan.of_type(AKS):
        subnet = _subnet_of(plan, cluster, "agentPoolProfiles")
        if subnet is None:
            continue
        # Pods leave through their node's address (overlay SNAT); kubelet pulls the image;
        # workload identity exchanges its token with Entra ID.
        workload = Workload(cluster, subnet, calls=[(ENTRA, 443, "Tcp"), (REGISTRY, 443, "Tcp")])
        workloads.append(workload)
        services = plan.of_type(K8S_SERVICE)
        entries = [
            s for s in services if (s.inputs.get("spec") or {}).get("type") == "LoadBalancer"
        ]
        for service in services:
            annotations = (service.inputs.get("metadata") or {}).get("annotations") or {}
            kind = (service.inputs.get("spec") or {}).get("type", "ClusterIP")
            if INTERNAL_LB in annotations and kind != "LoadBalancer":
                findings.append(
                    _finding(
                        service,
                        f"vnet -> {service.name}: the {INTERNAL_LB} annotation is read only on "
                        f"Services of type LoadBalancer; this {kind} Service has no address in "
                        "the VNet",
                    )
                )
        if not entries and not findings:
            findings.append(_finding(cluster, "no LoadBalancer Service: no entry for users"))
        for service in entries:
            annotations = (service.inputs.get("metadata") or {}).get("annotations") or {}
            internal = str(annotations.get(INTERNAL_LB, "false")).lower() == "true"
            client = _vnet_client(plan) if internal else INTERNET
            for port_spec in (service.inputs.get("spec") or {}).get("ports") or []:
                port = int(port_spec.get("port", 0))
                protocol = (
                    "Udp" if str(port_spec.get("protocol", "TCP")).upper() == "UDP" else "Tcp"
                )
                verdict = traverse(
                    [subnet.nsg], "Inbound", client, subnet.host("node"), port, protocol
                )
                if not verdict.allowed:
                    why = (
                        "AKS opens Service ports only in the NIC-level NSG it manages, never in "
                        "a subnet NSG you bring"
                    )
                    findings.append(
                        _denied(
                            f"{client.label} -> Service {service.name}",
                            verdict,
                            port,
                            protocol,
                            why,
                        )
                    )
    return workloads, findings


def _container_apps(plan: Plan) -> tuple[list[Workload], list[Finding]]:
    """Container Apps environments in a VNet and their apps' ingress."""
    workloads, findings = [], []
    environments = {e.urn: e for e in plan.of_type(ENVIRONMENT)}
    for env in environments.values():
        subnet = _subnet_of(plan, env, "vnetConfiguration")
        if subnet is None:
            continue
        config = env.inputs.get("vnetConfiguration") or {}
        internal = bool(config.get("internal"))
        profiles = bool(env.inputs.get("workloadProfiles"))
        calls = [
            (ENTRA, 443, "Tcp"),
            (REGISTRY, 443, "Tcp"),
            (STORAGE, 443, "Tcp"),
            (MCR, 443, "Tcp"),
            (FRONT_DOOR, 443, "Tcp"),
        ]
        workload = Workload(env, subnet, calls=calls)
        workloads.append(workload)
        apps = [
            a
            for a in plan.of_type(CONTAINER_APP)
            if env in linked(plan, a, "managedEnvironmentId", ENVIRONMENT)
        ]
        for app in apps:
            ingress = (app.inputs.get("configuration") or {}).get("ingress")
            if not ingress:
                findings.append(_finding(app, "no ingress: no entry for users"))
                continue
            if not ingress.get("external"):
                # "Internal" ingress admits only other apps of the same environment: neither
                # the internet nor the VNet reaches it. A VNet-only app is external ingress
                # on an internal environment (learn.microsoft.com/azure/container-apps/
                # ingress-overview, read 2026-11-29).
                findings.append(
                    _finding(
                        app,
                        "ingress external=false admits only apps of the same environment: "
                        "no client in the VNet or on the internet reaches it",
                    )
                )
                continue
            public = not internal
            if public and profiles:
                continue  # through the environment's public IP, not the subnet: no NSG on the way
            client = INTERNET if public else _vnet_client(plan)
            ports = list(APPS_HTTPS_PORTS)
            if ingress.get("allowInsecure"):
                ports += list(APPS_HTTP_PORTS)
            if not profiles:
                ports = [p for p in ports if p < 1024]  # consumption-only: 80 and 443
            for port in ports:
                verdict = traverse([subnet.nsg], "Inbound", client, subnet.host("edge"), port)
                if not verdict.allowed:
                    findings.append(_denied(f"{client.label} -> {app.name}", verdict, port, "Tcp"))
            for port in (30000, 32767):  # the edge's dynamically allocated probe ports
                verdict = traverse([subnet.nsg], "Inbound", PROBE, subnet.host("edge"), port)
                if not verdict.allowed:
                    findings.append(_denied(f"probe -> {env.name}", verdict, port, "Tcp"))
    return workloads, findings


def _last(ref: Any) -> str:
    """The child name at the end of a sub-resource reference (`.../frontendPorts/https`)."""
    return str((ref or {}).get("id", "")).rstrip("/").rsplit("/", 1)[-1]


def _domain(plan: Plan) -> str | None:
    ingress = plan.config.get("llmchain:ingress") or {}
    domain = ingress.get("domain") if isinstance(ingress, dict) else None
    return str(domain) if domain else None


def _application_gateways(plan: Plan) -> list[Finding]:
    """Internet -> gateway (HTTPS on 443, HTTP only as a redirect) -> the backend's port.

    With `llmchain:ingress.domain` on a vm or cluster stack, the entry is an Application
    Gateway whose 443 listener terminates TLS with a certificate; its subnet's NSG admits the
    clients, GatewayManager and AzureLoadBalancer, and the backend's subnet admits the
    gateway's instances on the port the backend listens on.
    """
    findings: list[Finding] = []
    gateways = plan.of_type(APP_GATEWAY)
    domain = _domain(plan)
    if domain and (plan.of_type(SCALE_SET) or plan.of_type(AKS)) and not gateways:
        anchor = (plan.of_type(SCALE_SET) or plan.of_type(AKS))[0]
        findings.append(
            _finding(anchor, f"llmchain:ingress.domain={domain} but no HTTPS entry: nothing "
                     "terminates TLS for the domain")
        )  # fmt: skip
    known = subnets(plan)
    for gateway in gateways:
        inputs = gateway.inputs
        subnet = None
        for s in linked(plan, gateway, "gatewayIPConfigurations", SUBNET):
            subnet = known.get(s.urn)
        if subnet is None:
            findings.append(
                _finding(gateway, "no subnet of its own: Application Gateway needs one")
            )
            continue
        host = subnet.host("gateway")
        public = any(f.get("publicIPAddress") for f in inputs.get("frontendIPConfigurations") or [])
        client = INTERNET if public else _vnet_client(plan)
        ports = {p.get("name"): int(p.get("port", 0)) for p in inputs.get("frontendPorts") or []}
        routes = {_last(r.get("httpListener")): r for r in inputs.get("requestRoutingRules") or []}
        https = False
        for listener in inputs.get("httpListeners") or []:
            port = ports.get(_last(listener.get("frontendPort")), 0)
            protocol = str(listener.get("protocol", "Http")).lower()
            name = listener.get("name")
            if protocol == "https" and port == HTTPS and listener.get("sslCertificate"):
                https = True
            elif protocol == "http" and public:
                route = routes.get(str(name)) or {}
                if not route.get("redirectConfiguration"):
                    findings.append(
                        _finding(gateway, f"internet -> {gateway.name}:{port} serves plain HTTP "
                                 f"(listener {name!r} routes to the backend, not to HTTPS)")
                    )  # fmt: skip
            verdict = traverse([subnet.nsg], "Inbound", client, host, port)
            if not verdict.allowed:
                findings.append(_denied(f"{client.label} -> {gateway.name}", verdict, port, "Tcp"))
        if domain and not https:
            findings.append(
                _finding(gateway, f"no HTTPS listener on {HTTPS} with a certificate for {domain}")
            )
        if not inputs.get("sslCertificates") and https:
            findings.append(_finding(gateway, "an HTTPS listener but no certificate"))
        for port in GATEWAY_MANAGER_PORTS:
            verdict = traverse([subnet.nsg], "Inbound", GATEWAY_MANAGER, host, port)
            if not verdict.allowed:
                findings.append(
                    _denied(f"GatewayManager -> {gateway.name}", verdict, port, "Tcp",
                            "Application Gateway v2 needs its infrastructure ports")
                )  # fmt: skip
        verdict = traverse([subnet.nsg], "Inbound", PROBE, host, HTTPS)
        if not verdict.allowed:
            findings.append(_denied(f"probe -> {gateway.name}", verdict, HTTPS, "Tcp"))
        verdict = traverse([subnet.nsg], "Outbound", host, INTERNET, HTTPS)
        if not verdict.allowed:
            findings.append(
                _denied(f"{gateway.name} -> internet", verdict, HTTPS, "Tcp",
                        "Application Gateway's outbound internet must stay open")
            )  # fmt: skip
        findings.extend(_gateway_backends(plan, gateway, host))
    return findings


def _gateway_backends(plan: Plan, gateway: Resource, source: Endpoint) -> list[Finding]:
    """Each backend address is an internal LB or Service whose subnet admits the gateway."""
    findings = []
    settings = gateway.inputs.get("backendHttpSettingsCollection") or []
    port = int(settings[0].get("port", 80)) if settings else 80
    for pool in gateway.inputs.get("backendAddressPools") or []:
        for backend in pool.get("backendAddresses") or []:
            ip = str(backend.get("ipAddress") or "")
            target = _backend_target(plan, ip, port)
            if target is None:
                findings.append(
                    _finding(gateway, f"{gateway.name} -> {ip}:{port}: no internal load "
                             "balancer or Service listens there")
                )  # fmt: skip
                continue
            nsgs, dest_port, label = target
            address = Endpoint(label, ipaddress.IPv4Address(ip), frozenset({"VirtualNetwork"}))
            verdict = traverse(nsgs, "Inbound", source, address, dest_port)
            if not verdict.allowed:
                findings.append(_denied(f"{gateway.name} -> {label}", verdict, dest_port, "Tcp"))
    return findings


def _backend_target(
    plan: Plan, ip: str, port: int
) -> tuple[list[Resource | None], int, str] | None:
    """The NSGs on the way to a backend address and the port they see, or None."""
    try:
        address = ipaddress.IPv4Address(ip)
    except ValueError:
        return None
    subnet = next((s for s in subnets(plan).values() if address in s.cidr), None)
    if subnet is None:
        return None
    for lb in plan.of_type(LOAD_BALANCER):
        fronts = lb.inputs.get("frontendIPConfigurations") or []
        if not any(str(f.get("privateIPAddress")) == ip for f in fronts):
            continue
        for rule in lb.inputs.get("loadBalancingRules") or []:
            if int(rule.get("frontendPort") or 0) == port:
                # No floating IP: the VM sees the backend port, through its subnet's NSG.
                return [subnet.nsg], int(rule.get("backendPort") or port), lb.name
        return None
    for service in plan.of_type(K8S_SERVICE):
        annotations = (service.inputs.get("metadata") or {}).get("annotations") or {}
        if str(annotations.get(LB_IPV4)) != ip:
            continue
        ports = [
            int(p.get("port", 0)) for p in (service.inputs.get("spec") or {}).get("ports") or []
        ]
        if port in ports:
            # AKS's rules use floating IP: the node sees the Service's own port.
            return [subnet.nsg], port, service.name
        return None
    return None


def _database_paths(plan: Plan, workloads: list[Workload]) -> list[Finding]:
    """Each workload reaches PostgreSQL on 5432 through its NSGs and the database subnet's."""
    findings = []
    for server in plan.of_type(POSTGRES):
        db = _subnet_of(plan, server, "network")
        if db is None:
            continue
        target = db.host(server.name)
        for workload in workloads:
            source = workload.subnet.host(workload.resource.name)
            out = traverse(workload.outbound(), "Outbound", source, target, DATABASE_PORT)
            if not out.allowed:
                findings.append(
                    _denied(f"{workload.resource.name} -> {server.name}", out, DATABASE_PORT, "Tcp")
                )
            into = traverse([db.nsg], "Inbound", source, target, DATABASE_PORT)
            if not into.allowed:
                findings.append(
                    _denied(
                        f"{workload.resource.name} -> {server.name}", into, DATABASE_PORT, "Tcp"
                    )
                )
    return findings


def _egress(workload: Workload) -> list[Finding]:
    """DNS, IMDS, the model endpoint, the registry and Entra ID, as the workload needs them."""
    findings = []
    source = workload.subnet.host(workload.resource.name)
    calls = [(AZURE_DNS, 53, "Udp"), (AZURE_DNS, 53, "Tcp"), (MODEL, 443, "Tcp"), *workload.calls]
    for target, port, protocol in calls:
        verdict = traverse(workload.outbound(), "Outbound", source, target, port, protocol)
        if not verdict.allowed:
            findings.append(
                _denied(f"{workload.resource.name} -> {target.label}", verdict, port, protocol)
            )
    return findings


def _nothing_else(plan: Plan) -> list[Finding]:
    """No subnet admits SSH, RDP or PostgreSQL from the internet; no public database."""
    findings = []
    for subnet in subnets(plan).values():
        for port in SENSITIVE_PORTS:
            verdict = traverse([subnet.nsg], "Inbound", INTERNET, subnet.host("host"), port)
            if verdict.allowed and verdict.nsg is not None:
                findings.append(
                    _finding(
                        verdict.nsg, f"internet -> {verdict.nsg.name}:{port}/tcp {verdict.why()}"
                    )
                )
    for lb in plan.of_type(LOAD_BALANCER):
        if not any(
            f.get("publicIPAddress") for f in lb.inputs.get("frontendIPConfigurations") or []
        ):
            continue
        for rule in lb.inputs.get("loadBalancingRules") or []:
            for key in ("frontendPort", "backendPort"):
                if int(rule.get(key) or 0) in SENSITIVE_PORTS:
                    findings.append(
                        _finding(
                            lb,
                            f"internet -> {lb.name}:{rule.get('frontendPort')} forwards {key} "
                            f"{rule.get(key)} from a public frontend",
                        )
                    )
    for server in plan.of_type(POSTGRES):
        network = server.inputs.get("network") or {}
        if str(network.get("publicNetworkAccess", "Disabled")).lower() != "enabled":
            continue
        for rule in plan.of_type(POSTGRES_FIREWALL):
            try:
                low = ipaddress.IPv4Address(str(rule.inputs.get("startIpAddress")))
                high = ipaddress.IPv4Address(str(rule.inputs.get("endIpAddress")))
            except ValueError:
                continue
            if low <= INTERNET.address <= high:
                findings.append(
                    _finding(
                        rule,
                        f"internet -> {server.name}:{DATABASE_PORT}/tcp admitted by firewall "
                        f"rule {rule.name}",
                    )
                )
    return findings
