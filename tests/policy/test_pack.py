"""The pack as the Pulumi CLI drives it: gRPC Analyze/AnalyzeStack requests to the analyzer.

The servicer is pulumi-policy's own; only its network server is skipped (the CLI is not
here), so props arrive as the engine sends them: protobuf structs, read-only proxies,
unknown values during preview.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer

from infra.plan import run_plan
from policy.guardrails import RULES
from policy.guardrails.pack import build_policies

ROOT = Path(__file__).resolve().parents[2]
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's marker for a value not yet known
LEVELS = {0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate"}


def struct(props: dict[str, Any]) -> struct_pb2.Struct:
    return json_format.ParseDict(json.loads(json.dumps(props, default=str)), struct_pb2.Struct())


def analyzer(config: dict[str, Any] | None = None) -> _PolicyAnalyzerServicer:
    servicer = _PolicyAnalyzerServicer(
        "llmchain-guardrails", "0.1.0", build_policies(), EnforcementLevel.MANDATORY
    )
    if config:
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, value in config.items():
            entry = request.policyConfig[name]
            level = value if isinstance(value, str) else value.get("enforcementLevel", "mandatory")
            entry.enforcementLevel = {v: k for k, v in LEVELS.items()}[level]
            if isinstance(value, dict):
                entry.properties.CopyFrom(
                    struct({k: v for k, v in value.items() if k != "enforcementLevel"})
                )
        servicer.Configure(request, None)
    return servicer


def analyze(
    servicer: _PolicyAnalyzerServicer, kind: str, props: dict[str, Any]
) -> list[tuple[str, str, str]]:
    request = analyzer_pb2.AnalyzeRequest(
        type=kind, properties=struct(props), urn=f"urn:pulumi:s::p::{kind}::r", name="r"
    )
    response = servicer.Analyze(request, None)
    # The engine shows "description\nmessage"; the message is the rule's own words.
    return [
        (d.policyName, LEVELS[d.enforcementLevel], d.message.split("\n")[-1])
        for d in response.diagnostics
    ]


def test_the_pack_declares_every_rule_and_runs_on_python() -> None:
    policies = build_policies()
    assert [p.name for p in policies] == [r.name for r in RULES]
    manifest = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    requirements = (ROOT / "policy" / "requirements.txt").read_text()
    assert "pulumi-policy" in requirements
    source = (ROOT / "policy" / "__main__.py").read_text()
    assert "PolicyPack(" in source and "build_policies()" in source


def test_a_resource_violation_reaches_the_engine_with_its_level() -> None:
    servicer = analyzer()
    found = analyze(
        servicer,
        "aws:rds/instance:Instance",
        {"publiclyAccessible": True, "storageEncrypted": True, "tags": ["x"]},
    )
    assert found == [
        (
            "database-private-encrypted-backed-up",
            "mandatory",
            "publiclyAccessible is true: the database gets a public address",
        )
    ]
    ok = {"publiclyAccessible": False, "storageEncrypted": True, "backupRetentionPeriod": 7}
    assert analyze(servicer, "aws:rds/instance:Instance", ok) == []


def test_lists_arrive_as_proxies_and_are_still_read() -> None:
    """CrossGuard hands lists over as read-only sequences, not `list`: rules must see them."""
    servicer = analyzer()
    props = {
        "ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]
    }
    found = analyze(servicer, "aws:ec2/securityGroup:SecurityGroup", props)
    assert [f[0] for f in found] == ["no-admin-ports-to-world"]


def test_an_unknown_value_in_preview_is_an_advisory_not_a_pass_or_a_crash() -> None:
    servicer = analyzer()
    found = analyze(servicer, "aws:ecr/repository:Repository", {"imageTagMutability": UNKNOWN})
    assert found and all(level == "advisory" and "during preview" in msg for _, level, msg in found)


def test_pack_config_lowers_a_level_and_sets_a_bound() -> None:
    vault = {"properties": {"enableSoftDelete": True}}
    dev = json.loads((ROOT / "policy" / "dev.json").read_text())
    assert analyze(analyzer(), "azure-native:keyvault:Vault", vault)[0][1] == "mandatory"
    assert analyze(analyzer(dev), "azure-native:keyvault:Vault", vault)[0][1] == "advisory"
    target = {"maxCapacity": 20}
    assert analyze(analyzer(), "aws:appautoscaling/target:Target", target)[0][1] == "advisory"
    config = {"cost-guard": {"enforcementLevel": "advisory", "maxReplicas": 25}}
    assert analyze(analyzer(config), "aws:appautoscaling/target:Target", target) == []


@pytest.mark.parametrize("mode", ["serverless", "vm"])
def test_a_whole_gcp_stack_through_analyze_stack(mode: str) -> None:
    plan = run_plan("gcp", {"gcp:project": "demo-project", "llmchain:compute": mode})
    request = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(
                type=r.type, properties=struct(r.inputs), urn=r.urn, name=r.name
            )
            for r in plan.resources
            if r.custom
        ]
    )
    response = analyzer().AnalyzeStack(request, None)
    found = [(d.policyName, LEVELS[d.enforcementLevel]) for d in response.diagnostics]
    assert ("registry-scanning-gaps", "advisory") in found
    assert [f for f in found if f[1] == "mandatory"] == []
    # Each resource through Analyze, as `pulumi preview` sends them one by one.
    servicer = analyzer()
    mandatory = [
        (r.name, finding)
        for r in plan.resources
        if r.custom
        for finding in analyze(servicer, r.type, r.inputs)
        if finding[1] == "mandatory"
    ]
    assert mandatory == []


def test_the_pack_served_as_the_cli_starts_it() -> None:
    """`python __main__.py` in policy/ prints its port; the engine then talks gRPC to it."""
    import subprocess
    import sys

    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2_grpc

    proc = subprocess.Popen(
        [sys.executable, "__main__.py"],
        cwd=ROOT / "policy",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=15)
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=15)
            assert info.name == "llmchain-guardrails"
            assert [p.name for p in info.policies] == [r.name for r in RULES]
            request = analyzer_pb2.AnalyzeRequest(
                type="aws:ec2/launchTemplate:LaunchTemplate",
                properties=struct({"metadataOptions": {"httpTokens": "optional"}}),
                urn="urn:pulumi:s::p::aws:ec2/launchTemplate:LaunchTemplate::lt",
                name="lt",
            )
            response = stub.Analyze(request, timeout=15)
            assert [d.policyName for d in response.diagnostics] == ["ec2-imdsv2-required"]
    finally:
        proc.kill()
        proc.wait(10)
