"""The rated lines as one Arrow table, described, and written as Parquet, CSV or JSON Lines.

The query hands over numbers only: customer number, description number (``did``) and
the line's quantity, unit price and amount, already in the engine's order. Descriptions
(rule, version, label, path, line…) repeat on hundreds of thousands of lines but are few:
they become dictionary-encoded columns, which Parquet stores as they are, without
comparing or copying a string per line.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from batch.lines import COLUMNS, DESCRIBED, Description

__all__ = ["described", "write_lines"]

_DICTIONARY = frozenset({"rule_id", "version", "component", "label", "unit", "vat_rate",
                         "path"})
"""Described columns stored as dictionaries (never null); the others are taken."""
_TYPES = {"tier": pa.int32(), "line": pa.int32()}


def described(numbers: pa.Table, customers: list[str], descriptions: list[Description],
              commit: str) -> pa.Table:
    """The lines of ``numbers`` with every column of :data:`batch.lines.COLUMNS`.

    ``numbers`` has ``cid``, ``did``, ``quantity``, ``unit_price`` and ``amount``.
    """
    did = numbers.column("did").combine_chunks()
    cid = numbers.column("cid").combine_chunks()
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "customer_id": pa.DictionaryArray.from_arrays(cid, pa.array(customers, pa.string())),
        "commit": pa.DictionaryArray.from_arrays(pc.multiply(did, 0),
                                                 pa.array([commit], pa.string()))}
    for index, name in enumerate(DESCRIBED):
        values = pa.array([row[index] for row in descriptions], _TYPES.get(name, pa.string()))
        columns[name] = (pa.DictionaryArray.from_arrays(did, values) if name in _DICTIONARY
                         else values.take(did))
    for name in ("quantity", "unit_price", "amount"):
        columns[name] = numbers.column(name)
    return pa.table({name: columns[name] for name in COLUMNS})


def write_lines(connection: duckdb.DuckDBPyConnection, lines: pa.Table, target: Path) -> None:
    """Write ``lines`` to ``target`` by its extension, under a temporary name first."""
    suffix = target.suffix.lower()
    temporary = target.with_name(f".{target.name}.tmp")
    target.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        # Statistics of the customer only: lines are sorted by it, so readers can skip
        # row groups; the others cost a third of the writing and serve little.
        pq.write_table(lines, temporary, compression="zstd", store_schema=False,
                       write_statistics=["customer_id"])
    else:
        exprs = {"quantity": _trimmed("quantity"), "unit_price": _trimmed("unit_price"),
                 "amount": "CAST(amount AS VARCHAR)"}
        columns = ", ".join(f"{exprs.get(c, c)} AS {c}" for c in COLUMNS)
        options = "FORMAT csv, HEADER" if suffix == ".csv" else "FORMAT json"
        connection.register("_described", lines)
        select = f"SELECT {columns} FROM _described"  # noqa: S608 (our constant names)
        connection.execute(f"COPY ({select}) TO '{_quoted(temporary)}' ({options})")
        connection.unregister("_described")
    temporary.replace(target)


def _trimmed(column: str) -> str:
    text = f"CAST({column} AS VARCHAR)"
    return (f"CASE WHEN contains({text}, '.') THEN rtrim(rtrim({text}, '0'), '.') "
            f"ELSE {text} END")


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
