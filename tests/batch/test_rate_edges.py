"""Batch rating at the edges: midnight version changes, exact tier bounds, half-up cents,
ties, records outside the period, many buckets, a small memory limit and progress."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import batch.scan
from batch.output import line_totals, write_parquet
from batch.plan import build_plan
from batch.rate import Rating, rate_period
from batch.scan import StoredFacts, stored_facts
from engine.timeline import parse_period
from tests.batch.helpers import Row, batch_rows, engine_rows, per_unit, store_records
from tests.conftest import pricing
from tests.engine.helpers import HELD_AT_MINIMUM, record

EDGES = """\
rules:
  - id: cpu
    metric: m
    unit: h
    label: "Calcul"
    versions:
      - effective_from: 2026-01-01
        model: graduated
        tiers:
          - {up_to: "10", unit_price: "0.015", flat_fee: "1.00"}
          - {up_to: null, unit_price: "0.005", flat_fee: "2.00"}
      - effective_from: 2026-10-15
        model: graduated
        tiers:
          - {up_to: "10", unit_price: "0.025"}
          - {up_to: null, unit_price: "0.001", flat_fee: "3.00"}
"""
"""A change on 15 October: 00:00 in Paris is 14 October 22:00 UTC (summer time)."""


def amounts(rows: dict[str, list[Row]]) -> list[tuple[object, ...]]:
    """(version, component, tier, quantity, amount) of every line."""
    return [(r[3], r[4], r[5], r[6], r[8]) for lines in rows.values() for r in lines]


def test_midnight_in_paris_exact_tier_bound_and_half_up_cent(tmp_path: Path) -> None:
    ruleset = pricing(EDGES)
    records = [
        record("7", "2026-10-02T10:00:00Z"),
        # the last instant of the old version, then two records tied on the first
        # instant of the new one; together they end exactly on the tier bound (10)
        record("1", "2026-10-14T21:59:59.999999Z"),
        record("1", "2026-10-14T22:00:00Z", event="b"),
        record("1", "2026-10-14T22:00:00Z", event="a"),
        record("0.2", "2026-10-20T08:00:00Z"),
    ]
    expected = engine_rows(ruleset, records)
    assert batch_rows(ruleset, [store_records(tmp_path, records)]) == expected
    assert amounts(expected) == [
        # 8 units × 0.015 = 0.12, the tier fee once
        ("2026-01-01", "flat_fee", 1, Decimal(1), Decimal("1")),
        ("2026-01-01", "units", 1, Decimal(8), Decimal("0.12")),
        # 2 units × 0.025 = 0.05 reach the bound exactly: no second tier yet
        ("2026-10-15", "flat_fee", 2, Decimal(1), Decimal("3")),
        ("2026-10-15", "units", 1, Decimal(2), Decimal("0.05")),
        # 0.2 × 0.001 = 0.0002 enters tier 2 (its fee) and rounds to 0.00
        ("2026-10-15", "units", 2, Decimal("0.2"), Decimal(0)),
    ]


def test_a_half_cent_rounds_up(tmp_path: Path) -> None:
    ruleset = per_unit("0.015")
    records = [record("1", "2026-10-02T10:00:00Z"), record("2", "2026-10-03T10:00:00Z")]
    expected = engine_rows(ruleset, records)
    assert batch_rows(ruleset, [store_records(tmp_path, records)]) == expected
    assert amounts(expected) == [("2026-01-01", "units", None, Decimal(3), Decimal("0.05"))]


def test_many_buckets_group_by_bucket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ruleset = pricing(EDGES)
    records = [record(q, f"2026-10-{d:02d}T12:00:00Z", customer=c)
               for q, d, c in (("4", 1, "C-1"), ("9", 14, "C-1"), ("3", 15, "C-2"),
                               ("12", 31, "C-1"))]
    expected = engine_rows(ruleset, records)
    stored = store_records(tmp_path, records)
    monkeypatch.setattr(batch.scan, "PIVOT_LIMIT", 0)
    assert batch_rows(ruleset, [stored]) == expected


def test_records_outside_the_period_are_counted(tmp_path: Path) -> None:
    ruleset = pricing(EDGES)
    inside = [record("1", "2026-10-02T10:00:00Z")]
    outside = [record("1", "2026-09-30T21:59:59Z", event="early"),
               record("1", "2026-10-31T23:00:00Z", event="late")]
    stored = store_records(tmp_path, inside + outside)
    lines, unrated = rate_period(ruleset, parse_period("2026-10", ruleset.zone), [stored])
    assert [line.amount for line in lines] == [Decimal("1.00"), Decimal("0.02")]
    assert [(u.code, u.records) for u in unrated] == [("usage.outside_period", 2)]


@pytest.mark.parametrize(("instant", "inside"), [
    ("2026-09-30T22:00:00Z", True),  # midnight in Paris: the first instant of October
    ("2026-10-31T22:59:59.999999Z", True),  # the last microsecond (winter time)
    ("2026-09-30T21:59:59.999999Z", False),
    ("2026-10-31T23:00:00Z", False),  # midnight in Paris: November
])
def test_stored_statistics_prove_records_inside_the_period_only_when_they_are(
        tmp_path: Path, instant: str, inside: bool) -> None:
    ruleset = pricing(EDGES)
    plan = build_plan(ruleset, parse_period("2026-10", ruleset.zone))
    stored = store_records(tmp_path, [record("1", "2026-10-02T10:00:00Z"),
                                      record("2", instant, event="edge")])
    assert stored_facts(stored, plan) == StoredFacts(small=True, inside=inside)


def test_an_outside_record_in_one_file_of_several_is_counted(tmp_path: Path) -> None:
    ruleset = pricing(EDGES)
    files = [store_records(tmp_path, [record("1", "2026-10-02T10:00:00Z")], run="a"),
             store_records(tmp_path, [record("1", "2026-11-01T10:00:00Z", event="late")],
                           run="b"),
             store_records(tmp_path, [record("2", "2026-10-20T10:00:00Z", event="c")], run="c")]
    lines, unrated = rate_period(ruleset, parse_period("2026-10", ruleset.zone), files)
    assert sum(line.quantity for line in lines if line.component == "units") == 3
    assert [(u.code, u.records) for u in unrated] == [("usage.outside_period", 1)]


def test_a_small_memory_limit_spills_and_progress_is_reported(tmp_path: Path) -> None:
    ruleset = pricing(EDGES)
    records = [record(str(i % 7), f"2026-10-{i % 28 + 1:02d}T10:00:00Z", event=f"e{i}",
                      customer=f"C-{i % 5}") for i in range(60)]
    files = [store_records(tmp_path, records[:30], run="a"),
             store_records(tmp_path, records[30:], run="b")]
    seen: list[tuple[str, int, int]] = []
    rating = Rating(ruleset, parse_period("2026-10", ruleset.zone), files,
                    lambda stage, done, total: seen.append((stage, done, total)),
                    threads=1, memory_limit="32MB", spill=tmp_path / "spill")
    try:
        assert {line.customer_id for line in rating.lines()} == {f"C-{i}" for i in range(5)}
        count, customers, _net = rating.totals()
    finally:
        rating.close()
    assert (count, customers) == (sum(map(len, engine_rows(ruleset, records).values())), 5)
    assert [s for s in seen if s[0] == "scan"] == [("scan", 0, 2), ("scan", 1, 2),
                                                   ("scan", 2, 2)]
    assert ("price", 1, 1) in seen


def test_quantities_beyond_a_billion_are_summed_exactly(tmp_path: Path) -> None:
    ruleset = pricing(EDGES)
    small = store_records(tmp_path, [record("0.000000001", "2026-10-02T10:00:00Z")], run="a")
    large = store_records(tmp_path, [record("999999999999.999999999", "2026-10-03T10:00:00Z"),
                                     record("1", "2026-10-16T10:00:00Z")], run="b")
    records = [record("0.000000001", "2026-10-02T10:00:00Z"),
               record("999999999999.999999999", "2026-10-03T10:00:00Z"),
               record("1", "2026-10-16T10:00:00Z")]
    assert batch_rows(ruleset, [small, large]) == engine_rows(ruleset, records)


@pytest.mark.parametrize("size", ["100", "2.5"])
def test_packages_of_large_quantities(tmp_path: Path, size: str) -> None:
    ruleset = pricing(f"""\
        rules:
          - id: p
            metric: m
            label: "Paquets"
            versions:
              - effective_from: 2026-01-01
                model: package
                size: "{size}"
                package_price: "0.01"
              - effective_from: 2026-10-15
                model: package
                size: "{size}"
                package_price: "0.02"
    """)
    records = [record("1500000000.5", "2026-10-02T10:00:00Z"),
               record("150.5", "2026-10-03T10:00:00Z"), record("1", "2026-10-16T10:00:00Z"),
               record("150.5", "2026-10-03T10:00:00Z", customer="C-2"),
               record("1", "2026-10-16T10:00:00Z", customer="C-2")]
    assert batch_rows(ruleset, [store_records(tmp_path, records)]) == engine_rows(ruleset, records)


def test_a_percentage_takes_exactly_the_minimum_of_a_rule_held_at_it(tmp_path: Path) -> None:
    ruleset = pricing(HELD_AT_MINIMUM)
    for number, quantity in enumerate(("2.285", "2.343")):
        records = [record(quantity, "2026-10-05T10:00:00Z", metric="unit"),
                   record("1", "2026-10-06T10:00:00Z", metric="tiny")]
        expected = engine_rows(ruleset, records)
        rows = batch_rows(ruleset, [store_records(tmp_path / str(number), records)])
        assert rows == expected
        assert amounts(rows)[-1] == ("2026-01-01", "percentage", None, Decimal("3.00"),
                                     Decimal("1.50"))


HANDOVER = """\
rules:
  - id: old
    metric: m
    unit: h
    label: "Ancien"
    until: 2026-10-15
    versions:
      - {effective_from: 2026-01-01, model: per_unit, unit_price: "0.10"}
  - id: new
    metric: m
    unit: h
    label: "Nouveau"
    versions:
      - {effective_from: 2026-10-15, model: per_unit, unit_price: "0.20"}
  - id: disk
    metric: d
    unit: GB
    label: "Disque"
    versions:
      - {effective_from: 2026-01-01, model: per_unit, unit_price: "0.03"}
