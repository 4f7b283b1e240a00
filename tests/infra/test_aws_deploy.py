"""Issue 14: what a real `up` on AWS trips on and mocks accept — names, order, keys, grants."""

from __future__ import annotations

import base64
import json

import pytest

from infra.aws import iam
from infra.config import ConfigError
from infra.plan import Plan, Resource, run_plan

MODES = ["serverless", "vm", "cluster"]
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SERVICE = "aws:ecs/service:Service"
GROUP = "aws:autoscaling/group:Group"


def plan_for(mode: str, **overrides: object) -> Plan:
    return run_plan("aws", {"llmchain:compute": mode, **overrides})


@pytest.fixture(scope="module", params=MODES)
def plan(request: pytest.FixtureRequest) -> Plan:
    return plan_for(request.param)


@pytest.fixture(scope="module")
def serverless() -> Plan:
    return plan_for("serverless")


@pytest.fixture(scope="module")
def vm() -> Plan:
    return plan_for("vm")


def named(plan: Plan, type_token: str, name: str) -> Resource:
    (found,) = [r for r in plan.of_type(type_token) if r.name == name]
    return found


# --- item 1: one log group, used by everything ----------------------------------------------


def test_one_app_log_group_and_every_writer_uses_it(plan: Plan) -> None:
    names = [str(g.inputs.get("name", "")) for g in plan.of_type(LOG_GROUP)]
    apps = [n for n in names if n.endswith(("/app", "/application"))]
    if plan.of_type("aws:eks/cluster:Cluster"):
        # EKS: the pods' output goes to Container Insights' application group, made by the stack.
        (name,) = apps
        assert name.startswith("/aws/containerinsights/"), name
        return
    assert apps == ["/llmchain/llmchain-aws/app"]
    (group,) = [g for g in plan.of_type(LOG_GROUP) if g.inputs.get("name") == apps[0]]
    if plan.of_type(SERVICE):
        task = plan.one("aws:ecs/taskDefinition:TaskDefinition")
        (container,) = json.loads(task.inputs["containerDefinitions"])
        assert container["logConfiguration"]["options"]["awslogs-group"] == group.inputs["name"]
        assert plan.depends_on(task, group)


# --- items 5, 6, 17: the workload waits for what it needs to start --------------------------

VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
LISTENER = "aws:lb/listener:Listener"
ROUTES = "aws:ec2/routeTableAssociation:RouteTableAssociation"
GRANTS = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment")


def workload(plan: Plan) -> Resource:
    return plan.one(SERVICE) if plan.of_type(SERVICE) else plan.one(GROUP)


@pytest.mark.parametrize("mode", ["serverless", "vm"])
@pytest.mark.parametrize("domain", [False, True])
def test_workload_waits_for_secret_values_listeners_grants_and_nat_routes(
    mode: str, domain: bool
) -> None:
    extra = (
        {"llmchain:ingress.domain": "api.example.com", "llmchain:aws.hostedZoneId": "Z0123456789"}
        if domain
        else {}
    )
    plan = plan_for(mode, **extra)
    runs = workload(plan)
    versions = plan.of_type(VERSION)
    assert any(v.name.endswith("llmchain_memory_url") for v in versions)
    for version in versions:  # the value, not just the secret (the database URL waits for RDS)
        assert plan.depends_on(runs, version), version.name
    listeners = {r.name for r in plan.of_type(LISTENER)}
    assert listeners == (
        {"llmchain-aws-https", "llmchain-aws-http"} if domain else {"llmchain-aws-http"}
    )
    for listener in plan.of_type(LISTENER):
        assert plan.depends_on(runs, listener), listener.name
    private = [r for r in plan.of_type(ROUTES) if "-private-" in r.name]
    assert len(private) == 2
    for association in private:  # and through it the route table's NAT route
        assert plan.depends_on(runs, association), association.name
    nat = plan.one("aws:ec2/natGateway:NatGateway")
    assert plan.depends_on(runs, nat)
    role_of = "llmchain-aws-execution" if mode == "serverless" else "llmchain-aws-instance"
    grants = [g for t in GRANTS for g in plan.of_type(t)]
    assert any(g.name == role_of for g in grants)
    for grant in grants:
        if grant.name in (role_of, "llmchain-aws-task", "llmchain-aws-app", "llmchain-aws-ssm"):
            assert plan.depends_on(runs, grant), grant.name


def test_service_waits_for_steady_state(serverless: Plan) -> None:
    # `up` fails when the first deployment's tasks never become healthy.
    assert serverless.one(SERVICE).inputs["waitForSteadyState"] is True


# --- item 8: CloudWatch alarms can publish to the encrypted topic ---------------------------


