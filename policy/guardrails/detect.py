"""Recognisers shared by rules: secret-looking values, digests, the whole internet, port ranges."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Any

from .model import is_list

# Values that are credentials whatever variable holds them.
SECRET_VALUES = {
    "an OpenAI API key": re.compile(r"\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}"),
    "an AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "a private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "a URL with a password": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:[^@\s/'\"$]+@"),
    "a GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}"),
    "a Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "an Azure account key": re.compile(r"AccountKey=[A-Za-z0-9+/=]{20,}"),
    "a Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
}

# Variable names that announce a secret; `..._FILE` and `..._DIR` name where one is, not it.
SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEYS?|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|"
    r"CONNECTION_?STRING)",
    re.IGNORECASE,
)
NOT_A_SECRET_NAME = re.compile(r"(_FILE|_PATH|_DIR|_ARN|_REF|_NAME|_ID)$", re.IGNORECASE)
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.+?)\s*$", re.MULTILINE)

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
IMAGE_ID = re.compile(r"^sha256:[0-9a-f]{64}$")  # a local engine's image id: content-addressed
# A local Docker container runs the image the stack loaded under a tag that is a digest of
# every build input (infra/spec.py `image_tag`). It cannot run by the build's digest: for a
# loaded image that is the manifest digest, which a classic-store engine does not know as an
# image id ("pull access denied for sha256", pulumi/pulumi-docker-build#260). Never pushed,
# `localhost/` only, at least 16 hex digits.
LOCAL_CONTENT_TAG = re.compile(r"^localhost/[a-z0-9._/-]+:[0-9a-f]{16,64}$")
# Images of the registries the stacks create, as a VM's user data names them.
REGISTRY_IMAGE = re.compile(
    r"[a-z0-9.-]+\.(?:dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com|azurecr\.io|pkg\.dev)/[^\s'\"]+"
)

WORLD = {"0.0.0.0/0", "::/0", "*", "internet", "any", "0.0.0.0", "<nw>/0", "/0"}
ADMIN_PORTS = {
    22: "SSH",
    3389: "RDP",
    5432: "PostgreSQL",
    3306: "MySQL",
    1433: "SQL Server",
    6379: "Redis",
    27017: "MongoDB",
    5985: "WinRM",
    5986: "WinRM",
}


def secret_value(text: Any) -> str | None:
    """What kind of credential `text` contains, or None."""
    if not isinstance(text, str):
        return None
    for kind, pattern in SECRET_VALUES.items():
        if pattern.search(text):
            return kind
    return None


def secret_variable(name: Any, value: Any) -> str | None:
    """Why `name=value` in a plain environment is a secret there, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    kind = secret_value(value)
    if kind:
        return f"{name} holds {kind}"
    if isinstance(name, str) and SECRET_NAME.search(name) and not NOT_A_SECRET_NAME.search(name):
        return f"{name} is named like a secret and holds a literal value"
    return None


def env_lines(text: str) -> Iterator[tuple[str, str]]:
    """`NAME=value` lines of a script or env file."""
    for match in _ENV_LINE.finditer(text):
        yield match.group(1), match.group(2).strip("'\"")


def decoded(text: Any) -> str:
    """User data as text: base64 is decoded when it is base64, else taken as it is."""
    if not isinstance(text, str):
        return ""
    compact = "".join(text.split())
    if compact and len(compact) % 4 == 0 and re.fullmatch(r"[A-Za-z0-9+/=]+", compact):
        try:
            return base64.b64decode(compact, validate=True).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            pass
    return text


def pinned(image: Any, local: bool = False) -> bool | None:
    """True when an image reference is by digest; None when it is unknown (preview).

    local: the reference is for the local engine, where a loaded image's content tag counts.
    """
    if not isinstance(image, str) or not image:
        return None
    if local and LOCAL_CONTENT_TAG.match(image):
        return True
    return bool(DIGEST.search(image) or IMAGE_ID.match(image))


def is_world(source: Any) -> bool:
    """True for a source that means everyone on the internet."""
    return isinstance(source, str) and source.strip().lower() in WORLD


def port_ranges(spec: Any) -> list[tuple[int, int]]:
    """`"22"`, `"20-25"`, `"*"`, `22`, or lists of these, as inclusive ranges."""
    if spec is None:
        return []
    if is_list(spec):
        return [r for part in spec for r in port_ranges(part)]
    text = str(spec).strip()
    if text in ("*", "", "all", "-1"):
        return [(0, 65535)]
    low, _, high = text.partition("-")
    try:
        return [(int(low), int(high or low))]
    except ValueError:
        return []


def admin_ports_in(ranges: list[tuple[int, int]]) -> list[str]:
    """The administrative and database ports the ranges expose, named."""
    return [
        f"{port} ({name})"
        for port, name in sorted(ADMIN_PORTS.items())
        if any(low <= port <= high for low, high in ranges)
    ]
