"""Stage 4 of batch rating: pieces become lines, rounded once and described.

Lines of plain rules and plain percentages are summed, rounded and described in SQL
(views, computed while the output is written); discounts, minimums and percentages
that need them are finished per customer in Python (:mod:`batch.finish`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from itertools import groupby, product
from typing import Any

import duckdb
import pyarrow as pa

from batch.finish import Finisher, needs_python
from batch.plan import QTY, Plan, is_percentage
from batch.scan import fill
from engine.lines import describe_line
from engine.rating import LineKey, RuleTimeline
from engine.rules.pricing import Discount, Override, Percentage, PricingRule, UseCatalogue
from engine.rules.ruleset import Ruleset

__all__ = ["COLUMNS", "SORT", "load_lines_plan", "python_lines", "query_lines",
           "query_percentages"]

COLUMNS = ("customer_id", "rule_id", "version", "override_id", "component", "tier", "label",
           "quantity", "unit", "unit_price", "amount", "vat_rate", "path", "line", "commit")
SORT = ("position", "s_minimum", "s_version", "s_override", "s_component", "s_tier",
         "s_first")
_COMPONENTS = ("included", "fee", "flat_fee", "units", "package", "percentage", "discount",
               "minimum")



def commit_literal(ruleset: Ruleset) -> str:
    return "'" + ruleset.commit.replace("'", "''") + "'"


def load_lines_plan(connection: duckdb.DuckDBPyConnection, ruleset: Ruleset) -> None:
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
    fill(connection, "rule_info", [(r.id, i, r.id in python_rules, r.id in referenced)
                                    for i, r in enumerate(ruleset.rules)])
    fill(connection, "python_pairs", sorted(python_pairs))
    fill(connection, "overrides_of", [(o.customer_id, o.rule, o.id) for o in ruleset.overrides])
    fill(connection, "descriptions", list(_descriptions(ruleset)))


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


def query_percentages(connection: duckdb.DuckDBPyConnection, ruleset: Ruleset,
                       plan: Plan) -> None:
    """Percentage lines (and their minimums) the query finishes, added to ``lines``."""
    rows = _percentage_plan(ruleset, plan)
    if not rows:
        connection.execute("CREATE TEMP VIEW pct_lines AS SELECT * FROM sql_lines LIMIT 0")
        return
    connection.execute(f"""CREATE TEMP TABLE pct_plan (rule_id VARCHAR, bucket INTEGER,
        vi INTEGER, rate {QTY}, ref_rule VARCHAR, minimum {QTY})""")
    fill(connection, "pct_plan", rows)
    described = """
        JOIN rule_info i ON i.rule_id = x.rule_id
        JOIN descriptions d ON d.rule_id = x.rule_id AND d.vi = x.vi AND d.oi = -1
             AND d.override_id = '' AND d.component = x.component AND d.tier = -1"""
    columns = f"""x.customer_id, x.rule_id, d.version, NULL AS override_id, x.component,
        NULL::INTEGER AS tier, d.label, x.quantity::DECIMAL(38, 18) AS quantity, d.unit,
        x.price::DECIMAL(38, 18) AS unit_price, x.amount::DECIMAL(38, 18) AS amount,
        d.vat_rate, d.path, d.line, {commit_literal(ruleset)} AS commit, i.position,
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


def query_lines(connection: duckdb.DuckDBPyConnection, ruleset: Ruleset) -> None:
    """The lines the query finishes: summed over buckets, rounded once, described."""
    connection.execute(f"""
        CREATE TEMP VIEW sql_lines AS
        WITH summed AS (
            SELECT customer_id, rule_id, vi, poi, component, tier, price,
                   SUM(quantity)::{QTY} AS quantity, round(SUM(amount), 2) AS amount,
                   MIN(bucket) AS s_first
            FROM pieces WHERE NOT python AND component <> '_last' GROUP BY ALL
        )
        SELECT s.customer_id, s.rule_id, d.version,
               CASE WHEN d.override_id = '' THEN NULL ELSE d.override_id END AS override_id,
               s.component, s.tier, d.label, s.quantity::DECIMAL(38, 18) AS quantity, d.unit,
               s.price::DECIMAL(38, 18) AS unit_price, s.amount::DECIMAL(38, 18) AS amount,
               d.vat_rate, d.path, d.line, {commit_literal(ruleset)} AS commit, i.position,
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


def python_lines(connection: duckdb.DuckDBPyConnection, finisher: Finisher,
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
    names = (*COLUMNS, *SORT)
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
    return pa.schema([(name, types.get(name, pa.string())) for name in (*COLUMNS, *SORT)])
