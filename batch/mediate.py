"""Mediation of a chunk of rows in SQL, with :func:`batch.normalise.normalise` for the rest.

SQL accepts a row only when every check of ``normalise`` surely passes and gives the same
record: required fields with a letter or digit, a rated metric, a known customer, a plain
non-negative decimal quantity (at most 18 integer digits and 9 decimals), an RFC 3339
timestamp with offset in years 1900–2999, a declared unit whose conversion is small
enough for exact 128-bit integer arithmetic, attribute values with nothing to escape.
Every other row — every reject in particular — goes through ``normalise``, so that
messages are the ones it gives. Quantities are computed in nano-units (10⁻⁹): an exact
factor must divide evenly, a divisor rounds half-up, as :mod:`batch.normalise` does.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import msgspec
import pyarrow as pa

from batch.chunks import ATTRIBUTES, ROW, Chunk, raw_rows
from batch.normalise import Mediation, Normalised, Reject, normalise
from batch.readers import Numbered
from batch.store import to_table
from engine.diagnostics import Diagnostic

__all__ = ["STAGING", "check_sql", "conversions", "mediate", "prepare"]

STAGING = """
    CREATE TABLE staging (fi INTEGER, row BIGINT, event_id VARCHAR, customer_id VARCHAR,
        metric VARCHAR, quantity DECIMAL(38, 9), timestamp TIMESTAMPTZ, attributes VARCHAR,
        source VARCHAR, period VARCHAR);
    CREATE TABLE rejects (fi INTEGER, row BIGINT, n INTEGER, source VARCHAR, field VARCHAR,
        value VARCHAR, code VARCHAR, reason VARCHAR, event_id VARCHAR);
