"""The AWS stack under mocks, for serverless, vm and cluster: resources and invariants."""

from __future__ import annotations

import base64
import json
import re

import pytest
import yaml

from infra.aws import iam
from infra.plan import Plan, run_plan
from tests.infra.plan_cache import API_KEY, cloud_plan

PINNED = re.compile(r"python:3\.11-slim@sha256:[0-9a-f]{64}$")  # the base, by digest

MODES = ["serverless", "vm", "cluster"]
OPENAI_KEY = "sk-never-plain-0001"
DB_PASSWORD = "mock-Password-0123456789abcdef"  # what the mocks make the generated password


def plan_for(mode: str, **overrides: object) -> Plan:
    return cloud_plan("aws", mode, **overrides)


@pytest.fixture(scope="module", params=MODES)
def plan(request: pytest.FixtureRequest) -> Plan:
    return plan_for(request.param)


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {mode: plan_for(mode) for mode in MODES}


def mode_of(plan: Plan) -> str:
    if plan.of_type("aws:ecs/service:Service"):
        return "serverless"
    return "vm" if plan.of_type("aws:autoscaling/group:Group") else "cluster"


def policies(plan: Plan) -> list[dict]:
    """Every inline IAM policy document in the plan."""
    return [json.loads(r.inputs["policy"]) for r in plan.of_type("aws:iam/rolePolicy:RolePolicy")]


# --- invariants, for every compute mode -------------------------------------------------


def test_only_the_load_balancer_is_open_to_the_internet_and_never_ssh(plan: Plan) -> None:
    for group in plan.of_type("aws:ec2/securityGroup:SecurityGroup"):
        for rule in group.inputs.get("ingress", []):
            ports = set(range(rule["fromPort"], rule["toPort"] + 1))
            assert 22 not in ports and 3389 not in ports, group.name
            if "0.0.0.0/0" in rule.get("cidrBlocks", []):
                assert group.name.endswith("-alb-sg"), group.name
                assert ports <= {80, 443}, group.name


def test_database_is_private_encrypted_backed_up_and_reachable_only_from_the_workload(
    plan: Plan,
) -> None:
    db = plan.one("aws:rds/instance:Instance").inputs
    assert db["publiclyAccessible"] is False
    assert db["storageEncrypted"] is True
    assert db["backupRetentionPeriod"] >= 7
    assert db["deletionProtection"] is True
    assert db["password"] == "[secret]"
    subnets = plan.one("aws:rds/subnetGroup:SubnetGroup").inputs["subnetIds"]
    assert all("-private-" in s for s in subnets)
    db_sg = next(
        g
        for g in plan.of_type("aws:ec2/securityGroup:SecurityGroup")
        if g.name.endswith("-memory-sg")
    )
    (rule,) = db_sg.inputs["ingress"]
    assert (rule["fromPort"], rule["toPort"]) == (5432, 5432)
    assert "cidrBlocks" not in rule and len(rule["securityGroups"]) == 1


def test_no_secret_value_in_plain_config_user_data_or_outputs() -> None:
    for mode in MODES:
        plan = run_plan(
            "aws",
            {
                "llmchain:compute": mode,
                "llmchain:llm.provider": "openai",
                "llmchain:image.providers": "openai",
            },
            {"llmchain:openaiApiKey": OPENAI_KEY, "llmchain:apiKeys": API_KEY},
        )
        text = json.dumps(plan.to_json())
        for group in plan.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
            if "userData" in group.inputs:
                text += base64.b64decode(group.inputs["userData"]).decode()
        for secret in (OPENAI_KEY, API_KEY, DB_PASSWORD):
            assert secret not in text, (mode, secret)


def test_compute_runs_the_image_by_digest(plan: Plan) -> None:
    ref = plan.outputs["image_ref"]
    assert ref.startswith("123456789012.dkr.ecr.us-east-1.amazonaws.com/llmchain-aws@sha256:")
    mode = mode_of(plan)
    if mode == "serverless":
        (container,) = json.loads(
            plan.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"]
        )
        assert container["image"] == ref
    elif mode == "vm":
        template = next(
            t
            for t in plan.of_type("aws:ec2/launchTemplate:LaunchTemplate")
            if "userData" in t.inputs
        )
        assert ref in base64.b64decode(template.inputs["userData"]).decode()
    else:
        deployment = plan.one("kubernetes:apps/v1:Deployment")
        assert deployment.inputs["spec"]["template"]["spec"]["containers"][0]["image"] == ref


