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

from batch.cents import with_amount
from batch.finish import Finisher, needs_python
from batch.plan import QTY, Plan, is_percentage
from batch.scan import fill
from engine.lines import describe_line
from engine.rating import OVERRIDDEN, LineKey, RuleTimeline
from engine.rules.pricing import Discount, Override, Percentage, PricingRule, UseCatalogue
from engine.rules.ruleset import Ruleset

__all__ = ["COLUMNS", "COMPONENTS", "LAST", "Descriptions", "load_lines_plan",
           "python_lines", "query_lines", "query_percentages"]

COLUMNS = ("customer_id", "rule_id", "version", "override_id", "component", "tier", "label",
           "quantity", "unit", "unit_price", "amount", "vat_rate", "path", "line", "commit")
DESCRIBED = ("rule_id", "version", "override_id", "component", "tier", "label", "unit",
             "vat_rate", "path", "line")
"""What a line's description id (``did``) stands for."""
COMPONENTS = ("included", "fee", "flat_fee", "units", "package", "percentage", "discount",
              "minimum")
"""Line components; the query names them by their index here."""
LAST = len(COMPONENTS)
"""Code of the marker piece on the last segment of a rule finished in Python."""

Description = tuple[str, str, str | None, str, int | None, str, str, str, str, int]


class Descriptions:
    """Every distinct line description of a run, numbered (``did``) in first-seen order."""

    def __init__(self) -> None:
        self.rows: list[Description] = []
        self._ids: dict[Description, int] = {}

    def id(self, row: Description) -> int:
        """The number of ``row``, added if new."""
        found = self._ids.get(row)
        if found is None:
            found = self._ids[row] = len(self.rows)
            self.rows.append(row)
        return found


def _order_key(row: Description) -> tuple[bool, str, str, int, int]:
    """Where a line goes among its rule's: minimum last, then by version, override, tier."""
    _rule, version, override_id, component, tier = row[:5]
    return (component == "minimum", version, override_id or "",
            COMPONENTS.index(component), tier or 0)


def load_lines_plan(connection: duckdb.DuckDBPyConnection, ruleset: Ruleset,
                    descriptions: Descriptions) -> None:
    """Which rules Python finishes, and the description of every line key.

    Needs the ``customers`` table of the scan: the tables are keyed by customer number
    (``cid``) and rule position (``ri``).
    """
    python_rules, python_pairs = needs_python(ruleset)
    referenced = {ref for rule in ruleset.rules for v in rule.versions
                  if isinstance(v, Percentage) for ref in v.of}
    position = {rule.id: i for i, rule in enumerate(ruleset.rules)}
    connection.execute("""
        CREATE TEMP TABLE rule_info (ri INTEGER, python BOOLEAN, referenced BOOLEAN);
        CREATE TEMP TABLE named_pairs (customer_id VARCHAR, ri INTEGER);
        CREATE TEMP TABLE descriptions (did INTEGER, ri INTEGER, vi INTEGER, oi INTEGER,
            ovr INTEGER, component TINYINT, tier INTEGER, dorder INTEGER);
    """)
    fill(connection, "rule_info", [(i, r.id in python_rules, r.id in referenced)
                                    for i, r in enumerate(ruleset.rules)])
    fill(connection, "named_pairs", sorted((c, position[r]) for c, r in python_pairs))
    connection.execute("CREATE TEMP TABLE python_pairs AS SELECT u.cid, p.ri FROM named_pairs p "
                       "JOIN customers u USING (customer_id)")
    keyed = [(key, descriptions.id(row)) for key, row in _descriptions(ruleset)]
    order = {k: i for i, k in enumerate(sorted({_order_key(descriptions.rows[d])
                                                for _, d in keyed}))}
    fill(connection, "descriptions",
         [(did, *key, order[_order_key(descriptions.rows[did])]) for key, did in keyed])


