"""An estimate as text (the command line) or Markdown (docs/costs.md)."""

from __future__ import annotations

from infra.cost.model import Estimate, Line


def _usd(value: float | None) -> str:
    return "unpriced" if value is None else f"{value:,.2f}"


def _unit(line: Line) -> str:
    row = line.row
    return "unknown" if row.usd is None else f"${row.usd:g}/{row.unit}"


def _region_note(line: Line, estimate: Estimate) -> str:
    region = line.row.region
    same = region.startswith(estimate.region) or region in ("all regions", "global", "per location")
    if same or line.custom:
        return ""
    return " [price region not stated]" if region == "not stated" else f" [price read for {region}]"


def text(estimate: Estimate) -> str:
    """One line per item, the total, what is unpriced and the assumptions."""
    out = [
        f"stack {estimate.stack}: {estimate.cloud} {estimate.region}, compute {estimate.compute}"
        " (USD per month)"
    ]
    for line in estimate.lines:
        out.append(
            f"  {line.resource:<32} {line.item:<52} {_unit(line):>24} x {line.quantity:>12,.4g}"
            f" = {_usd(line.monthly):>10}{_region_note(line, estimate)}"
        )
    unpriced = estimate.unpriced
    out.append(
        f"total {estimate.total:,.2f} USD/month over {len(estimate.lines) - len(unpriced)} "
        f"priced lines; {len(unpriced)} lines unpriced (not in the total)"
    )
    for line in unpriced:
        out.append(f"  unpriced: {line.item}: read {line.row.source}")
    out.append("assumptions: " + "; ".join(estimate.assumptions.lines()))
    return "\n".join(out)


def markdown(estimate: Estimate) -> str:
    """A Markdown section: the lines as a table, then total and unpriced count."""
    out = [
        f"### {estimate.stack} · {estimate.compute} ({estimate.cloud}, {estimate.region})",
        "",
        "| resource | item | unit price | quantity | USD/month |",
        "|---|---|---|---|---|",
    ]
    for line in estimate.lines:
        note = _region_note(line, estimate).strip()
        out.append(
            f"| `{line.resource}` | {line.item} | {_unit(line)} {note} | {line.quantity:,.4g} |"
            f" {_usd(line.monthly)} |"
        )
    out += [
        "",
        f"**Total: {estimate.total:,.2f} USD/month**, plus {len(estimate.unpriced)} unpriced "
        "line(s).",
        "",
    ]
    return "\n".join(out)
