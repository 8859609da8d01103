"""Stages 1 and 2 of batch rating: scan the events into per-bucket sums, route them.

The scan is the only pass over the events: ``SUM(quantity)`` per (customer, metric,
the attributes a rule's ``where`` tests, bucket). Routing then chooses, for each
(metric, attributes, bucket), the rule the engine would choose (:mod:`engine.routing`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from batch.plan import QTY, Plan
from batch.readers import unreadable
from engine.index import Route, pricing_index
from engine.rules.ruleset import Ruleset

__all__ = ["StoredFacts", "Unrated", "attribute_column", "direct_rules", "fill", "load_plan",
           "pivoted", "route", "scan", "stored_facts"]


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
    """Create the plan's tables (models, tiers, prices) and the empty ``outside`` table."""
    connection.execute(f"""
        CREATE TEMP TABLE models (model_id INTEGER, tag VARCHAR, included {QTY},
            unit_price {QTY}, size {QTY}, package_price {QTY}, fee {QTY}, whole_size BIGINT);
        CREATE TEMP TABLE tiers (model_id INTEGER, tier INTEGER, floor {QTY},
            ceiling {QTY}, unit_price {QTY}, flat_fee {QTY});
        CREATE TEMP TABLE prices (customer_id VARCHAR, ri INTEGER, bucket INTEGER,
            vi INTEGER, poi INTEGER, doi INTEGER, ovr INTEGER, model_id INTEGER);
    """)
    for table, rows in (("models", plan.models), ("tiers", plan.tiers),
                        ("prices", plan.prices)):
        fill(connection, table, rows)
    attributes = "".join(f", {attribute_column(i)} VARCHAR" for i in range(len(plan.where_keys)))
    connection.execute(f"CREATE TEMP TABLE outside (metric VARCHAR{attributes})")


def fill(connection: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[Any, ...]]) -> None:
    """Insert ``rows`` into ``table`` through Arrow (row-by-row inserts are slow)."""
    if not rows:
        return
    names = [d[0] for d in connection.execute(f"SELECT * FROM {table} LIMIT 0").description]
    columns = [pa.array(list(column)) for column in zip(*rows, strict=True)]
    connection.register("_rows", pa.table(columns, names=names))
    connection.execute(f"INSERT INTO {table} SELECT * FROM _rows")
    connection.unregister("_rows")


PIVOT_LIMIT = 8
"""Most buckets summed side by side in one group; beyond, the scan groups by bucket."""


def pivoted(plan: Plan) -> bool:
    """Whether the buckets are few enough to be summed side by side."""
    return len(plan.starts) <= PIVOT_LIMIT


def _bucket_sql(plan: Plan) -> str:
    """The period's bucket of a record (-1 outside the period), over every cut."""
    steps = " ".join(f"WHEN timestamp >= {_literal(start)} THEN {i}"
                     for i, start in reversed(list(enumerate(plan.starts))))
    return (f"CASE WHEN timestamp >= {_literal(plan.period.end)} THEN -1 {steps} "
            "ELSE -1 END")


def _sums_sql(plan: Plan) -> list[str]:
    """One sum per bucket, side by side.

    A bucket without records has a ``NULL`` sum, one whose records are all zero a sum of
    zero, so that such records still make their lines (a fee, a minimum).
    """
    ends = (*plan.starts[1:], plan.period.end)
    return [f"SUM(q_in) FILTER (WHERE timestamp >= {_literal(start)} "
            f"AND timestamp < {_literal(end)})::{QTY} AS q{i}"
            for i, (start, end) in enumerate(zip(plan.starts, ends, strict=True))]


