"""Read-only SQL over the archive, for tax reviewers, with DuckDB.

The archive is loaded into an in-memory DuckDB database as four tables (``documents``,
``lines``, ``taxes``, ``mentions``), with money as ``DECIMAL``; access to files and
extensions is then switched off and the configuration locked, so a query can read these
tables and nothing else, and can change nothing that is archived.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import duckdb
import msgspec
import pyarrow as pa
from sqlmodel import select

from archive.context import Archive
from archive.db import session
from archive.records import DocumentRow

__all__ = ["TABLES", "QueryLimits", "QueryRefused", "QueryResult", "connect", "query",
           "read_only"]

_MONEY = pa.decimal128(18, 2)
_EXACT = pa.decimal128(38, 12)
TABLES: dict[str, list[tuple[str, pa.DataType]]] = {
    "documents": [("number", pa.string()), ("kind", pa.string()), ("type_code", pa.string()),
                  ("series", pa.string()), ("seq", pa.int64()), ("position", pa.int64()),
                  ("customer_id", pa.string()), ("customer_name", pa.string()),
                  ("period", pa.string()), ("issue_date", pa.date32()),
                  ("rules_commit", pa.string()), ("original_number", pa.string()),
                  ("currency", pa.string()), ("net", _MONEY), ("tax", _MONEY),
                  ("gross", _MONEY), ("record_hash", pa.string())],
    "lines": [("number", pa.string()), ("line_no", pa.int64()), ("rule_id", pa.string()),
              ("version", pa.string()), ("label", pa.string()), ("component", pa.string()),
              ("tier", pa.int64()), ("quantity", _EXACT), ("unit", pa.string()),
              ("unit_price", _EXACT), ("amount", _MONEY), ("vat_category", pa.string()),
              ("vat_rate", _EXACT)],
    "taxes": [("number", pa.string()), ("category", pa.string()), ("rate", _EXACT),
              ("base", _MONEY), ("amount", _MONEY), ("exemption_reason", pa.string()),
              ("exemption_code", pa.string())],
    "mentions": [("number", pa.string()), ("id", pa.string()), ("text", pa.string())],
}


class QueryLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Bounds of one query, so that a query cannot exhaust a server."""

    rows: int = 100_000
    """Most rows answered; a query giving more is refused (add a LIMIT, or aggregate)."""
    seconds: float = 30.0
    """Longest run; a query still running then is interrupted and refused."""
    memory: str = "512MB"
    """DuckDB memory limit of the query."""
    characters: int = 32_000_000
    """Most characters in the values answered, so that the answer is bounded too."""


class QueryResult(msgspec.Struct, frozen=True, kw_only=True):
    """Column names and rows (values as DuckDB returns them: Decimal for money)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def _documents(archive: Archive) -> Iterator[tuple[DocumentRow, dict[str, Any]]]:
    with session(archive.engine) as db:
        rows = list(db.exec(select(DocumentRow).order_by(DocumentRow.position)).all())  # type: ignore[arg-type]
    for row in rows:
        yield row, msgspec.json.decode(archive.files.get(row.json_sha256))


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _records(archive: Archive) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    for row, document in _documents(archive):
        evaluation = document["evaluation"]
        out["documents"].append({
            **row.model_dump(include={"number", "kind", "type_code", "series", "seq",
                                      "position", "customer_id", "period", "rules_commit",
                                      "original_number", "currency", "record_hash"}),
            "customer_name": document["customer"]["name"],
            "issue_date": _date(row.issue_date), "net": Decimal(row.net),
            "tax": Decimal(row.tax), "gross": Decimal(row.gross)})
        for index, line in enumerate(evaluation["lines"], start=1):
            out["lines"].append({
                "number": row.number, "line_no": index, **{k: line.get(k) for k in (
                    "rule_id", "version", "label", "component", "tier", "unit",
                    "vat_category")},
                "quantity": _dec(line["quantity"]), "unit_price": _dec(line["unit_price"]),
                "amount": _dec(line["amount"]), "vat_rate": _dec(line.get("vat_rate"))})
        for tax in evaluation["taxes"]:
            out["taxes"].append({"number": row.number, "category": tax["category"],
                                 "rate": _dec(tax["rate"]), "base": _dec(tax["base"]),
                                 "amount": _dec(tax["amount"]),
                                 "exemption_reason": tax.get("exemption_reason"),
                                 "exemption_code": tax.get("exemption_code")})
        for mention in evaluation["mentions"]:
            out["mentions"].append({"number": row.number, "id": mention["id"],
                                    "text": mention["text"]})
    return out


def _date(iso: str) -> Any:
    from datetime import date

    return date.fromisoformat(iso)


def connect(archive: Archive, memory: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding the archive's tables, with outside access switched off.

    ``memory``: DuckDB's memory limit, fixed with the rest of the configuration.
    """
    connection = duckdb.connect(":memory:", config={"memory_limit": memory} if memory else {})
    for name, rows in _records(archive).items():
        schema = pa.schema(TABLES[name])
        table = pa.Table.from_pylist(rows, schema=schema)
        connection.register(f"_{name}", table)
        connection.execute(f"CREATE TABLE {name} AS SELECT * FROM _{name}")  # noqa: S608 - fixed names
        connection.unregister(f"_{name}")
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")
    return connection


