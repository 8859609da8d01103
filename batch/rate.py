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

import functools
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from batch.finish import Finisher, RatedLine
from batch.lines import (
    Descriptions,
    load_lines_plan,
    python_lines,
    query_lines,
    query_percentages,
)
from batch.output import Describer, LineTotals, line_totals, write_lines, write_parquet
from batch.plan import build_plan
from batch.price import pieces_statement
from batch.scan import Unrated, direct_rules, load_plan, pivoted, route, scan
from batch.store import check_stored
from engine.rules.ruleset import Ruleset
from engine.timeline import BillingPeriod

__all__ = ["Rating", "Unrated", "rate_period"]

Progress = Callable[[str, int, int], None]
PART_CUSTOMERS = 50_000
"""Most customers in one part of the lines (:meth:`Rating.numbers`); a run has at least two
parts, so that writing the first overlaps querying the second."""


class Rating:
    """One run: the period priced in DuckDB, its lines queried when read or written."""

    def __init__(self, ruleset: Ruleset, period: BillingPeriod, files: list[Path],
                 progress: Progress | None = None, threads: int | None = None,
                 memory_limit: str | None = None, spill: Path | None = None) -> None:
        self.ruleset = ruleset
        check_stored(files, ruleset.zone, {m: metric.unit for m, metric in
                                           ruleset.metrics.items()})
        plan = build_plan(ruleset, period)
        config: dict[str, str | bool | int | float | list[str]] = (
            {"threads": threads} if threads else {})
        if memory_limit:
            config["memory_limit"] = memory_limit
        if spill is not None:
            config["temp_directory"] = str(spill)
        self.connection = duckdb.connect(config=config)
        # Until the lines are queried (with ORDER BY), no result depends on the order of
        # rows, and keeping it costs: the scan's sums and the pieces are stored unordered.
        self.connection.execute("SET TimeZone = 'UTC'; SET preserve_insertion_order = false")
        load_plan(self.connection, plan)
        scan(self.connection, plan, files, progress)
        self.unrated = route(self.connection, ruleset, plan, files)
        descriptions = Descriptions()
        load_lines_plan(self.connection, ruleset, descriptions)
        _stage(progress, "price", 0)
        pivot = len(plan.starts) if pivoted(plan) else None
        direct = direct_rules(self.connection, plan)
        self.connection.execute(pieces_statement(len(plan.where_keys), pivot, direct,
                                                 len(files)))
        query_lines(self.connection)
        query_percentages(self.connection, ruleset, plan)
        self.customers = [c for (c,) in self.connection.execute(
            "SELECT customer_id FROM customers ORDER BY cid").fetchall()]
        python_lines(self.connection, Finisher(ruleset, plan), descriptions, self.customers,
                     progress)
        self.connection.execute("RESET preserve_insertion_order")
        self.described = Describer(self.customers, descriptions.rows, ruleset.commit)
        self._totals: LineTotals | None = None
        self._released = False
        _stage(progress, "price", 1)

    def numbers(self, customers: int | None = None) -> Iterator[pa.Table]:
        """The lines' numbers in the engine's order, ``customers`` customers a table.

        See :class:`batch.output.Describer`; at least one table, empty without lines.
        """
        if self._released:
            raise RuntimeError("the lines of this run were written and released")
        count = len(self.customers)
        customers = customers or max(min(PART_CUSTOMERS, -(-count // 2)), 1)
        for start in range(0, max(count, 1), customers):
            yield self.connection.sql(
                "SELECT cid, did, quantity, unit_price, amount FROM lines "
                "WHERE cid >= $1 AND cid < $2 ORDER BY cid, ri, dorder, s_first",
                params=[start, start + customers]).to_arrow_table()

    def parts(self, customers: int | None = None) -> Iterator[pa.Table]:
        """The lines, described, in the engine's order, ``customers`` customers a table."""
        return map(self.described, self.numbers(customers))

    @functools.cached_property
    def table(self) -> pa.Table:
        """Every line, in one table."""
        return pa.concat_tables(self.parts(max(len(self.customers), 1)))

    def lines(self) -> Iterator[RatedLine]:
        """Every line, customer by customer, in the engine's order."""
        for batch in self.table.to_batches(8192):
            for row in batch.to_pylist():
                yield RatedLine(**row)

    def write(self, target: Path) -> None:
        """Write every line to ``target`` (Parquet, CSV or JSON Lines by extension).

        Parquet is written part by part, each part while the next one is queried.
        """
        if target.suffix.lower() == ".parquet":
            self._totals = write_parquet(self._numbers_then_release(), target,
                                         self.described)
        else:
            write_lines(self.connection, self.table, target)

    def _numbers_then_release(self) -> Iterator[pa.Table]:
        """:meth:`numbers`, then the run's large tables dropped.

        They are dropped while the last part is written: their memory is freed sooner,
        and closing costs less afterwards.
        """
        yield from self.numbers()
        self._released = True
        self.connection.execute("DROP TABLE pieces; DROP TABLE sums")

    def totals(self) -> LineTotals:
        """Lines, customers and net total."""
        if self._totals is None:
            self._totals = line_totals(self.table)
        return self._totals

    def close(self) -> None:
        """Release the connection."""
        self.connection.close()


def _stage(progress: Progress | None, stage: str, done: int) -> None:
    if progress is not None:
        progress(stage, done, 1)


def rate_period(ruleset: Ruleset, period: BillingPeriod, files: list[Path],
                progress: Progress | None = None, threads: int | None = None
                ) -> tuple[Iterator[RatedLine], list[Unrated]]:
    """Rated lines of every customer of ``files`` (customer order), and what was not rated."""
    rating = Rating(ruleset, period, files, progress, threads)

    def lines() -> Iterator[RatedLine]:
        yield from rating.lines()
        rating.close()

    return lines(), rating.unrated
