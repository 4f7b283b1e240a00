"""The lock files (`make lock`) agree with their inputs: every requirement an input names is in
its lock at a version the input allows, with hashes; a package has one version across all locks;
the Pulumi SDK is pinned exactly. Offline: nothing is resolved here, only compared."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROVIDERS = sorted((ROOT / "app" / "requirements").glob("*.txt"))
# lock -> the input files it is compiled from (scripts/lock.sh)
LOCKS: dict[Path, list[Path]] = {
    ROOT / "requirements-dev.lock": [ROOT / "requirements-dev.txt"],
    ROOT / "requirements.lock": [ROOT / "requirements.txt"],
    ROOT / "app" / "requirements.lock": [ROOT / "app" / "requirements.txt"],
    **{p.with_suffix(".lock"): [ROOT / "app" / "requirements.txt", p] for p in PROVIDERS},
}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def requirements(path: Path) -> list[Requirement]:
    """Every requirement of an input file, following `-r other.txt` (relative to the file)."""
    found: list[Requirement] = []
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-r "):
            found += requirements(path.parent / line[3:].strip())
            continue
        found.append(Requirement(line))
    return found


def pins(lock: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) for each package a lock pins."""
    entries: dict[str, tuple[str, int]] = {}
    name = None
    for line in lock.read_text().splitlines():
        match = _PIN.match(line)
        if match:
            name = canonicalize_name(match.group(1))
            entries[name] = (match.group(2), 0)
        elif name and line.strip().startswith("--hash=sha256:"):
            version, hashes = entries[name]
            entries[name] = (version, hashes + 1)
    return entries


def out_of_sync(inputs: list[Path], lock: Path) -> list[str]:
    """What in the inputs the lock does not satisfy (empty: in sync)."""
    locked = pins(lock)
    problems = []
    for requirement in (r for path in inputs for r in requirements(path)):
        name = canonicalize_name(requirement.name)
        if name not in locked:
            problems.append(f"{requirement}: not in {lock.name}")
            continue
        version, hashes = locked[name]
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement}: {lock.name} has {version}")
        if hashes == 0:
            problems.append(f"{requirement}: {lock.name} has no hash for it")
    return problems


@pytest.mark.parametrize("lock", list(LOCKS), ids=lambda p: str(p.relative_to(ROOT)))
def test_lock_satisfies_its_inputs(lock: Path) -> None:
    assert lock.is_file(), f"{lock.relative_to(ROOT)} is missing: run `make lock`"
    assert out_of_sync(LOCKS[lock], lock) == [], "run `make lock`"


@pytest.mark.parametrize("lock", list(LOCKS), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_locked_package_has_hashes(lock: Path) -> None:
    assert [name for name, (_, hashes) in pins(lock).items() if hashes == 0] == []


def test_a_package_has_one_version_in_every_lock() -> None:
    seen: dict[str, dict[str, str]] = {}
    for lock in LOCKS:
        for name, (version, _) in pins(lock).items():
            seen.setdefault(name, {})[str(lock.relative_to(ROOT))] = version
    split = {name: by_lock for name, by_lock in seen.items() if len(set(by_lock.values())) > 1}
    assert split == {}


def test_the_pulumi_sdk_is_pinned_exactly_everywhere() -> None:
    pin = next(r for r in requirements(ROOT / "requirements.txt") if r.name == "pulumi")
    assert str(pin.specifier).startswith("==")
    version = str(pin.specifier).removeprefix("==")
    for lock in (ROOT / "requirements.lock", ROOT / "requirements-dev.lock"):
        assert pins(lock)["pulumi"][0] == version


def test_make_installs_from_the_locks() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r app/requirements.lock -r requirements.lock" in makefile
    assert "--require-hashes -r requirements-dev.lock" in makefile
    dockerfile = (ROOT / "app" / "Dockerfile").read_text()
    assert "requirements/${provider}.lock" in dockerfile and "--require-hashes" in dockerfile


def test_a_stale_lock_is_caught(tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("pydantic>=99\nnot-a-locked-package>=1\n")
    lock = tmp_path / "in.lock"
    lock.write_text("pydantic==2.10.0 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    assert out_of_sync([tmp_path / "in.txt"], lock) == [
        "pydantic>=99: in.lock has 2.10.0",
        "not-a-locked-package>=1: not in in.lock",
    ]
