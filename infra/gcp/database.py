"""Cloud SQL for PostgreSQL: private IP only, TLS only, backups with point-in-time recovery."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

from infra.component import Component

VERSION = "POSTGRES_16"
DEFAULT_TIER = "db-custom-1-3840"
DATABASE = "llmchain"
USER = "llmchain"


@dataclass
class DatabaseArgs:
    """Where it lives and how it is protected."""

    region: str
    network_id: pulumi.Input[str]
    peering: pulumi.Resource
    tier: str | None
    ha: bool
    deletion_protection: bool


class Database(Component[DatabaseArgs]):
    """The instance, its database and user, and the URL (a secret for Secret Manager)."""

    url: pulumi.Output[str]
    instance: gcp.sql.DatabaseInstance

    def build(self, name: str, args: DatabaseArgs) -> None:
        child = self.child
        password = random.RandomPassword(f"{name}-password", length=32, special=False, opts=child)
        secret_password: pulumi.Output[str] = pulumi.Output.secret(password.result)
        self.instance = gcp.sql.DatabaseInstance(
            f"{name}-sql",
            database_version=VERSION,
            region=args.region,
            deletion_protection=args.deletion_protection,
            settings=gcp.sql.DatabaseInstanceSettingsArgs(
                tier=args.tier or DEFAULT_TIER,
                edition="ENTERPRISE",
                availability_type="REGIONAL" if args.ha else "ZONAL",
                deletion_protection_enabled=args.deletion_protection,
                ip_configuration=gcp.sql.DatabaseInstanceSettingsIpConfigurationArgs(
                    ipv4_enabled=False,  # no public IP at all
                    private_network=args.network_id,
                    ssl_mode="ENCRYPTED_ONLY",
                ),
                backup_configuration=gcp.sql.DatabaseInstanceSettingsBackupConfigurationArgs(
                    enabled=True,
                    point_in_time_recovery_enabled=True,
                    backup_retention_settings=gcp.sql.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs(
                        retained_backups=7
                    ),
                ),
                database_flags=[
                    gcp.sql.DatabaseInstanceSettingsDatabaseFlagArgs(
                        name="log_connections", value="on"
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.peering]),
        )
        database = gcp.sql.Database(
            f"{name}-db", name=DATABASE, instance=self.instance.name, opts=child
        )
        user = gcp.sql.User(
            f"{name}-user",
            name=USER,
            instance=self.instance.name,
            password=secret_password,
            # PostgreSQL refuses to drop a role that owns objects (the app's tables): the user
            # goes with the instance instead. Provider docs, deletion_policy (read 2026-11-29).
            deletion_policy="ABANDON",
            opts=child,
        )
        # The URL names the user and the database: whatever reads it (the secret version, the
        # Kubernetes Secret) waits for both, so the app never connects before they exist.
        self.url = pulumi.Output.secret(
            pulumi.Output.format(
                "postgresql://{0}:{1}@{2}:5432/{3}?sslmode=require",
                user.name,
                password.result,
                self.instance.private_ip_address,
                database.name,
            )
        )
        self.register_outputs({"instance": self.instance.name})
