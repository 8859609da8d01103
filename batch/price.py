"""Stage 3 of batch rating: price every (customer, rule, bucket) segment in SQL.

Cumulative quantities in bucket order give each segment's slice ``(lo, hi]`` after the
included units; graduated and volume bands, packages and fees follow, in exact
``DECIMAL`` arithmetic. The result is the ``pieces`` table.
"""

from __future__ import annotations

from batch.plan import QTY
from batch.scan import attribute_column
from engine.rating import OVERRIDDEN

__all__ = ["pieces_statement"]


def pieces_statement(width: int, buckets: int | None = None, direct: bool = False,
                     files: int = 1) -> str:
    """The statement that leaves every priced piece of every segment in ``pieces``.

    ``buckets``: when given (a few), cumulative quantities are sums of side-by-side
    columns rather than a window. ``direct``: those columns come straight from the
    scan's sums (:func:`batch.scan.direct_rules`), which hold a row per customer and
    metric for each of ``files``.

    A piece an override version prices has :data:`engine.rating.OVERRIDDEN` for version,
    as in the engine; the marker of a rule's last segment (component 8) keeps the
    catalogue version, whose minimum applies when the override sets none.

    One statement: the priced segments (``sl``) and their bands (``banded``) are
    common table expressions, held by the query while it runs. As tables of their
    own, storing them cost more than computing them.
    """
    columns = [attribute_column(i) for i in range(width)]
    join = " AND ".join(["a.metric = r.metric", "a.bucket = r.bucket"] + [
        f"a.{c} IS NOT DISTINCT FROM r.{c}" for c in columns])
    head = "cid, ri, vi, poi, ovr, bucket, python, single"
    segment_sql = f"SELECT a.cid, r.ri, a.bucket, a.q FROM agg a JOIN routes r ON {join}"
    if width:  # several attribute values can go to one rule
        segment_sql = (f"SELECT cid, ri, bucket, SUM(q)::{QTY} AS q FROM ({segment_sql}) "
                       "GROUP BY ALL")
    segments = f"""
    WITH seg AS ({segment_sql}), cumulated AS ({_cumulated(buckets, direct, files)}), priced AS (
        SELECT s.*, COALESCE(o.vi, d.vi) AS vi,
               CASE WHEN o.ri IS NULL THEN NULL ELSE o.poi END AS poi,
               CASE WHEN o.ri IS NULL THEN NULL ELSE o.doi END AS doi,
               CASE WHEN o.poi IS NULL THEN -1 ELSE o.ovr END AS ovr,
               COALESCE(o.model_id, d.model_id) AS model_id
        FROM cumulated s
        JOIN (SELECT * FROM prices WHERE customer_id IS NULL) d
             ON d.ri = s.ri AND d.bucket = s.bucket
        LEFT JOIN customer_prices o
             ON o.cid = s.cid AND o.ri = s.ri AND o.bucket = s.bucket
    ), bounded AS (
        SELECT p.*, m.tag, m.included, m.unit_price, m.size, m.package_price, m.fee,
               m.whole_size,
               greatest(after - q - included, 0)::{QTY} AS lo,
               greatest(after - included, 0)::{QTY} AS hi,
               greatest(raw_total - included, 0)::{QTY} AS total
        FROM priced p JOIN models m USING (model_id)
    )
    SELECT c.cid, c.ri, c.bucket, c.q, c.first, c.last, c.vi, c.poi, c.ovr,
           c.model_id, c.tag, c.unit_price, c.package_price, c.fee, c.lo, c.hi, c.total,
           {_opened()} AS opened, i.python OR x.ri IS NOT NULL AS python,
           c.poi IS NULL AND c.doi IS NULL AND v.single AS single
    FROM bounded c JOIN rule_info i ON i.ri = c.ri
    JOIN (SELECT p.ri, p.vi, COUNT(DISTINCT p.bucket) = 1 AS single
          FROM prices p JOIN routes r ON r.ri = p.ri AND r.bucket = p.bucket
          WHERE p.customer_id IS NULL GROUP BY ALL) v ON v.ri = c.ri AND v.vi = c.vi
    LEFT JOIN python_pairs x ON x.cid = c.cid AND x.ri = c.ri
    """
    band = """
    SELECT sl.cid, sl.ri, sl.vi, sl.poi, sl.ovr, sl.bucket, sl.python, sl.single, sl.tag,
           sl.lo, sl.hi, sl.total, sl.last, t.tier, t.unit_price AS tier_price, t.flat_fee, t.floor,
           greatest(lo, t.floor) AS low,
           least(hi, t.open_ceiling) AS high
    FROM (SELECT * FROM sl WHERE {}) sl JOIN bounds t USING (model_id)
    """
    # Bands as half-open intervals without NULL: the first takes a total of zero, the
    # last has no ceiling (quantities and totals are never negative).
    bounds = (f"SELECT *, CASE WHEN tier = 1 THEN -1 ELSE floor END::{QTY} AS open_floor, "
              f"COALESCE(ceiling, {_NO_CEILING})::{QTY} AS open_ceiling FROM tiers")
    banded = (  # graduated: the bands the slice meets; volume: the band of the total
        band.format("tag = 'graduated' AND hi > lo")
        + "WHERE hi > t.floor AND lo < t.open_ceiling UNION ALL"
        + band.format("tag = 'volume'")
        + "WHERE total > t.open_floor AND total <= t.open_ceiling")
    return f"""
    CREATE TEMP TABLE pieces AS
    WITH sl AS MATERIALIZED ({segments}), bounds AS ({bounds}),
         banded AS MATERIALIZED ({banded}), pieces AS (
        SELECT {head}, 0::TINYINT AS component, NULL::INTEGER AS tier,
               0::{QTY} AS price, (q - (hi - lo))::{QTY} AS quantity
        FROM sl WHERE q - (hi - lo) > 0
        UNION ALL
        SELECT {head}, 3::TINYINT, NULL, unit_price, hi - lo
        FROM sl WHERE tag = 'per_unit' AND hi > lo
        UNION ALL
        SELECT {head}, 3::TINYINT, tier, tier_price, high - low
        FROM banded WHERE tag = 'graduated' AND high > low
        UNION ALL
        SELECT {head}, 2::TINYINT, tier, flat_fee, 1
        FROM banded WHERE tag = 'graduated' AND high > low AND flat_fee > 0 AND lo <= floor
        UNION ALL
        SELECT {head}, 3::TINYINT, tier, tier_price, hi - lo
        FROM banded WHERE tag = 'volume' AND hi > lo
        UNION ALL
        SELECT {head}, 2::TINYINT, tier, flat_fee, 1
        FROM banded WHERE tag = 'volume' AND last AND flat_fee > 0 AND total > 0
        UNION ALL
        SELECT {head}, 4::TINYINT, NULL, package_price, opened
        FROM sl WHERE tag = 'package' AND opened > 0
        UNION ALL
        SELECT {head}, 1::TINYINT, NULL, fee, 1 FROM (
            SELECT *, bucket = MIN(bucket) OVER (PARTITION BY cid, ri) AS first_flat
            FROM sl WHERE tag = 'flat') WHERE first_flat
        UNION ALL
        SELECT {head}, 8::TINYINT, NULL, 0, 0 FROM sl WHERE last AND python
    )
    SELECT cid, ri, CASE WHEN poi IS NULL OR component = 8 THEN vi ELSE {OVERRIDDEN} END
               AS vi, poi, ovr, bucket, component, tier,
           price::{QTY} AS price, quantity::{QTY} AS quantity, python, single
    FROM pieces
    """


