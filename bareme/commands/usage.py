"""``bareme usage``: mediation of usage files into the data directory's store."""

from __future__ import annotations

import glob
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import duckdb

from archive.customers import customer_ids
from archive.db import open_engine
from bareme.errors import UserError
from bareme.inputs import read_customers
from bareme.progress import staged_progress
from bareme.settings import Settings
from bareme.sizes import MEMORY_SIZE
from batch.closed import ClosedPeriods
from batch.ingest import MEMORY_LIMIT, IngestReport, ingest
from batch.normalise import Mediation
from batch.readers import SUFFIXES
from batch.store import UsageStore
from engine.store.access import RuleAccess
from engine.timeline import parse_period

__all__ = ["COMMANDS"]


@click.group()
def usage() -> None:
    """Usage mediation: ingest files, list late events."""


@usage.command("ingest")
@click.argument("files", nargs=-1, required=True)
@click.option("--customers", metavar="FILE", type=click.Path(path_type=Path),
              help="Known customers (YAML or JSON list): usage of any other is rejected. "
                   "Default: the customers of the operational store, once some are "
                   "imported ('bareme customers import').")
@click.option("--rev", metavar="REV", help="Rules commit whose metrics and units apply "
              "(default HEAD).")
@click.option("--max-error-rate", default="0.01", show_default=True, metavar="RATE",
              help="Above this share of rejected rows, store nothing and exit 1.")
@click.option("--memory-limit", default=MEMORY_LIMIT, show_default=True, metavar="SIZE",
              type=MEMORY_SIZE,
              help="DuckDB memory limit of the run; beyond it, staging spills to disk in "
                   "the data directory.")
@click.pass_obj
def ingest_command(settings: Settings, files: tuple[str, ...], customers: Path | None,
                   rev: str | None, max_error_rate: str, memory_limit: str) -> None:
    """Normalise, deduplicate and store usage files (CSV, JSON Lines, Parquet; globs too)."""
    threshold = _rate(max_error_rate)
    paths = expand(files)
    ruleset = RuleAccess(str(settings.repo)).ruleset(rev)
    known = ({c.id for c in read_customers(customers)} if customers
             else customer_ids(open_engine(settings.database_url)) or None)
    mediation = Mediation(zone=ruleset.zone,
                          rated=frozenset(r.metric for r in ruleset.rules if r.metric),
                          metrics=ruleset.metrics,
                          customers=known)
    with staged_progress(counts=False) as progress:
        try:
            report = ingest(paths, UsageStore(settings.data_dir), mediation,
                            ClosedPeriods(settings.data_dir), threshold, progress,
                            memory_limit)
        except duckdb.Error as error:
            raise UserError(f"ingest failed, nothing was stored: {error}") from error
    _print(report, threshold)
    if report.refused:
        raise UserError(f"error rate {report.error_rate:.2%} is above --max-error-rate "
                        f"{threshold}; nothing was stored")


@usage.command("late")
@click.option("--period", metavar="YYYY-MM", help="Only this billing month.")
@click.pass_obj
def late_command(settings: Settings, period: str | None) -> None:
    """List events that arrived after their (customer, period) was invoiced."""
    if period is not None:
        parse_period(period, ZoneInfo("UTC"))  # a label naming no month is refused, named
    files = UsageStore(settings.data_dir).files("late", period)
    if not files:
        click.echo("no late events")
        return
    query = ("SELECT regexp_extract(filename, 'period=([0-9]{4}-[0-9]{2})', 1), "
             "strftime(timestamp, '%Y-%m-%dT%H:%M:%S.%fZ'), customer_id, metric, "
             "CAST(quantity AS VARCHAR), event_id, source, row "
             "FROM read_parquet(?, filename = true, hive_partitioning = false) "
             "ORDER BY 1, timestamp, event_id")
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    rows = connection.execute(query, [[str(p) for p in files]]).fetchall()
    click.echo("\t".join(("period", "timestamp", "customer_id", "metric", "quantity",
                           "event_id", "source", "row")))
    for row in rows:
        click.echo("\t".join(str(v) for v in row))


def expand(patterns: tuple[str, ...]) -> list[Path]:
    """Files named or matched by each pattern; a pattern matching nothing is an error."""
    paths: list[Path] = []
    for pattern in patterns:
        literal = not glob.has_magic(pattern) or Path(pattern).is_file()  # "w[1].csv"
        found = [pattern] if literal else sorted(glob.glob(pattern, recursive=True))
        found = [f for f in found if Path(f).is_file()]
        if not found and Path(pattern).is_dir():
            raise UserError(f"{pattern} is a directory; name its files or a glob such as "
                            f"'{Path(pattern) / '*.csv'}'")
        if not found:
            raise UserError(f"{pattern}: no such usage file")
        for name in found:
            if Path(name).suffix.lower() not in SUFFIXES:
                raise UserError(f"{name}: usage files must end in {', '.join(SUFFIXES)}")
            paths.append(Path(name))
    return list(dict.fromkeys(paths))


def _rate(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not 0 <= value <= 1:
        raise UserError(f"--max-error-rate must be a number between 0 and 1; got {text!r}")
    return value


def _print(report: IngestReport, threshold: Decimal) -> None:
    click.echo(f"read {report.read}, stored {report.stored}, late {report.late}, "
               f"duplicates {report.duplicates}, rejected {report.rejected} "
               f"(conflicts {report.conflicts}); error rate {report.error_rate:.2%} "
               f"(threshold {threshold:.2%})")
    if report.periods:
        click.echo(f"periods: {', '.join(report.periods)}")
    if report.rejects_file:
        click.echo(f"rejects: {report.rejects_file}")
    if report.late:
        click.echo("late events are kept apart; list them with `bareme usage late`")


COMMANDS = (usage,)
