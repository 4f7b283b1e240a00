"""The README's first-run sequence names what exists, in an order that works, and `make run`
leaves the venv the Pulumi program needs."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from infra.config import PROVIDER_KEYS, SECRET_KEYS, StackConfig
from infra.plan import ROOT

README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()
OUTPUTS = {"url", "image_ref", "health_url", "dashboard_url", "memory_store"}


def deploy_section() -> str:
    """The README's `## Deploy` section, up to the next second-level heading."""
    match = re.search(r"^## Deploy\n(.*?)(?=^## )", README, re.S | re.M)
    assert match, "README.md has no Deploy section"
    return match.group(1)


def deploy_commands() -> list[list[str]]:
    """Each command line of the section's first bash block, split as the shell would."""
    block = re.search(r"```bash\n(.*?)```", deploy_section(), re.S)
    assert block
    commands = []
    for line in block.group(1).splitlines():
        words = shlex.split(line, comments=True)
        if words:
            commands.append(words)
    return commands


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", MAKEFILE, re.M))


def config_key_exists(key: str) -> bool:
    """`llmchain:image.baseImage` names a field of StackConfig (as users spell it)."""
    namespace, _, path = key.partition(":")
    if namespace != "llmchain":
        return any(key in keys for keys in PROVIDER_KEYS.values())
    if path in SECRET_KEYS:
        return True
    model: type[BaseModel] | None = StackConfig
    for part in path.split("."):
        if model is None:
            return False
        fields = {(f.alias or name): f for name, f in model.model_fields.items()}
        if part not in fields:
            return False
        annotation = fields[part].annotation
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    return True


def test_first_run_sequence_is_complete_and_in_order() -> None:
    commands = [" ".join(words) for words in deploy_commands()]
    index = {
        name: next((i for i, c in enumerate(commands) if c.startswith(prefix)), None)
        for name, prefix in {
            "venv": "make venv",
            "login": "pulumi login --local",
            "passphrase": "export PULUMI_CONFIG_PASSPHRASE",
            "stack": "pulumi stack select --create dev",
            "up": "pulumi up",
        }.items()
    }
    assert None not in index.values(), index
    assert index["venv"] < index["login"] < index["stack"] < index["up"]
    assert index["passphrase"] < index["stack"]  # stack creation asks for it


def test_the_section_explains_passphrase_salt_engine_and_plugins() -> None:
    text = deploy_section()
    for needed in (
        "PULUMI_CONFIG_PASSPHRASE`",
        "PULUMI_CONFIG_PASSPHRASE_FILE",
        "encryptionsalt",
        "Pulumi.dev.yaml",
        "DOCKER_HOST",
        "docker context",
        "plugin",
        "127.0.0.1:8080",
    ):
        assert needed in text, needed


def test_every_command_names_what_exists() -> None:
    stacks = {p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml")}
    prose = re.findall(r"`((?:pulumi|make) [^`]+)`", deploy_section())
    commands = deploy_commands() + [shlex.split(c) for c in prose]
    checked = 0
    for words in commands:
        if words[0] == "make":
            assert words[1] in make_targets(), words
            checked += 1
        elif words[:3] == ["pulumi", "stack", "select"]:
            assert words[-1] in stacks, words
            checked += 1
        elif words[:3] == ["pulumi", "config", "set"]:
            key = next(w for w in words[3:] if not w.startswith("--"))
            assert config_key_exists(key), words
            checked += 1
        elif words[:3] == ["pulumi", "stack", "output"] and len(words) > 3:
            assert words[3] in OUTPUTS, words
            checked += 1
    assert checked >= 5


@pytest.mark.parametrize(
    ("key", "exists"),
    [
        ("llmchain:image.baseImage", True),
        ("llmchain:ingress.port", True),
        ("llmchain:apiKeys", True),
        ("gcp:project", True),
        ("llmchain:image.base", False),
        ("llmchain:ingress.port.x", False),
    ],
)
def test_config_key_check_itself(key: str, exists: bool) -> None:
    assert config_key_exists(key) is exists


def test_the_stated_port_is_the_dev_stack_port() -> None:
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    assert config["llmchain:ingress"]["port"] == 8080
    assert "PORT   ?= 8000" in MAKEFILE  # `make run`'s, which the dev stack must not take


def dry_run(target: str, venv: Path) -> str:
    """What `make TARGET` would run against a venv that does not exist yet."""
    result = subprocess.run(
        ["make", "-n", target, f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


def test_make_run_leaves_a_venv_pulumi_can_use(tmp_path: Path) -> None:
    # Pulumi installs requirements.txt only into a venv it creates itself; `make run` creates
    # venv/ first, so it must install the program's requirements too.
    commands = dry_run("run", tmp_path / "venv")
    installs = [line for line in commands.splitlines() if "pip install" in line]
    # From the lock files (issue 19): the program's and the service's, hashes checked.
    assert any("-r requirements.lock" in line for line in installs), installs
    assert any("-r app/requirements.lock" in line for line in installs), installs
    assert all("--require-hashes" in line for line in installs if "-r " in line), installs


def test_pulumi_uses_the_makefile_venv() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["runtime"]["options"]["virtualenv"] == "venv"
    assert re.search(r"^VENV\s*\?=\s*venv$", MAKEFILE, re.M)