def scan(connection: duckdb.DuckDBPyConnection, plan: Plan, files: list[Path],
          progress: Callable[[str, int, int], None] | None) -> None:
    """Sum every file's quantities into ``sums``, one file at a time; define ``agg``.

    With few buckets (the common case), each (customer, metric, attributes) is one group
    holding one sum per bucket: as many groups as a plain sum per customer and metric.
    Buckets are then cut per metric, coarser where its rules do not change (``coarse``).
    """
    width = len(plan.where_keys)
    rest = "metric" + "".join(f", {attribute_column(i)}" for i in range(width))
    keys = f"customer_id, {rest}"
    attributes = "".join(f", json_extract_string(attributes, ?) AS {attribute_column(i)}"
                         for i in range(width))
    paths = [f"$.{msgspec.json.encode(key).decode()}" for key in plan.where_keys]
    pivot = pivoted(plan)
    values = ", ".join(_sums_sql(plan)) if pivot else (
        f"{_bucket_sql(plan)} AS bucket, SUM(q_in)::{QTY} AS q")
    for done, path in enumerate(files):
        if progress is not None:
            progress("scan", done, len(files))
        facts = stored_facts(path, plan)
        quantity = "quantity::DECIMAL(18, 9)" if facts.small else "quantity"
        source = f"(SELECT *{attributes}, {quantity} AS q_in FROM read_parquet(?))"
        query = f"SELECT {keys}, {values} FROM {source} GROUP BY ALL"
        if done == 0:
            connection.execute(f"CREATE TEMP TABLE sums AS {query}", [*paths, str(path)])
        else:
            connection.execute(f"INSERT INTO sums {query}", [*paths, str(path)])
        if not facts.inside:
            connection.execute(f"INSERT INTO outside SELECT DISTINCT {rest} FROM {source} "
                               f"WHERE timestamp < {_literal(plan.period.start)} "
                               f"OR timestamp >= {_literal(plan.period.end)}",
                               [*paths, str(path)])
    if progress is not None:
        progress("scan", len(files), len(files))
    _coarse(connection, plan)
    if pivot:
        buckets = range(len(plan.starts))
        fine = " UNION ALL ".join(f"SELECT {keys}, {i} AS bucket, q{i} AS q FROM sums "
                                  f"WHERE q{i} IS NOT NULL" for i in buckets)
        # The keys from one flag per bucket and (metric, attributes): a few rows.
        flags = ", ".join(f"bool_or(q{i} IS NOT NULL) AS b{i}" for i in buckets)
        present = f"SELECT {rest}, {flags} FROM sums GROUP BY ALL"
        fine_keys = " UNION ALL ".join(f"SELECT {rest}, {i} AS bucket FROM present WHERE b{i}"
                                       for i in buckets)
        fine_keys = f"WITH present AS ({present}) {fine_keys}"
    else:
        fine = "SELECT * FROM sums WHERE bucket >= 0"
        fine_keys = f"SELECT {rest}, bucket FROM sums WHERE bucket >= 0"
    _index_customers(connection)
    # ``agg`` is a view, computed once, where the pricing statement reads it; its keys
    # (a few rows) are a table, read by routing and by ``direct_rules``.
    connection.execute(f"""
        CREATE TEMP VIEW agg AS
        SELECT u.cid, {rest.replace("metric", "f.metric")},
               COALESCE(c.coarse, f.bucket) AS bucket, SUM(q)::{QTY} AS q
        FROM ({fine}) f JOIN customers u ON u.customer_id = f.customer_id
        LEFT JOIN coarse c ON c.metric = f.metric AND c.bucket = f.bucket
        GROUP BY ALL;
        CREATE TEMP TABLE agg_keys AS
        SELECT DISTINCT {rest.replace("metric", "f.metric")},
               COALESCE(c.coarse, f.bucket) AS bucket
        FROM ({fine_keys}) f LEFT JOIN coarse c ON c.metric = f.metric AND c.bucket = f.bucket
        UNION SELECT {rest}, -1 FROM outside;
    """)


class StoredFacts(NamedTuple):
    """What a stored file's Parquet statistics prove about all its records."""

    small: bool
    """Every quantity is below 10^9 in magnitude: it fits ``DECIMAL(18, 9)`` (64-bit
    integers), which DuckDB sums much faster; the sums stay ``DECIMAL(38, 9)``."""
    inside: bool
    """Every timestamp is inside the period: no record to look for outside it."""


