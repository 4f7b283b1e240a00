"""The scale set's Standard load balancer: public, or internal at a fixed address in its subnet.

Its resources belong to the Vm component that calls `load_balancer` (their parent is the Vm).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure

from infra.azure.network import subresource_id
from infra.spec import WorkloadSpec


@dataclass
class LoadBalancerArgs:
    """Where the balancer goes, and whether it is public."""

    spec: WorkloadSpec
    resource_group: pulumi.Input[str]
    location: pulumi.Input[str]
    tags: dict[str, str]
    subnet_id: pulumi.Input[str]
    # Private stacks and stacks with a domain: the internal balancer's fixed address in the
    # VMs' subnet; None: a public load balancer.
    private_ip: str | None = None


@dataclass
class Entry:
    """The balancer, its backend pool's id (the scale set joins it) and the service's URL."""

    lb: azure.network.LoadBalancer
    pool_id: pulumi.Output[str]
    url: pulumi.Output[str]


def load_balancer(name: str, args: LoadBalancerArgs, child: pulumi.ResourceOptions) -> Entry:
    """Frontend, backend pool, the /readyz probe and one HTTP rule (port 80 to the service)."""
    spec, rg = args.spec, args.resource_group
    lb_name = f"{name}-lb"
    frontend_id = subresource_id(rg, "loadBalancers", lb_name, "frontendIPConfigurations", "front")
    pool_id = subresource_id(rg, "loadBalancers", lb_name, "backendAddressPools", "pool")
    probe_id = subresource_id(rg, "loadBalancers", lb_name, "probes", "ready")
    if args.private_ip is None:  # public; private stacks and a domain's gateway: internal
        address = azure.network.PublicIPAddress(
            f"{name}-ip",
            resource_group_name=rg,
            location=args.location,
            sku=azure.network.PublicIPAddressSkuArgs(name="Standard"),
            public_ip_allocation_method="Static",
            tags=args.tags,
            opts=child,
        )
        frontend = azure.network.FrontendIPConfigurationArgs(
            name="front", public_ip_address=azure.network.PublicIPAddressArgs(id=address.id)
        )
        host: pulumi.Output[str] = address.ip_address.apply(lambda ip: ip or "")
    else:
        # An internal load balancer in the VMs' subnet, reachable from the VNet (the
        # subnet's NSG admits VirtualNetwork on the service port).
        frontend = azure.network.FrontendIPConfigurationArgs(
            name="front",
            subnet=azure.network.SubnetArgs(id=args.subnet_id),
            private_ip_allocation_method="Static",
            private_ip_address=args.private_ip,
        )
        host = pulumi.Output.from_input(args.private_ip)
    lb = azure.network.LoadBalancer(
        lb_name,
        load_balancer_name=lb_name,
        resource_group_name=rg,
        location=args.location,
        sku=azure.network.LoadBalancerSkuArgs(name="Standard"),
        frontend_ip_configurations=[frontend],
        backend_address_pools=[azure.network.BackendAddressPoolArgs(name="pool")],
        probes=[
            azure.network.ProbeArgs(
                name="ready",
                protocol="Http",
                port=spec.port,
                request_path=spec.readiness_path,
                interval_in_seconds=15,
                number_of_probes=2,
            )
        ],
        load_balancing_rules=[
            azure.network.LoadBalancingRuleArgs(
                name="http",
                protocol="Tcp",
                frontend_port=80,
                backend_port=spec.port,
                frontend_ip_configuration=azure.network.SubResourceArgs(id=frontend_id),
                backend_address_pool=azure.network.SubResourceArgs(id=pool_id),
                probe=azure.network.SubResourceArgs(id=probe_id),
                idle_timeout_in_minutes=30,
                disable_outbound_snat=True,
            )
        ],
        tags=args.tags,
        opts=child,
    )
    return Entry(lb=lb, pool_id=pool_id, url=pulumi.Output.concat("http://", host))