_NO_CEILING = "99999999999999999999999999999.999999999"
"""The largest ``DECIMAL(38, 9)``: the ceiling of a last band."""


def _cumulated(buckets: int | None, direct: bool = False, files: int = 1) -> str:
    """Segments with their rule's running and period quantities, first and last bucket.

    ``after`` is the rule's quantity up to and with the segment, ``raw_total`` the
    rule's quantity in the period.
    """
    if buckets is None:
        return """
        SELECT *, SUM(q) OVER w AS after, SUM(q) OVER whole AS raw_total,
               bucket = MIN(bucket) OVER whole AS first,
               bucket = MAX(bucket) OVER whole AS last
        FROM seg
        WINDOW w AS (PARTITION BY cid, ri ORDER BY bucket ROWS UNBOUNDED PRECEDING),
               whole AS (PARTITION BY cid, ri)"""
    sums = "".join(f", SUM(q) FILTER (WHERE bucket = {k}) AS q{k}" for k in range(buckets))
    side = _direct_side(buckets, files > 1) if direct else (
        f"SELECT cid, ri{sums}, SUM(q) AS raw_total, MIN(bucket) AS lo, "
        "MAX(bucket) AS hi FROM seg GROUP BY cid, ri")
    parts = []
    for k in range(buckets):
        after = " + ".join(f"COALESCE(q{j}, 0)" for j in range(k + 1))
        parts.append(f"SELECT cid, ri, {k} AS bucket, q{k} AS q, ({after})::{QTY} AS after, "
                     f"raw_total, lo = {k} AS first, hi = {k} AS last FROM side "
                     f"WHERE q{k} IS NOT NULL")
    return f"WITH side AS MATERIALIZED ({side}) {' UNION ALL '.join(parts)}"


