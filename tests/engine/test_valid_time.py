"""Valid time: versions at local midnight, price changes mid-period, overrides, bad usage."""

from __future__ import annotations

import pytest

from engine.customers import Customer
from engine.diagnostics import DiagnosticsError
from engine.document import evaluation_bytes
from tests.conftest import pricing
from tests.engine.helpers import record, run, summary

TWO_VERSIONS = """
rules:
  - id: vcpu
    metric: vcpu
    unit: vCPU-h
    label: "vCPU"
    versions:
      - effective_from: 2026-07-01
        model: graduated
        tiers:
          - {up_to: "100", unit_price: "1.00"}
          - {up_to: null, unit_price: "0.50"}
      - effective_from: 2026-07-15
        model: graduated
        tiers:
          - {up_to: "100", unit_price: "2.00"}
          - {up_to: null, unit_price: "1.00"}
"""


def test_version_starts_at_local_midnight_paris() -> None:
    ruleset = pricing(TWO_VERSIONS)
    # 2026-07-14T22:00Z is midnight in Paris (UTC+2 in summer): the new version applies.
    before = run(ruleset, [record("1", "2026-07-14T21:59:59Z", metric="vcpu")], "2026-07")
    after = run(ruleset, [record("1", "2026-07-14T22:00:00Z", metric="vcpu")], "2026-07")
    assert [line.version for line in before.lines] == ["2026-07-01"]
    assert [line.version for line in after.lines] == ["2026-07-15"]


def test_winter_midnight_is_23h_utc() -> None:
    ruleset = pricing(TWO_VERSIONS.replace("2026-07-15", "2026-12-15"))
    late = run(ruleset, [record("1", "2026-12-14T23:00:00Z", metric="vcpu")], "2026-12")
    early = run(ruleset, [record("1", "2026-12-14T22:59:59+00:00", metric="vcpu")], "2026-12")
    assert (early.lines[0].version, late.lines[0].version) == ("2026-07-01", "2026-12-15")


def test_price_change_mid_period_splits_lines_without_restarting_tiers() -> None:
    ruleset = pricing(TWO_VERSIONS)
    records = [record("80", "2026-07-03T10:00:00Z", metric="vcpu"),
               record("40", "2026-07-20T10:00:00Z", metric="vcpu")]
    evaluation = run(ruleset, records, "2026-07")
    # 80 units in tier 1 at 1.00; then 20 more of tier 1 and 20 of tier 2 at the new prices.
    assert summary(evaluation.lines) == [
        ("vcpu", "2026-07-01", "units#1", "80", "80.00"),
        ("vcpu", "2026-07-15", "units#1", "20", "40.00"),
        ("vcpu", "2026-07-15", "units#2", "20", "20.00"),
    ]


def test_ties_in_timestamp_are_ordered_by_event_id() -> None:
    ruleset = pricing(TWO_VERSIONS)
    at = "2026-07-20T10:00:00Z"
    records = [record("60", at, metric="vcpu", event="b"),
               record("60", at, metric="vcpu", event="a")]
    lines = run(ruleset, records, "2026-07").lines
    assert [(line.tier, str(line.quantity)) for line in lines] == [(1, "100"), (2, "20")]


def test_event_before_the_first_version_is_an_error_not_the_nearest_price() -> None:
    ruleset = pricing(TWO_VERSIONS)
    with pytest.raises(DiagnosticsError) as caught:
        run(ruleset, [record("1", "2026-06-30T21:59:59Z", metric="vcpu", event="early")],
            "2026-06")
    [problem] = caught.value.diagnostics
    assert problem.code == "usage.before_first_version"
    assert "'early'" in problem.message and "'vcpu'" in problem.message


def test_bad_usage_is_reported_with_its_position_never_priced() -> None:
    ruleset = pricing(TWO_VERSIONS)
    records = [record("1", "2026-07-02T00:00:00Z", metric="nope", event="x"),
               record("1", "2026-08-02T00:00:00Z", metric="vcpu", event="y"),
               record("1", "2026-07-02T00:00:00Z", metric="vcpu", event="z", customer="C-2")]
    with pytest.raises(DiagnosticsError) as caught:
        run(ruleset, records, "2026-07")
    assert sorted(p.code for p in caught.value.diagnostics) == [
        "usage.other_customer", "usage.outside_period", "usage.unknown_metric"]


def test_duplicate_event_same_content_counts_once_and_conflict_is_an_error() -> None:
    ruleset = pricing(TWO_VERSIONS)
    same = record("10", "2026-07-02T00:00:00Z", metric="vcpu", event="dup")
    assert run(ruleset, [same, same], "2026-07").totals.net == 10
    other = record("11", "2026-07-02T00:00:00Z", metric="vcpu", event="dup")
    with pytest.raises(DiagnosticsError) as caught:
        run(ruleset, [same, other], "2026-07")
    assert [p.code for p in caught.value.diagnostics] == ["usage.duplicate_conflict"]


OVERRIDES = """
overrides:
  - id: c1.vcpu
    customer_id: C-1
    rule: vcpu
    label: "contrat 2026"
    versions:
      - {effective_from: 2026-07-10, model: per_unit, unit_price: "0.10"}
      - {effective_from: 2026-07-20, model: discount, rate: "0.25"}
      - {effective_from: 2026-07-25, model: catalogue}
"""


def test_customer_override_contract_price_then_discount_then_catalogue() -> None:
    ruleset = pricing(TWO_VERSIONS, **{"rulesets/pricing/overrides/c1.yaml": OVERRIDES})
    records = [record("10", "2026-07-05T10:00:00Z", metric="vcpu"),   # catalogue v1: 10 × 1
               record("10", "2026-07-12T10:00:00Z", metric="vcpu"),   # contract: 10 × 0.10
               record("10", "2026-07-21T10:00:00Z", metric="vcpu"),   # v2 tier 1, 25 % off
               record("10", "2026-07-26T10:00:00Z", metric="vcpu")]   # catalogue v2
    evaluation = run(ruleset, records, "2026-07")
    assert summary(evaluation.lines) == [
        ("vcpu", "2026-07-01", "units#1", "10", "10.00"),
        ("vcpu", "2026-07-10", "units", "10", "1.00"),
        ("vcpu", "2026-07-15", "units#1", "20", "40.00"),
        ("vcpu", "2026-07-20", "discount", "20", "-5.00"),
    ]
    assert evaluation.lines[1].provenance.override_id == "c1.vcpu"
    assert evaluation.totals.net == 46
    other = run(ruleset, [record("10", "2026-07-12T10:00:00Z", metric="vcpu", customer="C-2")],
                "2026-07", customer=Customer(id="C-2", name="Autre"))
    assert other.totals.net == 10  # overrides are for their customer only


def test_same_inputs_same_bytes_and_digest() -> None:
    ruleset = pricing(TWO_VERSIONS)
    records = [record("80", "2026-07-03T10:00:00Z", metric="vcpu", event="1"),
               record("40", "2026-07-20T10:00:00Z", metric="vcpu", event="2")]
    first = evaluation_bytes(run(ruleset, records, "2026-07"))
    second = evaluation_bytes(run(ruleset, list(reversed(records)), "2026-07"))
    assert first == second
    assert b'"digest": "sha256:' in first
