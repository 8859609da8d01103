"""Stages 1 and 2 of batch rating: scan the events into per-bucket sums, route them.

The scan is the only pass over the events: ``SUM(quantity)`` per (customer, metric,
the attributes a rule's ``where`` tests, bucket). Routing then chooses, for each
(metric, attributes, bucket), the rule the engine would choose (:mod:`engine.routing`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import msgspec
import pyarrow as pa

from batch.plan import QTY, Plan
from engine.rules.pricing import PricingRule
from engine.rules.ruleset import Ruleset
from engine.timeline import local_midnight

__all__ = ["Unrated", "attribute_column", "fill", "load_plan", "route", "scan"]


class Unrated(msgspec.Struct, frozen=True, kw_only=True):
    """Stored records no rule rates at this commit, by reason."""

    metric: str
    code: str
    records: int
    message: str


def _literal(instant: datetime) -> str:
    return f"TIMESTAMPTZ '{instant.astimezone(UTC).isoformat()}'"


def attribute_column(index: int) -> str:
    """Name of the column holding the ``index``-th attribute some ``where`` tests."""
    return f"a{index}"


def load_plan(connection: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Create the plan's tables (models, tiers, prices) and the empty ``agg`` table."""
    connection.execute(f"""
        CREATE TEMP TABLE models (model_id INTEGER, tag VARCHAR, included {QTY},
            unit_price {QTY}, size {QTY}, package_price {QTY}, fee {QTY});
        CREATE TEMP TABLE tiers (model_id INTEGER, tier INTEGER, floor {QTY},
            ceiling {QTY}, unit_price {QTY}, flat_fee {QTY});
        CREATE TEMP TABLE prices (customer_id VARCHAR, ri INTEGER, bucket INTEGER,
            vi INTEGER, poi INTEGER, doi INTEGER, ovr INTEGER, model_id INTEGER);
    """)
    for table, rows in (("models", plan.models), ("tiers", plan.tiers),
                        ("prices", plan.prices)):
        fill(connection, table, rows)
    attributes = "".join(f", {attribute_column(i)} VARCHAR" for i in range(len(plan.where_keys)))
    connection.execute(f"CREATE TEMP TABLE agg (customer_id VARCHAR, metric VARCHAR"
                       f"{attributes}, bucket INTEGER, q {QTY}, n BIGINT)")


def fill(connection: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[Any, ...]]) -> None:
    """Insert ``rows`` into ``table`` through Arrow (row-by-row inserts are slow)."""
    if not rows:
        return
    names = [d[0] for d in connection.execute(f"SELECT * FROM {table} LIMIT 0").description]
    columns = [pa.array(list(column)) for column in zip(*rows, strict=True)]
    connection.register("_rows", pa.table(columns, names=names))
    connection.execute(f"INSERT INTO {table} SELECT * FROM _rows")
    connection.unregister("_rows")


def _bucket_sql(plan: Plan) -> str:
    by_metric = []
    for metric, cuts in sorted(plan.metric_cuts.items()):
        steps = " ".join(f"WHEN timestamp >= {_literal(plan.starts[i])} THEN {i}"
                         for i in reversed(cuts))
        name = metric.replace("'", "''")
        by_metric.append(f"WHEN '{name}' THEN CASE {steps} ELSE 0 END")
    inner = f"CASE metric {' '.join(by_metric)} ELSE 0 END" if by_metric else "0"
    return (f"CASE WHEN timestamp < {_literal(plan.period.start)} THEN -1 "
            f"WHEN timestamp >= {_literal(plan.period.end)} THEN -2 ELSE {inner} END")


def scan(connection: duckdb.DuckDBPyConnection, plan: Plan, files: list[Path],
          progress: Callable[[str, int, int], None] | None) -> None:
    """Sum every file's quantities into ``agg``, one file at a time."""
    attributes = "".join(f", json_extract_string(attributes, ?) AS {attribute_column(i)}"
                         for i in range(len(plan.where_keys)))
    paths = [f"$.{msgspec.json.encode(key).decode()}" for key in plan.where_keys]
    for done, path in enumerate(files):
        if progress is not None:
            progress("scan", done, len(files))
        connection.execute(f"""
            INSERT INTO agg
            SELECT customer_id, metric{attributes}, {_bucket_sql(plan)} AS bucket,
                   SUM(quantity)::{QTY}, COUNT(*)
            FROM read_parquet(?) GROUP BY ALL
        """, [*paths, str(path)])
    if progress is not None:
        progress("scan", len(files), len(files))


def route(connection: duckdb.DuckDBPyConnection, ruleset: Ruleset,
           plan: Plan) -> list[Unrated]:
    """Fill ``routes`` (metric, attributes, bucket → rule) and say what no rule takes."""
    width = len(plan.where_keys)
    columns = "".join(f", {attribute_column(i)}" for i in range(width))
    keys = connection.execute(f"SELECT metric{columns}, bucket, SUM(n) FROM agg "
                              "GROUP BY ALL").fetchall()
    by_metric: dict[str, list[PricingRule]] = {}
    for rule in ruleset.rules:
        if rule.metric is not None:
            by_metric.setdefault(rule.metric, []).append(rule)
    position = {rule.id: i for i, rule in enumerate(ruleset.rules)}
    routes: list[tuple[Any, ...]] = []
    unrated: dict[tuple[str, str], tuple[int, str]] = {}
    for metric, *values, bucket, count in keys:
        attributes = dict(zip(plan.where_keys, values, strict=True))
        rule_id, code, message = _choose(ruleset, plan, by_metric, metric, attributes, bucket)
        if rule_id is not None:
            routes.append((metric, *values, bucket, position[rule_id]))
        else:
            seen, _ = unrated.get((metric, code), (0, message))
            unrated[(metric, code)] = (seen + int(count), message)
    attributes_ddl = "".join(f", {attribute_column(i)} VARCHAR" for i in range(width))
    connection.execute(f"CREATE TEMP TABLE routes (metric VARCHAR{attributes_ddl}, "
                       "bucket INTEGER, ri INTEGER)")
    fill(connection, "routes", routes)
    _index_customers(connection)
    return [Unrated(metric=m, code=c, records=n, message=text)
            for (m, c), (n, text) in sorted(unrated.items())]


def _index_customers(connection: duckdb.DuckDBPyConnection) -> None:
    """Number the customers in id order (``cid``): later stages join and sort integers."""
    connection.execute("""
        CREATE TEMP TABLE customers AS
        SELECT customer_id, (row_number() OVER (ORDER BY customer_id) - 1)::INTEGER AS cid
        FROM (SELECT DISTINCT customer_id FROM agg);
        CREATE TEMP TABLE customer_prices AS
        SELECT u.cid, p.* EXCLUDE (customer_id)
        FROM prices p JOIN customers u ON u.customer_id = p.customer_id;
    """)


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


