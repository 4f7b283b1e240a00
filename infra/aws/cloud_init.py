"""The EC2 instances' cloud-init, as a pure function: install Docker, fetch secrets, run the app."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping

from infra import vm_boot
from infra.image_contract import APP_UID

AGENT_CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
FETCH_SECRETS = "/usr/local/bin/llmchain-fetch-secrets"


def _agent_config() -> str:
    """CloudWatch agent: memory use per Auto Scaling group (EC2 does not report it)."""
    return json.dumps(
        {
            "metrics": {
                "namespace": "CWAgent",
                "append_dimensions": {"AutoScalingGroupName": "${aws:AutoScalingGroupName}"},
                "aggregation_dimensions": [["AutoScalingGroupName"]],
                "metrics_collected": {"mem": {"measurement": ["mem_used_percent"]}},
            }
        }
    )


def cloud_init(
    *,
    region: str,
    registry: str,
    image_ref: str,
    env: Mapping[str, str],
    secret_arns: Mapping[str, str],
    log_group: str,
    port: int,
    stop_timeout: int,
    limits: vm_boot.Limits,
) -> str:
    """The `#cloud-config` document. It names secrets by ARN; it never holds their values."""
    secrets_dir = vm_boot.HOST_SECRETS_DIR
    fetch = ["#!/bin/sh", "set -eu", f"install -d -m 0700 -o {APP_UID} -g {APP_UID} {secrets_dir}"]
    for name, arn in sorted(secret_arns.items()):
        target = f"{secrets_dir}/{name}"
        fetch.append(
            f"aws secretsmanager get-secret-value --region {region} --secret-id {shlex.quote(arn)} "
            f"--query SecretString --output text > {target}"
        )
        fetch.append(f"chown {APP_UID}:{APP_UID} {target} && chmod 0400 {target}")
    # Fargate and EKS put AWS_REGION in the container's environment; plain `docker run` on
    # EC2 does not, and the AWS SDK (boto3, the Bedrock client) reads the region from it.
    # https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html (read 2026-11-29)
    env_file = vm_boot.env_file(env) + f"AWS_REGION={region}\n"
    image = shlex.quote(image_ref)
    logs = [
        "--log-driver awslogs",
        f"--log-opt awslogs-region={region} --log-opt awslogs-group={log_group}",
        "--log-opt awslogs-create-group=false",
    ]
    login = (
        "/bin/sh -c 'aws ecr get-login-password --region "
        f"{region} | docker login --username AWS --password-stdin {registry}'"
    )
    unit = vm_boot.unit(
        prepare=[FETCH_SECRETS, login],
        image=image,
        run=vm_boot.docker_run(image=image, port=port, log_flags=logs, limits=limits),
        stop_timeout=stop_timeout,
    )
    return vm_boot.cloud_config(
        files=[
            vm_boot.file(vm_boot.ENV_FILE, env_file, "0600"),
            vm_boot.file(FETCH_SECRETS, "\n".join(fetch) + "\n", "0700"),
            vm_boot.file(vm_boot.UNIT_PATH, unit),
            vm_boot.file(AGENT_CONFIG, _agent_config()),
        ],
        # Amazon Linux 2023 installs with dnf, not apt.
        setup=[
            ["dnf", "install", "-y", "docker", "amazon-cloudwatch-agent"],
            [
                "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl",
                "-a",
                "fetch-config",
                "-m",
                "ec2",
                "-s",
                "-c",
                f"file:{AGENT_CONFIG}",
            ],
        ],
    )
