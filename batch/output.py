"""The rated lines, described, and written as Parquet (part by part), CSV or JSON Lines.

The query hands over numbers only: customer number, description number (``did``) and
the line's quantity, unit price and amount, already in the engine's order. Descriptions
(rule, version, label, path, line…) repeat on hundreds of thousands of lines but are few:
they become dictionary-encoded columns, which Parquet stores as they are, without
comparing or copying a string per line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from batch.checks import sql_text
from batch.lines import COLUMNS, DESCRIBED, Description

__all__ = ["Describer", "LineTotals", "line_totals", "write_lines", "write_parquet"]

LineTotals = tuple[int, int, Decimal]
"""Lines, customers and net total of a run."""

_DICTIONARY = frozenset({"rule_id", "version", "component", "label", "unit", "vat_rate",
                         "path"})
"""Described columns stored as dictionaries (never null); the others are taken."""
_TYPES = {"tier": pa.int32(), "line": pa.int32()}


class Describer:
    """Turns the query's numbers into lines with every column of :data:`batch.lines.COLUMNS`.

    What describes a line is few values, prepared once per run: for each column, the
    values by description number (``did``), as a dictionary of distinct values where it
    is one.
    """

    def __init__(self, customers: list[str], descriptions: list[Description],
                 commit: str) -> None:
        self._customers = pa.array(customers, pa.string())
        self._commit = pa.array([commit], pa.string())
        self._columns: dict[str, tuple[pa.Array, pa.Array | None]] = {}
        for index, name in enumerate(DESCRIBED):
            values = [row[index] for row in descriptions]
            if name in _DICTIONARY:
                # Distinct values matter: Parquet writes such a dictionary as it is, and
                # re-encodes one that repeats values (half the writing time of the lines).
                distinct = list(dict.fromkeys(values))
                position = {value: i for i, value in enumerate(distinct)}
                self._columns[name] = (pa.array([position[v] for v in values], pa.int32()),
                                       pa.array(distinct, pa.string()))
            else:
                self._columns[name] = (pa.array(values, _TYPES.get(name, pa.string())), None)

    def __call__(self, numbers: pa.Table) -> pa.Table:
        """The lines of ``numbers``, described.

        ``numbers`` has ``cid``, ``did``, ``quantity``, ``unit_price`` and ``amount``.
        """
        did = numbers.column("did").combine_chunks()
        cid = numbers.column("cid").combine_chunks()
        zeros = pa.Array.from_buffers(pa.int32(), len(did),
                                      [None, pa.py_buffer(bytes(4 * len(did)))])
        columns: dict[str, pa.Array | pa.ChunkedArray] = {
            "customer_id": pa.DictionaryArray.from_arrays(cid, self._customers),
            "commit": pa.DictionaryArray.from_arrays(zeros, self._commit)}
        for name, (values, dictionary) in self._columns.items():
            taken = values.take(did)
            columns[name] = (taken if dictionary is None
                             else pa.DictionaryArray.from_arrays(taken, dictionary))
        for name in ("quantity", "unit_price", "amount"):
            columns[name] = numbers.column(name)
        return pa.table({name: columns[name] for name in COLUMNS})


def line_totals(lines: pa.Table) -> LineTotals:
    """Lines, distinct customers and net total of ``lines``."""
    customers = lines.column("customer_id").combine_chunks()
    if isinstance(customers, pa.DictionaryArray):
        customers = customers.indices
    net = pc.sum(lines.column("amount")).as_py() if lines.num_rows else None
    return lines.num_rows, len(pc.unique(customers)), Decimal(net or 0)


def write_parquet(parts: Iterator[pa.Table], target: Path,
                  prepare: Callable[[pa.Table], pa.Table] = lambda table: table
                  ) -> LineTotals:
    """Write ``prepare(part)`` of every part as one Parquet file; the lines' totals.

    Parts hold disjoint customers and prepare to one schema. Each is prepared and
    written on a second thread while the next one is computed: encoding Parquet runs on
    one core, the query on the others.
    """
    first = prepare(next(parts))
    with _replacing(target) as temporary, \
            pq.ParquetWriter(temporary, first.schema, **_PARQUET) as writer, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet") as pool:

        def write(table: pa.Table, ready: bool = False) -> LineTotals:
            table = table if ready else prepare(table)
            writer.write_table(table)
            return line_totals(table)

        written = [pool.submit(write, first, True)]
        for part in parts:
            written[-1].result()  # at most one part waits in memory
            written.append(pool.submit(write, part))
        totals = [future.result() for future in written]
    count, customers, net = (sum(column) for column in zip(*totals, strict=True))
    return int(count), int(customers), Decimal(net)


def write_lines(connection: duckdb.DuckDBPyConnection, lines: pa.Table, target: Path) -> None:
    """Write ``lines`` to ``target`` as CSV (``.csv``) or JSON Lines (any other suffix).

    Decimals become text, quantities and prices without trailing zeros. Parquet is
    written by :func:`write_parquet`.
    """
    exprs = {"quantity": _trimmed("quantity"), "unit_price": _trimmed("unit_price"),
             "amount": "CAST(amount AS VARCHAR)"}
    columns = ", ".join(f"{exprs.get(c, c)} AS {c}" for c in COLUMNS)
    options = "FORMAT csv, HEADER" if target.suffix.lower() == ".csv" else "FORMAT json"
    with _replacing(target) as temporary:
        connection.register("_described", lines)
        select = f"SELECT {columns} FROM _described"  # noqa: S608 (our constant names)
        connection.execute(f"COPY ({select}) TO {sql_text(str(temporary))} ({options})")
        connection.unregister("_described")


_PARQUET: dict[str, Any] = {"compression": "zstd", "store_schema": False,
                            "write_statistics": ["customer_id"],
                            "use_dictionary": ["customer_id", "commit", *sorted(_DICTIONARY)]}
"""Statistics of the customer only: lines are sorted by it, so readers can skip row
groups; the others cost a third of the writing and serve little. Dictionaries for the
columns that are one already: amounts and quantities are nearly all distinct, and trying
a dictionary for them only to give it up costs time."""


@contextmanager
def _replacing(target: Path) -> Iterator[Path]:
    """A temporary name beside ``target``: renamed to it on success, removed on failure.

    A reader never sees half a file, and a failed run leaves none.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        yield temporary
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _trimmed(column: str) -> str:
    text = f"CAST({column} AS VARCHAR)"
    return (f"CASE WHEN contains({text}, '.') THEN rtrim(rtrim({text}, '0'), '.') "
            f"ELSE {text} END")
