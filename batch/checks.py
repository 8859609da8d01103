"""Which rows SQL accepts, and the query that checks and converts them.

SQL accepts a row only when every check of :func:`batch.normalise.normalise` surely
passes and gives the same record: required fields starting with a visible ASCII
character, a rated metric, a known customer, a plain non-negative decimal quantity (at
most 18 integer digits and 9 decimals), an RFC 3339 timestamp with offset in years
1900–2999, a declared unit whose conversion is small enough for exact 128-bit integer
arithmetic, attribute values with nothing to escape (JSON: strings without escapes, an
integer quantity, no repeated key). Quantities are computed in nano-units (10⁻⁹): an
exact factor must divide evenly, a divisor rounds half-up, as ``normalise`` does.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pyarrow as pa

from batch.chunks import LINE, ROW
from batch.normalise import Mediation

__all__ = ["JSON_KEYS", "check_sql", "conversions", "month_cuts", "sql_text"]

JSON_KEYS = """
    SELECT DISTINCT unnest(CASE WHEN json_valid("__line__") THEN json_keys("__line__") END)
    FROM chunk
"""
"""The keys of the objects of a JSON Lines chunk."""
_ESCAPED = frozenset('"\\') | frozenset(chr(c) for c in range(32))
_LIMIT = 10**10
_TEXT = ("event_id", "customer_id", "metric")
_TIMESTAMP = (r"(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
              r"(\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])")


def sql_text(text: str) -> str:
    """``text`` as an SQL string literal.

    >>> sql_text("l'an")
    "'l''an'"
    """
    return "'" + text.replace("'", "''") + "'"


def conversions(mediation: Mediation) -> list[tuple[str, str, int, int, bool]]:
    """``(metric, unit, multiplier, divisor, rounds)`` of each unit SQL converts.

    >>> from decimal import Decimal
    >>> from engine.rules.metrics import Metric, UnitConversion
    >>> metric = Metric(id="m", unit="GB", origin=None,  # type: ignore[arg-type]
    ...     accepts=(UnitConversion(unit="B", factor=Decimal("0.000000001")),
    ...              UnitConversion(unit="s", divisor=Decimal("3600"))))
    >>> conversions(Mediation(zone=None, rated=frozenset(), metrics={"m": metric}))
    [('m', 'GB', 1, 1, False), ('m', 'B', 1, 1000000000, False), ('m', 's', 1, 3600, True)]
    """
    found = []
    for metric in mediation.metrics.values():
        found.append((metric.id, metric.unit, 1, 1, False))
        for conversion in metric.accepts:
            ratio = conversion.divisor if conversion.divisor is not None else conversion.factor
            if ratio is None or not ratio.is_finite() or ratio <= 0:
                continue
            top, bottom = ratio.as_integer_ratio()
            mul, div = (bottom, top) if conversion.divisor is not None else (top, bottom)
            if mul <= _LIMIT and div <= _LIMIT:
                found.append((metric.id, conversion.unit, mul, div,
                              conversion.divisor is not None))
    return found


def check_sql(schema: pa.Schema, mediation: Mediation, keys: list[str] | None = None
              ) -> str | None:
    """The query over ``chunk`` giving each row, whether SQL accepts it, and its record.

    ``None`` when a column's type leaves every row to ``normalise``. For JSON Lines,
    ``keys`` are the keys found in the chunk's objects (see :data:`JSON_KEYS`).
    """
    base: str | None
    if LINE in schema.names:
        base = _json_struct_base(keys) if keys is not None and _plain_keys(keys) else (
            _json_base())
    else:
        base = _columns_base(schema)
        if base is None:
            return None
    customers = ("LEFT JOIN customers k ON k.id = b.customer_id"
                 if mediation.customers is not None else "")
    known = "AND k.id IS NOT NULL" if customers else ""
    # Column names are quoted identifiers; a row's period is read in ``month_cuts``.
    return f"""
    WITH {base}, parsed AS (
        SELECT b.*, r.metric IS NOT NULL {known} AS known,
               regexp_full_match(q, '[0-9]{{1,18}}(\\.[0-9]{{1,9}})?') AS plain,
               coalesce(b.unit, '') = '' AS as_is, v.mul, v.div, v.rounds
        FROM base b
        LEFT JOIN rated r ON r.metric = b.metric
        LEFT JOIN conversions v ON v.metric = b.metric AND v.unit = b.unit
        {customers}
    ), nano AS (
        SELECT *, CASE WHEN plain AND NOT as_is
                       THEN (CAST(split_part(q, '.', 1) AS HUGEINT) * 1000000000
                             + CAST(rpad(split_part(q, '.', 2), 9, '0') AS HUGEINT)) * mul
                       END AS n
        FROM parsed
    ), converted AS (
        SELECT *, CASE WHEN NOT plain THEN NULL
                       WHEN as_is THEN CAST(q AS DECIMAL(38, 9))
                       WHEN rounds OR n % div = 0
                       THEN CAST(CAST(CASE WHEN rounds THEN (2 * n + div) // (2 * div)
                                           ELSE n // div END AS DECIMAL(38, 0))
                                 * CAST(0.000000001 AS DECIMAL(18, 9)) AS DECIMAL(38, 9))
                       END AS quantity
        FROM nano
    )
    SELECT row, coalesce(known AND clean AND ts IS NOT NULL
                         AND quantity < CAST(1000000000000000 AS DECIMAL(38, 9))
                         AND ascii(event_id) BETWEEN 33 AND 126
                         AND ascii(customer_id) BETWEEN 33 AND 126
                         AND ascii(metric) BETWEEN 33 AND 126, FALSE) AS ok,
           event_id, customer_id, metric, quantity, ts AS timestamp, attributes,
           CASE WHEN m.b1 IS NULL OR ts < m.b1 THEN m.p0
                WHEN m.b2 IS NULL OR ts < m.b2 THEN m.p1 ELSE m.p2 END AS period
    FROM converted LEFT JOIN month_cuts m ON m.u = year(ts) * 12 + month(ts) - 1
    """  # noqa: S608


def month_cuts(zone: ZoneInfo) -> pa.Table:
    """Where ``zone``'s months start, by UTC month: the table the period of a row is read in.

    Each UTC month ``u`` (``year * 12 + month - 1``) holds at most two starts of a local
    month (``b1``, ``b2``); ``p0`` is the local month of its first instant, ``p1`` and
    ``p2`` the months starting at ``b1`` and ``b2``. Computed with Python's time-zone data,
    which the engine and ``rate`` use too, never with DuckDB's own (their versions may
    differ and move a record to another month).

    >>> import pyarrow.compute as pc
    >>> table = month_cuts(ZoneInfo("Europe/Paris"))
    >>> row = table.filter(pc.equal(table["u"], 2026 * 12 + 10)).to_pylist()[0]
    >>> row["b1"].isoformat(), row["b2"], row["p0"], row["p1"]
    ('2026-11-30T23:00:00+00:00', None, '2026-11', '2026-12')
    """
    starts = [datetime(year, month, 1, tzinfo=zone).astimezone(UTC)
              for year in range(_FIRST_YEAR, _LAST_YEAR + 1) for month in range(1, 13)]
    labels = [f"{year:04d}-{month:02d}" for year in range(_FIRST_YEAR, _LAST_YEAR + 1)
              for month in range(1, 13)]
    rows: dict[str, list[Any]] = {name: [] for name in ("u", "b1", "b2", "p0", "p1", "p2")}
    for index in range(1, len(starts) - 2):
        year, month = divmod(index, 12)
        low = datetime(_FIRST_YEAR + year, month + 1, 1, tzinfo=UTC)
        high = datetime(_FIRST_YEAR + year + (month + 1) // 12, (month + 1) % 12 + 1, 1,
                        tzinfo=UTC)
        inside = [k for k in range(index - 1, index + 3) if low <= starts[k] < high]
        first = bisect.bisect_right(starts, low) - 1
        rows["u"].append((_FIRST_YEAR + year) * 12 + month)
        rows["b1"].append(starts[inside[0]] if inside else None)
        rows["b2"].append(starts[inside[1]] if len(inside) > 1 else None)
        rows["p0"].append(labels[first])
        rows["p1"].append(labels[inside[0]] if inside else None)
        rows["p2"].append(labels[inside[1]] if len(inside) > 1 else None)
    return pa.table({"u": pa.array(rows["u"], pa.int64()),
                     "b1": pa.array(rows["b1"], pa.timestamp("us", "UTC")),
                     "b2": pa.array(rows["b2"], pa.timestamp("us", "UTC")),
                     "p0": pa.array(rows["p0"], pa.string()),
                     "p1": pa.array(rows["p1"], pa.string()),
                     "p2": pa.array(rows["p2"], pa.string())})


_FIRST_YEAR, _LAST_YEAR = 1899, 3000
"""Months around the years a record may have (1900–2999), with a margin each side."""


def _columns_base(schema: pa.Schema) -> str | None:
    """``base``: the fields of each row of a chunk of CSV or Parquet columns."""
    names = set(schema.names)
    fields = {name: _text(schema, name) for name in (*_TEXT, "unit")}
    quantity = _quantity(schema)
    timestamp = _timestamp(schema)
    extras = sorted(n for n in names if n not in (ROW, *_TEXT, "quantity", "timestamp", "unit"))
    attributes, clean = _attributes(schema, extras)
    if any(p is None for p in (*fields.values(), quantity, timestamp, attributes)):
        return None
    return f"""base AS (
        SELECT {_quote(ROW)} AS row, {fields['event_id']} AS event_id,
               {fields['customer_id']} AS customer_id, {fields['metric']} AS metric,
               {quantity} AS q, {timestamp} AS ts, {fields['unit']} AS unit,
               {attributes} AS attributes, {clean} AS clean
        FROM chunk
    )"""  # noqa: S608


def _json_base() -> str:
    """``base``: the fields of each JSON line, when they are strings with no escape.

    An object with a repeated key, a field of another JSON type (but an integer quantity)
    or an escaped string leaves the row to ``normalise``.
    """
    reserved = ", ".join(f"'{n}'" for n in (*_TEXT, "quantity", "timestamp", "unit"))

    def text(name: str) -> str:
        value = f"CAST(m['{name}'] AS VARCHAR)"
        return (f"CASE WHEN starts_with({value}, '\"') AND NOT contains({value}, '\\') "
                f"THEN {value}[2:-2] END")

    timestamp = text("timestamp")
    return f"""objects AS (
        SELECT {_quote(ROW)} AS row,
               CASE WHEN json_valid({_quote(LINE)})
                    THEN TRY_CAST(CAST({_quote(LINE)} AS JSON) AS MAP(VARCHAR, JSON)) END AS m
        FROM chunk
    ), fields AS (
        SELECT row, m, list_sort(list_filter(map_entries(m), lambda e: e.key NOT IN ({reserved})
                                             AND e.value IS NOT NULL AND e.value <> '""'))
                       AS extras
        FROM objects
    ), base AS (
        SELECT row, {text('event_id')} AS event_id, {text('customer_id')} AS customer_id,
               {text('metric')} AS metric,
               CASE WHEN regexp_full_match(CAST(m['quantity'] AS VARCHAR), '[0-9]+')
                    THEN CAST(m['quantity'] AS VARCHAR) ELSE {text('quantity')} END AS q,
               CASE WHEN regexp_full_match({timestamp}, '{_TIMESTAMP}')
                    THEN TRY_CAST({timestamp} AS TIMESTAMPTZ) END AS ts,
               {text('unit')} AS unit,
               '{{' || array_to_string(list_transform(
                   extras, lambda e: '"' || e.key || '":' || CAST(e.value AS VARCHAR)), ',')
                   || '}}' AS attributes,
               m IS NOT NULL AND (m['unit'] IS NULL OR {text('unit')} IS NOT NULL)
               AND coalesce(list_bool_and(list_transform(extras, lambda e:
                   starts_with(CAST(e.value AS VARCHAR), '"')
                   AND NOT contains(CAST(e.value AS VARCHAR), '\\')
                   AND NOT regexp_matches(e.key, '[\\x00-\\x1f"\\\\]'))), TRUE) AS clean
        FROM fields
    )"""  # noqa: S608


def _plain_keys(keys: list[str]) -> bool:
    """Whether JSON keys are few and need no escaping, so that a struct can hold them.

    A struct's field names are not empty, and unique regardless of case.
    """
    return (0 < len(keys) <= 64 and all(keys) and not any(set(k) & _ESCAPED for k in keys)
            and len({k.casefold() for k in keys}) == len(keys))


def _json_struct_base(keys: list[str]) -> str:
    """``base`` like :func:`_json_base`, through a struct of the chunk's keys: cheaper."""
    structure = msgspec.json.encode(dict.fromkeys(keys, "JSON")).decode().replace("'", "''")
    line = _quote(LINE)

    def value(name: str) -> str:
        return f"CAST(s.{_quote(name)} AS VARCHAR)" if name in keys else "CAST(NULL AS VARCHAR)"

    def text(name: str) -> str:
        return (f"CASE WHEN starts_with({value(name)}, '\"') AND NOT contains({value(name)}, "
                f"'\\') THEN {value(name)}[2:-2] END")

    extras = sorted(k for k in keys if k not in (*_TEXT, "quantity", "timestamp", "unit"))
    pairs = [f"CASE WHEN {value(k)} <> '\"\"' THEN '{_key(k)}:' || {value(k)} END"
             for k in extras]
    clean = [f"coalesce({value(k)} = '\"\"' OR (starts_with({value(k)}, '\"') "
             f"AND NOT contains({value(k)}, '\\')), TRUE)" for k in extras]
    return f"""lines AS (
        SELECT {_quote(ROW)} AS row, {line} AS line, json_valid({line}) AS valid FROM chunk
    ), objects AS (
        SELECT row, CASE WHEN valid THEN json_transform(line, '{structure}') END AS s,
               CASE WHEN valid THEN json_keys(line) END AS names
        FROM lines
    ), checked_keys AS (
        SELECT *, len(names) = len(list_distinct(names)) AS unique_keys FROM objects
    ), base AS (
        SELECT row, {text('event_id')} AS event_id, {text('customer_id')} AS customer_id,
               {text('metric')} AS metric,
               CASE WHEN regexp_full_match({value('quantity')}, '[0-9]+')
                    THEN {value('quantity')} ELSE {text('quantity')} END AS q,
               CASE WHEN regexp_full_match({text('timestamp')}, '{_TIMESTAMP}')
                    THEN TRY_CAST({text('timestamp')} AS TIMESTAMPTZ) END AS ts,
               {text('unit')} AS unit,
               '{{' || concat_ws(',', {', '.join(pairs) or "NULL"}) || '}}' AS attributes,
               coalesce(s IS NOT NULL AND unique_keys
                        AND ({value('unit')} IS NULL OR {text('unit')} IS NOT NULL)
                        AND {' AND '.join(clean) or "TRUE"}, FALSE) AS clean
        FROM checked_keys
    )"""  # noqa: S608


