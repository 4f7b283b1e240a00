"""The managed instance group's load balancer: external (global, HTTPS with a domain) or internal.

Its resources belong to the Vm component that calls `load_balancer` (their parent is the Vm).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra.spec import WorkloadSpec

# Google's Application Load Balancers keep idle connections to backends for 600 s and reuse
# them; the app must keep them open longer or a reused one is closed under a request (502).
# https://cloud.google.com/load-balancing/docs/https#timeouts_and_retries (read 2026-11-29)
KEEP_ALIVE_S = 620
BACKEND_TIMEOUT_S = 900  # streams: as long as Cloud Run's request timeout


@dataclass
class LoadBalancerArgs:
    """The group behind the load balancer, and where the balancer goes."""

    spec: WorkloadSpec
    region: str
    group: pulumi.Input[str]  # the managed group's instance group URL
    domain: str | None
    network_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    # A private stack's internal load balancer needs the network's proxy-only subnet.
    proxy_subnet: Sequence[pulumi.Resource] = ()


@dataclass
class Entry:
    """Where the service is reached, and the rule its metrics are reported under."""

    url: pulumi.Output[str]
    forwarding_rule: gcp.compute.GlobalForwardingRule | gcp.compute.ForwardingRule


def load_balancer(name: str, args: LoadBalancerArgs, child: pulumi.ResourceOptions) -> Entry:
    """External when the stack is public, else internal to the VPC."""
    if args.spec.ingress.public:
        return _external(name, args, child)
    return _internal(name, args, child)


def _external(name: str, args: LoadBalancerArgs, child: pulumi.ResourceOptions) -> Entry:
    """A global external Application Load Balancer; HTTPS with a managed certificate."""
    ready = gcp.compute.HealthCheck(
        f"{name}-ready",
        http_health_check=gcp.compute.HealthCheckHttpHealthCheckArgs(
            port=args.spec.port, request_path=args.spec.readiness_path
        ),
        check_interval_sec=5,
        timeout_sec=3,
        opts=child,
    )
    backend = gcp.compute.BackendService(
        f"{name}-backend",
        load_balancing_scheme="EXTERNAL_MANAGED",
        protocol="HTTP",
        port_name="http",
        timeout_sec=BACKEND_TIMEOUT_S,
        health_checks=ready.id,
        backends=[
            gcp.compute.BackendServiceBackendArgs(group=args.group, balancing_mode="UTILIZATION")
        ],
        log_config=gcp.compute.BackendServiceLogConfigArgs(enable=True, sample_rate=1.0),
        opts=child,
    )
    address = gcp.compute.GlobalAddress(f"{name}-ip", opts=child)
    url_map = gcp.compute.URLMap(f"{name}-urls", default_service=backend.id, opts=child)
    if args.domain:
        certificate = gcp.compute.ManagedSslCertificate(
            f"{name}-cert",
            managed=gcp.compute.ManagedSslCertificateManagedArgs(domains=[args.domain]),
            opts=child,
        )
        https = gcp.compute.TargetHttpsProxy(
            f"{name}-https", url_map=url_map.id, ssl_certificates=[certificate.id], opts=child
        )
        forwarding_rule = gcp.compute.GlobalForwardingRule(
            f"{name}-443",
            target=https.id,
            port_range="443",
            ip_address=address.address,
            load_balancing_scheme="EXTERNAL_MANAGED",
            opts=child,
        )
        redirect = gcp.compute.URLMap(
            f"{name}-redirect",
            default_url_redirect=gcp.compute.URLMapDefaultUrlRedirectArgs(
                https_redirect=True, strip_query=False
            ),
            opts=child,
        )
        target = gcp.compute.TargetHttpProxy(f"{name}-http", url_map=redirect.id, opts=child).id
        url = pulumi.Output.from_input(f"https://{args.domain}")
    else:
        target = gcp.compute.TargetHttpProxy(f"{name}-http", url_map=url_map.id, opts=child).id
        url = pulumi.Output.concat("http://", address.address)
    http_rule = gcp.compute.GlobalForwardingRule(
        f"{name}-80",
        target=target,
        port_range="80",
        ip_address=address.address,
        load_balancing_scheme="EXTERNAL_MANAGED",
        opts=child,
    )
    return Entry(url=url, forwarding_rule=forwarding_rule if args.domain else http_rule)


def _internal(name: str, args: LoadBalancerArgs, child: pulumi.ResourceOptions) -> Entry:
    """A regional internal Application Load Balancer: reachable from the VPC only.

    Its proxies take addresses from the network's proxy-only subnet; the backend service,
    health check, URL map and proxy are regional.
    https://cloud.google.com/load-balancing/docs/l7-internal/setting-up-l7-internal
    (read 2026-11-29)
    """
    spec = args.spec
    ready = gcp.compute.RegionHealthCheck(
        f"{name}-ready-internal",
        region=args.region,
        http_health_check=gcp.compute.RegionHealthCheckHttpHealthCheckArgs(
            port=spec.port, request_path=spec.readiness_path
        ),
        check_interval_sec=5,
        timeout_sec=3,
        opts=child,
    )
    backend = gcp.compute.RegionBackendService(
        f"{name}-backend",
        region=args.region,
        load_balancing_scheme="INTERNAL_MANAGED",
        protocol="HTTP",
        port_name="http",
        timeout_sec=BACKEND_TIMEOUT_S,
        health_checks=ready.id,
        backends=[
            gcp.compute.RegionBackendServiceBackendArgs(
                group=args.group,
                balancing_mode="UTILIZATION",
                capacity_scaler=1.0,
            )
        ],
        log_config=gcp.compute.RegionBackendServiceLogConfigArgs(enable=True, sample_rate=1.0),
        opts=child,
    )
    url_map = gcp.compute.RegionUrlMap(
        f"{name}-urls", region=args.region, default_service=backend.id, opts=child
    )
    proxy = gcp.compute.RegionTargetHttpProxy(
        f"{name}-http", region=args.region, url_map=url_map.id, opts=child
    )
    address = gcp.compute.Address(
        f"{name}-ip",
        region=args.region,
        address_type="INTERNAL",
        subnetwork=args.subnet_id,
        opts=child,
    )
    forwarding_rule = gcp.compute.ForwardingRule(
        f"{name}-80",
        region=args.region,
        load_balancing_scheme="INTERNAL_MANAGED",
        target=proxy.id,
        port_range="80",
        ip_address=address.address,
        network=args.network_id,
        subnetwork=args.subnet_id,
        # The proxies need the proxy-only subnet before the rule may exist.
        opts=pulumi.ResourceOptions.merge(
            child, pulumi.ResourceOptions(depends_on=list(args.proxy_subnet))
        ),
    )
    return Entry(
        url=pulumi.Output.concat("http://", address.address), forwarding_rule=forwarding_rule
    )
