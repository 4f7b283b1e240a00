"""The VPC: one subnet, private services access for Cloud SQL, Cloud NAT, and tight firewalls."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi_gcp as gcp

from infra.component import Component

SUBNET_CIDR = "10.60.0.0/20"
# The proxy-only subnet an internal Application Load Balancer's Envoy proxies take their
# addresses from: one per region and VPC, /23 recommended.
# https://cloud.google.com/load-balancing/docs/proxy-only-subnets (read 2026-11-29)
PROXY_SUBNET_CIDR = "10.60.16.0/23"
# Where Google's load balancers and their health checks come from.
LB_RANGES = ["130.211.0.0/22", "35.191.0.0/16"]
TARGET_TAG = "llmchain"


@dataclass
class NetworkArgs:
    """The region and the service port to admit."""

    region: str
    port: int
    internal_lb: bool = False  # a private vm stack: its internal load balancer's proxies


class Network(Component[NetworkArgs]):
    """VPC, subnet (private Google access), peering range for Cloud SQL, router + NAT, firewall."""

    network: gcp.compute.Network
    subnet: gcp.compute.Subnetwork
    peering: gcp.servicenetworking.Connection
    proxy_subnet: gcp.compute.Subnetwork | None = None

    def build(self, name: str, args: NetworkArgs) -> None:
        child = self.child
        self.network = gcp.compute.Network(f"{name}-vpc", auto_create_subnetworks=False, opts=child)
        self.subnet = gcp.compute.Subnetwork(
            f"{name}-subnet",
            network=self.network.id,
            region=args.region,
            ip_cidr_range=SUBNET_CIDR,
            private_ip_google_access=True,
            log_config=gcp.compute.SubnetworkLogConfigArgs(
                aggregation_interval="INTERVAL_5_SEC",
                flow_sampling=0.5,
                metadata="INCLUDE_ALL_METADATA",
            ),
            opts=child,
        )
        reserved = gcp.compute.GlobalAddress(
            f"{name}-sql-range",
            network=self.network.id,
            purpose="VPC_PEERING",
            address_type="INTERNAL",
            prefix_length=20,
            opts=child,
        )
        self.peering = gcp.servicenetworking.Connection(
            f"{name}-sql-peering",
            network=self.network.id,
            service="servicenetworking.googleapis.com",
            reserved_peering_ranges=[reserved.name],
            # On destroy Cloud SQL's producer network may hold the connection for days after the
            # instance is gone ("Producer services ... still using this connection"); removing
            # the peering instead lets the VPC go. Provider docs, deletion_policy (read 2026-11-29).
            deletion_policy="REMOVE_PEERING",
            opts=child,
        )
        router = gcp.compute.Router(
            f"{name}-router", network=self.network.id, region=args.region, opts=child
        )
        gcp.compute.RouterNat(
            f"{name}-nat",
            router=router.name,
            region=args.region,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
            log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
            opts=child,
        )
        gcp.compute.Firewall(
            f"{name}-lb-to-service",
            network=self.network.id,
            direction="INGRESS",
            source_ranges=LB_RANGES,
            target_tags=[TARGET_TAG],
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[str(args.port)])],
            description="Google load balancers and health checks to the service port; nothing else",
            opts=child,
        )
        if args.internal_lb:
            self.proxy_subnet = gcp.compute.Subnetwork(
                f"{name}-proxy-subnet",
                network=self.network.id,
                region=args.region,
                ip_cidr_range=PROXY_SUBNET_CIDR,
                purpose="REGIONAL_MANAGED_PROXY",
                role="ACTIVE",
                opts=child,
            )
            # The internal load balancer's requests come from its proxies, not LB_RANGES
            # (its health checks still do). https://cloud.google.com/load-balancing/docs/l7-internal/setting-up-l7-internal
            gcp.compute.Firewall(
                f"{name}-proxies-to-service",
                network=self.network.id,
                direction="INGRESS",
                source_ranges=[PROXY_SUBNET_CIDR],
                target_tags=[TARGET_TAG],
                allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[str(args.port)])],
                description="the internal load balancer's proxies to the service port",
                opts=child,
            )
        self.register_outputs({"network": self.network.id})
