"""Rated lines to Parquet, CSV or JSON Lines, chosen by the file's extension, streamed.

Amounts are exact: ``DECIMAL(38, 2)`` in Parquet, strings with two decimals in CSV and
JSON Lines; quantities and prices are decimal strings, never floats.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from batch.finish import RatedLine
from engine.money import format_amount, format_decimal

__all__ = ["FORMATS", "LineTotals", "write_lines"]

FORMATS = (".parquet", ".csv", ".jsonl", ".ndjson")
COLUMNS = ("customer_id", "rule_id", "version", "override_id", "component", "tier", "label",
           "quantity", "unit", "unit_price", "amount", "vat_rate", "path", "line", "commit")
_SCHEMA = pa.schema([
    ("customer_id", pa.string()), ("rule_id", pa.string()), ("version", pa.string()),
    ("override_id", pa.string()), ("component", pa.string()), ("tier", pa.int32()),
    ("label", pa.string()), ("quantity", pa.decimal128(38, 9)), ("unit", pa.string()),
    ("unit_price", pa.decimal128(38, 9)), ("amount", pa.decimal128(38, 2)),
    ("vat_rate", pa.string()), ("path", pa.string()), ("line", pa.int32()),
    ("commit", pa.string()),
])


class LineTotals:
    """Counts and net total of the lines that went through, for the summary."""

    def __init__(self) -> None:
        self.lines = 0
        self.customers: set[str] = set()
        self.net = Decimal(0)

    def watch(self, lines: Iterable[RatedLine]) -> Iterator[RatedLine]:
        """Pass ``lines`` through, counting them."""
        for line in lines:
            self.lines += 1
            self.customers.add(line.customer_id)
            self.net += line.amount
            yield line


def write_lines(lines: Iterable[RatedLine], target: Path) -> None:
    """Write ``lines`` to ``target`` atomically, in the format its extension names."""
    suffix = target.suffix.lower()
    temporary = target.with_name(f".{target.name}.tmp")
    target.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        _parquet(lines, temporary)
    elif suffix == ".csv":
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows(_texts(line) for line in lines)
    elif suffix in (".jsonl", ".ndjson"):
        encoder = msgspec.json.Encoder()
        with temporary.open("wb") as handle:
            for line in lines:
                row = dict(zip(COLUMNS, _values(line), strict=True))
                row.update(quantity=format_decimal(line.quantity),
                           unit_price=format_decimal(line.unit_price),
                           amount=format_amount(line.amount))
                handle.write(encoder.encode(row) + b"\n")
    else:
        raise ValueError(f"--out must end in {', '.join(FORMATS)}; got {target.name!r}")
    os.replace(temporary, target)


def _parquet(lines: Iterable[RatedLine], path: Path) -> None:
    iterator = iter(lines)
    with pq.ParquetWriter(path, _SCHEMA, compression="zstd") as writer:
        while chunk := list(islice(iterator, 65536)):
            columns = list(zip(*(_values(line) for line in chunk), strict=True))
            writer.write_table(pa.table(dict(zip(COLUMNS, columns, strict=True)),
                                        schema=_SCHEMA))


def _values(line: RatedLine) -> tuple[Any, ...]:
    return (line.customer_id, line.rule_id, line.version, line.override_id, line.component,
            line.tier, line.label, line.quantity, line.unit, line.unit_price, line.amount,
            line.vat_rate, line.path, line.line, line.commit)


def _texts(line: RatedLine) -> list[str]:
    texts = [_text(v) for v in _values(line)]
    texts[COLUMNS.index("amount")] = format_amount(line.amount)
    return texts


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format_decimal(value)
    return str(value)