def _descriptions(ruleset: Ruleset
                  ) -> Iterator[tuple[tuple[int, int, int, int, int, int], Description]]:
    """Every line the query can make: its key and its description.

    The key is (rule, version, override version, override, component, tier), -1 for none.
    """
    overrides: dict[str, list[tuple[int, Override | None]]] = {
        r.id: [(-1, None)] for r in ruleset.rules}
    for ovr, contract in enumerate(ruleset.overrides):
        overrides[contract.rule].append((ovr, contract))
    for ri, rule in enumerate(ruleset.rules):
        if isinstance(rule.versions[0], Percentage):
            yield from _percentage_descriptions(ri, rule, ruleset)
            continue
        for ovr, override in overrides[rule.id]:
            timeline = RuleTimeline(rule, override, ruleset.zone)
            prices = ([None] if override is None else
                      [i for i, v in enumerate(override.versions)
                       if not isinstance(v, Discount | UseCatalogue)])
            depth = max(len(getattr(v, "tiers", ())) for v in
                        (*rule.versions, *(override.versions if override else ())))
            versions = range(len(rule.versions)) if override is None else [OVERRIDDEN]
            for vi, oi, component, tier in product(versions, prices, COMPONENTS[:5],
                                                   [None, *range(1, depth + 1)]):
                key = LineKey(rule_id=rule.id, version_index=vi, override_index=oi,
                              component=component, tier=tier, unit_price=Decimal(0))
                yield ((ri, vi, -1 if oi is None else oi, -1 if oi is None else ovr,
                        COMPONENTS.index(component), -1 if tier is None else tier),
                       _described(key, timeline, ruleset.commit))


def _percentage_descriptions(ri: int, rule: PricingRule, ruleset: Ruleset
                             ) -> Iterator[tuple[tuple[int, int, int, int, int, int],
                                                 Description]]:
    timeline = RuleTimeline(rule, None, ruleset.zone)
    for vi, component in product(range(len(rule.versions)), ("percentage", "minimum")):
        key = LineKey(rule_id=rule.id, version_index=vi, override_index=None,
                      component=component, tier=None, unit_price=Decimal(0))
        yield ((ri, vi, -1, -1, COMPONENTS.index(component), -1),
               _described(key, timeline, ruleset.commit))


def _described(key: LineKey, timeline: RuleTimeline, commit: str) -> Description:
    label, unit, source = describe_line(key, timeline, commit)
    return (timeline.rule.id, source.version, source.override_id, key.component, key.tier,
            label, unit, timeline.rule.vat_rate, source.path, source.line)


def _percentage_plan(ruleset: Ruleset, plan: Plan) -> list[tuple[Any, ...]]:
    """(rule, bucket, version, rate, referenced rule, minimum) of the query's percentages."""
    python_rules, _ = needs_python(ruleset)
    position = {rule.id: i for i, rule in enumerate(ruleset.rules)}
    rows = []
    for ri, rule in enumerate(ruleset.rules):
        if not is_percentage(rule) or rule.id in python_rules:
            continue
        timeline = RuleTimeline(rule, None, ruleset.zone)
        for bucket, start in enumerate(plan.starts):
            vi = timeline.base_at(start)
            version = rule.versions[vi] if vi is not None else None
            if isinstance(version, Percentage):
                rows += [(ri, bucket, vi, version.rate, position[ref], version.minimum)
                         for ref in version.of]
    return rows


_OUT = f"""x.cid, x.ri, d.did, d.dorder, x.s_first, x.quantity::{QTY} AS quantity,
    x.price::{QTY} AS unit_price, x.amount::DECIMAL(38, 2) AS amount"""
"""Columns of every kind of line: numbers, and what describes and orders them."""


