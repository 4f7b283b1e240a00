"""A VM scale set (Ubuntu LTS, no public IPs, no passwords) behind a Standard load balancer."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure
import pulumi_random as random
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra import image_contract as contract
from infra import vm_boot
from infra.azure.cloud_init import cloud_init, release_script
from infra.azure.loadbalancer import LoadBalancerArgs, load_balancer
from infra.azure.runtime import RuntimeArgs
from infra.component import Component
from infra.pulumi_outputs import all_dict

ADMIN = "llmchain"


def unusable_ssh_key(seed_b64: str) -> str:
    """An ed25519 public key whose private half is never written anywhere.

    Azure refuses a Linux VM with password login disabled and no SSH key; SSH stays
    closed regardless (no public IP, the subnet's NSG admits only the service port).
    """
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed_b64)[:32])
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return public.decode()


@dataclass(kw_only=True)
class VmArgs(RuntimeArgs):
    """What the instances need from the rest of the target."""

    vm_size: str
    identity_client_id: pulumi.Input[str]
    tenant: pulumi.Input[str]
    vault_name: pulumi.Input[str]
    secret_names: Mapping[str, str]  # setting -> Key Vault secret name
    # Private stacks (the url) and stacks with a domain (Application Gateway's backend): the
    # internal load balancer's fixed address in the VMs' subnet; None: a public load balancer.
    private_ip: str | None = None


class Vm(Component[VmArgs]):
    """Load balancer (probe on /readyz), scale set (cloud-init, managed identity), autoscale."""

    FORMER_TYPES = ("llmchain:azure:ScaleSet",)

    url: pulumi.Output[str]
    lb: azure.network.LoadBalancer
    vmss: azure.compute.VirtualMachineScaleSet

    def build(self, name: str, args: VmArgs) -> None:
        child = self.child
        spec = args.spec
        rg = args.resource_group
        entry = load_balancer(
            name,
            LoadBalancerArgs(
                spec=spec,
                resource_group=rg,
                location=args.location,
                tags=args.tags,
                subnet_id=args.subnet_id,
                private_ip=args.private_ip,
            ),
            child,
        )
        self.lb, pool_id = entry.lb, entry.pool_id
        seed = random.RandomBytes(f"{name}-ssh-seed", length=32, opts=child)
        secret_names = dict(args.secret_names)
        # The machine (first boot only) and the release (every change) are apart: custom data
        # reaches an instance once, so the image and settings travel in the release extension.
        custom_data = pulumi.Output.all(
            args.identity_client_id, args.registry_server, args.tenant, args.vault_name
        ).apply(
            lambda a: base64.b64encode(
                cloud_init(
                    client_id=a[0],
                    registry=a[1],
                    tenant=a[2],
                    vault=a[3],
                    secret_names=secret_names,
                    port=spec.port,
                    stop_timeout=contract.stop_timeout(spec.shutdown_grace_s),
                    limits=vm_boot.Limits(spec.cpu, spec.memory_mib),
                ).encode()
            ).decode()
        )
        release = pulumi.Output.all(
            args.image_ref, args.identity_client_id, all_dict(args.extra_env)
        ).apply(
            lambda a: base64.b64encode(
                release_script(
                    image_ref=a[0], env={**spec.env, **a[2], "AZURE_CLIENT_ID": a[1]}
                ).encode()
            ).decode()
        )
        profile = azure.compute.VirtualMachineScaleSetVMProfileArgs(
            os_profile=azure.compute.VirtualMachineScaleSetOSProfileArgs(
                computer_name_prefix="llmchain",
                admin_username=ADMIN,
                custom_data=custom_data,
                linux_configuration=azure.compute.LinuxConfigurationArgs(
                    disable_password_authentication=True,
                    ssh=azure.compute.SshConfigurationArgs(
                        public_keys=[
                            azure.compute.SshPublicKeyArgs(
                                path=f"/home/{ADMIN}/.ssh/authorized_keys",
                                key_data=seed.base64.apply(unusable_ssh_key),
                            )
                        ]
                    ),
                ),
            ),
            storage_profile=azure.compute.VirtualMachineScaleSetStorageProfileArgs(
                image_reference=azure.compute.ImageReferenceArgs(
                    publisher="Canonical", offer="ubuntu-24_04-lts", sku="server", version="latest"
                ),
                os_disk=azure.compute.VirtualMachineScaleSetOSDiskArgs(
                    create_option="FromImage",
                    managed_disk=azure.compute.VirtualMachineScaleSetManagedDiskParametersArgs(
                        storage_account_type="Premium_LRS"
                    ),
                ),
            ),
            # Repairs and rolling upgrades follow liveness (/healthz, the Application Health
            # extension); traffic follows readiness (/readyz, the load balancer's probe). A scale
            # set takes one source of health: with the LB probe here, a database outage longer
            # than the grace period would replace every VM (https://learn.microsoft.com/en-us/
            # azure/virtual-machine-scale-sets/virtual-machine-scale-sets-health-extension and
            # .../virtual-machine-scale-sets-automatic-instance-repairs, read 2026-11-29).
            extension_profile=azure.compute.VirtualMachineScaleSetExtensionProfileArgs(
                extensions=[
                    azure.compute.VirtualMachineScaleSetExtensionArgs(
                        name="health",
                        publisher="Microsoft.ManagedServices",
                        type="ApplicationHealthLinux",
                        type_handler_version="2.0",
                        auto_upgrade_minor_version=True,
                        settings={
                            "protocol": "http",
                            "port": spec.port,
                            "requestPath": spec.health_path,
                        },
                    ),
                    # The release: a new digest or setting changes this, hence the model, and
                    # the Rolling upgrade policy below rolls it onto every instance.
                    azure.compute.VirtualMachineScaleSetExtensionArgs(
                        name="release",
                        publisher="Microsoft.Azure.Extensions",
                        type="CustomScript",
                        type_handler_version="2.1",
                        auto_upgrade_minor_version=True,
                        settings={"script": release},
                    ),
                ]
            ),
            network_profile=azure.compute.VirtualMachineScaleSetNetworkProfileArgs(
                network_interface_configurations=[
                    azure.compute.VirtualMachineScaleSetNetworkConfigurationArgs(
                        name="nic",
                        primary=True,
                        ip_configurations=[
                            azure.compute.VirtualMachineScaleSetIPConfigurationArgs(
                                name="ip",
                                subnet=azure.compute.ApiEntityReferenceArgs(id=args.subnet_id),
                                load_balancer_backend_address_pools=[
                                    azure.compute.SubResourceArgs(id=pool_id)
                                ],
                                # no public_ip_address_configuration: instances have no public IP
                            )
                        ],
                    )
                ],
            ),
            security_profile=azure.compute.SecurityProfileArgs(encryption_at_host=False),
        )
        self.vmss = azure.compute.VirtualMachineScaleSet(
            f"{name}-vmss",
            resource_group_name=rg,
            location=args.location,
            sku=azure.compute.SkuArgs(
                name=args.vm_size, tier="Standard", capacity=spec.min_replicas
            ),
            identity=azure.compute.VirtualMachineScaleSetIdentityArgs(
                type=azure.compute.ResourceIdentityType.USER_ASSIGNED,
                user_assigned_identities=[args.identity_id],
            ),
            orchestration_mode="Uniform",
            overprovision=False,
            # Rolling: a model change (the release extension's settings) is applied to the
            # running instances in batches by the platform, each batch healthy by the health
            # extension before the next (https://learn.microsoft.com/en-us/azure/
            # virtual-machine-scale-sets/virtual-machine-scale-sets-upgrade-policy, read
            # 2026-11-29). "Manual" would leave them on the old release.
            upgrade_policy=azure.compute.UpgradePolicyArgs(
                mode=azure.compute.UpgradeMode.ROLLING,
                rolling_upgrade_policy=azure.compute.RollingUpgradePolicyArgs(
                    max_batch_instance_percent=50,
                    max_unhealthy_instance_percent=50,
                    pause_time_between_batches="PT30S",
                ),
            ),
            automatic_repairs_policy=azure.compute.AutomaticRepairsPolicyArgs(
                enabled=True, grace_period="PT10M"
            ),
            virtual_machine_profile=profile,
            tags=args.tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[self.lb, *args.depends_on],
                ignore_changes=["sku.capacity"],
            ),
        )
        azure.monitor.AutoscaleSetting(
            f"{name}-autoscale",
            resource_group_name=rg,
            location=args.location,
            target_resource_uri=self.vmss.id,
            enabled=True,
            profiles=[
                azure.monitor.AutoscaleProfileArgs(
                    name="cpu",
                    capacity=azure.monitor.ScaleCapacityArgs(
                        minimum=str(spec.min_replicas),
                        maximum=str(spec.max_replicas),
                        default=str(spec.min_replicas),
                    ),
                    rules=[
                        _cpu_rule(
                            self.vmss.id,
                            azure.monitor.ComparisonOperationType.GREATER_THAN,
                            70,
                            azure.monitor.ScaleDirection.INCREASE,
                        ),
                        _cpu_rule(
                            self.vmss.id,
                            azure.monitor.ComparisonOperationType.LESS_THAN,
                            30,
                            azure.monitor.ScaleDirection.DECREASE,
                        ),
                    ],
                )
            ],
            tags=args.tags,
            opts=child,
        )
        self.url = entry.url
        self.register_outputs({"url": self.url})


def _cpu_rule(
    vmss_id: pulumi.Input[str],
    operator: azure.monitor.ComparisonOperationType,
    threshold: int,
    direction: azure.monitor.ScaleDirection,
) -> azure.monitor.ScaleRuleArgs:
    """Scale by one instance when mean CPU crosses a threshold for five minutes."""
    return azure.monitor.ScaleRuleArgs(
        metric_trigger=azure.monitor.MetricTriggerArgs(
            metric_name="Percentage CPU",
            metric_resource_uri=vmss_id,
            time_grain="PT1M",
            statistic=azure.monitor.MetricStatisticType.AVERAGE,
            time_window="PT5M",
            time_aggregation=azure.monitor.TimeAggregationType.AVERAGE,
            operator=operator,
            threshold=threshold,
        ),
        scale_action=azure.monitor.ScaleActionArgs(
            direction=direction,
            type=azure.monitor.ScaleType.CHANGE_COUNT,
            value="1",
            cooldown="PT5M",
        ),
    )
