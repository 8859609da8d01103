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
from datetime import UTC, datetime
from decimal import Decimal
from itertools import groupby, product
from pathlib import Path
from typing import Any

import duckdb
import msgspec
import pyarrow as pa

from batch.finish import Finisher, RatedLine, needs_python
from batch.plan import Plan, build_plan, is_percentage
from engine.lines import describe_line
from engine.rating import LineKey, RuleTimeline
from engine.rules.pricing import Discount, Override, Percentage, PricingRule, UseCatalogue
from engine.rules.ruleset import Ruleset
from engine.timeline import BillingPeriod, local_midnight

__all__ = ["COLUMNS", "Rating", "Unrated", "rate_period"]

_QTY = "DECIMAL(38, 9)"
_AMOUNT = "DECIMAL(38, 18)"


class Unrated(msgspec.Struct, frozen=True, kw_only=True):
    """Stored records no rule rates at this commit, by reason."""

    metric: str
    code: str
    records: int
    message: str


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
        _fill(connection, table, rows)
    attributes = "".join(f", {_attribute(i)} VARCHAR" for i in range(len(plan.where_keys)))
    connection.execute(f"CREATE TEMP TABLE agg (customer_id VARCHAR, metric VARCHAR"
                       f"{attributes}, bucket INTEGER, q {_QTY}, n BIGINT)")


