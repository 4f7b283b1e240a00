"""Databases: not reachable from the internet, encrypted at rest, backed up."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .detect import is_world
from .model import Resource, get, mappings

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
AZURE_PG = "azure-native:dbforpostgresql:Server"
AZURE_PG_FIREWALL = "azure-native:dbforpostgresql:FirewallRule"
CLOUD_SQL = "gcp:sql/databaseInstance:DatabaseInstance"
TYPES = (RDS_INSTANCE, RDS_CLUSTER, AZURE_PG, AZURE_PG_FIREWALL, CLOUD_SQL)


def _rds(props: Mapping[str, Any]) -> Iterator[str]:
    if props.get("publiclyAccessible") is True:
        yield "publiclyAccessible is true: the database gets a public address"
    if props.get("storageEncrypted") is not True:
        yield "storageEncrypted is not true: storage is not encrypted at rest"
    retention = props.get("backupRetentionPeriod")
    if retention is not None and int(retention) < 1:
        yield f"backupRetentionPeriod is {retention}: automated backups are off"


def _azure(props: Mapping[str, Any]) -> Iterator[str]:
    # Azure encrypts Flexible Server storage always (service-managed keys): nothing to check.
    network = get(props, "network", {})
    if network.get("publicNetworkAccess") != "Disabled" and not network.get(
        "delegatedSubnetResourceId"
    ):
        yield "network.publicNetworkAccess is not Disabled and the server is in no private subnet"
    days = get(props, "backup.backupRetentionDays")
    if days is not None and int(days) < 7:
        yield f"backup.backupRetentionDays is {days}: keep at least 7 days"


def _azure_firewall(props: Mapping[str, Any]) -> Iterator[str]:
    if props.get("startIpAddress") == "0.0.0.0" and props.get("endIpAddress") == "255.255.255.255":
        yield "the firewall rule admits every address"


def _cloud_sql(props: Mapping[str, Any]) -> Iterator[str]:
    # Cloud SQL encrypts storage always (Google-managed keys): nothing to check.
    ip = get(props, "settings.ipConfiguration", {})
    if ip.get("ipv4Enabled", True) is not False:
        yield "settings.ipConfiguration.ipv4Enabled is not false: the instance gets a public IP"
    for network in mappings(ip.get("authorizedNetworks")):
        if is_world(network.get("value")):
            yield "settings.ipConfiguration.authorizedNetworks admits 0.0.0.0/0"
    if get(props, "settings.backupConfiguration.enabled") is not True:
        yield "settings.backupConfiguration.enabled is not true: no automated backups"


def check_databases(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """A database is private, encrypted and backed up."""
    if resource.type in (RDS_INSTANCE, RDS_CLUSTER):
        yield from _rds(resource.props)
    elif resource.type == AZURE_PG:
        yield from _azure(resource.props)
    elif resource.type == AZURE_PG_FIREWALL:
        yield from _azure_firewall(resource.props)
    elif resource.type == CLOUD_SQL:
        yield from _cloud_sql(resource.props)