def _key(name: str) -> str:
    """``name`` as msgspec writes a JSON key, quoted for SQL."""
    return msgspec.json.encode(name).decode().replace("'", "''")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(schema: pa.Schema, name: str) -> str | None:
    if name not in schema.names:
        return "CAST(NULL AS VARCHAR)"
    kind = schema.field(name).type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _quote(name)
    if pa.types.is_integer(kind):
        return f"CAST({_quote(name)} AS VARCHAR)"
    return None


def _quantity(schema: pa.Schema) -> str | None:
    if "quantity" not in schema.names:
        return "CAST(NULL AS VARCHAR)"
    kind = schema.field("quantity").type
    if pa.types.is_float32(kind) or pa.types.is_float16(kind):
        return None  # read row by row, as its shortest text, like every other path
    if pa.types.is_decimal128(kind) or pa.types.is_floating(kind):
        return 'CAST("quantity" AS VARCHAR)'
    return _text(schema, "quantity")


def _timestamp(schema: pa.Schema) -> str | None:
    if "timestamp" not in schema.names:
        return "CAST(NULL AS TIMESTAMPTZ)"
    kind = schema.field("timestamp").type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return (f"CASE WHEN regexp_full_match(\"timestamp\", '{_TIMESTAMP}') "
                "THEN TRY_CAST(\"timestamp\" AS TIMESTAMPTZ) END")
    if pa.types.is_timestamp(kind) and kind.tz is not None and kind.unit != "ns":
        return ("CASE WHEN \"timestamp\" >= TIMESTAMPTZ '1900-01-02 00:00:00+00' AND "
                "\"timestamp\" < TIMESTAMPTZ '2999-12-31 00:00:00+00' THEN \"timestamp\" END")
    return None


def _attributes(schema: pa.Schema, extras: list[str]) -> tuple[str | None, str]:
    """Canonical JSON of the extra columns, and the condition that none needs escaping.

    The JSON is the one ``msgspec`` writes: keys sorted, empty values left out.
    """
    if not extras:
        return "'{}'", "TRUE"
    pairs, clean = [], []
    for name in extras:
        value = _text(schema, name)
        if value is None:
            return None, "FALSE"
        key = msgspec.json.encode(name).decode().replace("'", "''")
        pairs.append(f"CASE WHEN {value} <> '' THEN '{key}:\"' || {value} || '\"' END")
        clean.append(f"NOT coalesce(regexp_matches({value}, '[\\x00-\\x1f\"\\\\]'), FALSE)")
    return f"'{{' || concat_ws(',', {', '.join(pairs)}) || '}}'", " AND ".join(clean)