"""
"""Metric ``m`` goes to one rule, then to another, on 15 October."""


@pytest.mark.parametrize(("rules", "direct"), [(EDGES, True), (HANDOVER, False)])
def test_sums_are_read_directly_only_when_each_metric_has_one_rule(
        tmp_path: Path, rules: str, direct: bool) -> None:
    ruleset = pricing(rules)
    metrics = ("m", "d") if rules == HANDOVER else ("m",)
    records = [record(q, at, metric=metric, event=f"{metric}{i}", customer=f"C-{i % 2}")
               for i, (q, at) in enumerate([("3", "2026-10-02T10:00:00Z"),
                                            ("4", "2026-10-15T10:00:00Z"),
                                            ("5", "2026-10-30T10:00:00Z")])
               for metric in metrics]
    files = [store_records(tmp_path, records[:3], run="a"),
             store_records(tmp_path, records[3:], run="b")]
    chosen: list[bool] = []
    original = batch.scan.direct_rules

    def spy(*args: object) -> bool:
        chosen.append(original(*args))  # type: ignore[arg-type]
        return chosen[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("batch.rate.direct_rules", spy)
        rows = batch_rows(ruleset, files)
    assert chosen == [direct]
    assert rows == engine_rows(ruleset, records)


def test_lines_written_part_by_part_are_the_lines_of_one_table(tmp_path: Path) -> None:
    ruleset = pricing(EDGES)
    records = [record(str(i % 7), f"2026-10-{i % 28 + 1:02d}T10:00:00Z", event=f"e{i}",
                      customer=f"C-{i % 5}") for i in range(40)]
    rating = Rating(ruleset, parse_period("2026-10", ruleset.zone),
                    [store_records(tmp_path, records)], threads=1)
    target = tmp_path / "out" / "lines.parquet"
    try:
        totals = write_parquet(rating.parts(customers=2), target)
        whole = rating.table
    finally:
        rating.close()
    written = pq.ParquetFile(target)
    assert written.metadata.num_row_groups == 3  # customers 0-1, 2-3 and 4
    assert written.read().to_pylist() == whole.to_pylist()
    assert totals == line_totals(whole)
    assert totals[:2] == (whole.num_rows, 5)


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    ruleset = pricing(EDGES)
    rating = Rating(ruleset, parse_period("2026-10", ruleset.zone),
                    [store_records(tmp_path, [record("3", "2026-10-02T10:00:00Z")])],
                    threads=1)
    target = tmp_path / "lines.parquet"

    def failing() -> Iterator[pa.Table]:
        yield from rating.parts()
        raise RuntimeError("the query failed")

    try:
        with pytest.raises(RuntimeError, match="the query failed"):
            write_parquet(failing(), target)
    finally:
        rating.close()
    assert list(tmp_path.glob("*lines.parquet*")) == []


def test_written_lines_are_released(tmp_path: Path) -> None:
    ruleset = pricing(EDGES)
    rating = Rating(ruleset, parse_period("2026-10", ruleset.zone),
                    [store_records(tmp_path, [record("3", "2026-10-02T10:00:00Z")])],
                    threads=1)
    try:
        rating.write(tmp_path / "lines.parquet")
        assert rating.totals()[:2] == (pq.read_metadata(tmp_path / "lines.parquet").num_rows, 1)
        tables = {t for (t,) in rating.connection.execute(
            "SELECT table_name FROM duckdb_tables()").fetchall()}
        assert not tables & {"pieces", "sums"}
        with pytest.raises(RuntimeError, match="written and released"):
            next(rating.numbers())
    finally:
        rating.close()


def test_a_write_that_cannot_be_put_in_place_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "lines.parquet"
    target.mkdir()  # the final rename fails
    with pytest.raises(OSError):
        write_parquet(iter([pa.table({"customer_id": ["C-1"], "amount": [1]})]), target)
    assert [p.name for p in tmp_path.iterdir()] == ["lines.parquet"]


FLAT_FROM_THE_15TH = """\
rules:
  - id: block
    metric: m
    unit: GB
    label: "Stockage bloc"
    versions:
      - effective_from: 2026-01-01
        model: per_unit
        unit_price: "0.04"
      - effective_from: 2026-10-15
        model: flat
        fee: "20.00"
      - effective_from: 2026-10-25
        model: flat
        fee: "25.00"
