"""Usage files as raw rows: CSV, JSON Lines and Parquet, chosen by extension.

Rows go to :mod:`engine.usage` (per-request evaluation) or :mod:`batch.normalise`
(mediation), which check them field by field. Each row comes with its record number in
its file (the line number for JSON Lines), so that every problem can name it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from engine.diagnostics import Diagnostic, DiagnosticsError
from engine.json_keys import repeated_key

__all__ = ["SUFFIXES", "check_header", "json_row", "not_utf8", "numbered_rows", "portable",
           "read_text", "unreadable", "usage_rows"]

SUFFIXES = (".csv", ".jsonl", ".ndjson", ".parquet")
"""Extensions of the usage formats read."""

_JSON = msgspec.json.Decoder(float_hook=Decimal)
Numbered = tuple[int, dict[str, Any] | Diagnostic]


def usage_rows(path: Path) -> Iterator[dict[str, Any]]:
    """Raw rows of a usage file; the first unreadable row raises :class:`DiagnosticsError`."""
    for _, row in numbered_rows(path):
        if isinstance(row, Diagnostic):
            raise DiagnosticsError([row])
        yield row


def numbered_rows(path: Path) -> Iterator[Numbered]:
    """``(record number, row)`` pairs; an unreadable row is a :class:`Diagnostic` instead."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _csv_rows(path)
    elif suffix in (".jsonl", ".ndjson"):
        yield from _json_lines(path)
    elif suffix == ".parquet":
        yield from _parquet_rows(path)
    else:
        raise DiagnosticsError([Diagnostic(
            path=str(path), line=1, column=1, code="usage.unknown_format",
            message=f"usage files must end in {', '.join(SUFFIXES)}; got {path.name!r}")])


def _csv_rows(path: Path) -> Iterator[Numbered]:
    # A field as long as the Arrow reader of ingest takes (Python's csv stops at 128 KiB).
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            check_header(path, reader.fieldnames or [])
            yield from enumerate(reader, start=1)
    except UnicodeDecodeError:
        raise DiagnosticsError([not_utf8(path)]) from None


def read_text(path: Path) -> str:
    """The UTF-8 text of ``path`` (a byte order mark dropped), or a located problem."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DiagnosticsError([not_utf8(path, data)]) from None


def not_utf8(path: Path, data: bytes | None = None) -> Diagnostic:
    """The problem of a file that is not UTF-8, at the first byte that is not.

    ``data``: the file's bytes, when read already. A file read in blocks reports a place
    in its block, so the place is found in the whole file's bytes.
    """
    data = path.read_bytes() if data is None else data
    try:
        data.decode("utf-8")
        start = 0
    except UnicodeDecodeError as whole:
        start = whole.start
    line = data.count(b"\n", 0, start) + 1
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    return Diagnostic(path=str(path), line=line, column=column, code="file.encoding",
                      message=f"byte {data[start:start + 1].hex()} is not UTF-8; save the file "
                              "as UTF-8")


def check_header(path: Path, names: Sequence[str]) -> None:
    """Refuse a CSV header naming a column twice: which of the two would count is a guess."""
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise DiagnosticsError([Diagnostic(
            path=str(path), line=1, column=1, code="usage.bad_header",
            message=f"column {repeated[0]!r} appears more than once in the header")])


def _json_lines(path: Path) -> Iterator[Numbered]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, json_row(str(path), number, line)


def json_row(source: str, number: int, line: str | bytes) -> dict[str, Any] | Diagnostic:
    """One JSON Lines row, or the problem with it, quoting the start of the line.

    A byte order mark before the first line is not part of it.
    """
    if number == 1:
        line = (line.removeprefix(b"\xef\xbb\xbf") if isinstance(line, bytes)
                else line.removeprefix("\ufeff"))
    def bad(problem: str) -> Diagnostic:
        return Diagnostic(path=source, line=number, column=1, code="usage.bad_json",
                          message=f"{problem}: {_excerpt(line)}")

    try:
        row = _JSON.decode(line)
    except msgspec.DecodeError as exc:
        return bad(f"not valid JSON ({exc})")
    except UnicodeDecodeError:
        return bad("not UTF-8")
    except RecursionError:
        return bad("nested too deep")
    if not isinstance(row, dict):
        return bad("each line must be a JSON object")
    if twice := repeated_key(line, row):
        return bad(f"key {twice!r} appears more than once (which value would count is a "
                   "guess)")
    return row


def _excerpt(line: str | bytes, width: int = 80) -> str:
    text = (line.decode("utf-8", "replace") if isinstance(line, bytes) else line).strip()
    return repr(text if len(text) <= width else text[:width] + "…")


def unreadable(path: Path, message: str) -> DiagnosticsError:
    """The refusal of a usage file that cannot be read at all."""
    return DiagnosticsError([Diagnostic(path=str(path), line=0, column=0,
                                        code="usage.unreadable_file", message=message)])


def _parquet_rows(path: Path) -> Iterator[Numbered]:
    import pyarrow.parquet as pq

    number = 0
    try:
        handle = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise unreadable(path, f"cannot read this parquet file: {exc}") from None
    check_header(path, handle.schema_arrow.names)
    for batch in handle.iter_batches(batch_size=65536):
        for row in portable(pa.Table.from_batches([batch])).to_pylist():
            number += 1
            yield number, row


def portable(table: pa.Table) -> pa.Table:
    """``table`` with the columns Python and DuckDB cannot take as they are turned to text.

    Nanosecond timestamps become RFC 3339 text with nine decimals (the usual checks then
    refuse digits finer than a microsecond instead of losing them or failing), in UTC when
    the column has a time zone and without offset otherwise; 256-bit decimals become their
    exact text, a 32-bit float quantity its shortest text.
    """
    for index, field in enumerate(table.schema):
        kind = field.type
        if pa.types.is_timestamp(kind) and (kind.unit == "ns"
                                            or not _in_years(table.column(index), kind.unit)):
            column = table.column(index)
            text = (pc.strftime(column.cast(pa.timestamp(kind.unit, "UTC")),
                                format="%Y-%m-%dT%H:%M:%SZ") if kind.tz is not None
                    else pc.strftime(column, format="%Y-%m-%dT%H:%M:%S"))
        elif pa.types.is_decimal256(kind) or (
                field.name == "quantity" and (pa.types.is_float32(kind)
                                              or pa.types.is_float16(kind))):
            # A 32-bit float quantity reads as its shortest text, as SQL reads it (100000.1,
            # not the 100000.1015625 a widening to 64 bits would give).
            text = table.column(index).cast(pa.string())
        else:
            continue
        table = table.set_column(index, field.name, text)
    return table


_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_YEARS = (-2_208_988_800, 32_503_680_000)
"""1900-01-01 and 3000-01-01 in seconds since 1970 (UTC): the years a usage record may
have. A timestamp outside them becomes text, and is refused by the usual checks, rather
than stop the reading (Python's dates end at year 9999)."""


def _in_years(column: pa.ChunkedArray, unit: str) -> bool:
    """Whether every timestamp of ``column`` is in 1900–2999 (a day's margin each side)."""
    extremes = pc.min_max(column.cast(pa.int64()))
    low, high = extremes["min"].as_py(), extremes["max"].as_py()
    if low is None:
        return True
    scale = _PER_SECOND[unit]
    return bool((_YEARS[0] + 86_400) * scale <= low and high < (_YEARS[1] - 86_400) * scale)
