"""Estimate lines, assumptions and the estimate itself (plain data, no Pulumi)."""

from __future__ import annotations

from dataclasses import dataclass, field

from infra.cost.prices import Price, price


@dataclass(frozen=True)
class Assumptions:
    """What the plan cannot know: usage. Printed with every estimate; flags override them."""

    hours: float = 730.0  # hours per month
    log_gb: float = 5.0  # application logs ingested per month
    flow_log_gb: float = 1.0  # VPC flow logs ingested per month (AWS)
    requests: float = 100_000.0  # requests served per month
    request_seconds: float = 1.0  # billable seconds per request (Cloud Run request-based)
    tokens_in: float = 500.0  # model input tokens per request
    tokens_out: float = 300.0  # model output tokens per request
    nat_gb: float = 10.0  # GB through each NAT gateway per month
    lb_gb: float = 10.0  # GB through each load balancer per month
    lcu: float = 1.0  # average ALB LCUs / NLB NLCUs per hour
    secret_reads: float = 10_000.0  # secret reads per secret per month

    def lines(self) -> list[str]:
        """One `name value` pair per assumption, for the printout."""
        return [
            f"hours/month {self.hours:g}",
            f"log GB/month {self.log_gb:g} (+ flow logs {self.flow_log_gb:g})",
            f"requests/month {self.requests:g} at {self.request_seconds:g} s each",
            f"tokens/request {self.tokens_in:g} in, {self.tokens_out:g} out",
            f"NAT GB/month {self.nat_gb:g} per gateway",
            f"load balancer GB/month {self.lb_gb:g}, {self.lcu:g} LCU/h",
            f"secret reads/month {self.secret_reads:g} per secret",
        ]


@dataclass(frozen=True)
class Line:
    """One priced item: what, which price row, how many units, and the month's figure."""

    resource: str  # the plan resource's name (or the stack, for stack-wide items)
    item: str
    price_key: str
    quantity: float
    note: str = ""
    custom: Price | None = None  # a price from outside the table (the app's LLMCHAIN_PRICES)

    @property
    def row(self) -> Price:
        """The price table row (or the line's own price)."""
        return self.custom if self.custom is not None else price(self.price_key)

    @property
    def monthly(self) -> float | None:
        """USD per month, or None when the row's price is unknown."""
        if not self.quantity:
            return 0.0  # nothing to bill (scaled to zero): known even without a price
        usd = self.row.usd
        return None if usd is None else usd * self.quantity


@dataclass
class Estimate:
    """A stack's lines and the assumptions they were computed with."""

    stack: str
    cloud: str
    region: str
    compute: str
    assumptions: Assumptions
    lines: list[Line] = field(default_factory=list)

    @property
    def total(self) -> float:
        """The sum of the priced lines (unpriced ones counted separately)."""
        return sum(line.monthly or 0.0 for line in self.lines)

    @property
    def unpriced(self) -> list[Line]:
        """The lines whose price the table does not hold."""
        return [line for line in self.lines if line.monthly is None]
