"""Evaluate usage files for their customers: the shared path of ``evaluate`` and the demo."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import msgspec

from bareme.inputs import read_customers, read_usage
from engine.diagnostics import Diagnostic, DiagnosticsError
from engine.evaluate import check_usage, evaluate
from engine.results import Evaluation
from engine.rules.ruleset import Ruleset
from engine.timeline import BillingPeriod, parse_period
from engine.usage import UsageRecord, dedupe

__all__ = ["FileEvaluation", "evaluate_files", "infer_period"]


class FileEvaluation(msgspec.Struct, frozen=True, kw_only=True):
    """Evaluations of one period, and notes for the user."""

    period: BillingPeriod
    evaluations: tuple[Evaluation, ...]
    notes: tuple[str, ...]


def evaluate_files(ruleset: Ruleset, usage: list[Path], customers_file: Path,
                   period_label: str | None, only: str | None = None, *,
                   issue_date: date | None = None) -> FileEvaluation:
    """Evaluate every customer with usage in the period (or only ``only``).

    ``issue_date`` selects the legal mentions (default: the last day of the period).
    """
    customers = {c.id: c for c in read_customers(customers_file)}
    records, problems = read_usage(usage, ruleset.metrics)
    records, conflicts = dedupe(records)
    problems += conflicts
    problems += [Diagnostic(path=r.source, line=r.row, column=0, code="usage.unknown_customer",
                            message=f"field 'customer_id': {r.customer_id!r} is not in "
                                    f"{customers_file}")
                 for r in records if r.customer_id not in customers]
    if problems and period_label:  # with the engine's own checks: every problem at once
        period = parse_period(period_label, ruleset.zone)
        mine = [r for r in records if r.customer_id in customers and period.contains(r.timestamp)]
        for customer_id in sorted({r.customer_id for r in mine}):
            problems += check_usage(ruleset, customer_id, period,
                                    [r for r in mine if r.customer_id == customer_id])[1]
    if problems:
        raise DiagnosticsError(sorted(problems, key=lambda d: (d.path, d.line)))
    period = (parse_period(period_label, ruleset.zone) if period_label
              else infer_period(records, ruleset))
    if only is not None and only not in customers:
        raise DiagnosticsError([Diagnostic(path=str(customers_file), line=0, column=0,
                                           code="customers.unknown_id",
                                           message=f"no customer {only!r} in this file")])
    in_period = [r for r in records if period.contains(r.timestamp)]
    notes = []
    if len(in_period) < len(records):
        notes.append(f"{len(records) - len(in_period)} record(s) outside {period.label} "
                     "were not evaluated")
    by_customer: dict[str, list[UsageRecord]] = {}
    for record in in_period:
        by_customer.setdefault(record.customer_id, []).append(record)
    wanted = [only] if only is not None else sorted(by_customer)
    evaluations: list[Evaluation] = []
    failures: list[Diagnostic] = []
    for customer_id in wanted:
        try:
            evaluations.append(evaluate(ruleset, customers[customer_id], period,
                                        by_customer.get(customer_id, []),
                                        issue_date=issue_date))
        except DiagnosticsError as exc:
            failures.extend(exc.diagnostics)
    if failures:
        raise DiagnosticsError(failures)
    return FileEvaluation(period=period, evaluations=tuple(evaluations), notes=tuple(notes))


def infer_period(records: list[UsageRecord], ruleset: Ruleset) -> BillingPeriod:
    """The one billing month all records fall in; otherwise ask for ``--period``."""
    labels = sorted({r.timestamp.astimezone(ruleset.zone).strftime("%Y-%m") for r in records})
    if len(labels) != 1:
        found = ", ".join(labels) if labels else "none"
        raise DiagnosticsError([Diagnostic(
            path="--period", line=0, column=0, code="usage.period_ambiguous",
            message=f"the usage spans months {found}; choose one with --period YYYY-MM")])
    return parse_period(labels[0], ruleset.zone)
