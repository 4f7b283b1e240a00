"""The scale set's cloud-init, as a pure function: Docker, the managed identity, the app."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from string import Template

from infra import vm_boot
from infra.image_contract import APP_UID

SECRETS_DIR = vm_boot.HOST_SECRETS_DIR
BOOTSTRAP_PATH = "/usr/local/lib/llmchain-bootstrap.py"

# Run at every start: the VM's managed identity (IMDS) gets an ACR token and the secrets.
# Standard library only: Ubuntu ships python3, nothing else is installed for this.
BOOTSTRAP = Template("""\
import json, os, sys, urllib.parse, urllib.request
client_id, registry, tenant, vault = sys.argv[1:5]
secrets = dict(item.split("=", 1) for item in sys.argv[5:])

def imds_token(resource):
    query = urllib.parse.urlencode(
        {"api-version": "2018-02-01", "resource": resource, "client_id": client_id})
    url = "http://169.254.169.254/metadata/identity/oauth2/token?" + query
    request = urllib.request.Request(url, headers={"Metadata": "true"})
    return json.load(urllib.request.urlopen(request, timeout=10))["access_token"]

body = urllib.parse.urlencode({"grant_type": "access_token", "service": registry, "tenant": tenant,
                               "access_token": imds_token("https://management.azure.com/")}).encode()
exchange = urllib.request.Request("https://%s/oauth2/exchange" % registry, data=body)
refresh = json.load(urllib.request.urlopen(exchange, timeout=10))["refresh_token"]
os.makedirs("/run/llmchain", exist_ok=True)
with open("/run/llmchain/acr-token", "w") as handle:
    handle.write(refresh)
os.makedirs("$secrets_dir", mode=0o700, exist_ok=True)
vault_token = imds_token("https://vault.azure.net") if secrets else None
for env_name, secret in secrets.items():
    request = urllib.request.Request(
        "https://%s.vault.azure.net/secrets/%s?api-version=7.4" % (vault, secret),
        headers={"Authorization": "Bearer " + vault_token})
    value = json.load(urllib.request.urlopen(request, timeout=10))["value"]
    path = os.path.join("$secrets_dir", env_name)
    with open(path, "w") as handle:
        handle.write(value)
    os.chown(path, $uid, $uid)
    os.chmod(path, 0o400)
os.chown("$secrets_dir", $uid, $uid)
""").substitute(secrets_dir=SECRETS_DIR, uid=APP_UID)


ENV_FILE = vm_boot.ENV_FILE
IMAGE_FILE = "/etc/llmchain/image"  # LLMCHAIN_IMAGE=<ref@digest> (systemd EnvironmentFile)


def cloud_init(
    *,
    client_id: str,
    registry: str,
    tenant: str,
    vault: str,
    secret_names: Mapping[str, str],
    port: int,
    stop_timeout: int,
    limits: vm_boot.Limits,
) -> str:
    """The `#cloud-config` document: Docker, the bootstrap and the unit. It never changes with a
    release - the image and settings come from `release_script`, so it names no digest and
    holds no setting (and names secrets, never their values).

    Custom data reaches an instance once, at its first boot: a release in it would never reach
    the instances already running.
    """
    args = [
        client_id,
        registry,
        tenant,
        vault,
        *(f"{k}={v}" for k, v in sorted(secret_names.items())),
    ]
    unit = vm_boot.unit(
        prepare=[
            f"/usr/bin/python3 {BOOTSTRAP_PATH} " + shlex.join(args),
            "/bin/sh -c 'docker login --username 00000000-0000-0000-0000-000000000000 "
            f"--password-stdin {registry} < /run/llmchain/acr-token'",
        ],
        image="${LLMCHAIN_IMAGE}",
        run=vm_boot.docker_run(
            image="${LLMCHAIN_IMAGE}",
            port=port,
            log_flags=["--log-driver journald"],
            limits=limits,
        ),
        stop_timeout=stop_timeout,
        # Written by the release extension; until then there is nothing to run.
        conditions=[f"ConditionPathExists={IMAGE_FILE}"],
        environment_files=[IMAGE_FILE],
    )
    return vm_boot.cloud_config(
        files=[
            vm_boot.file(BOOTSTRAP_PATH, BOOTSTRAP, "0700"),
            vm_boot.file(vm_boot.UNIT_PATH, unit),
        ],
        apt_packages=["docker.io"],
        start=False,  # started by the release script
    )


def release_script(*, image_ref: str, env: Mapping[str, str]) -> str:
    """The release: the image and the app's settings, written and (re)started on the instance.

    It runs as the scale set's Custom Script extension, which runs again on an instance
    whenever its settings change (https://github.com/Azure/custom-script-extension-linux,
    read 2026-11-29: "If you change anything in the extension configuration and deploy it
    again, the command will be executed again"); a new digest or setting changes them, so the
    scale set's model changes and its rolling upgrade policy carries the release to every
    instance, batch by batch, each batch healthy (/healthz) before the next.
    """
    env_file = vm_boot.env_file(env)
    return "\n".join(
        [
            "#!/bin/sh",
            "set -eu",
            # Extensions may start before cloud-init has installed Docker and the unit.
            "cloud-init status --wait >/dev/null || true",
            "install -d -m 0755 /etc/llmchain",
            "umask 077",
            f"cat > {ENV_FILE}.new <<'LLMCHAIN_END'",
            env_file + "LLMCHAIN_END",
            f"cat > {IMAGE_FILE}.new <<'LLMCHAIN_END'",
            f"LLMCHAIN_IMAGE={image_ref}",
            "LLMCHAIN_END",
            f"mv {ENV_FILE}.new {ENV_FILE}",
            f"mv {IMAGE_FILE}.new {IMAGE_FILE}",
            "systemctl daemon-reload",
            "systemctl restart llmchain",  # drains the old container (docker stop -t), pulls
            "",
        ]
    )
