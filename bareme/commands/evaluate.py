"""``bareme evaluate``: one customer's (or every customer's) evaluation as JSON."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from bareme.errors import UserError
from bareme.evaluation import evaluate_files
from bareme.settings import Settings
from engine.canonical import pretty_bytes
from engine.document import to_document
from engine.store.access import RuleAccess

__all__ = ["COMMANDS"]


@click.command()
@click.option("--usage", "usage", multiple=True, required=True, metavar="FILE",
              type=click.Path(path_type=Path), help="Usage records (CSV, JSON Lines, Parquet).")
@click.option("--customers", required=True, metavar="FILE", type=click.Path(path_type=Path),
              help="Customers (YAML or JSON list).")
@click.option("--customer", metavar="ID", help="Evaluate only this customer (prints one object).")
@click.option("--period", metavar="YYYY-MM", help="Billing month (default: the usage's month).")
@click.option("--rev", metavar="REV", help="Commit, branch or tag of the rules (default HEAD).")
@click.option("--as-known-at", metavar="TIMESTAMP",
              help="Use the last commit at or before this RFC 3339 instant.")
@click.option("--issue-date", metavar="YYYY-MM-DD", type=click.DateTime(["%Y-%m-%d"]),
              help="Invoice date selecting the legal mentions (default: end of the period).")
@click.pass_obj
def evaluate(settings: Settings, usage: tuple[Path, ...], customers: Path, customer: str | None,
             period: str | None, rev: str | None, as_known_at: str | None,
             issue_date: datetime | None) -> None:
    """Print the evaluation of the usage, as the JSON of CONTRACT.md."""
    ruleset = RuleAccess(str(settings.repo)).ruleset(rev, as_known_at)
    result = evaluate_files(ruleset, list(usage), customers, period, customer,
                            issue_date=issue_date.date() if issue_date else None)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    documents = [to_document(e) for e in result.evaluations]
    if customer is not None:
        if not documents:
            raise UserError(f"customer {customer!r} has no usage in {result.period.label}")
        sys.stdout.buffer.write(pretty_bytes(documents[0]))
    else:
        sys.stdout.buffer.write(pretty_bytes(documents))


COMMANDS = (evaluate,)
