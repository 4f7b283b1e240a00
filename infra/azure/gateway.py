"""HTTPS for `llmchain:ingress.domain` on vm and cluster: Application Gateway v2, a certificate.

The chain, each link from Microsoft's or the CA's documentation (read 2026-11-29):

- A Let's Encrypt certificate for the domain, proved by a DNS-01 TXT record in the user's
  Azure DNS zone (`llmchain:azure.dnsZoneId`) - pulumiverse-acme drives lego's `azuredns`
  provider (https://go-acme.github.io/lego/dns/azuredns/), signed in as the deployer (the
  Azure CLI login, or AZURE_CLIENT_ID/AZURE_TENANT_ID/... in CI). Production directory:
  https://letsencrypt.org/docs/acme-protocol-updates/.
- The certificate, a base64 PFX, is a secret in a Key Vault of its own; Application Gateway
  v2 reads a Key Vault *secret* by a version-less id with a user-assigned identity holding
  Key Vault Secrets User, polls it every four hours, and needs the vault in its own
  subscription (https://learn.microsoft.com/en-us/azure/application-gateway/key-vault-certs).
- Application Gateway Standard_v2 in a dedicated subnet (no other resource may sit in it, /24
  recommended), public frontend (a private-only v2 gateway needs the preview feature
  EnableApplicationGatewayNetworkIsolation), HTTPS on 443, HTTP on 80 redirected to HTTPS,
  a probe on /readyz (https://learn.microsoft.com/en-us/azure/application-gateway/
  configuration-infrastructure, .../configuration-frontend-ip,
  .../application-gateway-private-deployment).
- An A record for the domain in the same zone, an alias of the gateway's public IP.
- On vm, a diagnostic setting sends the access log to the stack's workspace, where the 5xx-share
  and p95 alerts read it (infra/azure/monitoring.py gateway_requests).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure
import pulumiverse_acme as acme

from infra.azure.monitoring import GATEWAY_ACCESS_LOG, GATEWAY_LOG_DESTINATION
from infra.azure.network import subresource_id
from infra.azure.roles import KEY_VAULT_SECRETS_USER, grant
from infra.azure.secrets import vault_properties
from infra.component import Component

LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
HTTPS_PORT = 443
HTTP_PORT = 80
# Application Gateway v2's predefined policy with TLS 1.2 as the minimum (the default of
# newer API versions; https://learn.microsoft.com/en-us/azure/application-gateway/
# application-gateway-ssl-policy-overview, read 2026-11-29).
SSL_POLICY = "AppGwSslPolicy20220101"
# How long the gateway waits for the backend's response (1-86400 s, default 20: a model call
# is cut long before it ends). The app gives up at LLMCHAIN_REQUEST_TIMEOUT_S (at most 3600)
# and answers 504 itself, so the gateway waits longer than the app ever will.
# https://learn.microsoft.com/en-us/azure/application-gateway/configuration-http-settings
# (read 2026-11-29)
REQUEST_TIMEOUT_S = 3630
CERT_SECRET = "tls-certificate"  # noqa: S105 - a secret's name, not its value
REDIRECT_RULE = "http-to-https"  # port 80's routing rule: the gateway answers it itself


def zone_parts(zone_id: str) -> tuple[str, str, str]:
    """`/subscriptions/S/resourceGroups/G/providers/Microsoft.Network/dnszones/Z` -> (S, G, Z)."""
    parts = zone_id.strip("/").split("/")
    lower = [p.lower() for p in parts]
    return (
        parts[lower.index("subscriptions") + 1],
        parts[lower.index("resourcegroups") + 1],
        parts[lower.index("dnszones") + 1],
    )


def record_name(domain: str, zone: str) -> str:
    """The record's name relative to its zone (`@` for the apex)."""
    if domain == zone:
        return "@"
    return domain.removesuffix("." + zone)


@dataclass
class GatewayArgs:
    """Where the gateway sits, what it serves and where it forwards."""

    resource_group: pulumi.Input[str]
    location: pulumi.Input[str]
    tags: dict[str, str]
    subnet_id: pulumi.Input[str]
    domain: str
    dns_zone_id: str
    vault_name: pulumi.Input[str]  # globally unique, 3-24 characters
    tenant: pulumi.Input[str]
    subscription: pulumi.Input[str]
    purge_protection: bool
    backend_ip: str  # the internal load balancer in front of the VMs or the AKS Service
    backend_port: int
    readiness_path: str
    ha: bool
    max_capacity: int = 10
    email: str | None = None
    depends_on: Sequence[pulumi.Resource] = ()
    # The Log Analytics workspace that gets the access log (alerts read it), or none.
    access_log_workspace_id: pulumi.Input[str] | None = None


