"""A regional managed instance group (Shielded VMs, no external IP, OS Login) behind a global LB."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra import image_contract as contract
from infra import vm_boot
from infra.component import Component
from infra.gcp.cloud_init import cloud_init
from infra.gcp.loadbalancer import KEEP_ALIVE_S, LoadBalancerArgs, load_balancer
from infra.gcp.network import TARGET_TAG
from infra.gcp.runtime import RuntimeArgs
from infra.pulumi_outputs import all_dict

IMAGE = "ubuntu-os-cloud/ubuntu-2404-lts-amd64"


@dataclass(kw_only=True)
class VmArgs(RuntimeArgs):
    """What the instances need from the rest of the target."""

    project: str
    registry_host: str
    machine_type: str
    domain: str | None
    # A private stack's internal load balancer needs the network's proxy-only subnet.
    proxy_subnet: Sequence[pulumi.Resource] = ()


class Vm(Component[VmArgs]):
    """Template, group (autohealing on /healthz), autoscaler, and the load balancer (/readyz)."""

    FORMER_TYPES = ("llmchain:gcp:InstanceGroup",)

    url: pulumi.Output[str]
    group: gcp.compute.RegionInstanceGroupManager
    forwarding_rule: gcp.compute.GlobalForwardingRule | gcp.compute.ForwardingRule

    def build(self, name: str, args: VmArgs) -> None:
        child = self.child
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
                limits=vm_boot.Limits(spec.cpu, spec.memory_mib),
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
        entry = load_balancer(
            name,
            LoadBalancerArgs(
                spec=spec,
                region=args.region,
                group=self.group.instance_group,
                domain=args.domain,
                network_id=args.network_id,
                subnet_id=args.subnet_id,
                proxy_subnet=args.proxy_subnet,
            ),
            child,
        )
        self.url, self.forwarding_rule = entry.url, entry.forwarding_rule
        self.register_outputs({"url": self.url})
