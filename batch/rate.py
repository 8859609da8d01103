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

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import msgspec

from batch.finish import Finisher, RatedLine
from batch.plan import Plan, build_plan
from engine.rules.pricing import PricingRule
from engine.rules.ruleset import Ruleset
from engine.timeline import BillingPeriod, local_midnight

__all__ = ["Unrated", "rate_period"]

_QTY = "DECIMAL(38, 9)"
_AMOUNT = "DECIMAL(38, 18)"


class Unrated(msgspec.Struct, frozen=True, kw_only=True):
    """Stored records no rule rates at this commit, by reason."""

    metric: str
    code: str
    records: int
    message: str


def rate_period(ruleset: Ruleset, period: BillingPeriod, files: list[Path],
                progress: Callable[[str, int, int], None] | None = None,
                threads: int | None = None
                ) -> tuple[Iterator[RatedLine], list[Unrated]]:
    """Rated lines of every customer of ``files`` (customer order), and what was not rated."""
    plan = build_plan(ruleset, period)
    connection = duckdb.connect(config={"threads": threads} if threads else {})
    connection.execute("SET TimeZone = 'UTC'")
    _load_plan(connection, plan)
    _scan(connection, plan, files, progress)
    unrated = _route(connection, ruleset, plan)
    return _finish(connection, ruleset, plan, progress), unrated


def _literal(instant: datetime) -> str:
    return f"TIMESTAMPTZ '{instant.astimezone(UTC).isoformat()}'"


def _attribute(index: int) -> str:
    return f"a{index}"


def _load_plan(connection: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    connection.execute(f"""
        CREATE TEMP TABLE models (model_id INTEGER, tag VARCHAR, included {_QTY},
            unit_price {_QTY}, size {_QTY}, package_price {_QTY}, fee {_QTY});
        CREATE TEMP TABLE tiers (model_id INTEGER, tier INTEGER, floor {_QTY},
            ceiling {_QTY}, unit_price {_QTY}, flat_fee {_QTY});
        CREATE TEMP TABLE prices (customer_id VARCHAR, rule_id VARCHAR, bucket INTEGER,
            vi INTEGER, poi INTEGER, doi INTEGER, model_id INTEGER);
    """)
    for table, rows in (("models", plan.models), ("tiers", plan.tiers),
                        ("prices", plan.prices)):
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)  # noqa: S608
    attributes = "".join(f", {_attribute(i)} VARCHAR" for i in range(len(plan.where_keys)))
    connection.execute(f"CREATE TEMP TABLE agg (customer_id VARCHAR, metric VARCHAR"
                       f"{attributes}, bucket INTEGER, q {_QTY}, n BIGINT)")


def _bucket_sql(plan: Plan) -> str:
    cases = [f"WHEN timestamp < {_literal(plan.period.start)} THEN -1",
             f"WHEN timestamp >= {_literal(plan.period.end)} THEN -2"]
    cases += [f"WHEN timestamp >= {_literal(start)} THEN {index}"
              for index, start in reversed(list(enumerate(plan.starts))) if index]
    return f"CASE {' '.join(cases)} ELSE 0 END"


def _scan(connection: duckdb.DuckDBPyConnection, plan: Plan, files: list[Path],
          progress: Callable[[str, int, int], None] | None) -> None:
    attributes = "".join(f", json_extract_string(attributes, ?) AS {_attribute(i)}"
                         for i in range(len(plan.where_keys)))
    paths = [f"$.{msgspec.json.encode(key).decode()}" for key in plan.where_keys]
    for done, path in enumerate(files):
        if progress is not None:
            progress("scan", done, len(files))
        connection.execute(f"""
            INSERT INTO agg
            SELECT customer_id, metric{attributes}, {_bucket_sql(plan)} AS bucket,
                   SUM(quantity)::{_QTY}, COUNT(*)
            FROM read_parquet(?) GROUP BY ALL
        """, [*paths, str(path)])  # noqa: S608 - names and instants from the plan
    if progress is not None:
        progress("scan", len(files), len(files))