def stored_facts(path: Path, plan: Plan) -> StoredFacts:
    """What the statistics of every row group of ``path`` prove (nothing when absent).

    Were a statistic wrong, the cast to ``DECIMAL(18, 9)`` would fail loudly, never
    round; a wrong time range would leave records outside the period unreported.
    """
    try:
        metadata = pq.read_metadata(path)
    except (pa.ArrowException, OSError) as exc:
        raise unreadable(path, f"this stored usage file cannot be read: {exc}") from None
    names = [metadata.schema.column(i).path for i in range(metadata.num_columns)]
    if not metadata.num_row_groups:
        return StoredFacts(small=False, inside=False)

    def ranges(name: str) -> list[tuple[Any, Any]] | None:
        if name not in names:
            return None
        column = names.index(name)
        found = []
        for group in range(metadata.num_row_groups):
            statistics = metadata.row_group(group).column(column).statistics
            if statistics is None or not statistics.has_min_max:
                return None
            found.append((statistics.min, statistics.max))
        return found

    quantities, instants = ranges("quantity"), ranges("timestamp")
    small = quantities is not None and all(
        isinstance(low, Decimal) and isinstance(high, Decimal)
        and low > -_BILLION and high < _BILLION for low, high in quantities)
    inside = instants is not None and all(
        isinstance(low, datetime) and isinstance(high, datetime)
        and low.tzinfo is not None and high.tzinfo is not None
        and low >= plan.period.start and high < plan.period.end for low, high in instants)
    return StoredFacts(small=small, inside=inside)


_BILLION = Decimal(1_000_000_000)


def coarse_bucket(plan: Plan, metric: str, bucket: int) -> int:
    """The bucket into which ``metric``'s records of ``bucket`` are summed."""
    cuts = plan.metric_cuts.get(metric, ())
    return max((c for c in cuts if c <= bucket), default=0)


