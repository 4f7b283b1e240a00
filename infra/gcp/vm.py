"""A regional managed instance group (Shielded VMs, no external IP, OS Login) behind a global LB."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra import image_contract as contract
from infra.gcp.cloud_init import cloud_init
from infra.gcp.network import TARGET_TAG
from infra.outputs import all_dict
from infra.spec import WorkloadSpec

IMAGE = "ubuntu-os-cloud/ubuntu-2404-lts-amd64"
# Google's Application Load Balancers keep idle connections to backends for 600 s and reuse
# them; the app must keep them open longer or a reused one is closed under a request (502).
# https://cloud.google.com/load-balancing/docs/https#timeouts_and_retries (read 2026-11-29)
KEEP_ALIVE_S = 620
BACKEND_TIMEOUT_S = 900  # streams: as long as Cloud Run's request timeout


@dataclass
class InstanceGroupArgs:
    """What the instances need from the rest of the target."""

    spec: WorkloadSpec
    image_ref: pulumi.Input[str]
    project: str
    region: str
    registry_host: str
    machine_type: str
    service_account: pulumi.Input[str]
    network_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    secret_ids: Mapping[str, pulumi.Input[str]]
    # The version this stack created for each secret: pinned in the template, so a new value
    # is a new template and the group replaces its instances.
    secret_versions: Mapping[str, pulumi.Input[str]]
    # Grants to the service account, secret versions and their accessors: instances booted
    # before them cannot pull the image or read the secrets.
    needs: Sequence[pulumi.Resource]
    extra_env: Mapping[str, pulumi.Input[str]]
    domain: str | None
    # A private stack's internal load balancer needs the network's proxy-only subnet.
    proxy_subnet: Sequence[pulumi.Resource] = ()


class InstanceGroup(pulumi.ComponentResource):
    """Template, group (autohealing on /healthz), autoscaler, and the load balancer (/readyz)."""

    url: pulumi.Output[str]
    group: gcp.compute.RegionInstanceGroupManager
    forwarding_rule: gcp.compute.GlobalForwardingRule | gcp.compute.ForwardingRule

    def __init__(
        self, name: str, args: InstanceGroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("llmchain:gcp:InstanceGroup", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        spec = args.spec
        user_data = pulumi.Output.all(
            args.image_ref,
            all_dict(args.secret_ids),
            all_dict(args.extra_env),
            all_dict(args.secret_versions),
        ).apply(
            lambda a: cloud_init(
                project=args.project,
                registry=args.registry_host,
                image_ref=a[0],
                env={**spec.env, **a[2], "LLMCHAIN_KEEP_ALIVE_S": str(KEEP_ALIVE_S)},
                secret_ids=a[1],
                secret_versions=a[3],
                port=spec.port,
                stop_timeout=contract.stop_timeout(spec.shutdown_grace_s),
            )
        )
        template = gcp.compute.InstanceTemplate(
            f"{name}-template",
            name_prefix=f"{name}-",
            machine_type=args.machine_type,
            tags=[TARGET_TAG],
            disks=[
                gcp.compute.InstanceTemplateDiskArgs(
                    source_image=IMAGE,
                    boot=True,
                    auto_delete=True,
                    disk_size_gb=30,
                    disk_type="pd-balanced",
                )
            ],
            network_interfaces=[
                # no access_configs: no external IP
                gcp.compute.InstanceTemplateNetworkInterfaceArgs(
                    network=args.network_id, subnetwork=args.subnet_id
                )
            ],
            service_account=gcp.compute.InstanceTemplateServiceAccountArgs(
                email=args.service_account, scopes=["cloud-platform"]
            ),
            shielded_instance_config=gcp.compute.InstanceTemplateShieldedInstanceConfigArgs(
                enable_secure_boot=True, enable_vtpm=True, enable_integrity_monitoring=True
            ),
            metadata={
                "user-data": user_data,
                "enable-oslogin": "TRUE",  # no project SSH keys: only IAM-granted OS Login
                "block-project-ssh-keys": "TRUE",
            },
            opts=pulumi.ResourceOptions(
                parent=self, replace_on_changes=["*"], delete_before_replace=False
            ),
        )
        healing = gcp.compute.HealthCheck(
            f"{name}-live",
            http_health_check=gcp.compute.HealthCheckHttpHealthCheckArgs(
                port=spec.port, request_path=spec.health_path
            ),
            check_interval_sec=10,
            timeout_sec=5,
            unhealthy_threshold=3,
            opts=child,
        )
        self.group = gcp.compute.RegionInstanceGroupManager(
            f"{name}-group",
            base_instance_name=name,
            region=args.region,
            versions=[
                gcp.compute.RegionInstanceGroupManagerVersionArgs(
                    instance_template=template.self_link_unique
                )
            ],
            named_ports=[
                gcp.compute.RegionInstanceGroupManagerNamedPortArgs(name="http", port=spec.port)
            ],
            auto_healing_policies=gcp.compute.RegionInstanceGroupManagerAutoHealingPoliciesArgs(
                health_check=healing.id, initial_delay_sec=300
            ),
            update_policy=gcp.compute.RegionInstanceGroupManagerUpdatePolicyArgs(
                type="PROACTIVE",
                minimal_action="REPLACE",
                max_unavailable_fixed=0,
                max_surge_fixed=3,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.needs)),
        )
        gcp.compute.RegionAutoscaler(
            f"{name}-autoscaler",
            region=args.region,
            target=self.group.id,
            autoscaling_policy=gcp.compute.RegionAutoscalerAutoscalingPolicyArgs(
                min_replicas=spec.min_replicas,
                max_replicas=spec.max_replicas,
                cooldown_period=120,
                cpu_utilization=gcp.compute.RegionAutoscalerAutoscalingPolicyCpuUtilizationArgs(
                    target=0.6
                ),
            ),
            opts=child,
        )
        if args.spec.ingress.public:
            self._external(name, args)
        else:
            self._internal(name, args)
        self.register_outputs({"url": self.url})

    def _external(self, name: str, args: InstanceGroupArgs) -> None:
        """A global external Application Load Balancer; HTTPS with a managed certificate."""
        child = pulumi.ResourceOptions(parent=self)
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
                gcp.compute.BackendServiceBackendArgs(
                    group=self.group.instance_group, balancing_mode="UTILIZATION"
                )
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
            self.forwarding_rule = gcp.compute.GlobalForwardingRule(
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
            self.url = pulumi.Output.from_input(f"https://{args.domain}")
        else:
            target = gcp.compute.TargetHttpProxy(f"{name}-http", url_map=url_map.id, opts=child).id
            self.url = pulumi.Output.concat("http://", address.address)
        http_rule = gcp.compute.GlobalForwardingRule(
            f"{name}-80",
            target=target,
            port_range="80",
            ip_address=address.address,
            load_balancing_scheme="EXTERNAL_MANAGED",
            opts=child,
        )
        if not args.domain:
            self.forwarding_rule = http_rule

    def _internal(self, name: str, args: InstanceGroupArgs) -> None:
        """A regional internal Application Load Balancer: reachable from the VPC only.

        Its proxies take addresses from the network's proxy-only subnet; the backend service,
        health check, URL map and proxy are regional.
        https://cloud.google.com/load-balancing/docs/l7-internal/setting-up-l7-internal
        (read 2026-11-29)
        """
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)
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
                    group=self.group.instance_group,
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
        self.forwarding_rule = gcp.compute.ForwardingRule(
            f"{name}-80",
            region=args.region,
            load_balancing_scheme="INTERNAL_MANAGED",
            target=proxy.id,
            port_range="80",
            ip_address=address.address,
            network=args.network_id,
            subnetwork=args.subnet_id,
            # The proxies need the proxy-only subnet before the rule may exist.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.proxy_subnet)),
        )
        self.url = pulumi.Output.concat("http://", address.address)
