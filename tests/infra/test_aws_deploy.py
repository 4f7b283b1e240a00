"""Issue 14: what a real `up` on AWS trips on and mocks accept — names, order, keys, grants."""

from __future__ import annotations

import json

import pytest

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
    groups = [g for g in plan.of_type(LOG_GROUP) if g.inputs.get("name", "").endswith("/app")]
    assert [g.inputs["name"] for g in groups] == ["/llmchain/llmchain-aws/app"]
    (group,) = groups
    if plan.of_type(SERVICE):
        task = plan.one("aws:ecs/taskDefinition:TaskDefinition")
        (container,) = json.loads(task.inputs["containerDefinitions"])
        assert container["logConfiguration"]["options"]["awslogs-group"] == group.inputs["name"]
        assert plan.depends_on(task, group)
