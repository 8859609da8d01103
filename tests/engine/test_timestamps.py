"""Usage timestamps are RFC 3339 with an offset, no finer than a microsecond, 1900–2999."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from engine.diagnostics import DiagnosticsError
from engine.timeline import PeriodSyntaxError, parse_period
from engine.usage import parse_record, parse_timestamp
from tests.conftest import pricing
from tests.engine.helpers import record, run

PER_UNIT = """\
rules:
  - id: m
    metric: m
    unit: u
    label: "M"
    versions:
      - effective_from: 2026-01-01
        model: per_unit
        unit_price: "0.0000001"
"""

ACCEPTED = {
    "2026-10-14T09:30:00Z": "2026-10-14T09:30:00+00:00",
    "2026-10-14t09:30:00z": "2026-10-14T09:30:00+00:00",
    "2026-10-14T11:30:00.5+02:00": "2026-10-14T11:30:00.500000+02:00",
    "2026-10-14T09:30:00.123456000Z": "2026-10-14T09:30:00.123456+00:00",
    "1900-01-01T00:00:00+01:00": "1900-01-01T00:00:00+01:00",
}
REFUSED = {
    "2026-10-14T09:30:00": "has no UTC offset",
    "2026-10-14 09:30:00Z": "is not RFC 3339",
    "20261014T093000Z": "is not RFC 3339",
    "2026-W42-3T09:30:00Z": "is not RFC 3339",
    "2026-10-14T09:30:00+0200": "is not RFC 3339",
    "2026-10-14T09:30:00,5Z": "is not RFC 3339",
    "2026-10-14T09:30Z": "is not RFC 3339",
    "2026-10-14T09:30:00.1234567Z": "finer than a microsecond",
    "2026-13-01T00:00:00Z": "month must be in 1..12",
    "9999-12-31T23:59:59Z": "outside the years 1900 to 2999",
    "0001-01-01T00:00:00Z": "outside the years 1900 to 2999",
}


@pytest.mark.parametrize(("text", "instant"), ACCEPTED.items())
def test_rfc_3339_instants_are_read(text: str, instant: str) -> None:
    assert parse_timestamp(text).isoformat() == instant


@pytest.mark.parametrize(("text", "reason"), REFUSED.items())
def test_other_forms_are_refused_with_the_right_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_timestamp(text)
    _, problems = parse_record({"event_id": "e", "customer_id": "C", "metric": "m",
                                "quantity": "1", "timestamp": text}, "usage.csv", 3)
    assert [(p.path, p.line, p.code) for p in problems] == [
        ("usage.csv", 3, "usage.bad_timestamp")]


@pytest.mark.parametrize("offset", ["+24:00", "-99:00", "+02:60"])
def test_an_offset_beyond_a_day_is_named_plainly(offset: str) -> None:
    with pytest.raises(ValueError, match=f"offset \\{offset}, outside -23:59 to \\+23:59"):
        parse_timestamp(f"2026-10-14T09:30:00{offset}")


def test_a_negative_decimal_quantity_is_shown_as_written() -> None:
    _, problems = parse_record({"event_id": "e", "customer_id": "C", "metric": "m",
                                "quantity": Decimal("-2.25"),
                                "timestamp": "2026-10-14T09:30:00Z"}, "usage.parquet", 3)
    assert [p.message for p in problems] == ["field 'quantity': quantity must be ≥ 0; got -2.25"]


@pytest.mark.parametrize("label", ["0000-01", "1899-12", "3000-01", "9999-12"])
def test_periods_outside_1900_to_2999_are_refused(label: str) -> None:
    with pytest.raises(PeriodSyntaxError, match="outside the years 1900 to 2999"):
        parse_period(label, ZoneInfo("Europe/Paris"))


@pytest.mark.parametrize("label", ["2026-10\n", "\uff12\uff10\uff12\uff16-10", "2026-1\u0660",
                                   " 2026-10", "2026-10 ", "2026-10\r\n"])
def test_a_period_is_exactly_yyyy_mm_in_ascii_digits(label: str) -> None:
    # Otherwise the same month would go by another label: another invoice key.
    with pytest.raises(PeriodSyntaxError, match="period must be YYYY-MM"):
        parse_period(label, ZoneInfo("Europe/Paris"))


def test_a_quantity_of_10_to_the_15_or_more_is_refused_not_a_crash() -> None:
    ruleset = pricing(PER_UNIT)
    with pytest.raises(DiagnosticsError) as refused:
        run(ruleset, [record("9" * 50, "2026-10-02T10:00:00Z"),
                      record("1000000000000000", "2026-10-03T10:00:00Z")])
    assert [d.code for d in refused.value.diagnostics] == ["usage.quantity_too_large"] * 2


def test_long_quantities_are_summed_and_priced_exactly() -> None:
    quantities = ["123456789012345.123456789012345678", "0.000000000000000001"]
    evaluation = run(pricing(PER_UNIT), [record(q, f"2026-10-0{i + 2}T10:00:00Z")
                                         for i, q in enumerate(quantities)])
    (line,) = evaluation.lines
    assert line.quantity == Decimal("123456789012345.123456789012345679")
    # 123456789012345.123456789012345679 × 0.0000001 = 12345678.90… : exact, then half-up
    assert line.amount == Decimal("12345678.90")
