"""PostgreSQL Flexible Server in the delegated subnet: private, TLS only, backed up."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure
import pulumi_random as random

from infra.component import Component

VERSION = "16"
DEFAULT_SKU = "Standard_B1ms"
DATABASE = "llmchain"
USER = "llmchain"
# The server's certificate chains to DigiCert Global Root G2 or Microsoft RSA Root Certificate
# Authority 2017 (https://learn.microsoft.com/en-us/azure/postgresql/flexible-server/
# concepts-networking-ssl-tls, read 2026-11-29: "trust only Azure root CA certificates", the
# roots stay the same through the 2026 intermediate rotation). Both are in Debian's
# ca-certificates, which the image's base (python:3.11-slim) installs at this path. The path is
# named rather than `sslrootcert=system`: the psycopg[binary] wheel's own OpenSSL looks for its
# system roots under /usr/lib/psycopg-openssl (its OPENSSLDIR), which no image has.
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def database_url(password: str, host: str) -> str:
    """The app's connection string: TLS with the server's certificate and host name verified."""
    # verify-full: the chain to a trusted root and the host name (the server's FQDN, which the
    # certificate names) are checked; `require` encrypts but accepts any certificate, so a
    # spoofed private DNS answer would get the password (https://www.postgresql.org/docs/16/
    # libpq-ssl.html, read 2026-11-29).
    return (
        f"postgresql://{USER}:{password}@{host}:5432/{DATABASE}"
        f"?sslmode=verify-full&sslrootcert={CA_BUNDLE}"
    )


@dataclass
class DatabaseArgs:
    """Where it lives and how big."""

    resource_group: pulumi.Input[str]
    location: pulumi.Input[str]
    tags: dict[str, str]
    name: pulumi.Input[str]  # globally unique
    subnet_id: pulumi.Input[str]
    dns_zone_id: pulumi.Input[str]
    sku: str | None
    ha: bool
    deletion_protection: bool = True  # llmchain:database.deletionProtection


class Database(Component[DatabaseArgs]):
    """The server, TLS enforced, the `llmchain` database, and its URL (a secret for Key Vault)."""

    url: pulumi.Output[str]
    server_name: pulumi.Output[str]
    database: azure.dbforpostgresql.Database  # the workload connects only after it exists

    def build(self, name: str, args: DatabaseArgs) -> None:
        child = self.child
        # Azure wants three of upper, lower, digits, symbols; without minimums about 1 in 280
        # draws of 32 letters and digits lacks a class (https://learn.microsoft.com/en-us/azure/
        # postgresql/flexible-server/quickstart-create-server, read 2026-11-29).
        password = random.RandomPassword(
            f"{name}-password",
            length=32,
            special=False,
            min_upper=1,
            min_lower=1,
            min_numeric=1,
            opts=child,
        )
        # Secret in state (the engine marks RandomPassword.result so; say it here too).
        secret_password: pulumi.Output[str] = pulumi.Output.secret(password.result)
        sku = args.sku or DEFAULT_SKU
        tier = "Burstable" if sku.startswith("Standard_B") else "GeneralPurpose"
        server = azure.dbforpostgresql.Server(
            f"{name}-pg",
            server_name=args.name,
            resource_group_name=args.resource_group,
            location=args.location,
            version=VERSION,
            sku=azure.dbforpostgresql.SkuArgs(name=sku, tier=tier),
            storage=azure.dbforpostgresql.StorageArgs(storage_size_gb=32, auto_grow="Enabled"),
            administrator_login=USER,
            administrator_login_password=secret_password,
            auth_config=azure.dbforpostgresql.AuthConfigArgs(
                password_auth="Enabled",  # noqa: S106 - a switch, not a password
                active_directory_auth="Disabled",
            ),
            network=azure.dbforpostgresql.NetworkArgs(
                delegated_subnet_resource_id=args.subnet_id,
                private_dns_zone_arm_resource_id=args.dns_zone_id,
                public_network_access="Disabled",
            ),
            backup=azure.dbforpostgresql.BackupArgs(
                backup_retention_days=7, geo_redundant_backup="Disabled"
            ),
            high_availability=azure.dbforpostgresql.HighAvailabilityArgs(
                mode="ZoneRedundant" if args.ha else "Disabled"
            ),
            tags=args.tags,
            # Flexible Server has no deletion-protection flag: Pulumi refuses to delete or
            # replace a protected resource, and the lock below refuses it in ARM (portal, CLI,
            # a resource-group delete). Set llmchain:database.deletionProtection=false and
            # `pulumi up` before `pulumi destroy`.
            opts=pulumi.ResourceOptions(parent=self, protect=args.deletion_protection),
        )
        if args.deletion_protection:
            # https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/lock-resources
            # (read 2026-11-29): CanNotDelete lets users read and modify, not delete; child
            # resources (the database) inherit it.
            azure.authorization.ManagementLockByScope(
                f"{name}-lock",
                scope=server.id,
                level="CanNotDelete",
                notes="llmchain:database.deletionProtection: the chat history lives here",
                opts=child,
            )
        # TLS is enforced by default on Flexible Server ("By default, secured connectivity between
        # the client and the server is enforced", https://learn.microsoft.com/en-us/azure/postgresql/
        # flexible-server/how-to-connect-tls-ssl, read 2026-11-29); it is pinned here so drift or a
        # changed default cannot turn it off. The server takes one change at a time (a second one
        # answers ServerIsBusy), so the database is created after this setting, never beside it.
        tls = azure.dbforpostgresql.Configuration(
            f"{name}-tls",
            configuration_name="require_secure_transport",
            server_name=server.name,
            resource_group_name=args.resource_group,
            value="on",
            source="user-override",
            opts=child,
        )
        self.database = azure.dbforpostgresql.Database(
            f"{name}-db",
            database_name=DATABASE,
            server_name=server.name,
            resource_group_name=args.resource_group,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[tls]),
        )
        self.server_name = server.name
        self.url = pulumi.Output.secret(
            pulumi.Output.all(password.result, server.fully_qualified_domain_name).apply(
                lambda values: database_url(str(values[0]), str(values[1]))
            )
        )
        self.register_outputs({"server": server.name})