class QueryRefused(ValueError):
    """The SQL holds a statement other than a read (``SELECT``)."""


def read_only(sql: str) -> None:
    """Refuse ``sql`` unless it holds statements, all ``SELECT`` (or a parse error).

    The tables are an in-memory copy, so a write could change nothing archived; it is
    refused all the same, so that a query's answer always reflects the archive.

    >>> read_only("SELECT 1; WITH a AS (SELECT 2) SELECT * FROM a")
    >>> read_only("SELECT 1; DELETE FROM documents")
    Traceback (most recent call last):
    ...
    archive.query.QueryRefused: statement 2 is a DELETE; only SELECT statements are allowed
    """
    connection = duckdb.connect(":memory:")
    try:
        statements = connection.extract_statements(sql)
    finally:
        connection.close()
    if not statements:
        raise QueryRefused("no SQL statement given; write a SELECT")
    for index, statement in enumerate(statements, start=1):
        if statement.type != duckdb.StatementType.SELECT:
            raise QueryRefused(f"statement {index} is a {statement.type.name}; only SELECT "
                               "statements are allowed")


def _bounded(cursor: duckdb.DuckDBPyConnection, limits: QueryLimits) -> list[Any]:
    """The rows of ``cursor``, refused beyond ``limits``' rows or characters."""
    rows: list[Any] = []
    characters = 0
    while batch := cursor.fetchmany(10_000):
        rows += batch
        characters += sum(len(str(value)) for row in batch for value in row)
        if len(rows) > limits.rows:
            raise QueryRefused(f"the query gives more than {limits.rows} rows; add a LIMIT "
                               "or aggregate")
        if characters > limits.characters:
            raise QueryRefused(f"the query's answer holds more than {limits.characters} "
                               "characters; select fewer or shorter columns")
    return rows


def query(archive: Archive, sql: str, limits: QueryLimits | None = None) -> QueryResult:
    """Run ``sql`` (read-only: :func:`read_only`) over the archive's tables.

    Within ``limits`` when given: :class:`QueryRefused` beyond them.
    """
    read_only(sql)
    connection = connect(archive, limits.memory if limits else None)
    timer = threading.Timer(limits.seconds, connection.interrupt) if limits else None
    try:
        if timer is not None:
            timer.start()
        cursor = connection.execute(sql)
        columns = tuple(d[0] for d in cursor.description or ())
        rows = cursor.fetchall() if limits is None else _bounded(cursor, limits)
        return QueryResult(columns=columns, rows=tuple(tuple(r) for r in rows))
    except duckdb.InterruptException:
        assert limits is not None  # only the timer interrupts
        raise QueryRefused(f"the query ran longer than {limits.seconds:g} s and was "
                           "stopped") from None
    except duckdb.OutOfMemoryException:
        if limits is None:
            raise
        raise QueryRefused(f"the query needs more than {limits.memory} of memory; narrow "
                           "it or aggregate") from None
    finally:
        if timer is not None:
            timer.cancel()
        connection.close()
