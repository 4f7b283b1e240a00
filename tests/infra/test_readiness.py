"""Readiness rules: each fails on a plan with the defect and passes on one without; the plan
records what waits for what; `--check` reports by rule and resource."""

from __future__ import annotations

import json

import pytest

from infra.plan import main
from infra.readiness import Finding, check, rules
from infra.readiness.names import unique_names
from infra.readiness.order import creation_order
from infra.readiness.variants import VARIANTS, Case, matrix
from tests.infra.plan_cache import Plans
from tests.infra.readiness_fixtures import plan_of, res

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


# --- the plan records the graph -------------------------------------------------------


def test_plan_json_carries_dependencies_and_providers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "aws", "--json"]) == 0
    resources = {
        (r["type"], r["name"]): r for r in json.loads(capsys.readouterr().out)["resources"]
    }
    service = resources["aws:ecs/service:Service", "llmchain-aws-service"]
    task = resources["aws:ecs/taskDefinition:TaskDefinition", "llmchain-aws-task"]
    assert task["urn"] in service["dependencies"]  # implicit: the task definition's ARN
    assert task["urn"] in service["property_dependencies"]["taskDefinition"]
    assert service["provider"].startswith("urn:pulumi:aws::llmchain::")
    assert "pulumi:providers:aws" in service["provider"]


def test_mermaid_draws_dependencies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "aws", "--mermaid"]) == 0
    assert " -.-> " in capsys.readouterr().out


def test_ancestors_are_transitive() -> None:
    a = res("t:a:A", "a")
    b = res("t:b:B", "b", deps=[a])
    c = res("t:c:C", "c", deps=[b])
    plan = plan_of(a, b, c)
    assert plan.depends_on(c, a)
    assert not plan.depends_on(a, c)


# --- unique-names ---------------------------------------------------------------------


def test_unique_names_fails_on_two_log_groups_of_one_name() -> None:
    first = res(LOG_GROUP, "logs", {"name": "/llmchain/x/app"})
    second = res(LOG_GROUP, "monitoring-logs", {"name": "/llmchain/x/app"})
    found = unique_names(plan_of(first, second))
    assert [(f.rule, f.name) for f in found] == [("unique-names", "monitoring-logs")]
    assert "'/llmchain/x/app'" in found[0].message


def test_unique_names_passes_other_names_scopes_and_auto_names() -> None:
    k8s = "kubernetes:core/v1:ConfigMap"
    plan = plan_of(
        res(LOG_GROUP, "a", {"name": "/llmchain/x/app"}),
        res(LOG_GROUP, "b", {"name": "/llmchain/x/flow"}),
        res(LOG_GROUP, "c"),  # left to Pulumi: a random suffix
        res(LOG_GROUP, "d"),
        res("aws:iam/role:Role", "e", {"name": "/llmchain/x/app"}),  # another type
        res(k8s, "f", {"metadata": {"name": "settings", "namespace": "one"}}),
        res(k8s, "g", {"metadata": {"name": "settings", "namespace": "two"}}),
        res(
            "azure-native:dbforpostgresql:Database", "h", {"databaseName": "db", "serverName": "s1"}
        ),
        res(
            "azure-native:dbforpostgresql:Database", "i", {"databaseName": "db", "serverName": "s2"}
        ),
    )
    assert unique_names(plan) == []


def test_unique_names_knows_azure_and_kubernetes_names() -> None:
    vault = "azure-native:keyvault:Vault"
    plan = plan_of(
        res(vault, "a", {"vaultName": "kv1", "resourceGroupName": "rg"}),
        res(vault, "b", {"vaultName": "kv1", "resourceGroupName": "rg"}),
        res("kubernetes:core/v1:Secret", "c", {"metadata": {"name": "s", "namespace": "n"}}),
        res("kubernetes:core/v1:Secret", "d", {"metadata": {"name": "s", "namespace": "n"}}),
    )
    assert sorted(f.name for f in unique_names(plan)) == ["b", "d"]


# --- creation-order -------------------------------------------------------------------


