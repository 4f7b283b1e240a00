"""The AWS target's pure helpers: IAM documents, cloud-init, Fargate sizes, kubeconfig, subnets."""

from __future__ import annotations

import yaml

from app.core.config import DEFAULT_MODELS as APP_DEFAULTS
from infra.aws import iam
from infra.aws.cloud_init import cloud_init
from infra.aws.cluster import kubeconfig
from infra.aws.network import subnet_cidrs
from infra.aws.serverless import container_definitions, fargate_size
from infra.config import DEFAULT_MODELS as INFRA_DEFAULTS
from infra.vm_boot import Limits

SECRET_ARN = (
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:llmchain-aws/llmchain-memory-url-AbCdEf"
)
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/llmchain@sha256:" + "a" * 64


def test_documents_have_no_wildcard_actions_and_scope_resources() -> None:
    documents = [
        iam.assume_role("ecs-tasks"),
        iam.bedrock_invoke(
            "us-east-1", "123456789012", ["anthropic.claude-3-5-haiku-20241022-v1:0"]
        ),
        iam.read_secrets([SECRET_ARN]),
        iam.pull_image("arn:aws:ecr:us-east-1:123456789012:repository/llmchain"),
        iam.write_logs("arn:aws:logs:us-east-1:123456789012:log-group:/llmchain/app"),
        iam.put_agent_metrics(),
        iam.irsa_trust(
            "arn:aws:iam::123456789012:oidc-provider/x", "https://oidc.x/id/1", "ns", "sa"
        ),
    ]
    for document in documents:
        assert iam.violations(document) == [], document


def test_violations_catch_wildcards() -> None:
    wild_action = {"Statement": [{"Sid": "A", "Action": "s3:*", "Resource": "arn:aws:s3:::b"}]}
    wild_resource = {"Statement": [{"Sid": "B", "Action": ["s3:GetObject"], "Resource": "*"}]}
    assert iam.violations(wild_action) == ["wildcard action in A"]
    assert iam.violations(wild_resource) == ["wildcard resource in B"]
    token_only = {
        "Statement": [{"Sid": "C", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"}]
    }
    assert iam.violations(token_only) == []  # AWS offers no narrower resource for it


def test_bedrock_arns_for_models_and_inference_profiles() -> None:
    assert iam.bedrock_model_arns("eu-west-1", "1", "amazon.nova-lite-v1:0") == [
        "arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-lite-v1:0"
    ]
    assert iam.bedrock_model_arns(
        "us-east-1", "123", "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    ) == [
        "arn:aws:bedrock:us-east-1:123:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "arn:aws:bedrock:*::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0",
    ]


def test_irsa_trust_is_limited_to_one_service_account() -> None:
    doc = iam.irsa_trust(
        "arn:oidc",
        "https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
        "llmchain-aws",
        "llmchain-aws",
    )
    condition = doc["Statement"][0]["Condition"]["StringEquals"]
    assert condition == {
        "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:llmchain-aws:llmchain-aws",
        "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
    }


def test_cloud_init_runs_the_digest_hardened_and_fetches_secrets_by_arn() -> None:
    text = cloud_init(
        region="us-east-1",
        registry="123456789012.dkr.ecr.us-east-1.amazonaws.com",
        image_ref=IMAGE,
        env={"LLMCHAIN_PROVIDER": "bedrock", "PORT": "8000"},
        secret_arns={"LLMCHAIN_MEMORY_URL": SECRET_ARN},
        log_group="/llmchain/llmchain-aws/app",
        port=8000,
        stop_timeout=40,
        limits=Limits(1, 1024),
    )
    assert text.startswith("#cloud-config\n")
    document = yaml.safe_load(text)
    files = {f["path"]: f for f in document["write_files"]}
    unit = files["/etc/systemd/system/llmchain.service"]["content"]
    assert IMAGE in unit and "--read-only" in unit and "--cap-drop ALL" in unit
    assert "--user 10001:10001" in unit and "Restart=always" in unit
    assert "--log-driver awslogs" in unit
    fetch = files["/usr/local/bin/llmchain-fetch-secrets"]["content"]
    assert SECRET_ARN in fetch and "/run/llmchain/secrets/LLMCHAIN_MEMORY_URL" in fetch
    assert files["/etc/llmchain/env"]["permissions"] == "0600"
    assert "LLMCHAIN_SECRETS_DIR=/run/secrets/llmchain" in files["/etc/llmchain/env"]["content"]
    assert ["systemctl", "enable", "--now", "llmchain"] in document["runcmd"]


def test_fargate_sizes_round_up_to_valid_pairs() -> None:
    assert fargate_size(0.25, 512) == (256, 512)
    assert fargate_size(0.5, 1024) == (512, 1024)
    assert fargate_size(0.5, 1500) == (512, 2048)
    assert fargate_size(1, 1024) == (1024, 2048)  # 1 vCPU needs at least 2 GiB
    assert fargate_size(0.25, 4096) == (512, 4096)  # too much memory for 0.25 vCPU
    assert fargate_size(4, 8192) == (4096, 8192)


def test_container_definition_names_secrets_by_arn_only() -> None:
    (container,) = container_definitions(
        image=IMAGE, port=8000, env={"A": "1"}, secret_arns={"LLMCHAIN_API_KEYS": SECRET_ARN},
        log_group="g", region="us-east-1", health_path="/healthz", stop_timeout=45,
    )  # fmt: skip
    assert container["secrets"] == [{"name": "LLMCHAIN_API_KEYS", "valueFrom": SECRET_ARN}]
    assert container["environment"] == [{"name": "A", "value": "1"}]
    assert container["linuxParameters"]["capabilities"] == {"drop": ["ALL"]}


def test_kubeconfig_uses_aws_for_tokens() -> None:
    config = kubeconfig("c", "https://x", "Y2E=", "eu-west-1")
    user = config["users"][0]["user"]["exec"]
    assert user["command"] == "aws"
    assert user["args"] == ["eks", "get-token", "--cluster-name", "c", "--region", "eu-west-1"]
    assert "token" not in str(config["users"][0]["user"]).replace("get-token", "")


def test_subnets_do_not_overlap() -> None:
    public, private = subnet_cidrs("10.40.0.0/16", 2)
    assert public == ["10.40.0.0/20", "10.40.16.0/20"]
    assert private == ["10.40.32.0/20", "10.40.48.0/20"]


def test_infra_and_app_agree_on_default_models() -> None:
    assert {k.value: v for k, v in INFRA_DEFAULTS.items()} == {
        k.value: v for k, v in APP_DEFAULTS.items()
    }