"""


def test_a_rule_that_becomes_flat_mid_period_charges_its_fee_once(tmp_path: Path) -> None:
    ruleset = pricing(FLAT_FROM_THE_15TH)
    records = [record("20", "2026-10-03T10:00:00Z", customer="C-1"),
               record("1", "2026-10-20T10:00:00Z", customer="C-1"),
               record("1", "2026-10-26T10:00:00Z", customer="C-1"),
               record("1", "2026-10-27T10:00:00Z", customer="C-2")]
    expected = engine_rows(ruleset, records)
    assert batch_rows(ruleset, [store_records(tmp_path, records)]) == expected
    by_customer = {c: [(r[4], r[8]) for r in rows] for c, rows in expected.items()}
    # the units before the change, then the fee of the first flat version met, once
    assert by_customer == {"C-1": [("units", Decimal("0.80")), ("fee", Decimal("20.00"))],
                           "C-2": [("fee", Decimal("25.00"))]}


UNDER_A_CONTRACT = """\
rules:
  - id: x
    metric: m
    unit: u
    label: "X"
    versions:
      - {effective_from: 2026-01-01, model: per_unit, unit_price: "0.015"}
      - {effective_from: 2026-10-25, model: per_unit, unit_price: "0.025"}
"""
CONTRACT = """\
overrides:
  - id: ox
    customer_id: C-1
    rule: x
    versions:
      - {effective_from: 2026-10-20, model: per_unit, unit_price: "0.5"}
"""


def test_a_catalogue_change_under_a_contract_price_does_not_split_its_line(
        tmp_path: Path) -> None:
    # Split in two, each half (0.005) would round up apart: 0.02 instead of 0.01.
    ruleset = pricing(UNDER_A_CONTRACT,
                      **{"rulesets/pricing/overrides/contracts.yaml": CONTRACT})
    records = [record("0.01", "2026-10-21T10:00:00Z"), record("0.01", "2026-10-26T10:00:00Z"),
               record("1", "2026-10-03T10:00:00Z")]
    expected = engine_rows(ruleset, records)
    assert batch_rows(ruleset, [store_records(tmp_path, records)]) == expected
    assert amounts(expected) == [
        ("2026-01-01", "units", None, Decimal(1), Decimal("0.02")),
        ("2026-10-20", "units", None, Decimal("0.02"), Decimal("0.01")),
    ]
