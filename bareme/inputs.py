"""Input files: usage (CSV, JSON Lines, Parquet) and customers (YAML or JSON).

Readers (:mod:`batch.readers`) hand rows to :mod:`engine.usage` and
:mod:`engine.customers`, which check them; every problem names the file and the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from batch.readers import read_text, usage_rows
from engine.customers import Customer, parse_customers
from engine.diagnostics import Diagnostic, DiagnosticsError
from engine.loading.yaml_nodes import parse_yaml
from engine.rules.metrics import Metric
from engine.units import in_canonical_unit
from engine.usage import UsageRecord, parse_record

__all__ = ["read_customers", "read_usage", "usage_rows"]


def read_usage(paths: list[Path], metrics: Mapping[str, Metric] | None = None
               ) -> tuple[list[UsageRecord], list[Diagnostic]]:
    """Every parsable record of ``paths`` and every problem, by file and record number.

    A ``unit`` column converts the quantity into its metric's canonical unit with the
    ruleset's ``metrics`` (:mod:`engine.units`), as ``bareme usage ingest`` does; without
    ``metrics`` a record carrying a unit is refused rather than priced in the wrong unit.
    """
    records: list[UsageRecord] = []
    problems: list[Diagnostic] = []
    for path in paths:
        if not path.is_file():
            problems.append(Diagnostic(path=str(path), line=0, column=0, code="file.missing",
                                       message="no such usage file"))
            continue
        for number, row in enumerate(usage_rows(path), start=1):
            unit = row.pop("unit", None)
            record, errors = parse_record(row, str(path), number)
            problems.extend(errors)
            if record is None:
                continue
            converted = in_canonical_unit(record, None if unit is None else str(unit), metrics)
            if isinstance(converted, Diagnostic):
                problems.append(converted)
            else:
                records.append(converted)
    return records, problems


def read_customers(path: Path) -> list[Customer]:
    """Customers of a YAML or JSON list; raises :class:`DiagnosticsError` on any problem."""
    if not path.is_file():
        raise DiagnosticsError([Diagnostic(path=str(path), line=0, column=0,
                                           code="file.missing", message="no such customers file")])
    located, errors = parse_yaml(read_text(path), str(path))
    if located is None or errors:
        raise DiagnosticsError(errors)
    customers, problems = parse_customers(located.data, str(path), located.positions)
    if problems:
        raise DiagnosticsError(problems)
    return customers