def _route(connection: duckdb.DuckDBPyConnection, ruleset: Ruleset,
           plan: Plan) -> list[Unrated]:
    """Fill ``routes`` (metric, attributes, bucket → rule) and say what no rule takes."""
    width = len(plan.where_keys)
    columns = "".join(f", {_attribute(i)}" for i in range(width))
    keys = connection.execute(f"SELECT metric{columns}, bucket, SUM(n) FROM agg "  # noqa: S608
                              "GROUP BY ALL").fetchall()
    by_metric: dict[str, list[PricingRule]] = {}
    for rule in ruleset.rules:
        if rule.metric is not None:
            by_metric.setdefault(rule.metric, []).append(rule)
    routes: list[tuple[Any, ...]] = []
    unrated: dict[tuple[str, str], tuple[int, str]] = {}
    for metric, *values, bucket, count in keys:
        attributes = dict(zip(plan.where_keys, values, strict=True))
        rule_id, code, message = _choose(ruleset, plan, by_metric, metric, attributes, bucket)
        if rule_id is not None:
            routes.append((metric, *values, bucket, rule_id))
        else:
            seen, _ = unrated.get((metric, code), (0, message))
            unrated[(metric, code)] = (seen + int(count), message)
    attributes_ddl = "".join(f", {_attribute(i)} VARCHAR" for i in range(width))
    connection.execute(f"CREATE TEMP TABLE routes (metric VARCHAR{attributes_ddl}, "
                       "bucket INTEGER, rule_id VARCHAR)")
    if routes:
        marks = ", ".join("?" * (width + 3))
        connection.executemany(f"INSERT INTO routes VALUES ({marks})", routes)  # noqa: S608
    return [Unrated(metric=m, code=c, records=n, message=text)
            for (m, c), (n, text) in sorted(unrated.items())]


def _choose(ruleset: Ruleset, plan: Plan, by_metric: dict[str, list[PricingRule]],
            metric: str, attributes: dict[str, str | None], bucket: int
            ) -> tuple[str | None, str, str]:
    if bucket < 0:
        return None, "usage.outside_period", f"records outside period {plan.period.label}"
    candidates = by_metric.get(metric)
    if not candidates:
        return None, "usage.unknown_metric", f"no rule rates metric {metric!r}"
    matching = [r for r in candidates if all(attributes.get(k) == v for k, v in r.where)]
    if not matching:
        return None, "usage.no_matching_rule", (f"no rule for metric {metric!r} matches the "
                                                "records' attributes")
    instant = plan.starts[bucket]
    for rule in matching:
        start = local_midnight(rule.versions[0].effective_from, ruleset.zone)
        end = local_midnight(rule.until, ruleset.zone) if rule.until else None
        if start <= instant and (end is None or instant < end):
            return rule.id, "", ""
    return None, "usage.out_of_force", f"no rule rates metric {metric!r} at these instants"


