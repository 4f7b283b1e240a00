"""The VNet: a subnet per compute kind and one delegated to the database; NSGs; private DNS."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native as azure

from infra.component import Component
from infra.kubernetes.workload import SERVICE_PORT

VNET_CIDR = "10.50.0.0/16"
SUBNETS = {
    "apps": "10.50.0.0/23",  # Container Apps environment (delegated)
    "vms": "10.50.2.0/24",
    "db": "10.50.3.0/24",  # PostgreSQL Flexible Server (delegated)
    "aks": "10.50.8.0/22",
    # Application Gateway v2 (vm and cluster with llmchain:ingress.domain): a subnet of its
    # own, /24 as Microsoft recommends for its autoscaling.
    "gateway": "10.50.4.0/24",
}
# Application Gateway v2's infrastructure ports, admitted from the GatewayManager tag
# (https://learn.microsoft.com/en-us/azure/application-gateway/configuration-infrastructure,
# read 2026-11-29).
GATEWAY_MANAGER_PORTS = "65200-65535"
DELEGATIONS = {
    "apps": "Microsoft.App/environments",
    "db": "Microsoft.DBforPostgreSQL/flexibleServers",
}
POSTGRES_ZONE = "privatelink.postgres.database.azure.com"


def subresource_id(
    resource_group: pulumi.Input[str], kind: str, parent: str, part: str, child: str
) -> pulumi.Output[str]:
    """The id of a part of a network resource (`loadBalancers`, `applicationGateways`), known
    before it exists: ARM needs such ids inline, in the same body that creates the part."""
    client = azure.authorization.get_client_config_output()
    return pulumi.Output.concat(
        "/subscriptions/",
        client.subscription_id,
        "/resourceGroups/",
        resource_group,
        "/providers/Microsoft.Network/",
        kind,
        "/",
        parent,
        "/",
        part,
        "/",
        child,
    )


def internal_address(subnet: str) -> str:
    """A fixed private address for an internal load balancer: the subnet's last usable one.

    Azure keeps the first four addresses and the last (https://learn.microsoft.com/en-us/azure/
    virtual-network/virtual-networks-faq, read 2026-11-29); instances take addresses from the
    bottom, so the top one stays free, and a fixed address makes the stack's url known at preview.
    """
    return str(ipaddress.ip_network(SUBNETS[subnet])[-2])


def nsg_rules(subnet: str, port: int, public: bool) -> list[dict[str, object]]:
    """Inbound rules per subnet: users reach the service port through the load balancer only.

    NSG rules see the client's own address: a Standard load balancer keeps it, and
    `AzureLoadBalancer` is the health probe's address only (168.63.129.16), never users'
    (https://learn.microsoft.com/en-us/azure/load-balancer/load-balancer-overview,
    https://learn.microsoft.com/en-us/azure/virtual-network/service-tags-overview; read
    2026-11-29). AKS opens Service ports in the NIC-level NSG it manages, never in a subnet NSG
    you bring (https://learn.microsoft.com/en-us/azure/aks/concepts-network#network-security-groups).
    The VMs and nodes have no public address, so `Internet` reaches them only through the
    load balancer's rules.
    """
    rules: list[dict[str, object]] = []
    if subnet == "vms":
        rules.append(_allow("service-from-lb", 100, "AzureLoadBalancer", str(port)))
        rules.append(_allow("service-from-vnet", 110, "VirtualNetwork", str(port)))
        if public:  # the backend port: the LB forwards 80 -> port without floating IP
            rules.append(_allow("service-from-internet", 120, "Internet", str(port)))
    elif subnet == "aks" and public:
        # The Service's port (AKS's load-balancing rules use floating IP: the node sees it).
        rules.append(_allow("service-from-internet", 100, "Internet", str(SERVICE_PORT)))
    elif subnet == "apps":
        source = "Internet" if public else "VirtualNetwork"
        rules.append(_allow("https-in", 100, source, "443"))
        rules.append(_allow("http-in", 110, source, "80"))
        rules.append(_allow("platform-lb", 120, "AzureLoadBalancer", "*"))
    elif subnet == "gateway":
        # Users on 443 (and 80, answered with a redirect to HTTPS), Azure's infrastructure
        # ports from GatewayManager, and the platform's probes; outbound stays open (the
        # gateway's management traffic needs the internet).
        rules.append(_allow("gateway-manager", 100, "GatewayManager", GATEWAY_MANAGER_PORTS))
        rules.append(_allow("https-in", 110, "Internet", "443"))
        rules.append(_allow("http-in", 120, "Internet", "80"))
        rules.append(_allow("platform-lb", 130, "AzureLoadBalancer", "*"))
    elif subnet == "db":
        rules.append(_allow("postgres-from-vnet", 100, "VirtualNetwork", "5432"))
    rules.append(
        {
            "name": "deny-internet-in",
            "priority": 4000,
            "direction": "Inbound",
            "access": "Deny",
            "protocol": "*",
            "source_address_prefix": "Internet",
            "source_port_range": "*",
            "destination_address_prefix": "*",
            "destination_port_range": "*",
        }
    )
    return rules


def _allow(name: str, priority: int, source: str, ports: str) -> dict[str, object]:
    return {
        "name": name,
        "priority": priority,
        "direction": "Inbound",
        "access": "Allow",
        "protocol": "Tcp",
        "source_address_prefix": source,
        "source_port_range": "*",
        "destination_address_prefix": "*",
        "destination_port_range": ports,
    }


@dataclass
class NetworkArgs:
    """Where and for whom."""

    resource_group: pulumi.Input[str]
    location: pulumi.Input[str]
    tags: dict[str, str]
    port: int
    public: bool
    # The VMs' outbound path (vm mode only). A Container Apps environment egresses on its own
    # (a NAT gateway is optional, https://learn.microsoft.com/en-us/azure/container-apps/
    # networking, read 2026-11-29) and AKS through its load balancer's outbound rules
    # (outboundType loadBalancer, the default): neither subnet had one attached, so a NAT
    # gateway there was billed (about $35/month) and unused.
    vm_nat: bool = False
    # A subnet for Application Gateway (HTTPS for llmchain:ingress.domain on vm and cluster).
    gateway: bool = False


class Network(Component[NetworkArgs]):
    """VNet, subnets with their NSGs, a NAT gateway for the VMs (vm mode), the database's DNS."""

    subnet_ids: dict[str, pulumi.Output[str]]
    dns_zone_id: pulumi.Output[str]

    def build(self, name: str, args: NetworkArgs) -> None:
        child = self.child
        common: dict[str, Any] = {
            "resource_group_name": args.resource_group,
            "location": args.location,
            "tags": args.tags,
        }
        vnet = azure.network.VirtualNetwork(
            f"{name}-vnet",
            address_space=azure.network.AddressSpaceArgs(address_prefixes=[VNET_CIDR]),
            **common,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["subnets"]),
        )
        nat: azure.network.NatGateway | None = None
        if args.vm_nat:
            # One Standard NAT gateway, zonal by nature ("no zone": Azure picks the zone) - the
            # scale set is not spread over zones either. The zone-redundant StandardV2 SKU
            # (https://learn.microsoft.com/en-us/azure/nat-gateway/nat-sku, read 2026-11-29:
            # same price, needs StandardV2 public IPs) is not in the network API version this
            # provider uses (2024-05-01; NatGatewaySkuName has only Standard: the schema of
            # pulumi-azure-native 3.29.0 in requirements.lock, read 2026-11-29).
            nat_ip = azure.network.PublicIPAddress(
                f"{name}-nat-ip",
                sku=azure.network.PublicIPAddressSkuArgs(name="Standard"),
                public_ip_allocation_method="Static",
                **common,
                opts=child,
            )
            nat = azure.network.NatGateway(
                f"{name}-nat",
                sku=azure.network.NatGatewaySkuArgs(name="Standard"),
                public_ip_addresses=[azure.network.SubResourceArgs(id=nat_ip.id)],
                **common,
                opts=child,
            )
        self.subnet_ids = {}
        previous: azure.network.Subnet | None = None
        for key, cidr in SUBNETS.items():
            if key == "gateway" and not args.gateway:
                continue
            nsg = azure.network.NetworkSecurityGroup(
                f"{name}-{key}-nsg",
                security_rules=[
                    azure.network.SecurityRuleArgs(**rule)  # type: ignore[arg-type]
                    for rule in nsg_rules(key, args.port, args.public)
                ],
                **common,
                opts=child,
            )
            delegation = DELEGATIONS.get(key)
            subnet = azure.network.Subnet(
                f"{name}-{key}",
                resource_group_name=args.resource_group,
                virtual_network_name=vnet.name,
                address_prefix=cidr,
                network_security_group=azure.network.NetworkSecurityGroupArgs(id=nsg.id),
                nat_gateway=azure.network.SubResourceArgs(id=nat.id)
                if nat is not None and key == "vms"
                else None,
                delegations=[azure.network.DelegationArgs(name=key, service_name=delegation)]
                if delegation
                else None,
                default_outbound_access=False,
                # Azure updates one subnet of a VNet at a time.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous else []),
            )
            previous = subnet
            self.subnet_ids[key] = subnet.id
        zone = azure.privatedns.PrivateZone(
            f"{name}-pg-dns",
            private_zone_name=POSTGRES_ZONE,
            location="Global",
            resource_group_name=args.resource_group,
            tags=args.tags,
            opts=child,
        )
        azure.privatedns.VirtualNetworkLink(
            f"{name}-pg-dns-link",
            private_zone_name=zone.name,
            resource_group_name=args.resource_group,
            location="Global",
            registration_enabled=False,
            virtual_network=azure.privatedns.SubResourceArgs(id=vnet.id),
            tags=args.tags,
            opts=child,
        )
        self.dns_zone_id = zone.id
        self.vnet_id = vnet.id
        self.register_outputs({"vnet_id": vnet.id})