def test_alarm_topic_key_is_customer_managed_and_admits_cloudwatch(plan: Plan) -> None:
    topic = plan.one("aws:sns/topic:Topic")
    key = named(plan, "aws:kms/key:Key", "llmchain-aws-alarms")
    # alias/aws/sns's policy cannot admit CloudWatch: notifications would be dropped.
    assert topic.inputs["kmsMasterKeyId"] == f"arn:aws:kms:us-east-1:123456789012:key/{key.name}"
    assert plan.depends_on(topic, key)
    assert key.inputs["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    admin = statements["AccountAdministersKey"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    publish = statements["CloudWatchAlarmsPublish"]
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(publish["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    pattern = publish["Condition"]["ArnLike"]["aws:SourceArn"]
    assert pattern == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:llmchain-aws-*"
    alarms = plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert alarms
    for alarm in alarms:  # autonamed <logical name>-<suffix>: inside the pattern
        assert alarm.name.startswith("llmchain-aws-") and "name" not in alarm.inputs
        assert plan.depends_on(alarm, topic)


# --- item 15: `destroy` then `up` does not collide with secrets awaiting deletion -----------


@pytest.mark.parametrize("mode", ["serverless", "vm"])  # EKS pods read Kubernetes secrets
def test_secret_names_are_fresh_per_create_and_deletion_stays_recoverable(mode: str) -> None:
    secrets = plan_for(mode).of_type("aws:secretsmanager/secret:Secret")
    assert any(s.name.endswith("llmchain_memory_url") for s in secrets)
    for secret in secrets:
        # A fixed name is held for the recovery window after destroy: the next up would fail.
        assert "name" not in secret.inputs, secret.name
        assert secret.inputs["namePrefix"].startswith("llmchain-aws/")
        assert secret.inputs["namePrefix"].endswith("-")
        assert secret.inputs["recoveryWindowInDays"] == 7


# --- item 12: the CloudWatch agent can name its Auto Scaling group --------------------------


def statements(plan: Plan, name: str) -> list[dict]:
    policy = named(plan, "aws:iam/rolePolicy:RolePolicy", name)
    return list(json.loads(policy.inputs["policy"])["Statement"])


def test_instance_role_lets_the_agent_read_its_tags_and_nothing_more(
    vm: Plan, serverless: Plan
) -> None:
    # The agent's config names ${aws:AutoScalingGroupName}: resolved with ec2:DescribeTags.
    launch = vm.one("aws:ec2/launchTemplate:LaunchTemplate").inputs["userData"]
    assert "aws:AutoScalingGroupName" in base64.b64decode(launch).decode()
    (tags,) = [
        s for s in statements(vm, "llmchain-aws-instance") if "ec2:DescribeTags" in s["Action"]
    ]
    assert tags["Action"] == ["ec2:DescribeTags"] and tags["Resource"] == "*"
    assert iam.violations({"Statement": [tags]}) == []
    # Tasks run no agent: their roles get no EC2 read.
    for policy in serverless.of_type("aws:iam/rolePolicy:RolePolicy"):
        assert "ec2:DescribeTags" not in policy.inputs["policy"], policy.name


# --- Also: Fargate Spot as a setting --------------------------------------------------------


def strategy(plan: Plan) -> list[dict]:
    return list(plan.one(SERVICE).inputs["capacityProviderStrategies"])


def test_cluster_offers_fargate_and_spot_and_the_service_waits_for_them(serverless: Plan) -> None:
    providers = serverless.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert sorted(providers.inputs["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]
    assert serverless.depends_on(providers, serverless.one("aws:ecs/cluster:Cluster"))
    service = serverless.one(SERVICE)
    assert serverless.depends_on(service, providers)
    assert "launchType" not in service.inputs  # conflicts with a capacity provider strategy
    assert service.inputs["forceNewDeployment"] is True  # a changed strategy needs one
    assert strategy(serverless) == [{"capacityProvider": "FARGATE", "base": 1, "weight": 100}]


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        (
            70,
            [
                {"capacityProvider": "FARGATE", "base": 1, "weight": 30},
                {"capacityProvider": "FARGATE_SPOT", "weight": 70},
            ],
        ),
        (100, [{"capacityProvider": "FARGATE_SPOT", "weight": 100}]),
    ],
)
def test_fargate_spot_setting_moves_tasks_to_spot(percent: int, expected: list[dict]) -> None:
    plan = plan_for("serverless", **{"llmchain:aws.fargateSpot": percent})
    assert strategy(plan) == expected


def test_fargate_spot_setting_is_a_percentage() -> None:
    with pytest.raises(ConfigError, match=r"aws\.fargateSpot"):
        plan_for("serverless", **{"llmchain:aws.fargateSpot": 101})


@pytest.mark.parametrize("compute", ["serverless", "vm"])
def test_the_service_keeps_idle_connections_longer_than_the_alb(compute: str) -> None:
    plan = run_plan("aws", {"llmchain:compute": compute})
    idle = plan.one("aws:lb/loadBalancer:LoadBalancer").inputs["idleTimeout"]
    if compute == "serverless":
        task = plan.one("aws:ecs/taskDefinition:TaskDefinition").inputs
        env = {
            e["name"]: e["value"]
            for e in json.loads(task["containerDefinitions"])[0]["environment"]
        }
        keep_alive = int(env["LLMCHAIN_KEEP_ALIVE_S"])
    else:
        user_data = base64.b64decode(
            plan.one("aws:ec2/launchTemplate:LaunchTemplate").inputs["userData"]
        ).decode()
        keep_alive = int(user_data.split("LLMCHAIN_KEEP_ALIVE_S=", 1)[1].split()[0])
    assert keep_alive > idle