def _ecs(wait_for_listener: bool, wait_for_version: bool) -> list[Finding]:
    role = res("aws:iam/role:Role", "task-role")
    grant = res("aws:iam/rolePolicy:RolePolicy", "task-grant", props={"role": [role]})
    secret = res("aws:secretsmanager/secret:Secret", "url")
    version = res(
        "aws:secretsmanager/secretVersion:SecretVersion", "url-v", props={"secretId": [secret]}
    )
    tg = res("aws:lb/targetGroup:TargetGroup", "tg")
    listener = res("aws:lb/listener:Listener", "http", props={"defaultActions": [tg]})
    task = res(
        "aws:ecs/taskDefinition:TaskDefinition",
        "task",
        props={"taskRoleArn": [role], "containerDefinitions": [secret]},
        deps=[grant] + ([version] if wait_for_version else []),
    )
    service = res(
        "aws:ecs/service:Service",
        "svc",
        props={"taskDefinition": [task], "loadBalancers": [tg]},
        deps=[listener] if wait_for_listener else [],
    )
    flow_role = res("aws:iam/role:Role", "flow-role")  # another identity: no tie to the service
    flow_grant = res("aws:iam/rolePolicy:RolePolicy", "flow-grant", props={"role": [flow_role]})
    return creation_order(
        plan_of(role, grant, secret, version, tg, listener, task, service, flow_role, flow_grant)
    )


def test_creation_order_fails_when_the_service_races_its_listener_and_secret_value() -> None:
    found = _ecs(wait_for_listener=False, wait_for_version=False)
    assert {f.name for f in found} == {"svc"}
    text = " ".join(f.message for f in found)
    assert "listener 'http'" in text and "secret value 'url-v'" in text
    assert "flow-grant" not in text


def test_creation_order_passes_when_the_service_waits() -> None:
    assert _ecs(wait_for_listener=True, wait_for_version=True) == []


def test_creation_order_wants_the_gke_cluster_before_a_workload_identity_binding() -> None:
    cluster = res("gcp:container/cluster:Cluster", "gke")
    member = {
        "member": "serviceAccount:p.svc.id.goog[ns/app]",
        "role": "roles/iam.workloadIdentityUser",
    }
    early = res("gcp:serviceaccount/iAMMember:IAMMember", "wi", member)
    late = res("gcp:serviceaccount/iAMMember:IAMMember", "wi", member, deps=[cluster])
    assert [f.name for f in creation_order(plan_of(cluster, early))] == ["wi"]
    assert creation_order(plan_of(cluster, late)) == []


def test_creation_order_serialises_changes_to_one_postgres_server() -> None:
    kind = "azure-native:dbforpostgresql:"
    server = res(kind + "Server", "pg", {"serverName": "pg1"})
    tls = res(kind + "Configuration", "tls", {"serverName": "pg1"}, deps=[server])
    racing = res(kind + "Database", "db", {"serverName": "pg1"}, deps=[server])
    waiting = res(kind + "Database", "db", {"serverName": "pg1"}, deps=[server, tls])
    assert [f.name for f in creation_order(plan_of(server, tls, racing))] == ["db"]
    assert creation_order(plan_of(server, tls, waiting)) == []


# --- the command line -----------------------------------------------------------------


def test_check_exits_1_naming_rule_and_resource(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plan with a known defect (the AWS stack's own duplicate log group is fixed, issue 14).
    first = res(LOG_GROUP, "llmchain-aws-logs", {"name": "/llmchain/x/app"})
    second = res(LOG_GROUP, "monitoring-logs", {"name": "/llmchain/x/app"})
    monkeypatch.setattr("infra.plan.run_plan", lambda *_a, **_k: plan_of(first, second))
    assert main(["--stack", "aws", "--check"]) == 1
    out = capsys.readouterr().out
    assert "unique-names: aws:cloudwatch/logGroup:LogGroup monitoring-logs:" in out
    assert out.strip().splitlines()[-1].endswith("readiness findings")


# --- every stack x compute x variant ------------------------------------------------

CASES = [pytest.param(case, name, id=f"{case.id}-{name}") for case in matrix() for name in rules()]
_plans: dict[str, list[Finding]] = {}


def _findings(plans: Plans, case: Case) -> list[Finding]:
    if case.id not in _plans:
        _plans[case.id] = check(plans.get(case.stack, case.overrides))
    return _plans[case.id]


def test_matrix_covers_every_stack_mode_and_variant() -> None:
    ids = {case.id for case in matrix()}
    assert len(VARIANTS) == 4
    assert {"dev-serverless-public", "aws-cluster-ha", "azure-vm-private", "gcp-vm-domain"} <= ids
    assert "azure-serverless-domain" not in ids  # refused by the config: no domain set-up there


@pytest.mark.parametrize(("case", "rule"), CASES)
def test_every_case_passes_every_rule(case: Case, rule: str, plans: Plans) -> None:
    found = [f for f in _findings(plans, case) if f.rule == rule]
    assert found == [], "\n".join(f.line() for f in found)


def test_the_plan_keeps_the_config_it_ran_with(plans: Plans) -> None:
    plan = plans.get("gcp", {"gcp:project": "demo-project", "llmchain:ingress.public": False})
    assert plan.config["llmchain:ingress"]["public"] is False
    assert plan.config["gcp:project"] == "demo-project"
