"""Invariants of evaluation, stated as hypothesis properties."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.document import evaluation_bytes, to_document
from engine.money import ZERO
from engine.usage import UsageRecord
from tests.conftest import pricing
from tests.engine.helpers import run

RULES = pricing("""
rules:
  - id: grad
    metric: grad
    label: Graduated
    versions:
      - effective_from: 2026-01-01
        model: graduated
        included: "5"
        tiers:
          - {up_to: "100", unit_price: "0.0333"}
          - {up_to: "1000", unit_price: "0.0125", flat_fee: "2.00"}
          - {up_to: null, unit_price: "0.0071"}
      - effective_from: 2026-10-16
        model: graduated
        tiers:
          - {up_to: "50", unit_price: "0.0400"}
          - {up_to: null, unit_price: "0.0111"}
  - id: unit
    metric: unit
    label: Per unit
    versions:
      - {effective_from: 2026-01-01, model: per_unit, unit_price: "0.0457", minimum: "3.00"}
  - id: pack
    metric: pack
    label: Package
    versions:
      - {effective_from: 2026-01-01, model: package, size: "1000", package_price: "0.37"}
  - id: vol
    metric: vol
    label: Volume
    versions:
      - effective_from: 2026-01-01
        model: volume
        tiers:
          - {up_to: "20", unit_price: "1.10"}
          - {up_to: null, unit_price: "0.95", flat_fee: "1.00"}
  - id: share
    label: Share
    versions:
      - {effective_from: 2026-01-01, model: percentage, rate: "0.07", of: [grad, unit, vol]}
""")

START = datetime(2026, 9, 30, 22, 0, tzinfo=UTC)  # 2026-10-01 00:00 Paris
quantities = st.decimals(min_value=0, max_value=2000, places=3, allow_nan=False,
                         allow_infinity=False)
events = st.lists(st.tuples(st.sampled_from(["grad", "unit", "pack", "vol"]), quantities,
                            st.integers(min_value=0, max_value=31 * 24 * 60 - 1)),
                  max_size=25)


def records_of(drawn: list[tuple[str, Decimal, int]]) -> list[UsageRecord]:
    return [UsageRecord(event_id=f"e{i:03d}", customer_id="C-1", metric=metric,
                        quantity=quantity, timestamp=START + timedelta(minutes=minute))
            for i, (metric, quantity, minute) in enumerate(drawn)]


@given(events, st.randoms(use_true_random=False))
def test_order_of_records_does_not_change_the_bytes(drawn: list[tuple[str, Decimal, int]],
                                                    rnd: random.Random) -> None:
    records = records_of(drawn)
    shuffled = list(records)
    rnd.shuffle(shuffled)
    assert evaluation_bytes(run(RULES, records)) == evaluation_bytes(run(RULES, shuffled))


@given(events)
def test_amounts_are_cents_and_totals_are_sums_of_lines(
        drawn: list[tuple[str, Decimal, int]]) -> None:
    evaluation = run(RULES, records_of(drawn))
    for line in evaluation.lines:
        assert line.amount == line.amount.quantize(Decimal("0.01"))
    assert evaluation.totals.net == sum((line.amount for line in evaluation.lines), ZERO)
    assert evaluation.totals.gross == evaluation.totals.net + evaluation.totals.tax


@given(events, st.data())
def test_splitting_a_record_in_two_changes_no_line(drawn: list[tuple[str, Decimal, int]],
                                                   data: st.DataObject) -> None:
    records = records_of(drawn)
    if not records:
        return
    index = data.draw(st.integers(min_value=0, max_value=len(records) - 1))
    victim = records[index]
    part = data.draw(st.decimals(min_value=0, max_value=victim.quantity, places=3))
    # Two halves at the same instant, with ids that sort next to the original's.
    halves = [UsageRecord(event_id=f"{victim.event_id}a", customer_id="C-1",
                          metric=victim.metric, quantity=part, timestamp=victim.timestamp),
              UsageRecord(event_id=f"{victim.event_id}b", customer_id="C-1",
                          metric=victim.metric, quantity=victim.quantity - part,
                          timestamp=victim.timestamp)]
    split = records[:index] + halves + records[index + 1:]

    def lines(records: list[UsageRecord]) -> list[tuple[Any, ...]]:
        return [(ln.rule_id, ln.version, ln.component, ln.tier, ln.quantity, ln.amount)
                for ln in run(RULES, records).lines]

    assert lines(split) == lines(records)


@given(events)
def test_no_float_anywhere_in_the_document(drawn: list[tuple[str, Decimal, int]]) -> None:
    def walk(value: Any) -> None:
        assert not isinstance(value, float)
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(to_document(run(RULES, records_of(drawn))))


@given(events, quantities)
def test_more_usage_never_costs_less(drawn: list[tuple[str, Decimal, int]],
                                     extra: Decimal) -> None:
    base = run(RULES, records_of(drawn)).totals.net
    more = records_of([*drawn, ("unit", extra, 0)])
    assert run(RULES, more).totals.net >= base
