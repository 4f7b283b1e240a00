"""Rule: every image tag is a digest of all its build inputs, so no tag ever names two images.

ECR repositories with `imageTagMutability: IMMUTABLE` refuse a push under an existing tag
("ImageTagAlreadyExistsException": https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html,
read 2026-11-29); a mutable registry or the local engine silently re-points the tag instead.
A tag computed from the app's files alone stays the same when `image.providers`,
`image.platform`, `image.baseImage` or the Dockerfile change, so the next `pulumi up` either
fails at the push or runs a different image under the old name. The rule recomputes
`infra.spec.image_tag` from what each docker-build Image records (context, Dockerfile,
platforms, build arguments) and flags any tag that is not that digest.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.readiness import Finding
from infra.spec import image_tag

if TYPE_CHECKING:
    from infra.plan import Plan, Resource

RULE = "image-tags"
IMAGE = "docker-build:index:Image"


def _known(value: Any) -> bool:
    """False for a value the offline plan cannot see (unknown until apply, or secret)."""
    text = str(value)
    return "[unknown]" not in text and "[secret]" not in text


def expected_tag(resource: Resource) -> str | None:
    """The tag the Image's recorded build inputs call for; None when they cannot be read."""
    inputs = resource.inputs
    context = (inputs.get("context") or {}).get("location")
    dockerfile = (inputs.get("dockerfile") or {}).get("location")
    platforms = inputs.get("platforms") or []
    build_args = inputs.get("buildArgs") or {}
    if not all(_known(v) for v in (context, dockerfile, platforms, build_args)):
        return None
    if not isinstance(context, str) or not isinstance(dockerfile, str):
        return None
    if not Path(context).is_dir() or not Path(dockerfile).is_file():
        return None
    return image_tag(Path(context), Path(dockerfile), platforms, build_args)


def image_tags(plan: Plan) -> list[Finding]:
    """Docker-build Images whose tags do not cover every build input."""
    findings: list[Finding] = []
    for image in plan.of_type(IMAGE):
        tags = image.inputs.get("tags") or []
        if not tags:
            findings.append(Finding(RULE, image.urn, "no tag: nothing names what was built"))
            continue
        expected = expected_tag(image)
        if expected is None:
            continue  # inputs unknown offline: nothing to compare
        for tag in tags:
            if not isinstance(tag, str) or not _known(tag):
                continue
            name, _, given = tag.rpartition(":")
            if "/" in given or not name:
                given = ""  # `host:port/name` with no tag: the engine's `latest`
            if given != expected:
                findings.append(
                    Finding(
                        RULE,
                        image.urn,
                        f"tag {tag!r} is not the digest of its build inputs (expected "
                        f":{expected} over context, Dockerfile, platforms and build args "
                        f"{sorted(image.inputs.get('buildArgs') or {})}); a change of any "
                        "of them would reuse the tag",
                    )
                )
    return findings
