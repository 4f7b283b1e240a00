"""docs/stacks.md, generated: each stack's resources at its defaults, as a Mermaid diagram.

    python -m infra.stacks_doc            # rewrite docs/stacks.md
    python -m infra.stacks_doc --check    # exit 1 when docs/stacks.md is stale

tests/infra/test_stacks_doc.py fails when the file no longer matches the program.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infra.plan import render_mermaid, run_plan

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "stacks.md"
# Each stack file's defaults; GCP needs a project id the stack file leaves to the user.
STACKS: dict[str, tuple[str, dict[str, str]]] = {
    "dev": ("local Docker engine", {}),
    "aws": ("serverless", {}),
    "azure": ("serverless", {}),
    "gcp": ("serverless", {"gcp:project": "demo-project"}),
}
HEADER = """# What each stack creates

Generated offline by `python -m infra.stacks_doc` (the program under Pulumi's mocks, no
credentials; `python -m infra.plan --stack <stack> --mermaid` draws one stack, with `--set`
for other modes). Each box is a resource, named by its type and its physical name; solid
arrows go from a component to what it owns, dotted arrows from a resource to what waits
for it (the order the engine creates them in).
"""


def render() -> str:
    """The whole document."""
    parts = [HEADER]
    for stack, (label, overrides) in STACKS.items():
        plan = run_plan(stack, overrides=dict(overrides))
        parts.append(f"## {stack} ({label})\n\n```mermaid\n{render_mermaid(plan)}\n```\n")
    return "\n".join(parts)


def main() -> int:
    """Write the document, or with --check say whether it is current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    text = render()
    if parser.parse_args().check:
        if DOC.read_text() != text:
            print(f"{DOC.relative_to(ROOT)} is stale: run python -m infra.stacks_doc")
            return 1
        return 0
    DOC.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