def _fill(connection: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[Any, ...]]) -> None:
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
        """, [*paths, str(path)])
    if progress is not None:
        progress("scan", len(files), len(files))


def _route(connection: duckdb.DuckDBPyConnection, ruleset: Ruleset,
           plan: Plan) -> list[Unrated]:
    """Fill ``routes`` (metric, attributes, bucket → rule) and say what no rule takes."""
    width = len(plan.where_keys)
    columns = "".join(f", {_attribute(i)}" for i in range(width))
    keys = connection.execute(f"SELECT metric{columns}, bucket, SUM(n) FROM agg "
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
    _fill(connection, "routes", routes)
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


def _pieces_sql(width: int) -> list[str]:
    """Statements that leave every priced piece of every segment in ``pieces``."""
    join = " AND ".join(["a.metric = r.metric", "a.bucket = r.bucket"] + [
        f"a.{_attribute(i)} IS NOT DISTINCT FROM r.{_attribute(i)}" for i in range(width)])
    head = "customer_id, rule_id, vi, poi, doi, bucket, python, referenced"
    segments = f"""
    CREATE TEMP TABLE sl AS
    WITH seg AS (
        SELECT a.customer_id, r.rule_id, a.bucket, SUM(a.q)::{_QTY} AS q
        FROM agg a JOIN routes r ON {join} GROUP BY ALL
    ), priced AS (
        SELECT s.*, COALESCE(o.vi, d.vi) AS vi,
               CASE WHEN o.rule_id IS NULL THEN NULL ELSE o.poi END AS poi,
               CASE WHEN o.rule_id IS NULL THEN NULL ELSE o.doi END AS doi,
               COALESCE(o.model_id, d.model_id) AS model_id
        FROM seg s
        JOIN (SELECT * FROM prices WHERE customer_id IS NULL) d
             ON d.rule_id = s.rule_id AND d.bucket = s.bucket
        LEFT JOIN (SELECT * FROM prices WHERE customer_id IS NOT NULL) o
             ON o.customer_id = s.customer_id AND o.rule_id = s.rule_id
                AND o.bucket = s.bucket
    ), cumulated AS (
        SELECT p.*, m.tag, m.included, m.unit_price, m.size, m.package_price, m.fee,
               SUM(q) OVER w AS after, SUM(q) OVER whole AS raw_total,
               bucket = MIN(bucket) OVER whole AS first,
               bucket = MAX(bucket) OVER whole AS last
        FROM priced p JOIN models m USING (model_id)
        WINDOW w AS (PARTITION BY customer_id, rule_id ORDER BY bucket
                     ROWS UNBOUNDED PRECEDING),
               whole AS (PARTITION BY customer_id, rule_id)
    )
    SELECT c.*, greatest(after - q - included, 0)::{_QTY} AS lo,
           greatest(after - included, 0)::{_QTY} AS hi,
           greatest(raw_total - included, 0)::{_QTY} AS total,
           i.python OR x.rule_id IS NOT NULL AS python, i.referenced
    FROM cumulated c JOIN rule_info i ON i.rule_id = c.rule_id
    LEFT JOIN python_pairs x ON x.customer_id = c.customer_id AND x.rule_id = c.rule_id
    """
    banded = """
    CREATE TEMP TABLE banded AS
    SELECT sl.*, t.tier, t.unit_price AS tier_price, t.flat_fee, t.floor, t.ceiling,
           greatest(lo, t.floor) AS low,
           CASE WHEN t.ceiling IS NULL THEN hi ELSE least(hi, t.ceiling) END AS high
    FROM sl JOIN tiers t USING (model_id)
    WHERE sl.tag = 'graduated'
       OR (sl.tag = 'volume' AND (t.tier = 1 OR total > t.floor)
           AND (t.ceiling IS NULL OR total <= t.ceiling))
    """
    scaled = "CAST({} * 1000000000 AS HUGEINT)"
    ceil = "({0} + {1} - 1) // {1}"
    opened = (f"{ceil.format(scaled.format('hi'), scaled.format('size'))} - "
              f"{ceil.format(scaled.format('lo'), scaled.format('size'))}")
    pieces = f"""
    CREATE TEMP TABLE pieces AS
    WITH packed AS (
        SELECT *, {opened} AS opened FROM sl WHERE tag = 'package'
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
        SELECT {head}, '_last', NULL, 0, 0, 0 FROM sl WHERE last AND python
    )
    SELECT customer_id, rule_id, vi, poi, doi, bucket, component, tier,
           price::{_QTY} AS price, quantity::{_QTY} AS quantity, amount::{_AMOUNT} AS amount,
           python, referenced
    FROM pieces
    """
    return [segments, banded, pieces]


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
        _load_plan(self.connection, plan)
        _load_lines_plan(self.connection, ruleset)
        _scan(self.connection, plan, files, progress)
        self.unrated = _route(self.connection, ruleset, plan)
        for statement in _pieces_sql(len(plan.where_keys)):
            self.connection.execute(statement)
        _query_lines(self.connection, ruleset)
        _query_percentages(self.connection, ruleset, plan)
        _python_lines(self.connection, Finisher(ruleset, plan), progress)

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
            exprs = {"quantity": f"quantity::{_QTY}", "unit_price": f"unit_price::{_QTY}",
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


COLUMNS = ("customer_id", "rule_id", "version", "override_id", "component", "tier", "label",
           "quantity", "unit", "unit_price", "amount", "vat_rate", "path", "line", "commit")
_SORT = ("position", "s_minimum", "s_version", "s_override", "s_component", "s_tier",
         "s_first")
_ORDERED = f"SELECT * FROM lines ORDER BY customer_id, {', '.join(_SORT)}"
_COMPONENTS = ("included", "fee", "flat_fee", "units", "package", "percentage", "discount",
               "minimum")


def _commit(ruleset: Ruleset) -> str:
    return "'" + ruleset.commit.replace("'", "''") + "'"


def _trimmed(column: str) -> str:
    text = f"CAST({column} AS VARCHAR)"
    return (f"CASE WHEN contains({text}, '.') THEN rtrim(rtrim({text}, '0'), '.') "
            f"ELSE {text} END")


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _load_lines_plan(connection: duckdb.DuckDBPyConnection, ruleset: Ruleset) -> None:
    """Which rules Python finishes, and the label, unit and provenance of every line key."""
    python_rules, python_pairs = needs_python(ruleset)
    referenced = {ref for rule in ruleset.rules for v in rule.versions
                  if isinstance(v, Percentage) for ref in v.of}
    connection.execute("""
        CREATE TEMP TABLE rule_info (rule_id VARCHAR, position INTEGER, python BOOLEAN,
                                     referenced BOOLEAN);
        CREATE TEMP TABLE python_pairs (customer_id VARCHAR, rule_id VARCHAR);
        CREATE TEMP TABLE overrides_of (customer_id VARCHAR, rule_id VARCHAR,
                                        override_id VARCHAR);
        CREATE TEMP TABLE descriptions (rule_id VARCHAR, vi INTEGER, oi INTEGER,
            override_id VARCHAR, component VARCHAR, tier INTEGER, version VARCHAR,
            label VARCHAR, unit VARCHAR, vat_rate VARCHAR, path VARCHAR, line INTEGER,
            s_component INTEGER);
    """)
    _fill(connection, "rule_info", [(r.id, i, r.id in python_rules, r.id in referenced)
                                    for i, r in enumerate(ruleset.rules)])
    _fill(connection, "python_pairs", sorted(python_pairs))
    _fill(connection, "overrides_of", [(o.customer_id, o.rule, o.id) for o in ruleset.overrides])
    _fill(connection, "descriptions", list(_descriptions(ruleset)))


def _descriptions(ruleset: Ruleset) -> Iterator[tuple[Any, ...]]:
    overrides: dict[str, list[Override | None]] = {r.id: [None] for r in ruleset.rules}
    for contract in ruleset.overrides:
        overrides[contract.rule].append(contract)
    for rule in ruleset.rules:
        if isinstance(rule.versions[0], Percentage):
            yield from _percentage_descriptions(rule, ruleset)
            continue
        for override in overrides[rule.id]:
            timeline = RuleTimeline(rule, override, ruleset.zone)
            prices = ([None] if override is None else
                      [i for i, v in enumerate(override.versions)
                       if not isinstance(v, Discount | UseCatalogue)])
            depth = max(len(getattr(v, "tiers", ())) for v in
                        (*rule.versions, *(override.versions if override else ())))
            for vi, oi, component, tier in product(
                    range(len(rule.versions)), prices, _COMPONENTS[:5],
                    [None, *range(1, depth + 1)]):
                key = LineKey(rule_id=rule.id, version_index=vi, override_index=oi,
                              component=component, tier=tier, unit_price=Decimal(0))
                label, unit, source = describe_line(key, timeline, ruleset.commit)
                yield (rule.id, vi, -1 if oi is None else oi,
                       "" if oi is None or override is None else override.id, component,
                       -1 if tier is None else tier, source.version, label, unit,
                       rule.vat_rate, source.path, source.line, _COMPONENTS.index(component))


def _percentage_descriptions(rule: PricingRule, ruleset: Ruleset) -> Iterator[tuple[Any, ...]]:
    timeline = RuleTimeline(rule, None, ruleset.zone)
    for vi, component in product(range(len(rule.versions)), ("percentage", "minimum")):
        key = LineKey(rule_id=rule.id, version_index=vi, override_index=None,
                      component=component, tier=None, unit_price=Decimal(0))
        label, unit, source = describe_line(key, timeline, ruleset.commit)
        yield (rule.id, vi, -1, "", component, -1, source.version, label, unit, rule.vat_rate,
               source.path, source.line, _COMPONENTS.index(component))


def _percentage_plan(ruleset: Ruleset, plan: Plan) -> list[tuple[Any, ...]]:
    """(rule, bucket, version, rate, referenced rule, minimum) of the query's percentages."""
    python_rules, _ = needs_python(ruleset)
    rows = []
    for rule in ruleset.rules:
        if not is_percentage(rule) or rule.id in python_rules:
            continue
        timeline = RuleTimeline(rule, None, ruleset.zone)
        for bucket, start in enumerate(plan.starts):
            vi = timeline.base_at(start)
            version = rule.versions[vi] if vi is not None else None
            if isinstance(version, Percentage):
                rows += [(rule.id, bucket, vi, version.rate, ref, version.minimum)
                         for ref in version.of]
    return rows


