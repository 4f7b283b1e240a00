"""The cost estimate: every priced type has a row, rows are current, figures follow the plan."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from infra.cost.__main__ import markdown
from infra.cost.estimate import UnknownResourceType, estimate
from infra.cost.free import FREE
from infra.cost.model import Assumptions, Estimate, Line
from infra.cost.prices import PRICES
from infra.cost.rules import RULES
from infra.plan import Plan, PlanConfigError, main
from infra.readiness.variants import matrix
from tests.infra.plan_cache import Plans
from tests.infra.readiness_fixtures import plan_of, res

DOCS = Path(__file__).resolve().parents[2] / "docs" / "costs.md"
GCP = {"gcp:project": "demo-project"}


@pytest.fixture(autouse=True)
def _no_price_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """The model line reads LLMCHAIN_PRICES from the environment; tests start without it."""
    monkeypatch.delenv("LLMCHAIN_PRICES", raising=False)


@pytest.fixture(scope="module")
def matrix_plans(plans: Plans) -> dict[str, Plan]:
    """Every stack x compute x variant that plans, once (a case the configuration refuses is
    the readiness tests' concern; every default one must plan)."""
    found: dict[str, Plan] = {}
    for case in matrix():
        try:
            found[case.id] = plans.get(case.stack, case.overrides)
        except PlanConfigError:
            assert case.variant != "public", f"{case.id} does not plan at its defaults"
    return found


def test_every_type_in_every_plan_is_priced_or_free(matrix_plans: dict[str, Plan]) -> None:
    missing = {
        f"{case}: {r.type}"
        for case, plan in matrix_plans.items()
        for r in plan.resources
        if r.custom and r.type not in RULES and r.type not in FREE
    }
    assert not missing, "add a rule (infra/cost/rules.py) or a free reason: " + ", ".join(
        sorted(missing)
    )


def test_a_new_type_stops_the_estimate() -> None:
    plan = plan_of(res("aws:newservice/thing:Thing", "thing"))
    with pytest.raises(UnknownResourceType, match="aws:newservice/thing:Thing"):
        estimate(plan)


def test_free_types_give_a_reason_and_are_not_also_priced() -> None:
    assert not set(FREE) & set(RULES)
    assert all(reason.strip() for reason in FREE.values())


def test_every_line_names_a_row_of_the_table(matrix_plans: dict[str, Plan]) -> None:
    for plan in matrix_plans.values():
        for line in estimate(plan).lines:
            assert line.custom is not None or line.price_key in PRICES


def test_no_price_row_is_older_than_a_year() -> None:
    stale = [r.key for r in PRICES.values() if date.today() - r.read > timedelta(days=365)]
    assert not stale, f"re-read these prices and update their rows: {stale}"


def test_every_row_names_its_source_and_region() -> None:
    for row in PRICES.values():
        assert row.source.startswith("https://"), row.key
        assert row.region and row.unit, row.key


def test_the_total_is_the_sum_of_the_priced_lines(matrix_plans: dict[str, Plan]) -> None:
    for plan in matrix_plans.values():
        e = estimate(plan)
        priced = [line.monthly for line in e.lines if line.monthly is not None]
        assert e.total == pytest.approx(sum(priced))
        assert len(e.unpriced) == len(e.lines) - len(priced)


def _line(e: Estimate, key: str) -> float:
    found = [line.monthly or 0.0 for line in e.lines if line.price_key == key]
    assert found, f"no {key} line"
    return sum(found)


def test_hours_flag_scales_hourly_lines_not_monthly_ones(plans: Plans) -> None:
    plan = plans.get("aws")
    full, half = estimate(plan), estimate(plan, Assumptions(hours=365))
    assert _line(half, "aws.fargate.vcpu_hour") == pytest.approx(
        _line(full, "aws.fargate.vcpu_hour") / 2
    )
    assert _line(half, "aws.nat.hour") == pytest.approx(_line(full, "aws.nat.hour") / 2)
    assert _line(half, "aws.kms.key_month") == _line(full, "aws.kms.key_month")


def test_log_gb_flag_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "aws", "--cost", "--log-gb", "40"]) == 0
    out = capsys.readouterr().out
    assert "app logs ingested, 40 GB" in out
    assert "x           40 =      20.00" in out  # 40 GB at $0.50
    assert "log GB/month 40" in out  # the assumptions are printed with the result
    assert "lines unpriced" in out


