"""The instance group's cloud-init, as a pure function: Docker, the service account, the app."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from string import Template

import yaml

SECRETS_DIR = "/run/llmchain/secrets"  # tmpfs: secrets never touch the disk
CONTAINER_SECRETS_DIR = "/run/secrets/llmchain"
APP_UID = 10001
BOOTSTRAP_PATH = "/usr/local/lib/llmchain-bootstrap.py"

# At every start the VM's service account (metadata server) logs Docker in to Artifact
# Registry and reads the secrets, each at the version the stack created (never the `latest`
# alias: a new value must change the template and roll the instances, not reach only the ones
# that happen to restart). Versions are read as projects/*/secrets/*/versions/*:access
# https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/access
# (read 2026-11-29). Standard library only: Ubuntu ships python3.
BOOTSTRAP = Template("""\\
import base64, json, os, subprocess, sys, urllib.request
project, registry = sys.argv[1:3]
secrets = dict(item.split("=", 1) for item in sys.argv[3:])
meta = "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token"
request = urllib.request.Request(meta, headers={"Metadata-Flavor": "Google"})
token = json.load(urllib.request.urlopen(request, timeout=10))["access_token"]
login = ["docker", "login", "--username", "oauth2accesstoken", "--password-stdin", registry]
subprocess.run(login, input=token.encode(), check=True)
os.makedirs("$secrets_dir", mode=0o700, exist_ok=True)
for env_name, secret_version in secrets.items():
    secret, version = secret_version.split("@", 1)
    api = "https://secretmanager.googleapis.com/v1/projects/%s/secrets/%s/versions/%s:access"
    url = api % (project, secret, version)
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    data = json.load(urllib.request.urlopen(request, timeout=10))["payload"]["data"]
    path = os.path.join("$secrets_dir", env_name)
    with open(path, "wb") as handle:
        handle.write(base64.b64decode(data))
    os.chown(path, $uid, $uid)
    os.chmod(path, 0o400)
os.chown("$secrets_dir", $uid, $uid)
""").substitute(secrets_dir=SECRETS_DIR, uid=APP_UID)


def cloud_init(
    *,
    project: str,
    registry: str,
    image_ref: str,
    env: Mapping[str, str],
    secret_ids: Mapping[str, str],
    secret_versions: Mapping[str, str],
    port: int,
    stop_timeout: int,
) -> str:
    """The `#cloud-config` document. It names secrets and versions; it never holds their values.

    secret_versions: setting -> the version number the stack created for its secret.
    """
    env_file = "".join(f"{k}={v}\n" for k, v in sorted(env.items()))
    env_file += f"LLMCHAIN_SECRETS_DIR={CONTAINER_SECRETS_DIR}\n"
    pinned = (f"{k}={v}@{secret_versions[k]}" for k, v in sorted(secret_ids.items()))
    args = [project, registry, *pinned]
    run = " ".join(
        [
            "/usr/bin/docker run --rm --name llmchain",
            f"-p {port}:{port}",
            "--read-only --tmpfs /tmp:rw,noexec,nosuid,size=64m",
            f"--user {APP_UID}:{APP_UID} --cap-drop ALL --security-opt no-new-privileges",
            "--env-file /etc/llmchain/env",
            f"-v {SECRETS_DIR}:{CONTAINER_SECRETS_DIR}:ro",
            "--log-driver gcplogs",
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
            f"ExecStartPre=/usr/bin/python3 {BOOTSTRAP_PATH} " + shlex.join(args),
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
        "package_update": True,
        "packages": ["docker.io"],
        "write_files": [
            {"path": "/etc/llmchain/env", "permissions": "0600", "content": env_file},
            {"path": BOOTSTRAP_PATH, "permissions": "0700", "content": BOOTSTRAP},
            {
                "path": "/etc/systemd/system/llmchain.service",
                "permissions": "0644",
                "content": unit,
            },
        ],
        "runcmd": [
            ["systemctl", "enable", "--now", "docker"],
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", "llmchain"],
        ],
    }
    return "#cloud-config\n" + yaml.safe_dump(document, sort_keys=False, width=1000)
