"""Usage files read as bounded Arrow chunks, each row numbered in its file.

CSV (every column as text, through pyarrow's streaming reader), JSON Lines (the text of
each non-blank line, parsed in SQL) and Parquet (row groups through pyarrow): a file is
never held whole in memory. A row's number is its record number in its file, the line number for
JSON Lines, as :func:`batch.readers.numbered_rows` gives it. A file that cannot be read
as its format (bad CSV quoting, a ragged row, an unreadable Parquet file) raises
:class:`~engine.diagnostics.DiagnosticsError` naming it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from batch.readers import Numbered, check_header, json_row, portable, unreadable

__all__ = ["LINE", "ROW", "Chunk", "chunks", "raw_rows"]

ROW = "__row__"
"""Name of the column holding a row's number in its file."""
LINE = "__line__"
"""Name of the column holding the text of a JSON line."""


class Chunk(NamedTuple):
    """Up to a few hundred thousand rows of one file."""

    table: pa.Table
    """Column :data:`ROW` and the file's columns; for JSON Lines, :data:`LINE`."""
    done: int
    """Bytes of the file consumed so far."""
    plain: bool = True
    """Whether SQL may check :attr:`table`; otherwise every row goes to ``normalise``."""


def chunks(path: Path, size: int = 262_144) -> Iterator[Chunk]:
    """The chunks of ``path``, in file order, of about ``size`` rows."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            yield from _csv(path, size)
        elif suffix in (".jsonl", ".ndjson"):
            yield from _json_lines(path, size)
        else:
            yield from _parquet(path, size)
    except (pa.ArrowException, OSError, UnicodeDecodeError, csv.Error) as exc:
        raise unreadable(path, f"cannot read this {suffix[1:]} file, nothing was stored: "
                               f"{exc}") from None


def raw_rows(chunk: Chunk, source: str, numbers: list[int]) -> list[Numbered]:
    """The rows of ``chunk.table`` with these numbers, as ``normalise`` takes them."""
    if not numbers:
        return []
    if LINE in chunk.table.column_names:
        wanted = set(numbers)
        lines = chunk.table.column(LINE).to_pylist()
        return [(n, json_row(source, n, line)) for n, line in
                zip(chunk.table.column(ROW).to_pylist(), lines, strict=True) if n in wanted]
    first = chunk.table.column(ROW)[0].as_py()
    picked = chunk.table.take([n - first for n in numbers]).drop_columns([ROW])
    return list(zip(numbers, picked.to_pylist(), strict=True))


def _csv(path: Path, size: int) -> Iterator[Chunk]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        names = next(csv.reader(handle), None)
    if names is None:
        return
    check_header(path, names)
    with path.open("rb") as raw:
        raw.readline()
        if not raw.read(1):  # a header alone, with or without its line end: no rows
            return
    plain = len(set(names)) == len(names) and all(names) and not {ROW, LINE} & set(names)
    source = pa.OSFile(str(path))
    reader = pacsv.open_csv(
        source, read_options=pacsv.ReadOptions(block_size=max(size * 128, 1 << 20)),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in names}, strings_can_be_null=False))
    number = 0
    for batch in reader:
        table = pa.Table.from_batches([batch])
        table = table.add_column(0, ROW, _numbers(number + 1, len(table)))
        number += len(table)
        yield Chunk(table, source.tell(), plain)


def _parquet(path: Path, size: int) -> Iterator[Chunk]:
    handle = pq.ParquetFile(path)
    check_header(path, handle.schema_arrow.names)
    total = max(handle.metadata.num_rows, 1)
    weight = path.stat().st_size
    plain = not {ROW, LINE} & set(handle.schema_arrow.names)
    number = 0
    for batch in handle.iter_batches(batch_size=size):
        table = portable(pa.Table.from_batches([batch]))
        table = table.add_column(0, ROW, _numbers(number + 1, len(table)))
        number += len(table)
        yield Chunk(table, weight * number // total, plain)


def _numbers(first: int, count: int) -> pa.Array:
    """``first, first + 1, …``, ``count`` of them, as an Arrow array."""
    return pc.cumulative_sum(pa.repeat(1, count).cast(pa.int64()), start=first - 1)


def _json_lines(path: Path, size: int) -> Iterator[Chunk]:
    number = 0
    with path.open("rb") as handle:
        while lines := handle.readlines(size * 128):
            numbers, kept = [], []
            for line in lines:
                number += 1
                if line.strip():
                    numbers.append(number)
                    kept.append(line)
            texts = pa.array(kept, pa.binary())
            try:
                texts, plain = texts.cast(pa.string()), True
            except pa.ArrowInvalid:  # a line that is not UTF-8: normalise reports it
                plain = False
            table = pa.table({ROW: pa.array(numbers, pa.int64()), LINE: texts})
            yield Chunk(table, handle.tell(), plain)
