"""Usage files read as bounded Arrow chunks, each row numbered in its file.

CSV (every column as text, through pyarrow's streaming reader), JSON Lines (one line at a
time, through msgspec) and Parquet (row groups through pyarrow): a file is never held
whole in memory. A row's number is its record number in its file, the line number for
JSON Lines, as :func:`batch.readers.numbered_rows` gives it. A file that cannot be read
as its format (bad CSV quoting, a ragged row, an unreadable Parquet file) raises
:class:`~engine.diagnostics.DiagnosticsError` naming it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import msgspec
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from batch.readers import Numbered
from engine.diagnostics import Diagnostic, DiagnosticsError
from engine.usage import REQUIRED_FIELDS

__all__ = ["ROW", "Chunk", "chunks", "raw_rows"]

ROW = "__row__"
"""Name of the column holding a row's number in its file."""
ATTRIBUTES = "__attributes__"
"""In a JSON Lines chunk, the attributes already written as canonical JSON."""
_RESERVED = frozenset((*REQUIRED_FIELDS, "unit"))
_JSON = msgspec.json.Decoder(float_hook=Decimal)
_ENCODE = msgspec.json.Encoder()


class Chunk(NamedTuple):
    """Up to a few hundred thousand rows of one file."""

    table: pa.Table
    """Column :data:`ROW` and the file's columns (for JSON Lines: the plain rows only)."""
    rows: tuple[Numbered, ...]
    """Rows for :func:`batch.normalise.normalise` as they are (odd JSON lines)."""
    originals: Mapping[int, dict[str, Any]]
    """JSON Lines: the decoded row of each number of :attr:`table`."""
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
        raise DiagnosticsError([Diagnostic(
            path=str(path), line=0, column=0, code="usage.unreadable_file",
            message=f"cannot read this {suffix[1:]} file, nothing was stored: {exc}")]) from None


def raw_rows(chunk: Chunk, numbers: list[int]) -> list[Numbered]:
    """The rows of ``chunk.table`` with these numbers, as ``normalise`` takes them."""
    if chunk.originals:
        return [(n, chunk.originals[n]) for n in numbers]
    if not numbers:
        return []
    first = chunk.table.column(ROW)[0].as_py()
    picked = chunk.table.take([n - first for n in numbers]).drop_columns([ROW])
    return list(zip(numbers, picked.to_pylist(), strict=True))


def _csv(path: Path, size: int) -> Iterator[Chunk]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        names = next(csv.reader(handle), None)
    if names is None:
        return
    plain = len(set(names)) == len(names) and all(names) and not {ROW, ATTRIBUTES} & set(names)
    source = pa.memory_map(str(path))
    reader = pacsv.open_csv(
        source, read_options=pacsv.ReadOptions(block_size=8 << 20),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in names}, strings_can_be_null=False))
    number = 0
    for batch in reader:
        table = pa.Table.from_batches([batch])
        table = table.add_column(0, ROW, pa.array(range(number + 1, number + 1 + len(table)),
                                                  pa.int64()))
        number += len(table)
        yield Chunk(table, (), {}, source.tell(), plain)


def _parquet(path: Path, size: int) -> Iterator[Chunk]:
    handle = pq.ParquetFile(path)
    total = max(handle.metadata.num_rows, 1)
    weight = path.stat().st_size
    plain = not {ROW, ATTRIBUTES} & set(handle.schema_arrow.names)
    number = 0
    for batch in handle.iter_batches(batch_size=size):
        table = pa.Table.from_batches([batch])
        table = table.add_column(0, ROW, pa.array(range(number + 1, number + 1 + len(table)),
                                                  pa.int64()))
        number += len(table)
        yield Chunk(table, (), {}, weight * number // total, plain)


def _json_lines(path: Path, size: int) -> Iterator[Chunk]:
    number = 0
    with path.open("rb") as handle:
        while lines := handle.readlines(size * 128):
            yield _json_chunk(path, lines, number, handle.tell())
            number += len(lines)


_COLUMNS = (ROW, *REQUIRED_FIELDS, "unit", ATTRIBUTES)


def _json_chunk(path: Path, lines: list[bytes], number: int, done: int) -> Chunk:
    columns: dict[str, list[Any]] = {name: [] for name in _COLUMNS}
    odd: list[Numbered] = []
    originals: dict[int, dict[str, Any]] = {}
    for line in lines:
        number += 1
        if not line.strip():
            continue
        try:
            row = _JSON.decode(line)
        except msgspec.DecodeError as exc:
            odd.append((number, Diagnostic(path=str(path), line=number, column=1,
                                           code="usage.bad_json",
                                           message=f"not valid JSON: {exc}")))
            continue
        values = _plain(row)
        if values is None:
            odd.append((number, row) if isinstance(row, dict) else (number, Diagnostic(
                path=str(path), line=number, column=1, code="usage.bad_json",
                message="each line must be a JSON object")))
            continue
        originals[number] = row
        columns[ROW].append(number)
        for name, value in zip(_COLUMNS[1:], values, strict=True):
            columns[name].append(value)
    table = pa.table({name: pa.array(values, pa.int64() if name == ROW else pa.string())
                      for name, values in columns.items()})
    return Chunk(table, tuple(odd), originals, done)


def _plain(row: object) -> tuple[str | None, ...] | None:
    """The text fields of a JSON object whose values are all plain, or ``None``."""
    if not isinstance(row, dict):
        return None
    texts = [row.get(name) for name in ("event_id", "customer_id", "metric")]
    quantity, timestamp, unit = row.get("quantity"), row.get("timestamp"), row.get("unit")
    if not all(type(t) is str for t in texts) or type(timestamp) is not str:
        return None
    if type(quantity) not in (str, int, Decimal) or (unit is not None and type(unit) is not str):
        return None
    attributes: dict[str, str] = {}
    if len(row) > len(_RESERVED) - (unit is None):
        for key in sorted(k for k in row if k not in _RESERVED):
            value = row[key]
            if value is None or value == "":
                continue
            if type(value) is not str:
                return None
            attributes[key] = value
    return (texts[0], texts[1], texts[2], str(quantity), timestamp, unit,
            _ENCODE.encode(attributes).decode() if attributes else "{}")
