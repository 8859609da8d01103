"""Batch rating and per-request evaluation agree to the cent on every line.

Random rulesets (every model, included units, minimums, percentages and percentages of
percentages, overrides and discounts for one customer or both, versions changing inside
the period) and random usage (ties in timestamps,
records on version boundaries and tier bounds) are rated both ways.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch.scan import direct_rules
from engine.usage import UsageRecord
from tests.batch.helpers import batch_rows, engine_rows, store_records
from tests.conftest import ruleset_from

PARIS = ZoneInfo("Europe/Paris")
DAYS = ("2026-09-01", "2026-10-10", "2026-10-20", "2026-10-31")
"""Version starts: before the period, and three inside October 2026."""
PRICES = st.sampled_from(["0", "0.01", "0.0420", "1.5", "2.10", "0.333333333"])
BOUNDS = st.sampled_from(["1", "2.5", "10", "100"])
FEES = st.sampled_from(["0", "5.00", "0.01"])


@st.composite
def tiers(draw: st.DrawFn) -> str:
    bounds = sorted(set(draw(st.lists(BOUNDS, min_size=0, max_size=3))), key=Decimal)
    rows = [f'{{up_to: "{b}", unit_price: "{draw(PRICES)}", flat_fee: "{draw(FEES)}"}}'
            for b in bounds]
    rows.append(f'{{up_to: null, unit_price: "{draw(PRICES)}", flat_fee: "{draw(FEES)}"}}')
    return "\n          tiers:\n" + "".join(f"            - {r}\n" for r in rows)


@st.composite
def model(draw: st.DrawFn, overriding: bool = False) -> str:
    kind = draw(st.sampled_from(["per_unit", "graduated", "volume", "package", "flat"]))
    text = f"          model: {kind}"
    if kind == "per_unit":
        text += f'\n          unit_price: "{draw(PRICES)}"\n'
    elif kind in ("graduated", "volume"):
        text += draw(tiers())
    elif kind == "package":
        text += f'\n          size: "{draw(BOUNDS)}"\n          package_price: "{draw(PRICES)}"\n'
    else:
        text += f'\n          fee: "{draw(FEES)}"\n'
    if draw(st.booleans()):
        text += f'          included: "{draw(st.sampled_from(["0", "1", "3.5", "20"]))}"\n'
    if draw(st.integers(0, 3)) == 0:
        text += f'          minimum: "{draw(st.sampled_from(["1.00", "20.00", "300.00"]))}"\n'
    return text


def versions(draw: st.DrawFn, body: st.SearchStrategy[str]) -> str:
    days = sorted(set(draw(st.lists(st.sampled_from(DAYS[1:]), max_size=2))))
    return "".join(f"        - effective_from: {day}\n{draw(body)}" for day in [DAYS[0], *days])


@st.composite
def rulesets(draw: st.DrawFn) -> tuple[dict[str, str], list[str]]:
    count = draw(st.integers(1, 3))
    rules = ""
    for i in range(count):
        rules += (f"  - id: r{i}\n    metric: m{i}\n    unit: u\n    label: \"Règle {i}\"\n"
                  f"    versions:\n{versions(draw, model())}")
    if draw(st.booleans()):
        refs = draw(st.lists(st.sampled_from([f"r{i}" for i in range(count)]), min_size=1,
                             max_size=count, unique=True))
        body = st.builds(lambda rate, minimum: (
            f'          model: percentage\n          rate: "{rate}"\n'
            f"          of: [{', '.join(refs)}]\n" + (f'          minimum: "{minimum}"\n'
                                                       if minimum else "")),
            st.sampled_from(["0.05", "0.1", "0.333"]),
            st.sampled_from(["", "15.00"]))
        rules += (f"  - id: pct\n    label: \"Assistance\"\n    versions:\n"
                  f"{versions(draw, body)}")
        if draw(st.booleans()):  # a percentage of a percentage
            refs = ["pct", *draw(st.lists(st.sampled_from([f"r{i}" for i in range(count)]),
                                          max_size=1))]
            nested = st.builds(lambda rate, minimum: (
                f'          model: percentage\n          rate: "{rate}"\n'
                f"          of: [{', '.join(refs)}]\n" + (f'          minimum: "{minimum}"\n'
                                                           if minimum else "")),
                st.sampled_from(["0.2", "0.015"]), st.sampled_from(["", "2.00"]))
            rules += (f"  - id: pct2\n    label: \"Garantie\"\n    versions:\n"
                      f"{versions(draw, nested)}")
    files = {"rulesets/pricing/rules.yaml": "rules:\n" + rules}
    contracts = ""
    for number, customer in enumerate(draw(st.sampled_from([[], ["C-1"], ["C-2"],
                                                            ["C-1", "C-2"]])), start=1):
        target = draw(st.sampled_from([f"r{i}" for i in range(count)]))
        discount = st.builds(lambda rate: f'          model: discount\n          rate: "{rate}"\n',
                             st.sampled_from(["0.1", "0.25"]))
        body = st.one_of(model(), discount,
                         st.just("          model: catalogue\n"))
        contracts += (f"  - id: o{number}\n    customer_id: {customer}\n    rule: {target}\n"
                      f"    label: \"contrat\"\n    versions:\n{versions(draw, body)}")
    if contracts:
        files["rulesets/pricing/overrides/contracts.yaml"] = "overrides:\n" + contracts
    return files, [f"m{i}" for i in range(count)]


BOUNDARIES = [datetime(2026, 10, d, tzinfo=PARIS) for d in (1, 10, 20, 31)]


@st.composite
def usage(draw: st.DrawFn, metrics: list[str]) -> list[UsageRecord]:
    count = draw(st.integers(1, 25))
    records = []
    for i in range(count):
        if draw(st.booleans()):
            at = draw(st.sampled_from(BOUNDARIES)) + timedelta(
                microseconds=draw(st.sampled_from([-1, 0, 0, 1])))
            at = max(at, BOUNDARIES[0])
        else:
            at = BOUNDARIES[0] + timedelta(hours=draw(st.integers(0, 30 * 24)))
        quantity = draw(st.sampled_from(["0", "0.5", "1", "2.5", "7", "10", "12.123456789",
                                         "99", "100"]))
        records.append(UsageRecord(
            event_id=f"e{draw(st.integers(0, 999)):03d}-{i}",
            customer_id=draw(st.sampled_from(["C-1", "C-2"])),
            metric=draw(st.sampled_from(metrics)), quantity=Decimal(quantity),
            timestamp=at, source="test", row=i + 1))
    return records


@pytest.mark.parametrize("sums", ["read directly", "regrouped"])
@given(st.data())
def test_batch_rating_equals_per_request_evaluation(sums: str, data: st.DataObject) -> None:
    """Both ways of pricing the scan's sums (:func:`batch.scan.direct_rules`) agree."""
    files, metrics = data.draw(rulesets())
    ruleset = ruleset_from(files)
    records = data.draw(usage(metrics))
    expected = engine_rows(ruleset, records)
    with TemporaryDirectory() as folder, patch(
            "batch.rate.direct_rules",
            side_effect=None if sums == "read directly" else lambda *_: False,
            wraps=direct_rules) as chosen:
        stored = store_records(Path(folder), records)
        assert batch_rows(ruleset, [stored]) == expected
        assert chosen.called
