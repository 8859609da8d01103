"""``bareme archive verify | query | export``: the tax reviewers' commands."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
import duckdb
import msgspec

from archive.export import AlteredFile
from archive.export import export as export_archive
from archive.query import QueryRefused
from archive.query import query as query_archive
from archive.verify import verify as verify_archive
from bareme.commands.guard import open_archive
from bareme.errors import UserError
from bareme.settings import Settings
from engine.canonical import canonical_bytes

__all__ = ["COMMANDS"]


@click.group("archive")
def archive_group() -> None:
    """The archive of issued documents."""


@archive_group.command()
@click.pass_obj
def verify(settings: Settings) -> None:
    """Walk the hash chain and every file; exit 0 only when intact."""
    report = verify_archive(open_archive(settings))
    for problem in report.problems:
        click.echo(problem)
    state = "intact" if report.intact else f"TAMPERED: {len(report.problems)} problem(s)"
    click.echo(f"{report.records} record(s), {report.files} file(s): {state}")
    click.echo(f"chain head {report.head}")
    if not report.intact:
        raise click.exceptions.Exit(1)


@archive_group.command()
@click.argument("sql")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per row.")
@click.pass_obj
def query(settings: Settings, sql: str, as_json: bool) -> None:
    """Run read-only SQL over the tables documents, lines, taxes and mentions."""
    try:
        result = query_archive(open_archive(settings), sql)
    except (duckdb.Error, QueryRefused) as exc:
        raise UserError(f"query: {exc}") from None
    if as_json:
        for row in result.rows:
            sys.stdout.buffer.write(canonical_bytes(dict(zip(result.columns, [
                _plain(v) for v in row], strict=True))) + b"\n")
        return
    cells = [[_plain(v) or "" for v in row] for row in result.rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(result.columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True)))
    for line in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)))


def _plain(value: object) -> str | None:
    return None if value is None else str(value)


@archive_group.command()
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="First issue date (YYYY-MM-DD).")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Last issue date, included.")
@click.argument("folder", type=click.Path(path_type=Path))
@click.pass_obj
def export(settings: Settings, start: datetime, end: datetime, folder: Path) -> None:
    """Write the documents issued in a period (JSON, PDF, Factur-X) and manifest.json."""
    if start > end:
        raise UserError(f"--from {start.date()} is after --to {end.date()}")
    try:
        manifest = export_archive(open_archive(settings), start.date(), end.date(), folder)
    except AlteredFile as exc:
        raise UserError(f"{exc}; run `bareme archive verify`") from None
    count = len(msgspec.json.decode(manifest.read_bytes())["documents"])
    click.echo(f"{count} document(s) written to {folder}, manifest {manifest}")


COMMANDS = (archive_group,)
