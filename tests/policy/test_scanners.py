"""checkov on the Dockerfile: nothing but the accepted findings (the manifests: tests/infra)."""

from __future__ import annotations

import shutil
from pathlib import Path

from infra.kubernetes.accepted_findings import ACCEPTED as MANIFESTS_ACCEPTED
from policy.scanners import DOCKERFILE_ACCEPTED
from tests.infra.k8s_render import checkov_failures

ROOT = Path(__file__).resolve().parents[2]


def scan(dockerfile: str, tmp_path: Path) -> set[str]:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    return {f["check_id"] for f in checkov_failures(tmp_path, list(DOCKERFILE_ACCEPTED), "dockerfile")}  # fmt: skip


def test_dockerfile_has_no_finding_but_the_accepted(tmp_path: Path) -> None:
    shutil.copy(ROOT / "app" / "Dockerfile", tmp_path / "Dockerfile")
    failed = checkov_failures(tmp_path, list(DOCKERFILE_ACCEPTED), "dockerfile")
    assert failed == [], [(f["check_id"], f["check_name"], f["file_line_range"]) for f in failed]


def test_checkov_would_catch_a_root_image_without_healthcheck(tmp_path: Path) -> None:
    weakened = "\n".join(
        line
        for line in (ROOT / "app" / "Dockerfile").read_text().splitlines()
        if not line.startswith(("USER", "HEALTHCHECK", '  CMD ["python3", "-c"'))
    )
    assert {"CKV_DOCKER_2", "CKV_DOCKER_3"} <= scan(weakened, tmp_path)


def test_every_accepted_finding_says_why() -> None:
    for accepted in (DOCKERFILE_ACCEPTED, MANIFESTS_ACCEPTED):
        assert all(len(reason) > 40 for reason in accepted.values())
