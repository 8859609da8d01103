"""Usage stored as the batch store stores it, and batch lines compared with engine lines."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from pathlib import Path

import msgspec

from batch.finish import RatedLine
from batch.normalise import Normalised
from batch.rate import rate_period
from batch.store import UsageStore
from engine.evaluate import check_usage, price_lines
from engine.results import Line
from engine.rules.ruleset import Ruleset
from engine.timeline import parse_period
from engine.usage import UsageRecord
from tests.conftest import pricing

Row = tuple[str, str, str | None, str, str, int | None, Decimal, Decimal, Decimal]


def per_unit(unit_price: str) -> Ruleset:
    """One rule ``r`` pricing metric ``m`` at ``unit_price`` a unit since 2026-01-01."""
    return pricing(f"""\
        rules:
          - id: r
            metric: m
            label: "Règle"
            versions:
              - effective_from: 2026-01-01
                model: per_unit
                unit_price: "{unit_price}"
    """)


def store_records(root: Path, records: list[UsageRecord], period: str = "2026-10",
                  run: str = "test") -> Path:
    """Write ``records`` as one partition file of the store in ``root``."""
    store = UsageStore(root)
    normalised = [Normalised(event_id=r.event_id, customer_id=r.customer_id, metric=r.metric,
                             quantity=r.quantity, timestamp=r.timestamp.astimezone(UTC),
                             attributes=msgspec.json.encode(dict(r.attributes)).decode(),
                             period=period, source=r.source, row=r.row) for r in records]
    return store.write("usage", period, run, normalised)


def engine_rows(ruleset: Ruleset, records: list[UsageRecord], period: str = "2026-10"
                ) -> dict[str, list[Row]]:
    """Lines of every customer by per-request evaluation."""
    month = parse_period(period, ruleset.zone)
    result: dict[str, list[Row]] = {}
    for customer in sorted({r.customer_id for r in records}):
        routed, problems = check_usage(ruleset, customer, month,
                                       [r for r in records if r.customer_id == customer])
        assert not problems, problems
        rows = [_engine_row(customer, line) for line in price_lines(ruleset, customer, routed)]
        if rows:
            result[customer] = rows
    return result


def batch_rows(ruleset: Ruleset, files: list[Path], period: str = "2026-10"
               ) -> dict[str, list[Row]]:
    """Lines of every customer by batch rating."""
    lines, unrated = rate_period(ruleset, parse_period(period, ruleset.zone), files,
                                 threads=1)
    result: dict[str, list[Row]] = {}
    for line in lines:
        result.setdefault(line.customer_id, []).append(_batch_row(line))
    assert not unrated, unrated
    return result


def _engine_row(customer: str, line: Line) -> Row:
    return (customer, line.rule_id, line.provenance.override_id, line.version, line.component,
            line.tier,
            _n(line.quantity), _n(line.unit_price), _n(line.amount))


def _batch_row(line: RatedLine) -> Row:
    return (line.customer_id, line.rule_id, line.override_id, line.version, line.component,
            line.tier,
            _n(line.quantity), _n(line.unit_price), _n(line.amount))


def _n(value: Decimal) -> Decimal:
    return value.normalize() if value else Decimal(0)
