"""Mediation of chunks of rows into the run's staging tables, in SQL and by ``normalise``.

SQL (:mod:`batch.checks`) stages the rows it surely accepts. Every other row — every
reject in particular — goes through :func:`batch.normalise.normalise`, in a second pass
over its file, so that the messages are the ones it gives.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import msgspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from batch.checks import JSON_KEYS, check_sql, conversions, month_cuts, sql_text
from batch.chunks import LINE, ROW, Chunk, chunks, raw_rows
from batch.normalise import Mediation, Normalised, Reject, normalise
from batch.readers import Numbered
from batch.store import to_table
from engine.diagnostics import Diagnostic

__all__ = ["STAGING", "insert_rejects", "mediate", "mediate_parquet", "prepare", "recheck",
           "settle"]

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
        FROM read_parquet(PATH, file_row_number = true)
"""
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
    connection.register("zone_months", month_cuts(mediation.zone))
    connection.execute("CREATE TABLE month_cuts AS SELECT * FROM zone_months")
    connection.unregister("zone_months")
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
    connection.register("chunk", chunk.table)
    keys = ([str(k) for (k,) in connection.execute(JSON_KEYS).fetchall() if k is not None]
            if LINE in chunk.table.column_names and chunk.plain else None)
    sql = check_sql(chunk.table.schema, mediation, keys) if chunk.plain else None
    if sql is None:
        numbers = chunk.table.column(ROW).to_pylist()
        pending.extend(raw_rows(chunk, source, numbers))
    elif chunk.table.num_rows:
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
    connection.execute(_PARQUET.replace("PATH", sql_text(str(path))))
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


