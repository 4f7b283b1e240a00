"""The EC2 instances' cloud-init, as a pure function: install Docker, fetch secrets, run the app."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping

import yaml

SECRETS_DIR = "/run/llmchain/secrets"  # tmpfs: secrets never touch the disk
CONTAINER_SECRETS_DIR = "/run/secrets/llmchain"
APP_UID = 10001


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
) -> str:
    """The `#cloud-config` document. It names secrets by ARN; it never holds their values."""
    fetch = ["#!/bin/sh", "set -eu", f"install -d -m 0700 -o {APP_UID} -g {APP_UID} {SECRETS_DIR}"]
    for name, arn in sorted(secret_arns.items()):
        target = f"{SECRETS_DIR}/{name}"
        fetch.append(
            f"aws secretsmanager get-secret-value --region {region} --secret-id {shlex.quote(arn)} "
            f"--query SecretString --output text > {target}"
        )
        fetch.append(f"chown {APP_UID}:{APP_UID} {target} && chmod 0400 {target}")
    env_file = "".join(f"{k}={v}\n" for k, v in sorted(env.items()))
    env_file += f"LLMCHAIN_SECRETS_DIR={CONTAINER_SECRETS_DIR}\n"
    # Fargate and EKS put AWS_REGION in the container's environment; plain `docker run` on
    # EC2 does not, and the AWS SDK (boto3, the Bedrock client) reads the region from it.
    # https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html (read 2026-11-29)
    env_file += f"AWS_REGION={region}\n"
    run = " ".join(
        [
            "/usr/bin/docker run --rm --name llmchain",
            f"-p {port}:{port}",
            "--read-only --tmpfs /tmp:rw,noexec,nosuid,size=64m",
            f"--user {APP_UID}:{APP_UID} --cap-drop ALL --security-opt no-new-privileges",
            "--env-file /etc/llmchain/env",
            f"-v {SECRETS_DIR}:{CONTAINER_SECRETS_DIR}:ro",
            "--log-driver awslogs",
            f"--log-opt awslogs-region={region} --log-opt awslogs-group={log_group}",
            "--log-opt awslogs-create-group=false",
            shlex.quote(image_ref),
        ]
    )
    unit = "\n".join(
        [
            "[Unit]",
            "Description=llmchain",
            "After=docker.service network-online.target",
            "Requires=docker.service",
            "[Service]",
            "Restart=always",
            "RestartSec=5",
            "TimeoutStartSec=600",
            "ExecStartPre=/usr/local/bin/llmchain-fetch-secrets",
            "ExecStartPre=/bin/sh -c 'aws ecr get-login-password --region "
            f"{region} | docker login --username AWS --password-stdin {registry}'",
            f"ExecStartPre=/usr/bin/docker pull {shlex.quote(image_ref)}",
            f"ExecStart={run}",
            f"ExecStop=/usr/bin/docker stop -t {stop_timeout} llmchain",
            f"TimeoutStopSec={stop_timeout + 10}",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ]
    )
    document = {
        "package_update": False,
        "write_files": [
            {"path": "/etc/llmchain/env", "permissions": "0600", "content": env_file},
            {
                "path": "/usr/local/bin/llmchain-fetch-secrets",
                "permissions": "0700",
                "content": "\n".join(fetch) + "\n",
            },
            {
                "path": "/etc/systemd/system/llmchain.service",
                "permissions": "0644",
                "content": unit,
            },
            {
                "path": "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json",
                "permissions": "0644",
                "content": _agent_config(),
            },
        ],
        "runcmd": [
            ["dnf", "install", "-y", "docker", "amazon-cloudwatch-agent"],
            ["systemctl", "enable", "--now", "docker"],
            [
                "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl",
                "-a",
                "fetch-config",
                "-m",
                "ec2",
                "-s",
                "-c",
                "file:/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json",
            ],
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", "llmchain"],
        ],
    }
    return "#cloud-config\n" + yaml.safe_dump(document, sort_keys=False, width=1000)