def _direct_side(buckets: int, grouped: bool) -> str:
    """Per (customer, rule), the quantity of each bucket, from ``sums`` and ``direct_rules``.

    Merged bucket ``k`` of a metric sums its buckets ``j`` with ``cj = k``, over the rows
    of every file (``grouped``: more than one); it is ``NULL`` when none has records, like
    a sum over no segment.
    """
    columns = []
    for k in range(buckets):
        present = " OR ".join(f"(d.c{j} = {k} AND s.q{j} IS NOT NULL)" for j in range(buckets))
        total = " + ".join(f"COALESCE(CASE WHEN d.c{j} = {k} THEN s.q{j} END, 0)"
                           for j in range(buckets))
        value = f"CASE WHEN {present} THEN {total} END"
        columns.append(f"{f'SUM({value})' if grouped else value}::{QTY} AS q{k}")
    merged = (f"SELECT u.cid, d.ri, {', '.join(columns)} FROM sums s "
              "JOIN customers u ON u.customer_id = s.customer_id "
              "JOIN direct_rules d ON d.metric = s.metric"
              + (" GROUP BY u.cid, d.ri" if grouped else ""))
    some = " OR ".join(f"q{k} IS NOT NULL" for k in range(buckets))
    total = " + ".join(f"COALESCE(q{k}, 0)" for k in range(buckets))
    first = " ".join(f"WHEN q{k} IS NOT NULL THEN {k}" for k in range(buckets))
    last = " ".join(f"WHEN q{k} IS NOT NULL THEN {k}" for k in reversed(range(buckets)))
    return (f"SELECT *, ({total})::{QTY} AS raw_total, CASE {first} END AS lo, "
            f"CASE {last} END AS hi FROM ({merged}) WHERE {some}")


def _opened() -> str:
    """Packages a slice ``(lo, hi]`` opens: ``ceil(hi / size) - ceil(lo / size)``.

    Computed on integers, never through a float. For a whole size ``n`` and a slice
    below 10^9, on 64-bit integers, since ``ceil(x / n) = ceil(ceil(x) / n)``; otherwise
    on quantities scaled by 10^9 in ``HUGEINT`` (a hundred times slower).
    """
    scaled = "CAST({} * 1000000000 AS HUGEINT)"
    ceil = "({0} + {1} - 1) // {1}"
    whole = "ceil({}::DECIMAL(18, 9))::BIGINT"
    fast = (f"{ceil.format(whole.format('hi'), 'whole_size')} - "
            f"{ceil.format(whole.format('lo'), 'whole_size')}")
    slow = (f"{ceil.format(scaled.format('hi'), scaled.format('size'))} - "
            f"{ceil.format(scaled.format('lo'), scaled.format('size'))}")
    return (f"CASE WHEN tag <> 'package' THEN NULL "
            f"WHEN whole_size IS NOT NULL AND hi < 1000000000 THEN {fast} ELSE {slow} END")
