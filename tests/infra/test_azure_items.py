"""Azure issue 15, items 10, 14, 15, 16, 17: rolling the scale set, private URLs, NAT, alerts, TLS."""

from __future__ import annotations

from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from infra.azure.database import CA_BUNDLE, database_url
from infra.plan import Plan, run_plan

API_KEY = "azure-api-key-never-plain"


def plan_for(mode: str, **overrides: object) -> Plan:
    return run_plan("azure", {"llmchain:compute": mode, **overrides}, {"llmchain:apiKeys": API_KEY})


# --- item 17: the database's certificate is verified -----------------------------------------


def test_database_url_verifies_the_server_certificate_and_host_name() -> None:
    url = database_url("Pw0rd", "llmchain-azure-pg-abc123.postgres.database.azure.com")
    # libpq's own parser (the app's driver hands the URL to it unchanged)
    params = conninfo_to_dict(url)
    assert params["sslmode"] == "verify-full"  # `require` accepts any certificate
    assert params["sslrootcert"] == CA_BUNDLE
    assert params["host"] == "llmchain-azure-pg-abc123.postgres.database.azure.com"
    assert (params["user"], params["dbname"], params["port"]) == ("llmchain", "llmchain", "5432")


@pytest.mark.skipif(not Path(CA_BUNDLE).exists(), reason="no Debian CA bundle on this machine")
def test_the_ca_bundle_holds_the_roots_azure_postgres_chains_to() -> None:
    # Debian's ca-certificates, as in the image's python:3.11-slim base (Debian bookworm).
    bundle = Path(CA_BUNDLE).read_text()
    names = Path("/etc/ssl/certs")
    assert (names / "DigiCert_Global_Root_G2.pem").read_text().strip() in bundle
    assert (
        names / "Microsoft_RSA_Root_Certificate_Authority_2017.pem"
    ).read_text().strip() in bundle


# --- item 15: a NAT gateway only where it is used --------------------------------------------


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {mode: plan_for(mode) for mode in ("serverless", "vm", "cluster")}


@pytest.mark.parametrize("mode", ["serverless", "cluster"])
def test_no_nat_gateway_where_no_subnet_uses_one(plans: dict[str, Plan], mode: str) -> None:
    plan = plans[mode]
    assert plan.of_type("azure-native:network:NatGateway") == []
    assert plan.of_type("azure-native:network:PublicIPAddress") == []  # nor its address
    assert all(
        s.inputs.get("natGateway") is None for s in plan.of_type("azure-native:network:Subnet")
    )


def test_the_vm_subnet_alone_egresses_through_the_nat_gateway(plans: dict[str, Plan]) -> None:
    plan = plans["vm"]
    nat = plan.one("azure-native:network:NatGateway")
    using = [
        s.name
        for s in plan.of_type("azure-native:network:Subnet")
        if s.inputs.get("natGateway") is not None
    ]
    assert using == ["llmchain-azure-vms"]
    assert nat.inputs["sku"] == {"name": "Standard"}