"""
"""Accepted rows of the run (``fi``: the file's position) and refused rows."""
_LIMIT = 10**10
_TEXT = ("event_id", "customer_id", "metric")
_TIMESTAMP = (r"(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
              r"(\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])")


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


def prepare(connection: duckdb.DuckDBPyConnection, mediation: Mediation) -> None:
    """Create the staging tables and the small tables the checks join."""
    connection.execute(STAGING)
    connection.execute("CREATE TABLE rated (metric VARCHAR PRIMARY KEY)")
    connection.executemany("INSERT INTO rated VALUES (?)", [[m] for m in sorted(mediation.rated)])
    connection.execute("CREATE TABLE conversions (metric VARCHAR, unit VARCHAR, mul HUGEINT, "
                       "div HUGEINT, rounds BOOLEAN)")
    rows = conversions(mediation)
    if rows:
        connection.executemany("INSERT INTO conversions VALUES (?, ?, ?, ?, ?)",
                               [list(r) for r in rows])
    if mediation.customers is not None:
        known = pa.table({"id": pa.array(sorted(mediation.customers), pa.string())})
        connection.register("known_customers", known)
        connection.execute("CREATE TABLE customers AS SELECT DISTINCT id FROM known_customers")
        connection.unregister("known_customers")


def mediate(connection: duckdb.DuckDBPyConnection, chunk: Chunk, source: str, fi: int,
            mediation: Mediation) -> int:
    """Stage the accepted rows of ``chunk`` and record its rejects; return rows read."""
    pending = list(chunk.rows)
    sql = check_sql(chunk.table.schema, mediation) if chunk.plain else None
    if sql is None:
        numbers = chunk.table.column(ROW).to_pylist()
        pending.extend(raw_rows(chunk, numbers))
    else:
        connection.register("chunk", chunk.table)
        connection.execute(f"CREATE OR REPLACE TEMP TABLE checked AS {sql}")
        connection.unregister("chunk")
        connection.execute(
            "INSERT INTO staging SELECT ?, row, event_id, customer_id, metric, quantity, "
            "timestamp, attributes, ?, period FROM checked WHERE ok", [fi, source])
        numbers = [int(n) for (n,) in connection.execute(
            "SELECT row FROM checked WHERE NOT ok ORDER BY row").fetchall()]
        pending.extend(raw_rows(chunk, numbers))
    _by_python(connection, sorted(pending, key=lambda r: r[0]), source, fi, mediation)
    return int(chunk.table.num_rows) + len(chunk.rows)


def _by_python(connection: duckdb.DuckDBPyConnection, rows: Iterable[Numbered], source: str,
               fi: int, mediation: Mediation) -> None:
    records: list[Normalised] = []
    rejects: list[Reject] = []
    for number, row in rows:
        if isinstance(row, Diagnostic):
            rejects.append(Reject(source=source, row=number, field="", value="",
                                  code=row.code, reason=row.message))
            continue
        result = normalise(row, source, number, mediation)
        if isinstance(result, list):
            rejects.extend(result)
        else:
            records.append(result)
    if records:
        table = to_table(records).append_column("period", pa.array([r.period for r in records]))
        connection.register("python_rows", table)
        connection.execute("INSERT INTO staging SELECT ?, row, event_id, customer_id, metric, "
                           "quantity, timestamp, attributes, source, period FROM python_rows",
                           [fi])
        connection.unregister("python_rows")
    insert_rejects(connection, [(fi, r) for r in rejects])


def insert_rejects(connection: duckdb.DuckDBPyConnection,
                   rejects: list[tuple[int, Reject]]) -> None:
    """Add ``(file position, reject)`` pairs to the run's rejects, in this order."""
    if not rejects:
        return
    rows = [{"fi": fi, "n": n, **msgspec.structs.asdict(r)}
            for n, (fi, r) in enumerate(rejects)]
    connection.register("new_rejects", pa.Table.from_pylist(rows))
    connection.execute("INSERT INTO rejects SELECT fi, row, n, source, field, value, code, "
                       "reason, event_id FROM new_rejects")
    connection.unregister("new_rejects")


def check_sql(schema: pa.Schema, mediation: Mediation) -> str | None:
    """The query over ``chunk`` giving each row, whether SQL accepts it, and its record.

    ``None`` when a column's type leaves every row to ``normalise``.
    """
    names = set(schema.names)
    fields = {name: _text(schema, name) for name in (*_TEXT, "unit")}
    quantity = _quantity(schema)
    timestamp = _timestamp(schema)
    extras = sorted(n for n in names if n not in (ROW, *_TEXT, "quantity", "timestamp", "unit"))
    attributes: str | None
    if ATTRIBUTES in names:
        attributes, clean = _quote(ATTRIBUTES), "TRUE"
    else:
        attributes, clean = _attributes(schema, extras)
    parts = (*fields.values(), quantity, timestamp, attributes)
    if any(p is None for p in parts):
        return None
    customers = ("LEFT JOIN customers k ON k.id = b.customer_id"
                 if mediation.customers is not None else "")
    known = "AND k.id IS NOT NULL" if customers else ""
    zone = getattr(mediation.zone, "key", "UTC").replace("'", "''")
    # Column names are quoted identifiers; the zone is a ruleset's IANA name, quoted.
    return f"""
    WITH base AS (
        SELECT {_quote(ROW)} AS row, {fields['event_id']} AS event_id,
               {fields['customer_id']} AS customer_id, {fields['metric']} AS metric,
               {quantity} AS q, {timestamp} AS ts, {fields['unit']} AS unit,
               {attributes} AS attributes, {clean} AS clean
        FROM chunk
    ), parsed AS (
        SELECT b.*, r.metric IS NOT NULL {known} AS known,
               CASE WHEN regexp_full_match(q, '[0-9]{{1,18}}(\\.[0-9]{{1,9}})?')
                    THEN CAST(split_part(q, '.', 1) AS HUGEINT) * 1000000000
                         + CAST(rpad(split_part(q, '.', 2), 9, '0') AS HUGEINT) END AS nano,
               CASE WHEN coalesce(b.unit, '') = '' THEN 1 ELSE v.mul END AS mul,
               CASE WHEN coalesce(b.unit, '') = '' THEN 1 ELSE v.div END AS div,
               coalesce(b.unit, '') <> '' AND coalesce(v.rounds, FALSE) AS rounds
        FROM base b
        LEFT JOIN rated r ON r.metric = b.metric
        LEFT JOIN conversions v ON v.metric = b.metric AND v.unit = b.unit
        {customers}
    ), converted AS (
        SELECT *, CASE WHEN rounds THEN (2 * nano * mul + div) // (2 * div)
                       WHEN (nano * mul) % div = 0 THEN nano * mul // div END AS value
        FROM parsed
    ), checked AS (
        SELECT *, coalesce(known AND clean AND ts IS NOT NULL
                           AND value < CAST(1000000000000000000000000 AS HUGEINT)
                           AND regexp_matches(event_id, '[0-9A-Za-z]')
                           AND regexp_matches(customer_id, '[0-9A-Za-z]')
                           AND regexp_matches(metric, '[0-9A-Za-z]'), FALSE) AS ok
        FROM converted
    )
    SELECT row, ok, event_id, customer_id, metric,
           CASE WHEN ok THEN CAST(CAST(value AS DECIMAL(38, 0))
                                  * CAST(0.000000001 AS DECIMAL(18, 9)) AS DECIMAL(38, 9))
                END AS quantity,
           ts AS timestamp, attributes,
           strftime(timezone('{zone}', ts), '%Y-%m') AS period
    FROM checked
    """  # noqa: S608


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
