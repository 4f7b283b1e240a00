"""Run every readiness rule over every stack x compute x variant: `python -m infra.readiness`.

python -m infra.readiness               # one line per finding, then a count per case
python -m infra.readiness --stack aws   # one stack's cases
"""

from __future__ import annotations

import argparse
import sys

from infra.plan import run_plan
from infra.readiness import check
from infra.readiness.variants import matrix


def main(argv: list[str] | None = None) -> int:
    """Exit 1 when any case has a finding."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stack", help="only this stack's cases")
    args = parser.parse_args(argv)
    total = 0
    summary = []
    for case in matrix(args.stack):
        findings = check(run_plan(case.stack, case.overrides))
        total += len(findings)
        for finding in findings:
            print(f"{case.id}: {finding.line()}")
        summary.append(f"  {case.id:<28} {len(findings)} findings")
    print("\n".join(["cases:", *summary, f"{total} findings"]))
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
