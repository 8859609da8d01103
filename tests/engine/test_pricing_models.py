"""Worked examples for every pricing model, at and around every tier boundary."""

from __future__ import annotations

import textwrap
from decimal import Decimal

import pytest

from engine.money import ZERO
from tests.conftest import pricing
from tests.engine.helpers import HELD_AT_MINIMUM, record, run, summary

AT = "2026-10-10T12:00:00Z"


def one_rule(version: str, metric: str = "m") -> str:
    """A one-rule pricing file; ``version`` holds the version's keys, indented 12 spaces."""
    head = (f"rules:\n  - id: r\n    metric: {metric}\n    unit: u\n    label: \"Règle\"\n"
            "    versions:\n      - effective_from: 2026-01-01\n")
    return head + textwrap.indent(textwrap.dedent(version), " " * 8)


def total(yaml_version: str, *quantities: str) -> Decimal:
    ruleset = pricing(one_rule(yaml_version))
    records = [record(q, AT, event=f"e{i}") for i, q in enumerate(quantities)]
    return run(ruleset, records).totals.net


PER_UNIT = """\
            model: per_unit
            unit_price: "0.0420"
"""


@pytest.mark.parametrize(("quantity", "expected"), [
    ("0", "0.00"), ("1", "0.04"), ("1200", "50.40"), ("0.119", "0.00"), ("0.12", "0.01"),
    ("11.904761904761904762", "0.50"),  # 0.5 exactly after half-up
])
def test_per_unit(quantity: str, expected: str) -> None:
    assert total(PER_UNIT, quantity) == Decimal(expected)


GRADUATED = """\
            model: graduated
            tiers:
              - {up_to: "1000", unit_price: "0.0400"}
              - {up_to: "5000", unit_price: "0.0300", flat_fee: "5.00"}
              - {up_to: null, unit_price: "0.0200"}
"""


@pytest.mark.parametrize(("quantity", "expected"), [
    ("0", "0.00"),
    ("999", "39.96"),
    ("1000", "40.00"),                  # last unit of tier 1: no tier-2 fee yet
    ("1000.5", "45.02"),                # enters tier 2: fee 5.00 + 0.5 × 0.03 = 45.015 → 45.02
    ("1001", "45.03"),
    ("5000", "165.00"),                 # 40 + 5 + 4000 × 0.03
    ("5001", "165.02"),
])
def test_graduated_boundaries(quantity: str, expected: str) -> None:
    assert total(GRADUATED, quantity) == Decimal(expected)


def test_graduated_is_the_same_whatever_the_split_into_records() -> None:
    assert total(GRADUATED, "600", "400", "1", "3999") == total(GRADUATED, "5000")


VOLUME = """\
            model: volume
            tiers:
              - {up_to: "100", unit_price: "2.10"}
              - {up_to: "1000", unit_price: "1.90", flat_fee: "10.00"}
              - {up_to: null, unit_price: "1.70"}
"""


@pytest.mark.parametrize(("quantities", "expected"), [
    (("100",), "210.00"),           # all units in band 1
    (("100.5",), "200.95"),         # all 100.5 units at band 2 + fee 10
    (("60", "41"), "201.90"),       # band by the period total, not per record: 101 × 1.9 + 10
    (("1000",), "1910.00"),
    (("1001",), "1701.70"),
])
def test_volume(quantities: tuple[str, ...], expected: str) -> None:
    assert total(VOLUME, *quantities) == Decimal(expected)


PACKAGE = """\
            model: package
            size: "10000"
            package_price: "0.0050"
"""


@pytest.mark.parametrize(("quantities", "expected_packages"), [
    (("1",), 1), (("10000",), 1), (("10001",), 2), (("5000", "5000"), 1),
    (("5000", "5001"), 2), (("9999", "1", "1"), 2),
])
def test_package_counts_ceil_of_the_total(quantities: tuple[str, ...],
                                          expected_packages: int) -> None:
    ruleset = pricing(one_rule(PACKAGE))
    evaluation = run(ruleset, [record(q, AT, event=f"e{i}") for i, q in enumerate(quantities)])
    [line] = evaluation.lines
    assert (line.component, line.quantity) == ("package", Decimal(expected_packages))
    assert line.unit == "paquet de 10000 u"


def test_flat_fee_once_per_period() -> None:
    version = """\
            model: flat
            fee: "12.50"
"""
    assert total(version, "1", "5", "0") == Decimal("12.50")


def test_included_units_are_consumed_first_and_shown() -> None:
    version = """\
            model: per_unit
            included: "100"
            unit_price: "0.10"
"""
    ruleset = pricing(one_rule(version))
    evaluation = run(ruleset, [record("60", AT, event="a"), record("60", AT, event="b")])
    assert summary(evaluation.lines) == [("r", "2026-01-01", "included", "100", "0.00"),
                                         ("r", "2026-01-01", "units", "20", "2.00")]


def test_minimum_tops_up_a_customer_who_used_the_rule() -> None:
    version = """\
            model: per_unit
            unit_price: "0.10"
            minimum: "25.00"
"""
    ruleset = pricing(one_rule(version))
    evaluation = run(ruleset, [record("10", AT)])
    assert summary(evaluation.lines) == [("r", "2026-01-01", "units", "10", "1.00"),
                                         ("r", "2026-01-01", "minimum", "1", "24.00")]
    assert run(ruleset, []).totals.net == ZERO  # no usage, nothing owed


def test_percentage_of_other_rules_with_minimum() -> None:
    ruleset = pricing("""
    rules:
      - id: a
        metric: a
        label: A
        versions:
          - {effective_from: 2026-01-01, model: per_unit, unit_price: "1.00"}
      - id: b
        metric: b
        label: B
        versions:
          - {effective_from: 2026-01-01, model: per_unit, unit_price: "2.00"}
      - id: support
        label: Support
        versions:
          - {effective_from: 2026-01-01, model: percentage, rate: "0.10", of: [a, b],
             minimum: "5.00"}
    """)
    big = run(ruleset, [record("100", AT, metric="a"), record("50.005", AT, metric="b")])
    assert summary(big.lines)[-1] == ("support", "2026-01-01", "percentage", "200.01", "20.00")
    small = run(ruleset, [record("10", AT, metric="a")])
    assert summary(small.lines)[-2:] == [
        ("support", "2026-01-01", "percentage", "10", "1.00"),
        ("support", "2026-01-01", "minimum", "1", "4.00")]


def test_a_percentage_takes_exactly_the_minimum_of_a_rule_held_at_it() -> None:
    ruleset = pricing(HELD_AT_MINIMUM)
    # 2.285 units: 0.1044245 → 0.10 and a 2.90 top-up; 2.343 units: 0.1070751 → 0.11 and
    # 2.89. Either way the rule bills 3.00, so the share's base is 3.00 + 0.003, not
    # 3.0074245 then 3.0000751 (50 % of which would be 1.51 for less usage, 1.50 for more).
    for quantity in ("2.285", "2.343"):
        evaluation = run(ruleset, [record(quantity, AT, metric="unit"),
                                   record("1", AT, metric="tiny")])
        assert summary(evaluation.lines)[-1] == (
            "share", "2026-01-01", "percentage", "3", "1.50")
