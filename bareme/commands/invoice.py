"""``bareme invoice issue``, ``bareme replay`` and ``bareme correct``."""

from __future__ import annotations

import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from archive.correct import correct as correct_invoice
from archive.customers import all_customers
from archive.issue import IssueRequest, issue_invoice
from archive.replay import load
from archive.replay import replay as replay_document
from archive.run import billing_run
from bareme.commands.guard import archive_errors, open_archive
from bareme.errors import UserError
from bareme.inputs import read_usage
from bareme.settings import Settings
from batch.store import UsageStore
from engine.canonical import pretty_bytes
from engine.diagnostics import DiagnosticsError
from engine.store.access import RuleAccess
from engine.timeline import parse_period
from engine.usage import UsageRecord, dedupe

__all__ = ["COMMANDS"]


@click.group()
def invoice() -> None:
    """Issue invoices."""


def _records(settings: Settings, usage: tuple[Path, ...], period: str, rev: str | None,
             customer_id: str | None = None) -> list[UsageRecord]:
    """The usage files given, or else the usage stored by ``bareme usage ingest``.

    Files' units are converted with the metrics of the rules at ``rev``, as ingest does.
    A period that is not ``YYYY-MM`` is refused first, named.
    """
    parse_period(period, ZoneInfo("UTC"))  # the month's label only; its zone comes later
    if not usage:
        stored = UsageStore(settings.data_dir).records(period, customer_id)
        if not stored:
            raise UserError(f"no stored usage for {period} in {settings.data_dir}; ingest it "
                            "with 'bareme usage ingest FILE' or give --usage FILE")
        return stored
    metrics = RuleAccess(str(settings.repo)).ruleset(rev).metrics
    records, problems = read_usage(list(usage), metrics)
    records, conflicts = dedupe(records)
    if problems or conflicts:
        raise DiagnosticsError(problems + conflicts)
    return records


@invoice.command()
@click.option("--customer", "customer_id", required=True, metavar="ID", help="Customer id.")
@click.option("--period", required=True, metavar="YYYY-MM", help="Billing month.")
@click.option("--usage", "usage", multiple=True, metavar="FILE",
              type=click.Path(path_type=Path),
              help="Usage records (CSV, JSON Lines, Parquet); default: the stored usage.")
@click.option("--rev", metavar="REV", help="Rules revision (default HEAD).")
@click.option("--idempotency-key", metavar="KEY",
              help="Same key and request: same invoice (default invoice:<customer>:<period>).")
@click.pass_obj
def issue(settings: Settings, customer_id: str, period: str, usage: tuple[Path, ...],
          rev: str | None, idempotency_key: str | None) -> None:
    """Evaluate, number, seal and archive one invoice; print its number."""
    records = _records(settings, usage, period, rev, customer_id)
    archive = open_archive(settings)
    with archive_errors():
        done = issue_invoice(archive, IssueRequest(
            customer_id=customer_id, period=period, records=tuple(records), rev=rev,
            idempotency_key=idempotency_key))
    if not done.created:
        click.echo(f"note: already issued for this request: {done.number}", err=True)
    click.echo(done.number)


@invoice.command()
@click.option("--period", required=True, metavar="YYYY-MM", help="Billing month.")
@click.option("--usage", "usage", multiple=True, metavar="FILE",
              type=click.Path(path_type=Path),
              help="Usage records (CSV, JSON Lines, Parquet); default: the stored usage.")
@click.option("--rev", metavar="REV", help="Rules revision (default HEAD).")
@click.pass_obj
def run(settings: Settings, period: str, usage: tuple[Path, ...], rev: str | None) -> None:
    """Issue every customer's invoice for PERIOD; run it again to resume after a stop."""
    records = _records(settings, usage, period, rev)
    archive = open_archive(settings)
    count = len(all_customers(archive.engine))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True)) as bar, archive_errors():
        task = bar.add_task(f"billing {period}", total=count)
        summary = billing_run(archive, period, records, rev,
                              progress=lambda _: bar.advance(task))
    click.echo(f"{period}: {summary.issued} invoice(s) issued, {summary.already_issued} "
               f"already issued, {summary.without_usage} customer(s) without usage, in "
               f"{summary.seconds:.1f} s")
    click.echo(f"issued now: net {summary.net}, TVA {summary.tax}, gross {summary.gross}")


@invoice.command()
@click.argument("number")
@click.option("--pdf", "pdf_out", type=click.Path(path_type=Path), metavar="FILE",
              help="Also write the archived PDF to FILE.")
@click.option("--facturx", "facturx_out", type=click.Path(path_type=Path), metavar="FILE",
              help="Also write the archived Factur-X file to FILE.")
@click.pass_obj
def show(settings: Settings, number: str, pdf_out: Path | None,
         facturx_out: Path | None) -> None:
    """Print the archived JSON of NUMBER, exactly as issued."""
    archive = open_archive(settings)
    with archive_errors():
        row, document = load(archive, number)
    for target, digest in ((pdf_out, row.pdf_sha256), (facturx_out, row.facturx_sha256)):
        if target is not None:
            target.write_bytes(archive.files.get(digest))
    sys.stdout.buffer.write(pretty_bytes(document))


@click.command()
@click.argument("number")
@click.pass_obj
def replay(settings: Settings, number: str) -> None:
    """Re-evaluate NUMBER at its archived commit; exit 0 only when byte-identical."""
    with archive_errors():
        result = replay_document(open_archive(settings), number)
    if result.identical:
        click.echo(f"{number}: identical at {result.commit[:12]} ({result.archived_digest})")
        return
    click.echo(f"{number}: DIFFERS at {result.commit[:12]}: archived {result.archived_digest}, "
               f"replayed {result.replayed_digest}")
    for line in result.differences:
        click.echo(f"  {line}")
    raise click.exceptions.Exit(1)


@click.command()
@click.argument("number")
@click.option("--rev", required=True, metavar="REV", help="The newer rules revision.")
@click.pass_obj
def correct(settings: Settings, number: str, rev: str) -> None:
    """Issue the credit note or corrective invoice for NUMBER under REV; print its number."""
    with archive_errors():
        done = correct_invoice(open_archive(settings), number, rev)
    if done is None:
        click.echo(f"{number}: no difference under {rev}; nothing issued", err=True)
        return
    click.echo(done.number)


COMMANDS = (invoice, replay, correct)
