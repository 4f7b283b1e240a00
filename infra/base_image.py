"""The image's base, pinned by digest at preview so a build is reproducible from the state."""

from __future__ import annotations

import re
from pathlib import Path

import pulumi_docker as docker

_ARG = re.compile(r"^ARG BASE_IMAGE=(\S+)\s*$", re.MULTILINE)
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def dockerfile_default(dockerfile: Path) -> str:
    """The base a Dockerfile names by default (`ARG BASE_IMAGE=...`)."""
    found = _ARG.search(dockerfile.read_text())
    if found is None:
        raise ValueError(f"{dockerfile}: no `ARG BASE_IMAGE=<image>` line")
    return found.group(1)


def pin(image: str) -> str:
    """`name:tag@sha256:...`: as given when it has a digest, else the registry's digest now.

    A tag such as `python:3.11-slim` moves with every upstream rebuild, so two `up`s a week
    apart would build different images from the same inputs. The registry is asked once, at
    preview (the docker provider's `getRegistryImage`: the digest of the tag's index, valid
    for every platform); the digest then is a build argument, so it is part of the image tag
    and recorded in the state. Set `llmchain:image.baseImage` to `name:tag@sha256:...` to
    hold a base still across previews.
    """
    if DIGEST.search(image):
        return image
    digest = docker.get_registry_image(name=image).sha256_digest
    return f"{image}@{digest}"
