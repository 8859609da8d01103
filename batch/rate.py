"""Batch rating of a stored period with DuckDB: one vectorised pass over the partition.

1. Scan: sum the quantities per (customer, metric, attributes a rule tests, bucket).
   Buckets cut the period wherever a rule, a version or an override starts or ends
   (:mod:`batch.plan`); this is the only pass over the events.
2. Route each (metric, attributes, bucket) to its rule as the engine does.
3. Price every (customer, rule, bucket) segment: cumulative quantities in bucket order
   give each segment's slice ``(lo, hi]`` after the included units; graduated and volume
   bands, packages and fees follow in exact ``DECIMAL`` arithmetic.
4. Finish discounts, percentages and minimums per customer in Python (:mod:`batch.finish`).

Why summing per bucket is exact: records are ordered by (timestamp, event id), and the
version of a record is a function of its timestamp, so one bucket's records are
consecutive; every model prices consecutive slices additively (band overlaps, package
ceilings and the included allowance telescope), fees depend only on where a slice
starts or ends. See docs/batch.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import duckdb

from batch.finish import Finisher, RatedLine
from batch.lines import (
    COLUMNS,
    SORT,
    load_lines_plan,
    python_lines,
    query_lines,
    query_percentages,
)
from batch.plan import QTY, build_plan
from batch.price import pieces_statements
from batch.scan import Unrated, load_plan, route, scan
from engine.rules.ruleset import Ruleset
from engine.timeline import BillingPeriod

__all__ = ["Rating", "Unrated", "rate_period"]

_ORDERED = f"SELECT * FROM lines ORDER BY customer_id, {', '.join(SORT)}"

class Rating:
    """One run: the period rated into the connection's ``lines`` view, ready to read."""

    def __init__(self, ruleset: Ruleset, period: BillingPeriod, files: list[Path],
                 progress: Callable[[str, int, int], None] | None = None,
                 threads: int | None = None) -> None:
        self.ruleset = ruleset
        self._totals: tuple[int, int, Decimal] | None = None
        plan = build_plan(ruleset, period)
        self.connection = duckdb.connect(config={"threads": threads} if threads else {})
        self.connection.execute("SET TimeZone = 'UTC'")
        load_plan(self.connection, plan)
        load_lines_plan(self.connection, ruleset)
        scan(self.connection, plan, files, progress)
        self.unrated = route(self.connection, ruleset, plan)
        for statement in pieces_statements(len(plan.where_keys)):
            self.connection.execute(statement)
        query_lines(self.connection, ruleset)
        query_percentages(self.connection, ruleset, plan)
        python_lines(self.connection, Finisher(ruleset, plan), progress)

    def lines(self) -> Iterator[RatedLine]:
        """Every line, customer by customer, in the engine's order."""
        cursor = self.connection.execute(f"SELECT {', '.join(COLUMNS)} FROM ({_ORDERED})")
        while batch := cursor.fetchmany(8192):
            for row in batch:
                yield RatedLine(**dict(zip(COLUMNS, row, strict=True)))

    def write(self, target: Path) -> None:
        """Write every line to ``target`` (Parquet, CSV or JSON Lines by extension)."""
        suffix = target.suffix.lower()
        temporary = target.with_name(f".{target.name}.tmp")
        target.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".parquet":
            exprs = {"quantity": f"quantity::{QTY}", "unit_price": f"unit_price::{QTY}",
                     "amount": "amount::DECIMAL(38, 2)"}
            options = "FORMAT parquet, COMPRESSION zstd"
        else:
            exprs = {"quantity": _trimmed("quantity"), "unit_price": _trimmed("unit_price"),
                     "amount": "CAST(amount::DECIMAL(38, 2) AS VARCHAR)"}
            options = "FORMAT csv, HEADER" if suffix == ".csv" else "FORMAT json"
        columns = ", ".join(f"{exprs.get(c, c)} AS {c}" for c in COLUMNS)
        select = f"SELECT {columns} FROM ({_ORDERED})"
        self.connection.execute(f"COPY ({select}) TO '{_quoted(temporary)}' ({options})")
        if suffix == ".parquet":
            self._totals = self._count(f"read_parquet('{_quoted(temporary)}')")
        os.replace(temporary, target)

    def totals(self) -> tuple[int, int, Decimal]:
        """Lines, customers and net total."""
        return self._totals or self._count("lines")

    def _count(self, source: str) -> tuple[int, int, Decimal]:
        row = self.connection.execute("SELECT COUNT(*), COUNT(DISTINCT customer_id), "
                                      f"COALESCE(SUM(amount), 0) FROM {source}").fetchone()
        assert row is not None  # an aggregate always returns a row
        return int(row[0]), int(row[1]), Decimal(row[2])

    def close(self) -> None:
        """Release the connection."""
        self.connection.close()


def rate_period(ruleset: Ruleset, period: BillingPeriod, files: list[Path],
                progress: Callable[[str, int, int], None] | None = None,
                threads: int | None = None
                ) -> tuple[Iterator[RatedLine], list[Unrated]]:
    """Rated lines of every customer of ``files`` (customer order), and what was not rated."""
    rating = Rating(ruleset, period, files, progress, threads)

    def lines() -> Iterator[RatedLine]:
        yield from rating.lines()
        rating.close()

    return lines(), rating.unrated


def _trimmed(column: str) -> str:
    text = f"CAST({column} AS VARCHAR)"
    return (f"CASE WHEN contains({text}, '.') THEN rtrim(rtrim({text}, '0'), '.') "
            f"ELSE {text} END")


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