class TlsGateway(Component[GatewayArgs]):
    """Certificate, vault, identity, Application Gateway v2 and the domain's A record."""

    url: pulumi.Output[str]
    gateway: azure.network.ApplicationGateway

    def build(self, name: str, args: GatewayArgs) -> None:
        child = self.child
        rg = args.resource_group
        zone_subscription, zone_group, zone = zone_parts(args.dns_zone_id)
        provider = acme.Provider(f"{name}-acme", server_url=LETS_ENCRYPT, opts=child)
        with_acme = pulumi.ResourceOptions(parent=self, provider=provider)
        account = acme.Registration(
            f"{name}-acme-account",
            account_key_algorithm="ECDSA",
            email_address=args.email,
            opts=with_acme,
        )
        certificate = acme.Certificate(
            f"{name}-certificate",
            account_key_pem=account.account_key_pem,
            common_name=args.domain,
            key_type="2048",  # RSA: what every Application Gateway listener takes
            dns_challenges=[
                acme.CertificateDnsChallengeArgs(
                    provider="azuredns",
                    config={
                        "AZURE_SUBSCRIPTION_ID": zone_subscription,
                        "AZURE_RESOURCE_GROUP": zone_group,
                        "AZURE_ZONE_NAME": zone,
                    },
                )
            ],
            # Renew at `pulumi up` once a third of the lifetime is left, whatever the CA's
            # lifetime becomes (Let's Encrypt is shortening it).
            min_days_dynamic=True,
            opts=with_acme,
        )
        vault = azure.keyvault.Vault(
            f"{name}-tls-kv",
            vault_name=args.vault_name,
            resource_group_name=rg,
            location=args.location,
            properties=vault_properties(args.tenant, args.purge_protection),
            tags=args.tags,
            opts=child,
        )
        secret = azure.keyvault.Secret(
            f"{name}-tls-secret",
            secret_name=CERT_SECRET,
            vault_name=vault.name,
            resource_group_name=rg,
            properties=azure.keyvault.SecretPropertiesArgs(
                value=pulumi.Output.secret(certificate.certificate_p12),
                content_type="application/x-pkcs12",
            ),
            tags=args.tags,
            opts=child,
        )
        identity = azure.managedidentity.UserAssignedIdentity(
            f"{name}-agw-id", resource_group_name=rg, location=args.location, tags=args.tags,
            opts=child,
        )  # fmt: skip
        # Key Vault RBAC takes a single secret as scope: the gateway reads its certificate only.
        read = grant(
            f"{name}-agw-cert-read",
            KEY_VAULT_SECRETS_USER,
            identity.principal_id,
            pulumi.Output.concat(vault.id, "/secrets/", CERT_SECRET),
            args.subscription,
            child,
        )
        zones = ["1", "2", "3"] if args.ha else None
        address = azure.network.PublicIPAddress(
            f"{name}-agw-ip",
            resource_group_name=rg,
            location=args.location,
            sku=azure.network.PublicIPAddressSkuArgs(name="Standard"),
            public_ip_allocation_method="Static",
            zones=zones,  # a zone-redundant gateway needs its IP in every zone it uses
            tags=args.tags,
            opts=child,
        )
        gw_name = f"{name}-agw"

        def part(kind: str, child_name: str) -> azure.network.SubResourceArgs:
            return azure.network.SubResourceArgs(
                id=subresource_id(rg, "applicationGateways", gw_name, kind, child_name)
            )

        # The certificate by its version-less id: the gateway picks up renewals by itself.
        secret_id = secret.properties.secret_uri.apply(lambda u: u.rstrip("/") + "/")
        self.gateway = azure.network.ApplicationGateway(
            gw_name,
            application_gateway_name=gw_name,
            resource_group_name=rg,
            location=args.location,
            sku=azure.network.ApplicationGatewaySkuArgs(name="Standard_v2", tier="Standard_v2"),
            # Each minimum instance reserves 10 capacity units, billed whether used or not
            # (https://learn.microsoft.com/en-us/azure/application-gateway/understanding-pricing,
            # read 2026-11-29): none reserved unless `ha` asks for two instances in two zones.
            autoscale_configuration=azure.network.ApplicationGatewayAutoscaleConfigurationArgs(
                min_capacity=2 if args.ha else 0, max_capacity=args.max_capacity
            ),
            zones=zones,
            identity=azure.network.ManagedServiceIdentityArgs(
                type=azure.network.ResourceIdentityType.USER_ASSIGNED,
                user_assigned_identities=[identity.id],
            ),
            gateway_ip_configurations=[
                azure.network.ApplicationGatewayIPConfigurationArgs(
                    name="gateway", subnet=azure.network.SubResourceArgs(id=args.subnet_id)
                )
            ],
            frontend_ip_configurations=[
                azure.network.ApplicationGatewayFrontendIPConfigurationArgs(
                    name="public", public_ip_address=azure.network.SubResourceArgs(id=address.id)
                )
            ],
            frontend_ports=[
                azure.network.ApplicationGatewayFrontendPortArgs(name="https", port=HTTPS_PORT),
                azure.network.ApplicationGatewayFrontendPortArgs(name="http", port=HTTP_PORT),
            ],
            ssl_certificates=[
                azure.network.ApplicationGatewaySslCertificateArgs(
                    name="domain", key_vault_secret_id=secret_id
                )
            ],
            ssl_policy=azure.network.ApplicationGatewaySslPolicyArgs(
                policy_type="Predefined", policy_name=SSL_POLICY
            ),
            enable_http2=True,
            backend_address_pools=[
                azure.network.ApplicationGatewayBackendAddressPoolArgs(
                    name="service",
                    backend_addresses=[
                        azure.network.ApplicationGatewayBackendAddressArgs(
                            ip_address=args.backend_ip
                        )
                    ],
                )
            ],
            probes=[
                azure.network.ApplicationGatewayProbeArgs(
                    name="ready",
                    protocol="Http",
                    host=args.domain,
                    path=args.readiness_path,
                    interval=15,
                    timeout=10,
                    unhealthy_threshold=2,
                    match=azure.network.ApplicationGatewayProbeHealthResponseMatchArgs(
                        status_codes=["200-399"]
                    ),
                )
            ],
            backend_http_settings_collection=[
                azure.network.ApplicationGatewayBackendHttpSettingsArgs(
                    name="service",
                    port=args.backend_port,
                    protocol="Http",
                    cookie_based_affinity="Disabled",
                    request_timeout=REQUEST_TIMEOUT_S,
                    probe=part("probes", "ready"),
                )
            ],
            http_listeners=[
                azure.network.ApplicationGatewayHttpListenerArgs(
                    name="https",
                    protocol="Https",
                    frontend_ip_configuration=part("frontendIPConfigurations", "public"),
                    frontend_port=part("frontendPorts", "https"),
                    ssl_certificate=part("sslCertificates", "domain"),
                ),
                azure.network.ApplicationGatewayHttpListenerArgs(
                    name="http",
                    protocol="Http",
                    frontend_ip_configuration=part("frontendIPConfigurations", "public"),
                    frontend_port=part("frontendPorts", "http"),
                ),
            ],
            redirect_configurations=[
                azure.network.ApplicationGatewayRedirectConfigurationArgs(
                    name="to-https",
                    redirect_type="Permanent",
                    target_listener=part("httpListeners", "https"),
                    include_path=True,
                    include_query_string=True,
                )
            ],
            request_routing_rules=[
                azure.network.ApplicationGatewayRequestRoutingRuleArgs(
                    name="https",
                    rule_type="Basic",
                    priority=100,
                    http_listener=part("httpListeners", "https"),
                    backend_address_pool=part("backendAddressPools", "service"),
                    backend_http_settings=part("backendHttpSettingsCollection", "service"),
                ),
                azure.network.ApplicationGatewayRequestRoutingRuleArgs(
                    name=REDIRECT_RULE,
                    rule_type="Basic",
                    priority=110,
                    http_listener=part("httpListeners", "http"),
                    redirect_configuration=part("redirectConfigurations", "to-https"),
                ),
            ],
            tags=args.tags,
            # The gateway fetches the certificate while it is created: the grant and the
            # secret first, and the backend it forwards to.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[read, secret, *args.depends_on]),
        )
        if args.access_log_workspace_id is not None:
            # Every HTTP answer the gateway gives, one row each, in the workspace's
            # resource-specific table AGWAccessLogs (infra/azure/monitoring.py).
            azure.monitor.DiagnosticSetting(
                f"{name}-agw-access-log",
                name="access-log",
                resource_uri=self.gateway.id,
                workspace_id=args.access_log_workspace_id,
                log_analytics_destination_type=GATEWAY_LOG_DESTINATION,
                logs=[
                    azure.monitor.DiagnosticsLogSettingsArgs(
                        category=GATEWAY_ACCESS_LOG, enabled=True
                    )
                ],
                opts=child,
            )
        azure.dns.RecordSet(
            f"{name}-domain",
            resource_group_name=zone_group,
            zone_name=zone,
            relative_record_set_name=record_name(args.domain, zone),
            record_type="A",
            ttl=300,
            target_resource=azure.dns.SubResourceArgs(id=address.id),  # follows the IP
            opts=child,
        )
        self.url = pulumi.Output.from_input(f"https://{args.domain}")
        self.register_outputs({"url": self.url})
