"""The instance group's cloud-init, as a pure function: Docker, the service account, the app."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from string import Template

from infra import vm_boot
from infra.image_contract import APP_UID

SECRETS_DIR = vm_boot.HOST_SECRETS_DIR
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
    limits: vm_boot.Limits,
) -> str:
    """The `#cloud-config` document. It names secrets and versions; it never holds their values.

    secret_versions: setting -> the version number the stack created for its secret.
    """
    pinned = (f"{k}={v}@{secret_versions[k]}" for k, v in sorted(secret_ids.items()))
    args = [project, registry, *pinned]
    image = shlex.quote(image_ref)
    unit = vm_boot.unit(
        # One step: the service account's token logs Docker in and reads the secrets.
        prepare=[f"/usr/bin/python3 {BOOTSTRAP_PATH} " + shlex.join(args)],
        image=image,
        run=vm_boot.docker_run(
            image=image, port=port, log_flags=["--log-driver gcplogs"], limits=limits
        ),
        stop_timeout=stop_timeout,
    )
    return vm_boot.cloud_config(
        files=[
            vm_boot.file(vm_boot.ENV_FILE, vm_boot.env_file(env), "0600"),
            vm_boot.file(BOOTSTRAP_PATH, BOOTSTRAP, "0700"),
            vm_boot.file(vm_boot.UNIT_PATH, unit),
        ],
        apt_packages=["docker.io"],
    )