def test_health_checks_point_at_the_health_paths(plan: Plan) -> None:
    mode = mode_of(plan)
    if mode == "cluster":
        container = plan.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"][
            "containers"
        ][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        return
    check = plan.one("aws:lb/targetGroup:TargetGroup").inputs["healthCheck"]
    assert check["path"] == "/readyz"
    if mode == "serverless":
        (container,) = json.loads(
            plan.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"]
        )
        assert "/healthz" in container["healthCheck"]["command"][-1]
    else:
        assert plan.one("aws:autoscaling/group:Group").inputs["healthCheckType"] == "ELB"


def test_alarms_exist_and_notify_the_topic(plan: Plan) -> None:
    topic = plan.one("aws:sns/topic:Topic")
    assert (
        plan.one("aws:sns/topicSubscription:TopicSubscription").inputs["endpoint"]
        == "ops@example.com"
    )
    alarms = {
        a.name.removeprefix("llmchain-aws-"): a
        for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    expected = (
        {"errors", "latency", "cpu", "memory", "restarts"}  # HTTP ones from the access log
        if mode_of(plan) == "cluster"
        else {"errors", "latency", "unhealthy", "cpu", "memory"}
    )
    assert set(alarms) == expected
    topic_arn = f"arn:aws:sns:us-east-1:123456789012:topic/{topic.name}"
    for alarm in alarms.values():
        assert alarm.inputs["alarmActions"] == [topic_arn]
    dashboard = json.loads(plan.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    assert len(dashboard["widgets"]) == len(alarms)
    assert plan.outputs["dashboard_url"].endswith("#dashboards:name=llmchain-aws")


def test_error_and_latency_alarms_use_the_configured_thresholds() -> None:
    plan = run_plan(
        "aws", {"llmchain:monitoring.errorRatePercent": 2, "llmchain:monitoring.latencyP95Ms": 3000}
    )
    alarms = {a.name: a.inputs for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert alarms["llmchain-aws-errors"]["threshold"] == 2
    assert "HTTPCode_Target_5XX_Count" in json.dumps(alarms["llmchain-aws-errors"]["metricQueries"])
    assert alarms["llmchain-aws-latency"]["threshold"] == 3
    assert alarms["llmchain-aws-latency"]["extendedStatistic"] == "p95"


def test_autoscaling_bounds_come_from_config(plan: Plan) -> None:
    mode = mode_of(plan)
    if mode == "serverless":
        target = plan.one("aws:appautoscaling/target:Target").inputs
        assert (target["minCapacity"], target["maxCapacity"]) == (2, 7)
    elif mode == "vm":
        group = plan.one("aws:autoscaling/group:Group").inputs
        assert (group["minSize"], group["maxSize"]) == (2, 7)
    else:
        hpa = plan.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs["spec"]
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 7)


def test_every_aws_resource_carries_the_stack_tags(plan: Plan) -> None:
    provider = plan.one("pulumi:providers:aws")
    default_tags = provider.inputs["defaultTags"]  # provider inputs travel JSON-encoded
    tags = (
        json.loads(default_tags)["tags"] if isinstance(default_tags, str) else default_tags["tags"]
    )
    assert tags == {"app": "llmchain", "stack": "aws", "managed-by": "pulumi", "team": "ml"}
    for resource in plan.resources:
        if resource.type.startswith("aws:"):
            assert resource.provider and resource.provider.startswith(provider.urn), resource.name
    for template in plan.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        for spec in template.inputs.get("tagSpecifications", []):
            assert spec["tags"]["stack"] == "aws"  # instances launched by the ASG too


def test_every_iam_policy_is_least_privilege(plan: Plan) -> None:
    for document in policies(plan):
        assert iam.violations(document) == [], document


# --- per concern ------------------------------------------------------------------------------


def test_network_spans_two_zones_with_private_subnets_nat_and_flow_logs(
    plans: dict[str, Plan],
) -> None:
    plan = plans["serverless"]
    subnets = {s.name: s.inputs for s in plan.of_type("aws:ec2/subnet:Subnet")}
    assert len([n for n in subnets if "-private-" in n]) == 2
    assert len({s["availabilityZone"] for s in subnets.values()}) == 2
    assert all(s.get("mapPublicIpOnLaunch") is not True for s in subnets.values())
    assert len(plan.of_type("aws:ec2/natGateway:NatGateway")) == 1
    assert plan.one("aws:ec2/flowLog:FlowLog").inputs["trafficType"] == "ALL"
    ha = run_plan("aws", {"llmchain:ha": True})
    assert len(ha.of_type("aws:ec2/natGateway:NatGateway")) == 2
    assert ha.one("aws:rds/instance:Instance").inputs["multiAz"] is True


def test_registry_scans_keeps_tags_immutable_and_expires_old_images(plans: dict[str, Plan]) -> None:
    plan = plans["serverless"]
    repo = plan.one("aws:ecr/repository:Repository").inputs
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    rules = json.loads(plan.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])[
        "rules"
    ]
    assert rules[0]["action"] == {"type": "expire"}
    image = plan.one("docker-build:index:Image").inputs
    assert image["push"] is True
    (registry,) = image["registries"]
    assert registry["address"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    assert registry["password"] == "[secret]"  # the ECR token travels as a secret
    assert image["buildArgs"]["PROVIDERS"] == "bedrock"
    assert PINNED.match(image["buildArgs"]["BASE_IMAGE"])


def test_secrets_live_in_secrets_manager_and_reach_tasks_by_arn(plans: dict[str, Plan]) -> None:
    plan = plans["serverless"]
    names = {s.inputs["namePrefix"] for s in plan.of_type("aws:secretsmanager/secret:Secret")}
    assert names == {"llmchain-aws/llmchain-api-keys-", "llmchain-aws/llmchain-memory-url-"}
    assert all(
        v.inputs["secretString"] == "[secret]"
        for v in plan.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    )
    (container,) = json.loads(
        plan.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"]
    )
    assert {s["name"] for s in container["secrets"]} == {"LLMCHAIN_API_KEYS", "LLMCHAIN_MEMORY_URL"}
    assert not {e["name"] for e in container["environment"]} & {
        "LLMCHAIN_API_KEYS",
        "LLMCHAIN_MEMORY_URL",
    }
    execution = next(
        p for p in policies(plan) if any(s.get("Sid") == "ReadOwnSecrets" for s in p["Statement"])
    )
    read = next(s for s in execution["Statement"] if s["Sid"] == "ReadOwnSecrets")
    assert len(read["Resource"]) == 2 and all(":secretsmanager:" in r for r in read["Resource"])


def test_serverless_service_shape(plans: dict[str, Plan]) -> None:
    plan = plans["serverless"]
    assert plan.one("aws:ecs/cluster:Cluster").inputs["settings"] == [
        {"name": "containerInsights", "value": "enabled"}
    ]
    service = plan.one("aws:ecs/service:Service").inputs
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["networkConfiguration"]["assignPublicIp"] is False
    assert all("-private-" in s for s in service["networkConfiguration"]["subnets"])
    task = plan.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    assert (task["cpu"], task["memory"]) == ("512", "1024")
    (container,) = json.loads(task["containerDefinitions"])
    assert container["readonlyRootFilesystem"] is True and container["user"] == "10001:10001"
    assert container["logConfiguration"]["logDriver"] == "awslogs"
    assert plan.one("aws:lb/loadBalancer:LoadBalancer").inputs["idleTimeout"] >= 300


def test_http_only_without_a_domain_https_and_redirect_with_one(plans: dict[str, Plan]) -> None:
    listeners = plans["serverless"].of_type("aws:lb/listener:Listener")
    assert [(x.inputs["port"], x.inputs["defaultActions"][0]["type"]) for x in listeners] == [
        (80, "forward")
    ]
    plan = run_plan(
        "aws",
        {
            "llmchain:ingress.domain": "api.example.com",
            "llmchain:aws.hostedZoneId": "Z0123456789ABC",
        },
    )
    ports = {x.inputs["port"]: x.inputs for x in plan.of_type("aws:lb/listener:Listener")}
    assert ports[443]["protocol"] == "HTTPS" and ports[443]["sslPolicy"].startswith(
        "ELBSecurityPolicy-TLS13"
    )
    assert ports[80]["defaultActions"][0]["redirect"]["protocol"] == "HTTPS"
    assert plan.one("aws:acm/certificate:Certificate").inputs["domainName"] == "api.example.com"
    assert plan.outputs["url"] == "https://api.example.com"


def test_vm_launch_template_is_hardened_and_refreshes_on_a_new_image(
    plans: dict[str, Plan],
) -> None:
    plan = plans["vm"]
    template = plan.one("aws:ec2/launchTemplate:LaunchTemplate").inputs
    assert template["metadataOptions"]["httpTokens"] == "required"
    assert "keyName" not in template
    assert template["blockDeviceMappings"][0]["ebs"]["encrypted"] == "true"
    group = plan.one("aws:autoscaling/group:Group").inputs
    assert group["instanceRefresh"]["strategy"] == "Rolling"
    assert all("-private-" in s for s in group["vpcZoneIdentifiers"])
    attachments = {
        a.inputs["policyArn"]
        for a in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" in attachments
    user_data = yaml.safe_load(
        base64.b64decode(template["userData"]).decode().removeprefix("#cloud-config\n")
    )
    assert any("llmchain-fetch-secrets" in f["path"] for f in user_data["write_files"])


def test_cluster_mode_eks_with_irsa(plans: dict[str, Plan]) -> None:
    plan = plans["cluster"]
    cluster = plan.one("aws:eks/cluster:Cluster").inputs
    assert cluster["encryptionConfig"]["resources"] == ["secrets"]
    assert "audit" in cluster["enabledClusterLogTypes"]
    nodes = plan.one("aws:eks/nodeGroup:NodeGroup").inputs
    assert all("-private-" in s for s in nodes["subnetIds"])
    node_template = plan.one("aws:ec2/launchTemplate:LaunchTemplate").inputs
    assert (
        node_template["metadataOptions"]["httpPutResponseHopLimit"] == 1
    )  # pods cannot reach node creds
    assert plan.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").inputs[
        "clientIdLists"
    ] == ["sts.amazonaws.com"]
    app_role = next(r for r in plan.of_type("aws:iam/role:Role") if r.name == "llmchain-aws-app")
    trust = json.loads(app_role.inputs["assumeRolePolicy"])["Statement"][0]
    assert (
        next(iter(trust["Condition"]["StringEquals"].values()))
        == "system:serviceaccount:llmchain-aws:llmchain-aws"
    )
    account = plan.one("kubernetes:core/v1:ServiceAccount").inputs
    assert (
        account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
        == f"arn:aws:iam:us-east-1:123456789012:role/{app_role.name}"
    )
    assert account["automountServiceAccountToken"] is False
    assert plan.one("kubernetes:core/v1:Secret").inputs["stringData"] == "[secret]"


@pytest.mark.parametrize("mode", MODES)
def test_bedrock_is_keyless_and_limited_to_the_model(mode: str, plans: dict[str, Plan]) -> None:
    plan = plans[mode]
    (statement,) = [
        s
        for p in policies(plan)
        for s in p["Statement"]
        if s.get("Sid") == "InvokeConfiguredModels"
    ]
    assert statement["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    # The default is a cross-Region inference profile: the profile, and the model it routes to.
    assert statement["Resource"] == [
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        "arn:aws:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0",
    ]
    assert "LLMCHAIN_OPENAI_API_KEY" not in json.dumps(plan.to_json())


def test_openai_provider_gets_its_key_from_secrets_manager_and_no_bedrock() -> None:
    plan = run_plan(
        "aws",
        {"llmchain:llm.provider": "openai", "llmchain:image.providers": "openai"},
        {"llmchain:openaiApiKey": OPENAI_KEY},
    )
    names = {s.inputs["namePrefix"] for s in plan.of_type("aws:secretsmanager/secret:Secret")}
    assert "llmchain-aws/llmchain-openai-api-key-" in names
    assert not [
        s
        for p in policies(plan)
        for s in p["Statement"]
        if s.get("Sid") == "InvokeConfiguredModels"
    ]


def test_domain_with_cluster_or_without_a_zone_is_refused_before_anything() -> None:
    from infra.plan import PlanConfigError

    with pytest.raises(PlanConfigError, match=r"llmchain:aws\.hostedZoneId: required"):
        run_plan("aws", {"llmchain:ingress.domain": "api.example.com"})
    with pytest.raises(PlanConfigError, match="a custom domain is set up for serverless, vm yet"):
        run_plan("aws", {"llmchain:compute": "cluster", "llmchain:ingress.domain": "a.example.com",
                         "llmchain:aws.hostedZoneId": "Z0123456789ABC"})  # fmt: skip


def test_the_app_log_group_is_made_only_where_the_app_writes_to_it(plans: dict[str, Plan]) -> None:
    """ECS and EC2 write to /llmchain/<name>/app; on EKS the add-on's group has the logs (and
    an empty group would only be billed and searched in vain)."""
    for mode, plan in plans.items():
        groups = {r.inputs.get("name") for r in plan.of_type("aws:cloudwatch/logGroup:LogGroup")}
        assert ("/llmchain/llmchain-aws/app" in groups) == (mode != "cluster"), mode
