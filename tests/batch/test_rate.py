"""Batch rating beyond the random cases: routing by attributes, what no rule rates, limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from bareme.sample import sample_usage
from batch.rate import rate_period
from engine.diagnostics import DiagnosticsError
from engine.loading.ruleset import load_ruleset
from engine.store.git import WorktreeSource
from engine.timeline import parse_period
from engine.usage import parse_records
from tests.batch.helpers import batch_rows, engine_rows, per_unit, store_records
from tests.conftest import pricing
from tests.engine.helpers import record

ROOT = Path(__file__).resolve().parents[2]

REGIONS = """\
rules:
  - id: egress.par
    metric: egress
    unit: Go
    label: "Trafic Paris"
    where: {region: fr-par}
    versions:
      - effective_from: 2026-01-01
        model: graduated
        included: "5"
        tiers:
          - {up_to: "10", unit_price: "0.02"}
          - {up_to: null, unit_price: "0.01", flat_fee: "1.00"}
      - effective_from: 2026-10-15
        model: per_unit
        unit_price: "0.015"
  - id: egress.ams
    metric: egress
    unit: Go
    label: "Trafic Amsterdam"
    where: {region: nl-ams}
    versions:
      - effective_from: 2026-01-01
        model: volume
        tiers:
          - {up_to: "10", unit_price: "0.03"}
          - {up_to: null, unit_price: "0.025", flat_fee: "2.00"}
"""


def test_rules_chosen_by_attributes_rate_as_the_engine_does(tmp_path: Path) -> None:
    ruleset = pricing(REGIONS)
    records = [
        record("7", "2026-10-02T10:00:00Z", metric="egress", region="fr-par"),
        record("6", "2026-10-14T21:59:59Z", metric="egress", region="fr-par"),
        record("4", "2026-10-14T22:00:00Z", metric="egress", region="fr-par", event="b"),
        record("4", "2026-10-14T22:00:00Z", metric="egress", region="fr-par", event="a"),
        record("12", "2026-10-20T08:00:00Z", metric="egress", region="nl-ams"),
        record("3", "2026-10-21T08:00:00Z", metric="egress", region="nl-ams",
               customer="C-2"),
    ]
    expected = engine_rows(ruleset, records)
    assert batch_rows(ruleset, [store_records(tmp_path, records)]) == expected
    halves = [store_records(tmp_path, records[::2], run="a"),
              store_records(tmp_path, records[1::2], run="b")]
    assert batch_rows(ruleset, halves) == expected  # a period stored by several runs
    assert {line[1] for lines in expected.values() for line in lines} == {
        "egress.par", "egress.ams"}


def test_records_no_rule_rates_are_counted_by_reason(tmp_path: Path) -> None:
    ruleset = pricing(REGIONS)
    records = [record("1", "2026-10-02T10:00:00Z", metric="egress", region="us-east"),
               record("1", "2026-10-02T10:00:00Z", metric="cpu"),
               record("1", "2026-10-02T10:00:00Z", metric="egress", region="fr-par")]
    lines, unrated = rate_period(ruleset, parse_period("2026-10", ruleset.zone),
                                 [store_records(tmp_path, records)])
    assert [line.rule_id for line in lines] == ["egress.par"]
    assert [(u.metric, u.code, u.records) for u in unrated] == [
        ("cpu", "usage.unknown_metric", 1), ("egress", "usage.no_matching_rule", 1)]


def test_prices_that_would_not_fit_exactly_are_refused(tmp_path: Path) -> None:
    ruleset = per_unit("0.0000000001")
    stored = store_records(tmp_path, [record("1", "2026-10-02T10:00:00Z")])
    with pytest.raises(DiagnosticsError, match=r"batch\.number_scale"):
        rate_period(ruleset, parse_period("2026-10", ruleset.zone), [stored])


def test_the_repository_rules_on_the_demo_month_agree(tmp_path: Path) -> None:
    ruleset, problems = load_ruleset(WorktreeSource(ROOT))
    assert ruleset is not None, problems
    month = parse_period("2026-10", ruleset.zone)
    records, errors = parse_records(sample_usage(month), "sample.jsonl")
    assert not errors
    expected = engine_rows(ruleset, records)
    assert batch_rows(ruleset, [store_records(tmp_path, records)]) == expected
    assert any(line[2] for lines in expected.values() for line in lines)  # an override
    assert any(line[4] == "minimum" for lines in expected.values() for line in lines)
