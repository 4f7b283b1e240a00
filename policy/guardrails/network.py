"""No administrative or database port open to the whole internet, on any cloud's firewall."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .detect import admin_ports_in, is_world, port_ranges
from .model import Resource, items, mappings

AWS_SG = "aws:ec2/securityGroup:SecurityGroup"
AWS_SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
AWS_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
AZURE_NSG = "azure-native:network:NetworkSecurityGroup"
AZURE_NSG_RULE = "azure-native:network:SecurityRule"
GCP_FIREWALL = "gcp:compute/firewall:Firewall"
TYPES = (AWS_SG, AWS_SG_RULE, AWS_INGRESS_RULE, AZURE_NSG, AZURE_NSG_RULE, GCP_FIREWALL)


def _aws_ports(rule: Mapping[str, Any], protocol_key: str) -> list[tuple[int, int]]:
    protocol = str(rule.get(protocol_key, "tcp")).lower()
    if protocol in ("-1", "all"):
        return [(0, 65535)]
    if protocol not in ("tcp", "6"):
        return []
    low, high = rule.get("fromPort"), rule.get("toPort")
    if low is None:
        return []
    return [(int(low), int(high if high is not None else low))]


def _aws_sources(rule: Mapping[str, Any]) -> list[str]:
    sources = items(rule.get("cidrBlocks")) + items(rule.get("ipv6CidrBlocks"))
    return sources + [rule[k] for k in ("cidrIpv4", "cidrIpv6") if rule.get(k)]


def _azure_rules(resource: Resource) -> Iterator[Mapping[str, Any]]:
    if resource.type == AZURE_NSG:
        yield from mappings(resource.props.get("securityRules"))
    else:
        yield resource.props


def _findings(resource: Resource) -> Iterator[tuple[str, list[str]]]:
    """(which rule, exposed ports) for each rule that opens an admin port to the world."""
    props = resource.props
    if resource.type == AWS_SG:
        for index, rule in enumerate(mappings(props.get("ingress"))):
            if any(is_world(s) for s in _aws_sources(rule)):
                yield f"ingress[{index}]", admin_ports_in(_aws_ports(rule, "protocol"))
    elif resource.type == AWS_SG_RULE:
        if props.get("type") == "ingress" and any(is_world(s) for s in _aws_sources(props)):
            yield "the rule", admin_ports_in(_aws_ports(props, "protocol"))
    elif resource.type == AWS_INGRESS_RULE:
        if any(is_world(s) for s in _aws_sources(props)):
            yield "the rule", admin_ports_in(_aws_ports(props, "ipProtocol"))
    elif resource.type in (AZURE_NSG, AZURE_NSG_RULE):
        for rule in _azure_rules(resource):
            inbound = str(rule.get("direction", "")).lower() == "inbound"
            allow = str(rule.get("access", "")).lower() == "allow"
            protocol = str(rule.get("protocol", "*")).lower()
            sources = [rule.get("sourceAddressPrefix"), *items(rule.get("sourceAddressPrefixes"))]
            if inbound and allow and protocol in ("*", "tcp") and any(map(is_world, sources)):
                ports = port_ranges(rule.get("destinationPortRange")) + port_ranges(
                    items(rule.get("destinationPortRanges"))
                )
                yield f"rule {rule.get('name', '?')!r}", admin_ports_in(ports)
    elif resource.type == GCP_FIREWALL:
        if str(props.get("direction", "INGRESS")).upper() != "INGRESS":
            return
        ranges = items(props.get("sourceRanges"))
        # With neither ranges nor tags nor accounts, GCP applies the rule to 0.0.0.0/0.
        everyone = any(map(is_world, ranges)) or not (
            ranges or props.get("sourceTags") or props.get("sourceServiceAccounts")
        )
        if not everyone:
            return
        for permit in mappings(props.get("allows")):
            protocol = str(permit.get("protocol", "")).lower()
            if protocol in ("all", "tcp", "6"):
                ports = port_ranges(items(permit.get("ports")) or "*")
                yield f"allow {protocol}", admin_ports_in(ports)


def check_admin_ports(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """SSH, RDP and database ports are never open to 0.0.0.0/0 (or Azure's `Internet`)."""
    for where, ports in _findings(resource):
        if ports:
            yield f"{where} opens {', '.join(ports)} to the whole internet"