def _query_percentages(connection: duckdb.DuckDBPyConnection, ruleset: Ruleset,
                       plan: Plan) -> None:
    """Percentage lines (and their minimums) the query finishes, added to ``lines``."""
    rows = _percentage_plan(ruleset, plan)
    if not rows:
        connection.execute("CREATE TEMP VIEW pct_lines AS SELECT * FROM sql_lines LIMIT 0")
        return
    connection.execute(f"""CREATE TEMP TABLE pct_plan (rule_id VARCHAR, bucket INTEGER,
        vi INTEGER, rate {_QTY}, ref_rule VARCHAR, minimum {_QTY})""")
    _fill(connection, "pct_plan", rows)
    described = """
        JOIN rule_info i ON i.rule_id = x.rule_id
        JOIN descriptions d ON d.rule_id = x.rule_id AND d.vi = x.vi AND d.oi = -1
             AND d.override_id = '' AND d.component = x.component AND d.tier = -1"""
    columns = f"""x.customer_id, x.rule_id, d.version, NULL AS override_id, x.component,
        NULL::INTEGER AS tier, d.label, x.quantity::DECIMAL(38, 18) AS quantity, d.unit,
        x.price::DECIMAL(38, 18) AS unit_price, x.amount::DECIMAL(38, 18) AS amount,
        d.vat_rate, d.path, d.line, {_commit(ruleset)} AS commit, i.position,
        x.component = 'minimum' AS s_minimum, d.version AS s_version, '' AS s_override,
        d.s_component, 0 AS s_tier, x.s_first"""
    connection.execute(f"""
        CREATE TEMP VIEW pct_lines AS
        WITH inputs AS (
            SELECT p.customer_id, c.rule_id, c.vi, c.rate, p.bucket, SUM(p.amount) AS amount,
                   bool_or(p.amount <> 0) AS nonzero
            FROM pieces p JOIN pct_plan c ON c.ref_rule = p.rule_id AND c.bucket = p.bucket
            WHERE NOT p.python AND p.component <> '_last'
              AND NOT EXISTS (SELECT 1 FROM python_pairs y
                              WHERE y.customer_id = p.customer_id AND y.rule_id = c.rule_id)
            GROUP BY ALL
        ), shares AS (
            SELECT customer_id, rule_id, vi, rate, round(SUM(amount), 2) AS base,
                   MIN(bucket) FILTER (WHERE nonzero) AS s_first
            FROM inputs GROUP BY ALL HAVING bool_or(nonzero)
        ), billed AS (
            SELECT customer_id, rule_id, SUM(round(base * rate, 2)) AS billed
            FROM shares GROUP BY ALL
        ), last AS (
            SELECT customer_id, rule_id, arg_max(vi, bucket) AS vi
            FROM inputs WHERE nonzero GROUP BY ALL
        ), x AS (
            SELECT customer_id, rule_id, vi, 'percentage' AS component, base AS quantity,
                   rate AS price, round(base * rate, 2) AS amount, s_first
            FROM shares
            UNION ALL
            SELECT l.customer_id, l.rule_id, l.vi, 'minimum', 1, m.minimum - b.billed,
                   m.minimum - b.billed, 0
            FROM last l JOIN billed b USING (customer_id, rule_id)
            JOIN (SELECT DISTINCT rule_id, vi, minimum FROM pct_plan) m
                 ON m.rule_id = l.rule_id AND m.vi = l.vi
            WHERE m.minimum IS NOT NULL AND b.billed < m.minimum
        )
        SELECT {columns} FROM x {described}
    """)


