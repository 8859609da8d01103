"""Input files: usage (CSV, JSON Lines, Parquet) and customers (YAML or JSON).

Readers (:mod:`batch.readers`) hand rows to :mod:`engine.usage` and
:mod:`engine.customers`, which check them; every problem names the file and the record.
"""

from __future__ import annotations

from pathlib import Path

from batch.readers import usage_rows
from engine.customers import Customer, parse_customers
from engine.diagnostics import Diagnostic, DiagnosticsError
from engine.loading.yaml_nodes import parse_yaml
from engine.usage import UsageRecord, parse_records

__all__ = ["read_customers", "read_usage", "usage_rows"]


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