def _coarse(connection: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Fill ``coarse``: (metric, bucket, coarse bucket).

    A metric's buckets where nothing changes for it are merged into the last one where
    something does (0 when nothing does).
    """
    rows = [(metric, bucket, coarse_bucket(plan, metric, bucket))
            for metric in plan.metrics for bucket in range(len(plan.starts))]
    connection.execute("CREATE TEMP TABLE coarse (metric VARCHAR, bucket INTEGER, "
                       "coarse INTEGER)")
    fill(connection, "coarse", rows)


def route(connection: duckdb.DuckDBPyConnection, ruleset: Ruleset, plan: Plan,
          files: list[Path]) -> list[Unrated]:
    """Fill ``routes`` (metric, attributes, bucket → rule) and say what no rule takes."""
    width = len(plan.where_keys)
    columns = "".join(f", {attribute_column(i)}" for i in range(width))
    keys = connection.execute(f"SELECT metric{columns}, bucket FROM agg_keys").fetchall()
    routes_by_metric = pricing_index(ruleset).routes
    position = {rule.id: i for i, rule in enumerate(ruleset.rules)}
    routes: list[tuple[Any, ...]] = []
    refused: list[tuple[Any, ...]] = []
    messages: dict[tuple[str, str], str] = {}
    for metric, *values, bucket in keys:
        attributes = dict(zip(plan.where_keys, values, strict=True))
        rule_id, code, message = _choose(plan, routes_by_metric, metric, attributes, bucket)
        if rule_id is not None:
            routes.append((metric, *values, bucket, position[rule_id]))
        else:
            refused.append((metric, *values, bucket, code))
            messages[(metric, code)] = message
    attributes_ddl = "".join(f", {attribute_column(i)} VARCHAR" for i in range(width))
    connection.execute(f"CREATE TEMP TABLE routes (metric VARCHAR{attributes_ddl}, "
                       "bucket INTEGER, ri INTEGER)")
    fill(connection, "routes", routes)
    counts = _count_refused(connection, plan, files, refused) if refused else {}
    return [Unrated(metric=m, code=c, records=counts.get((m, c), 0), message=text)
            for (m, c), text in sorted(messages.items())]


def direct_rules(connection: duckdb.DuckDBPyConnection, plan: Plan) -> bool:
    """Whether pricing can read the scan's ``sums`` directly; if so, fill ``direct_rules``.

    It can when no ``where`` tests attributes, the buckets are side by side, every metric
    goes to one rule all period (or to none) and every rule takes one metric: a row of
    ``sums`` is then a (customer, rule) with its quantities, once each metric's buckets
    are merged as ``coarse`` says. ``direct_rules`` holds (metric, rule, the merged
    bucket of each bucket).
    """
    if plan.where_keys or not pivoted(plan):
        return False
    rows = connection.execute("""
        SELECT k.metric, COUNT(*) FILTER (WHERE r.ri IS NULL), COUNT(DISTINCT r.ri), MIN(r.ri)
        FROM agg_keys k LEFT JOIN routes r ON r.metric = k.metric AND r.bucket = k.bucket
        WHERE k.bucket >= 0 GROUP BY k.metric
    """).fetchall()
    if any(rules > 1 or (rules and refused) for _, refused, rules, _ in rows):
        return False
    routed = [(metric, ri) for metric, _, rules, ri in rows if rules]
    if len({ri for _, ri in routed}) < len(routed):
        return False
    buckets = range(len(plan.starts))
    connection.execute("CREATE TEMP TABLE direct_rules (metric VARCHAR, ri INTEGER"
                       + "".join(f", c{j} INTEGER" for j in buckets) + ")")
    known = set(plan.metrics)
    fill(connection, "direct_rules", [
        (metric, ri, *(coarse_bucket(plan, metric, j) if metric in known else j
                       for j in buckets)) for metric, ri in routed])
    return True


def _count_refused(connection: duckdb.DuckDBPyConnection, plan: Plan, files: list[Path],
                   refused: list[tuple[Any, ...]]) -> dict[tuple[str, str], int]:
    """Records of the keys no rule takes, by (metric, reason).

    A second pass over the files, made only when some records cannot be rated (the run
    then fails).
    """
    width = len(plan.where_keys)
    names = [attribute_column(i) for i in range(width)]
    attributes = "".join(f", json_extract_string(attributes, ?) AS {c}" for c in names)
    paths = [f"$.{msgspec.json.encode(key).decode()}" for key in plan.where_keys]
    ddl = "".join(f", {c} VARCHAR" for c in names)
    connection.execute(f"CREATE TEMP TABLE refused (metric VARCHAR{ddl}, bucket INTEGER, "
                       "code VARCHAR)")
    fill(connection, "refused", refused)
    same = "".join(f" AND r.{c} IS NOT DISTINCT FROM f.{c}" for c in names)
    rows = connection.execute(f"""
        WITH f AS (
            SELECT e.*, COALESCE(c.coarse, e.fine) AS bucket
            FROM (SELECT metric{attributes}, {_bucket_sql(plan)} AS fine
                  FROM read_parquet(?)) e
            LEFT JOIN coarse c ON c.metric = e.metric AND c.bucket = e.fine
        )
        SELECT r.metric, r.code, COUNT(*) FROM f JOIN refused r
            ON r.metric = f.metric AND r.bucket = f.bucket{same}
        GROUP BY ALL
    """, [*paths, [str(f) for f in files]]).fetchall()
    return {(metric, code): int(count) for metric, code, count in rows}


def _index_customers(connection: duckdb.DuckDBPyConnection) -> None:
    """Number the customers in id order (``cid``): later stages join and sort integers."""
    connection.execute("""
        CREATE TEMP TABLE customers AS
        SELECT customer_id, (row_number() OVER (ORDER BY customer_id) - 1)::INTEGER AS cid
        FROM (SELECT DISTINCT customer_id FROM sums);
        CREATE TEMP TABLE customer_prices AS
        SELECT u.cid, p.* EXCLUDE (customer_id)
        FROM prices p JOIN customers u ON u.customer_id = p.customer_id;
    """)


def _choose(plan: Plan, routes: dict[str, list[Route]], metric: str,
            attributes: dict[str, str | None], bucket: int) -> tuple[str | None, str, str]:
    """The rule :func:`engine.routing.route_timed` would choose for these records."""
    if bucket < 0:
        return None, "usage.outside_period", f"records outside period {plan.period.label}"
    candidates = routes.get(metric)
    if not candidates:
        return None, "usage.unknown_metric", f"no rule rates metric {metric!r}"
    matching = [r for r in candidates if all(attributes.get(k) == v for k, v in r.where)]
    if not matching:
        return None, "usage.no_matching_rule", (f"no rule for metric {metric!r} matches the "
                                                "records' attributes")
    instant = plan.starts[bucket]
    for route in matching:
        if route.start <= instant and (route.end is None or instant < route.end):
            return route.rule.id, "", ""
    return None, "usage.out_of_force", f"no rule rates metric {metric!r} at these instants"