def _query_lines(connection: duckdb.DuckDBPyConnection, ruleset: Ruleset) -> None:
    """The lines the query finishes: summed over buckets, rounded once, described."""
    connection.execute(f"""
        CREATE TEMP VIEW sql_lines AS
        WITH summed AS (
            SELECT customer_id, rule_id, vi, poi, component, tier, price,
                   SUM(quantity)::{_QTY} AS quantity, round(SUM(amount), 2) AS amount,
                   MIN(bucket) AS s_first
            FROM pieces WHERE NOT python AND component <> '_last' GROUP BY ALL
        )
        SELECT s.customer_id, s.rule_id, d.version,
               CASE WHEN d.override_id = '' THEN NULL ELSE d.override_id END AS override_id,
               s.component, s.tier, d.label, s.quantity::DECIMAL(38, 18) AS quantity, d.unit,
               s.price::DECIMAL(38, 18) AS unit_price, s.amount::DECIMAL(38, 18) AS amount,
               d.vat_rate, d.path, d.line, {_commit(ruleset)} AS commit, i.position,
               false AS s_minimum,
               d.version AS s_version, d.override_id AS s_override, d.s_component,
               COALESCE(s.tier, 0) AS s_tier, s.s_first
        FROM summed s
        JOIN rule_info i ON i.rule_id = s.rule_id
        LEFT JOIN overrides_of o ON o.customer_id = s.customer_id AND o.rule_id = s.rule_id
        JOIN descriptions d ON d.rule_id = s.rule_id AND d.vi = s.vi
             AND d.oi = COALESCE(s.poi, -1)
             AND d.override_id = CASE WHEN s.poi IS NULL THEN '' ELSE o.override_id END
             AND d.component = s.component AND d.tier = COALESCE(s.tier, -1)
    """)