def _pieces_sql(width: int) -> str:
    join = " AND ".join(["a.metric = r.metric", "a.bucket = r.bucket"] + [
        f"a.{_attribute(i)} IS NOT DISTINCT FROM r.{_attribute(i)}" for i in range(width)])
    head = "customer_id, rule_id, vi, poi, doi, bucket"
    return f"""
    WITH seg AS (
        SELECT a.customer_id, r.rule_id, a.bucket, SUM(a.q)::{_QTY} AS q
        FROM agg a JOIN routes r ON {join} GROUP BY ALL
    ), priced AS (
        SELECT s.*, COALESCE(o.vi, d.vi) AS vi,
               CASE WHEN o.rule_id IS NULL THEN NULL ELSE o.poi END AS poi,
               CASE WHEN o.rule_id IS NULL THEN NULL ELSE o.doi END AS doi,
               COALESCE(o.model_id, d.model_id) AS model_id
        FROM seg s
        JOIN prices d ON d.customer_id IS NULL AND d.rule_id = s.rule_id
                         AND d.bucket = s.bucket
        LEFT JOIN prices o ON o.customer_id = s.customer_id AND o.rule_id = s.rule_id
                              AND o.bucket = s.bucket
    ), cumulated AS (
        SELECT p.*, m.tag, m.included, m.unit_price, m.size, m.package_price, m.fee,
               SUM(q) OVER (PARTITION BY customer_id, rule_id ORDER BY bucket
                            ROWS UNBOUNDED PRECEDING) AS after,
               SUM(q) OVER (PARTITION BY customer_id, rule_id) AS raw_total,
               bucket = MIN(bucket) OVER (PARTITION BY customer_id, rule_id) AS first,
               bucket = MAX(bucket) OVER (PARTITION BY customer_id, rule_id) AS last
        FROM priced p JOIN models m USING (model_id)
    ), sl AS (
        SELECT *, greatest(after - q - included, 0)::{_QTY} AS lo,
               greatest(after - included, 0)::{_QTY} AS hi,
               greatest(raw_total - included, 0)::{_QTY} AS total
        FROM cumulated
    ), banded AS (
        SELECT sl.*, t.tier, t.unit_price AS tier_price, t.flat_fee, t.floor, t.ceiling,
               greatest(lo, t.floor) AS low,
               CASE WHEN t.ceiling IS NULL THEN hi ELSE least(hi, t.ceiling) END AS high
        FROM sl JOIN tiers t USING (model_id)
        WHERE sl.tag = 'graduated'
           OR (sl.tag = 'volume' AND (t.tier = 1 OR total > t.floor)
               AND (t.ceiling IS NULL OR total <= t.ceiling))
    ), packed AS (
        SELECT *, (CAST(hi * 1000000000 AS HUGEINT) + CAST(size * 1000000000 AS HUGEINT) - 1)
                  // CAST(size * 1000000000 AS HUGEINT)
                  - (CAST(lo * 1000000000 AS HUGEINT) + CAST(size * 1000000000 AS HUGEINT) - 1)
                  // CAST(size * 1000000000 AS HUGEINT) AS opened
        FROM sl WHERE tag = 'package'
    ), pieces AS (
        SELECT {head}, 'included' AS component, NULL::INTEGER AS tier,
               0::{_QTY} AS price, (q - (hi - lo))::{_QTY} AS quantity, 0::{_AMOUNT} AS amount
        FROM sl WHERE q - (hi - lo) > 0
        UNION ALL
        SELECT {head}, 'units', NULL, unit_price, hi - lo, (hi - lo) * unit_price
        FROM sl WHERE tag = 'per_unit' AND hi > lo
        UNION ALL
        SELECT {head}, 'units', tier, tier_price, high - low, (high - low) * tier_price
        FROM banded WHERE tag = 'graduated' AND high > low
        UNION ALL
        SELECT {head}, 'flat_fee', tier, flat_fee, 1, flat_fee
        FROM banded WHERE tag = 'graduated' AND high > low AND flat_fee > 0 AND lo <= floor
        UNION ALL
        SELECT {head}, 'units', tier, tier_price, hi - lo, (hi - lo) * tier_price
        FROM banded WHERE tag = 'volume' AND hi > lo
        UNION ALL
        SELECT {head}, 'flat_fee', tier, flat_fee, 1, flat_fee
        FROM banded WHERE tag = 'volume' AND last AND flat_fee > 0 AND total > 0
        UNION ALL
        SELECT {head}, 'package', NULL, package_price, opened, opened * package_price
        FROM packed WHERE opened > 0
        UNION ALL
        SELECT {head}, 'fee', NULL, fee, 1, fee FROM sl WHERE tag = 'flat' AND first
        UNION ALL
        SELECT {head}, '_last', NULL, 0, 0, 0 FROM sl WHERE last
    )
    SELECT customer_id, rule_id, vi, poi, doi, bucket, component, tier,
           price::{_QTY}, quantity::{_QTY}, amount::{_AMOUNT}
    FROM pieces ORDER BY customer_id, rule_id, bucket
    """  # noqa: S608 - names from the plan, no user text


def _finish(connection: duckdb.DuckDBPyConnection, ruleset: Ruleset, plan: Plan,
            progress: Callable[[str, int, int], None] | None) -> Iterator[RatedLine]:
    finisher = Finisher(ruleset, plan)
    customers = connection.execute(
        "SELECT COUNT(DISTINCT customer_id) FROM agg").fetchone()
    total = int(customers[0]) if customers else 0
    result = connection.execute(_pieces_sql(len(plan.where_keys)))
    done = 0
    current: str | None = None
    rows: list[tuple[Any, ...]] = []
    while batch := result.fetchmany(8192):
        for customer_id, *row in batch:
            if customer_id != current:
                if current is not None:
                    yield from finisher.lines(current, rows)
                    done += 1
                    if progress is not None and done % 1000 == 0:
                        progress("rate", done, total)
                current, rows = customer_id, []
            rows.append(tuple(row))
    if current is not None:
        yield from finisher.lines(current, rows)
    if progress is not None:
        progress("rate", total, total)
    connection.close()
