"""Small builders for engine tests: usage records and evaluations written tersely."""

from __future__ import annotations

from decimal import Decimal

from engine.customers import Customer
from engine.evaluate import evaluate
from engine.results import Evaluation, Line
from engine.rules.ruleset import Ruleset
from engine.timeline import parse_period
from engine.usage import UsageRecord, parse_timestamp

CUSTOMER = Customer(id="C-1", name="Client Test SAS", siren="123456782",
                    vat_number="FR11123456782", postal_code="75011")


def record(quantity: str, at: str, metric: str = "m", event: str | None = None,
           customer: str = "C-1", **attributes: str) -> UsageRecord:
    """A usage record; the event id defaults to metric, instant and quantity."""
    return UsageRecord(event_id=event or f"{metric}@{at}#{quantity}", customer_id=customer,
                       metric=metric, quantity=Decimal(quantity), timestamp=parse_timestamp(at),
                       attributes=tuple(sorted(attributes.items())), source="test", row=1)


def run(ruleset: Ruleset, records: list[UsageRecord], period: str = "2026-10",
        customer: Customer = CUSTOMER) -> Evaluation:
    """Evaluate ``records`` for the test customer."""
    return evaluate(ruleset, customer, parse_period(period, ruleset.zone), records)


def summary(lines: tuple[Line, ...]) -> list[tuple[str, str, str, str, str]]:
    """(rule, version, component, quantity, amount) of each line, for compact assertions."""
    return [(line.rule_id, line.version, line.component + (f"#{line.tier}" if line.tier else ""),
             format(line.quantity.normalize(), "f"), str(line.amount)) for line in lines]


HELD_AT_MINIMUM = """\
rules:
  - id: unit
    metric: unit
    label: Unit
    versions:
      - {effective_from: 2026-01-01, model: per_unit, unit_price: "0.0457", minimum: "3.00"}
  - id: tiny
    metric: tiny
    label: Tiny
    versions:
      - {effective_from: 2026-01-01, model: per_unit, unit_price: "0.003"}
  - id: share
    label: Share
    versions:
      - {effective_from: 2026-01-01, model: percentage, rate: "0.5", of: [unit, tiny]}
"""
"""A percentage of a rule whose minimum (3.00) tops up a little usage, and of another."""