def test_a_negative_assumption_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "dev", "--cost", "--requests", "-5"]) == 2
    assert "--requests=-5" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("stack", "overrides", "key"),
    [
        ("aws", {"llmchain:compute": "serverless"}, "aws.fargate.vcpu_hour"),
        ("aws", {"llmchain:compute": "vm"}, "aws.ec2."),
        ("azure", {"llmchain:compute": "serverless"}, "azure.containerapps.vcpu_second"),
        ("gcp", {**GCP, "llmchain:compute": "vm"}, "gcp.compute."),  # a row per machine type
        ("gcp", {**GCP, "llmchain:compute": "cluster"}, "gcp.gke.autopilot_vcpu_hour"),
    ],
)
def test_raising_the_minimum_doubles_compute(
    stack: str, overrides: dict[str, object], key: str, plans: Plans
) -> None:
    def quantity(minimum: int) -> float:
        e = estimate(plans.get(stack, {**overrides, "llmchain:scaling.min": minimum}))
        return sum(line.quantity for line in e.lines if line.price_key.startswith(key))

    assert quantity(1) > 0
    assert quantity(2) == pytest.approx(2 * quantity(1))


def test_multi_az_doubles_the_database(plans: Plans) -> None:
    single = estimate(plans.get("aws"))
    ha = estimate(plans.get("aws", {"llmchain:ha": True}))
    assert _line(ha, "aws.rds.db.t4g.micro") == pytest.approx(
        2 * _line(single, "aws.rds.db.t4g.micro")
    )


def test_fargate_spot_moves_tasks_off_regular_fargate(plans: Plans) -> None:
    e = estimate(plans.get("aws", {"llmchain:aws.fargateSpot": 100}))
    assert not [
        line for line in e.lines if line.price_key == "aws.fargate.vcpu_hour" and line.quantity
    ]
    spot = [line for line in e.lines if line.price_key == "aws.fargate_spot.vcpu_hour"]
    assert spot and spot[0].quantity == pytest.approx(0.5 * 730)


def test_model_calls_follow_llmchain_prices(monkeypatch: pytest.MonkeyPatch, plans: Plans) -> None:
    plan = plans.get("aws")
    model = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    monkeypatch.setenv("LLMCHAIN_PRICES", f'{{"{model}": [2.0, 10.0]}}')
    line = next(x for x in estimate(plan).lines if x.resource == "model")
    # 100,000 requests x (500 x $2 + 300 x $10) per million tokens
    assert line.monthly == pytest.approx(100_000 * (500 * 2.0 + 300 * 10.0) / 1e6)
    monkeypatch.setenv("LLMCHAIN_PRICES", '{"other-model": [1, 1]}')
    line = next(x for x in estimate(plan).lines if x.resource == "model")
    assert line.monthly is None  # not in the table: unpriced, not zero


def test_docs_costs_md_is_current() -> None:
    assert DOCS.read_text() == markdown(Assumptions()), (
        "docs/costs.md is stale: python -m infra.cost --write docs/costs.md"
    )


def test_a_machine_type_is_priced_by_its_own_row_and_an_unknown_one_stays_unpriced() -> None:
    def vm_line(machine: str) -> Line:
        plan = plan_of(
            res("gcp:compute/instanceTemplate:InstanceTemplate", "tpl", {"machineType": machine}),
            res("gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager", "group"),
        )
        return next(x for x in estimate(plan).lines if x.item.startswith("VM "))

    known = vm_line("e2-small")
    assert known.price_key == "gcp.compute.e2-small"
    assert known.monthly == pytest.approx(PRICES["gcp.compute.e2-small"].usd * 730)
    unknown = vm_line("n2-standard-64")
    assert unknown.price_key == "gcp.compute.instance_hour"
    assert unknown.monthly is None  # never priced at another machine type's rate


def test_a_postgres_sku_is_priced_by_its_own_row_and_an_unknown_one_stays_unpriced() -> None:
    def pg_line(sku: str) -> Line:
        plan = plan_of(
            res(
                "azure-native:dbforpostgresql:Server",
                "db",
                {"sku": {"name": sku, "tier": "Burstable"}, "storage": {"storageSizeGB": 32}},
            )
        )
        return next(x for x in estimate(plan).lines if x.item.startswith("PostgreSQL "))

    assert pg_line("Standard_B1ms").monthly == pytest.approx(
        PRICES["azure.postgres.Standard_B1ms"].usd * 730
    )
    assert pg_line("Standard_D2ds_v5").monthly is None