def _python_lines(connection: duckdb.DuckDBPyConnection, finisher: Finisher,
                  progress: Callable[[str, int, int], None] | None) -> None:
    """Finish, customer by customer, the lines the query leaves to Python; add them."""
    rows = connection.execute(
        "SELECT customer_id, rule_id, vi, poi, doi, bucket, component, tier, price, quantity, "
        "amount FROM pieces WHERE python ORDER BY customer_id, rule_id, bucket").fetchall()
    percentages = [r.id for r in finisher.ruleset.rules if is_percentage(r)]
    everyone = any(p in finisher.python_rules for p in percentages)
    some = sorted({c for c, r in finisher.python_pairs if r in percentages})
    sums = connection.execute(
        "SELECT customer_id, rule_id, bucket, SUM(amount), bool_or(amount <> 0) FROM pieces "
        "WHERE NOT python AND referenced AND component <> '_last' "
        "AND (? OR list_contains(?, customer_id)) GROUP BY ALL "
        "ORDER BY customer_id, rule_id, bucket", [everyone, some]).fetchall() if (
            everyone or some) else []
    by_rows = {c: [r[1:] for r in g] for c, g in groupby(rows, key=lambda r: r[0])}
    by_sums = {c: [r[1:] for r in g] for c, g in groupby(sums, key=lambda r: r[0])}
    customers = sorted(by_rows.keys() | by_sums.keys())
    found: list[tuple[Any, ...]] = []
    positions = {rule.id: i for i, rule in enumerate(finisher.ruleset.rules)}
    for done, customer in enumerate(customers):
        if progress is not None and done % 1000 == 0:
            progress("finish", done, len(customers))
        for seq, line in enumerate(finisher.lines(customer, by_rows.get(customer, ()),
                                                  by_sums.get(customer, ()))):
            found.append((*(getattr(line, c) for c in COLUMNS), positions[line.rule_id],
                          False, "", "", 0, 0, seq))
    if progress is not None:
        progress("finish", len(customers), len(customers))
    names = (*COLUMNS, *_SORT)
    columns = list(zip(*found, strict=True)) if found else [()] * len(names)
    connection.register("python_lines", pa.table(dict(zip(names, columns, strict=True)),
                                                 schema=_python_schema()))
    connection.execute("CREATE TEMP VIEW lines AS SELECT * FROM sql_lines "
                       "UNION ALL BY NAME SELECT * FROM pct_lines "
                       "UNION ALL BY NAME SELECT * FROM python_lines")


def _python_schema() -> pa.Schema:
    exact = pa.decimal128(38, 18)
    types = {"tier": pa.int32(), "line": pa.int32(), "quantity": exact, "unit_price": exact,
             "amount": exact, "position": pa.int32(), "s_minimum": pa.bool_(),
             "s_component": pa.int32(), "s_tier": pa.int32(), "s_first": pa.int32()}
    return pa.schema([(name, types.get(name, pa.string())) for name in (*COLUMNS, *_SORT)])