def query_percentages(connection: duckdb.DuckDBPyConnection, ruleset: Ruleset,
                       plan: Plan) -> None:
    """Percentage lines (and their minimums) the query finishes, as ``pct_lines``."""
    rows = _percentage_plan(ruleset, plan)
    if not rows:
        connection.execute("CREATE TEMP VIEW pct_lines AS SELECT * FROM sql_lines LIMIT 0")
        return
    connection.execute(f"""CREATE TEMP TABLE pct_plan (ri INTEGER, bucket INTEGER,
        vi INTEGER, rate {QTY}, ref INTEGER, minimum {QTY})""")
    fill(connection, "pct_plan", rows)
    percentage, minimum = COMPONENTS.index("percentage"), COMPONENTS.index("minimum")
    connection.execute(f"""
        CREATE TEMP TABLE pct_lines AS
        WITH inputs AS (
            SELECT p.cid, c.ri, c.vi, c.rate, p.bucket, SUM(p.quantity * p.price) AS amount,
                   bool_or(p.quantity * p.price <> 0) AS nonzero
            FROM pieces p JOIN pct_plan c ON c.ref = p.ri AND c.bucket = p.bucket
            WHERE NOT p.python AND p.component <> {LAST}
              AND NOT EXISTS (SELECT 1 FROM python_pairs y
                              WHERE y.cid = p.cid AND y.ri = c.ri)
            GROUP BY ALL
        ), shares AS (
            SELECT cid, ri, vi, rate, round(SUM(amount), 2) AS base,
                   MIN(bucket) FILTER (WHERE nonzero) AS s_first
            FROM inputs GROUP BY ALL HAVING bool_or(nonzero)
        ), billed AS (
            SELECT cid, ri, SUM(round(base * rate, 2)) AS billed FROM shares GROUP BY ALL
        ), last AS (
            SELECT cid, ri, arg_max(vi, bucket) AS vi FROM inputs WHERE nonzero GROUP BY ALL
        ), x AS (
            SELECT cid, ri, vi, {percentage}::TINYINT AS component, base AS quantity,
                   rate AS price, round(base * rate, 2) AS amount, s_first
            FROM shares
            UNION ALL
            SELECT l.cid, l.ri, l.vi, {minimum}::TINYINT, 1, m.minimum - b.billed,
                   m.minimum - b.billed, 0
            FROM last l JOIN billed b USING (cid, ri)
            JOIN (SELECT DISTINCT ri, vi, minimum FROM pct_plan) m
                 ON m.ri = l.ri AND m.vi = l.vi
            WHERE m.minimum IS NOT NULL AND b.billed < m.minimum
        )
        SELECT {_OUT} FROM x JOIN descriptions d ON d.ri = x.ri AND d.vi = x.vi
            AND d.oi = -1 AND d.ovr = -1 AND d.component = x.component AND d.tier = -1
    """)


def query_lines(connection: duckdb.DuckDBPyConnection) -> None:
    """The lines the query finishes, as ``sql_lines``: summed over buckets, rounded once.

    A piece of a version in force in one bucket only, without override, is a line by
    itself (a segment makes one piece per component and tier): only the others are
    grouped.
    """
    connection.execute(f"""
        CREATE TEMP VIEW sql_lines AS
        WITH summed AS (
            SELECT cid, ri, vi, poi, ovr, component, tier, SUM(quantity) AS quantity,
                   any_value(price) AS price, MIN(bucket) AS s_first
            FROM pieces WHERE NOT python AND component <> {LAST} AND NOT single
            GROUP BY cid, ri, vi, poi, ovr, component, tier
            UNION ALL
            SELECT cid, ri, vi, poi, ovr, component, tier, quantity, price, bucket
            FROM pieces WHERE NOT python AND component <> {LAST} AND single
        ), x AS ({with_amount("summed")})
        SELECT {_OUT} FROM x JOIN descriptions d ON d.ri = x.ri AND d.vi = x.vi
            AND d.oi = COALESCE(x.poi, -1) AND d.ovr = x.ovr AND d.component = x.component
            AND d.tier = COALESCE(x.tier, -1)
    """)


