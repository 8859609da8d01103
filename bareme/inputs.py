"""Input files: usage (CSV, JSON Lines, Parquet) and customers (YAML or JSON).

Readers hand rows to :mod:`engine.usage` and :mod:`engine.customers`, which check them;
every problem names the file and the record or line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from engine.customers import Customer, parse_customers
from engine.diagnostics import Diagnostic, DiagnosticsError
from engine.loading.yaml_nodes import parse_yaml
from engine.usage import UsageRecord, parse_records

__all__ = ["read_customers", "read_usage", "usage_rows"]

_JSON = msgspec.json.Decoder(float_hook=Decimal)


def usage_rows(path: Path) -> Iterator[dict[str, Any]]:
    """Raw rows of a usage file, chosen by extension."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            yield from csv.DictReader(handle)
    elif suffix in (".jsonl", ".ndjson"):
        yield from _json_lines(path)
    elif suffix == ".parquet":
        yield from _parquet_rows(path)
    else:
        raise DiagnosticsError([Diagnostic(
            path=str(path), line=1, column=1, code="usage.unknown_format",
            message="usage files must end in .csv, .jsonl, .ndjson or .parquet")])


def _json_lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = _JSON.decode(line)
            except msgspec.DecodeError as exc:
                raise DiagnosticsError([Diagnostic(path=str(path), line=number, column=1,
                                                   code="usage.bad_json",
                                                   message=f"not valid JSON: {exc}")]) from None
            if not isinstance(row, dict):
                raise DiagnosticsError([Diagnostic(path=str(path), line=number, column=1,
                                                   code="usage.bad_json",
                                                   message="each line must be a JSON object")])
            yield row


def _parquet_rows(path: Path) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path)
    for batch in table.iter_batches(batch_size=65536):
        yield from batch.to_pylist()


def read_usage(paths: list[Path]) -> tuple[list[UsageRecord], list[Diagnostic]]:
    """Every parsable record of ``paths`` and every problem, by file and record number."""
    records: list[UsageRecord] = []
    problems: list[Diagnostic] = []
    for path in paths:
        if not path.is_file():
            problems.append(Diagnostic(path=str(path), line=0, column=0, code="file.missing",
                                       message="no such usage file"))
            continue
        found, errors = parse_records(usage_rows(path), str(path))
        records.extend(found)
        problems.extend(errors)
    return records, problems


def read_customers(path: Path) -> list[Customer]:
    """Customers of a YAML or JSON list; raises :class:`DiagnosticsError` on any problem."""
    if not path.is_file():
        raise DiagnosticsError([Diagnostic(path=str(path), line=0, column=0,
                                           code="file.missing", message="no such customers file")])
    located, errors = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    if located is None or errors:
        raise DiagnosticsError(errors)
    customers, problems = parse_customers(located.data, str(path), located.positions)
    if problems:
        raise DiagnosticsError(problems)
    return customers

