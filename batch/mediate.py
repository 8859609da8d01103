"""Mediation of a chunk of rows in SQL, with :func:`batch.normalise.normalise` for the rest.

SQL accepts a row only when every check of ``normalise`` surely passes and gives the same
record: required fields starting with a visible ASCII character, a rated metric, a known
customer, a plain non-negative decimal quantity (at most 18 integer digits and 9
decimals), an RFC 3339 timestamp with offset in years 1900–2999, a declared unit whose
conversion is small enough for exact 128-bit integer arithmetic, attribute values with
nothing to escape (JSON: strings without escapes, an integer quantity, no repeated key).
Every other row — every reject in particular — goes through ``normalise``, so that
messages are the ones it gives. Quantities are computed in nano-units (10⁻⁹): an exact
factor must divide evenly, a divisor rounds half-up, as :mod:`batch.normalise` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import msgspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from batch.chunks import LINE, ROW, Chunk, chunks, raw_rows
from batch.normalise import Mediation, Normalised, Reject, normalise
from batch.readers import Numbered
from batch.store import to_table
from engine.diagnostics import Diagnostic

__all__ = ["STAGING", "check_sql", "conversions", "insert_rejects", "mediate",
           "mediate_parquet", "prepare", "recheck", "settle"]

STAGING = """
    CREATE TABLE staging (fi INTEGER, row BIGINT, event_id VARCHAR, customer_id VARCHAR,
        metric VARCHAR, quantity DECIMAL(38, 9), timestamp TIMESTAMPTZ, attributes VARCHAR,
        period VARCHAR, ok BOOLEAN);
    CREATE TABLE files (fi INTEGER PRIMARY KEY, source VARCHAR);
    CREATE TABLE rejects (fi INTEGER, row BIGINT, n INTEGER, source VARCHAR, field VARCHAR,
        value VARCHAR, code VARCHAR, reason VARCHAR, event_id VARCHAR);
"""
"""Rows of the run (``fi``: the position of the file in ``files``; ``ok``: accepted, as
opposed to rows left to ``normalise``, removed by :func:`settle`) and refused rows."""
_INSERT = """
    INSERT INTO staging SELECT ?, row, event_id, customer_id, metric, quantity, timestamp,
                               attributes, period, ok FROM (QUERY)
"""
_PARQUET = """
    CREATE OR REPLACE VIEW chunk AS
        SELECT file_row_number + 1 AS "__row__", * EXCLUDE (file_row_number)
        FROM read_parquet('PATH', file_row_number = true)
"""
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
    if not connection.execute("SELECT 1 FROM files WHERE fi = ?", [fi]).fetchall():
        connection.execute("INSERT INTO files VALUES (?, ?)", [fi, source])
    pending: list[Numbered] = []
    sql = check_sql(chunk.table.schema, mediation) if chunk.plain else None
    if sql is None:
        numbers = chunk.table.column(ROW).to_pylist()
        pending.extend(raw_rows(chunk, source, numbers))
    elif chunk.table.num_rows:
        connection.register("chunk", chunk.table)
        connection.execute(_INSERT.replace("QUERY", sql), [fi])
        connection.unregister("chunk")
    _by_python(connection, pending, source, fi, mediation)
    return int(chunk.table.num_rows)


def mediate_parquet(connection: duckdb.DuckDBPyConnection, path: Path, fi: int,
                    mediation: Mediation) -> int | None:
    """Stage a whole Parquet file in one statement, DuckDB reading it in parallel.

    ``None`` (nothing done) when a column's type leaves its rows to ``normalise``: the
    caller reads it in chunks instead. Returns the rows read.
    """
    schema = pq.read_schema(path)
    if ROW in schema.names or len(set(schema.names)) != len(schema.names):
        return None
    sql = check_sql(schema, mediation)
    if sql is None:
        return None
    connection.execute("INSERT INTO files VALUES (?, ?)", [fi, str(path)])
    quoted = str(path).replace("'", "''")  # a usage file's name, quoted
    connection.execute(_PARQUET.replace("PATH", quoted))
    ((rows,),) = connection.execute(_INSERT.replace("QUERY", sql), [fi]).fetchall()
    connection.execute("DROP VIEW chunk")
    return int(rows)


def recheck(connection: duckdb.DuckDBPyConnection, path: Path, fi: int,
            mediation: Mediation) -> None:
    """Give ``normalise`` the rows of file ``fi`` that SQL left to it.

    A second pass over the file, made only when there are such rows; their numbers are
    streamed in order, so that memory stays bounded however many there are.
    """
    connection.execute("CREATE OR REPLACE TABLE pending AS SELECT row FROM staging "
                       "WHERE fi = ? AND NOT ok", [fi])
    result = connection.cursor().execute("SELECT row FROM pending ORDER BY row")
    numbers = (int(n) for batch in iter(lambda: result.fetchmany(65_536), [])
               for (n,) in batch)
    following = next(numbers, None)
    if following is None:
        return
    for chunk in chunks(path):
        last = pc.max(chunk.table.column(ROW)).as_py()
        picked: list[int] = []
        while following is not None and following <= last:
            picked.append(following)
            following = next(numbers, None)
        _by_python(connection, raw_rows(chunk, str(path), picked), str(path), fi, mediation)
        if following is None:
            break

def settle(connection: duckdb.DuckDBPyConnection) -> None:
    """Remove the rows SQL left to ``normalise``: staging then holds accepted rows only."""
    connection.execute("DELETE FROM staging WHERE NOT ok")


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
                           "quantity, timestamp, attributes, period, TRUE FROM python_rows",
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
    base: str | None
    if LINE in schema.names:
        base = _json_base()
    else:
        base = _columns_base(schema)
        if base is None:
            return None
    customers = ("LEFT JOIN customers k ON k.id = b.customer_id"
                 if mediation.customers is not None else "")
    known = "AND k.id IS NOT NULL" if customers else ""
    zone = getattr(mediation.zone, "key", "UTC").replace("'", "''")
    # Column names are quoted identifiers; the zone is a ruleset's IANA name, quoted.
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
           strftime(timezone('{zone}', ts), '%Y-%m') AS period
    FROM converted
    """  # noqa: S608


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