def python_lines(connection: duckdb.DuckDBPyConnection, finisher: Finisher,
                  descriptions: Descriptions, names: list[str],
                  progress: Callable[[str, int, int], None] | None) -> None:
    """Finish, customer by customer, the lines the query leaves to Python.

    ``names`` are the customers by number (``cid``). The lines become ``python_lines``;
    the view ``lines`` gathers every line.
    """
    rules = [rule.id for rule in finisher.ruleset.rules]
    cids = {name: cid for cid, name in enumerate(names)}
    components = (*COMPONENTS, "_last")
    rows = [(names[c], rules[r], vi, poi, doi, bucket, components[k], *rest)
            for c, r, vi, poi, doi, bucket, k, *rest in connection.execute(
        "SELECT p.cid, p.ri, p.vi, p.poi, o.doi, p.bucket, p.component, p.tier, p.price, "
        "p.quantity, p.quantity * p.price FROM pieces p LEFT JOIN customer_prices o "
        "ON o.cid = p.cid AND o.ri = p.ri AND o.bucket = p.bucket "
        "WHERE p.python ORDER BY p.cid, p.ri, p.bucket").fetchall()]
    percentages = [r.id for r in finisher.ruleset.rules if is_percentage(r)]
    everyone = any(p in finisher.python_rules for p in percentages)
    some = sorted({cids[c] for c, r in finisher.python_pairs if r in percentages and c in cids})
    sums = [(names[c], rules[r], *rest) for c, r, *rest in connection.execute(
        "SELECT p.cid, p.ri, p.bucket, SUM(p.quantity * p.price), "
        "bool_or(p.quantity * p.price <> 0) FROM pieces p JOIN rule_info i ON i.ri = p.ri "
        "WHERE NOT p.python AND i.referenced "
        f"AND p.component <> {LAST} AND (? OR list_contains(?, p.cid)) "
        "GROUP BY ALL ORDER BY p.cid, p.ri, p.bucket", [everyone, some]).fetchall()] if (
            everyone or some) else []
    by_rows = {c: [r[1:] for r in g] for c, g in groupby(rows, key=lambda r: r[0])}
    by_sums = {c: [r[1:] for r in g] for c, g in groupby(sums, key=lambda r: r[0])}
    customers = sorted(by_rows.keys() | by_sums.keys())
    positions = {rule: i for i, rule in enumerate(rules)}
    found: list[tuple[Any, ...]] = []
    for done, customer in enumerate(customers):
        if progress is not None and done % 1000 == 0:
            progress("finish", done, len(customers))
        for seq, line in enumerate(finisher.lines(customer, by_rows.get(customer, ()),
                                                  by_sums.get(customer, ()))):
            did = descriptions.id((line.rule_id, line.version, line.override_id,
                                   line.component, line.tier, line.label, line.unit,
                                   line.vat_rate, line.path, line.line))
            found.append((cids[customer], positions[line.rule_id], did, seq, 0, line.quantity,
                          line.unit_price, line.amount))
    if progress is not None:
        progress("finish", len(customers), len(customers))
    columns = list(zip(*found, strict=True)) if found else [()] * len(_PYTHON.names)
    connection.register("python_lines", pa.table(columns, schema=_PYTHON))
    connection.execute("CREATE TEMP VIEW lines AS SELECT * FROM sql_lines "
                       "UNION ALL SELECT * FROM pct_lines UNION ALL SELECT * FROM python_lines")


_PYTHON = pa.schema([("cid", pa.int32()), ("ri", pa.int32()), ("did", pa.int32()),
                     ("dorder", pa.int32()), ("s_first", pa.int32()),
                     ("quantity", pa.decimal128(38, 9)), ("unit_price", pa.decimal128(38, 9)),
                     ("amount", pa.decimal128(38, 2))])
"""The columns of ``sql_lines`` and ``pct_lines``, for the lines finished in Python."""
