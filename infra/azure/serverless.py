"""Container Apps: a VNet-integrated environment and the app, secrets by Key Vault reference."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure

from infra import image_contract as contract
from infra.azure.runtime import RuntimeArgs
from infra.component import Component


def container_app_size(cpu: float, memory_mib: int) -> tuple[float, str]:
    """The smallest valid consumption size (0.25 vCPU steps, 2 GiB per vCPU) giving both asks."""
    quarters = max(math.ceil(cpu * 4), math.ceil(memory_mib / 512), 1)
    quarters = min(quarters, 16)
    return quarters / 4, f"{quarters / 2:g}Gi"


@dataclass(kw_only=True)
class ServerlessArgs(RuntimeArgs):
    """What the app needs from the rest of the target."""

    workspace_customer_id: pulumi.Input[str]
    workspace_shared_key: pulumi.Input[str]
    secret_uris: Mapping[str, pulumi.Input[str]]  # setting -> Key Vault secret URI
    ha: bool
    vnet_id: pulumi.Input[str] | None = None  # private stacks: where the app's name resolves


class Serverless(Component[ServerlessArgs]):
    """The environment (logs to Log Analytics) and the Container App."""

    FORMER_TYPES = ("llmchain:azure:ContainerApp",)

    app: azure.app.ContainerApp
    url: pulumi.Output[str]

    def build(self, name: str, args: ServerlessArgs) -> None:
        child = self.child
        spec = args.spec
        environment = azure.app.ManagedEnvironment(
            f"{name}-env",
            environment_name=f"{name}-env",
            resource_group_name=args.resource_group,
            location=args.location,
            app_logs_configuration=azure.app.AppLogsConfigurationArgs(
                destination="log-analytics",
                log_analytics_configuration=azure.app.LogAnalyticsConfigurationArgs(
                    customer_id=args.workspace_customer_id, shared_key=args.workspace_shared_key
                ),
            ),
            vnet_configuration=azure.app.VnetConfigurationArgs(
                infrastructure_subnet_id=args.subnet_id, internal=not spec.ingress.public
            ),
            workload_profiles=[
                azure.app.WorkloadProfileArgs(
                    name="Consumption", workload_profile_type="Consumption"
                )
            ],
            zone_redundant=args.ha,
            tags=args.tags,
            opts=child,
        )
        secret_names = {env: env.lower().replace("_", "-") for env in args.secret_uris}
        cpu, memory = container_app_size(spec.cpu, spec.memory_mib)
        env = [azure.app.EnvironmentVarArgs(name=k, value=v) for k, v in sorted(spec.env.items())]
        env += [
            azure.app.EnvironmentVarArgs(name=k, value=v) for k, v in sorted(args.extra_env.items())
        ]
        # Secret settings name a Container Apps secret, which names a Key Vault secret.
        env += [
            azure.app.EnvironmentVarArgs(name=k, secret_ref=s)
            for k, s in sorted(secret_names.items())
        ]
        probe = azure.app.ContainerAppProbeHttpGetArgs(path=spec.health_path, port=spec.port)
        self.app = azure.app.ContainerApp(
            f"{name}-app",
            container_app_name=name,
            resource_group_name=args.resource_group,
            location=args.location,
            managed_environment_id=environment.id,
            workload_profile_name="Consumption",
            identity=azure.app.ManagedServiceIdentityArgs(
                type="UserAssigned", user_assigned_identities=[args.identity_id]
            ),
            configuration=azure.app.ConfigurationArgs(
                active_revisions_mode="Single",
                ingress=azure.app.IngressArgs(
                    # "External" exposes the app on the environment's inbound address: public,
                    # or a private one in the VNet for an internal environment (how a private
                    # stack is made). "Internal" ingress is reachable only from other apps in
                    # the same environment - no client in the VNet could call it
                    # (https://learn.microsoft.com/en-us/azure/container-apps/ingress-overview,
                    # read 2026-11-29).
                    external=True,
                    target_port=spec.port,
                    transport="http",
                    allow_insecure=False,
                ),
                registries=[
                    azure.app.RegistryCredentialsArgs(
                        server=args.registry_server, identity=args.identity_id
                    )
                ],
                secrets=[
                    azure.app.SecretArgs(
                        name=secret_names[k], key_vault_url=uri, identity=args.identity_id
                    )
                    for k, uri in sorted(args.secret_uris.items())
                ],
            ),
            template=azure.app.TemplateArgs(
                containers=[
                    azure.app.ContainerArgs(
                        name="app",
                        image=args.image_ref,
                        resources=azure.app.ContainerResourcesArgs(cpu=cpu, memory=memory),
                        env=env,
                        probes=[
                            azure.app.ContainerAppProbeArgs(
                                type="Startup",
                                http_get=probe,
                                period_seconds=2,
                                failure_threshold=60,
                            ),
                            azure.app.ContainerAppProbeArgs(
                                type="Readiness",
                                http_get=azure.app.ContainerAppProbeHttpGetArgs(
                                    path=spec.readiness_path, port=spec.port
                                ),
                                period_seconds=5,
                            ),
                            azure.app.ContainerAppProbeArgs(
                                type="Liveness", http_get=probe, period_seconds=10
                            ),
                        ],
                    )
                ],
                scale=azure.app.ScaleArgs(
                    min_replicas=spec.min_replicas,
                    max_replicas=spec.max_replicas,
                    rules=[
                        azure.app.ScaleRuleArgs(
                            name="http",
                            http=azure.app.HttpScaleRuleArgs(
                                metadata={"concurrentRequests": str(spec.concurrency)}
                            ),
                        )
                    ],
                ),
                termination_grace_period_seconds=contract.stop_timeout(spec.shutdown_grace_s),
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        fqdn = self.app.configuration.apply(lambda c: c.ingress.fqdn if c and c.ingress else "")
        self.url = pulumi.Output.concat("https://", fqdn)
        if not spec.ingress.public:
            self._private_dns(name, args, environment)
        self.register_outputs({"url": self.url})

    def _private_dns(
        self, name: str, args: ServerlessArgs, environment: azure.app.ManagedEnvironment
    ) -> None:
        """The internal environment's default domain, resolved to its private address in the VNet.

        An internal environment publishes no DNS: Microsoft's steps are a private zone named as
        the environment's default domain, `*` and `@` A records to its static IP, linked to the
        VNet (https://learn.microsoft.com/en-us/azure/container-apps/vnet-custom-internal,
        read 2026-11-29). The app's FQDN, the stack's url, is `<app>.<default domain>`.
        """
        if args.vnet_id is None:
            raise ValueError("a private Container App needs the VNet to link its DNS zone to")
        child = self.child
        zone = azure.privatedns.PrivateZone(
            f"{name}-apps-dns",
            private_zone_name=environment.default_domain,
            location="Global",
            resource_group_name=args.resource_group,
            tags=args.tags,
            opts=child,
        )
        for key, record in (("wildcard", "*"), ("apex", "@")):
            azure.privatedns.PrivateRecordSet(
                f"{name}-apps-dns-{key}",
                private_zone_name=zone.name,
                resource_group_name=args.resource_group,
                record_type="A",
                relative_record_set_name=record,
                ttl=300,
                a_records=[azure.privatedns.ARecordArgs(ipv4_address=environment.static_ip)],
                opts=child,
            )
        azure.privatedns.VirtualNetworkLink(
            f"{name}-apps-dns-link",
            private_zone_name=zone.name,
            resource_group_name=args.resource_group,
            location="Global",
            registration_enabled=False,
            virtual_network=azure.privatedns.SubResourceArgs(id=args.vnet_id),
            tags=args.tags,
            opts=child,
        )
