"""``bareme archive verify`` (and the archive's other reviewer commands)."""

from __future__ import annotations

import click

from archive.verify import verify as verify_archive
from bareme.commands.guard import open_archive
from bareme.settings import Settings

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
    if not report.intact:
        raise click.exceptions.Exit(1)


COMMANDS = (archive_group,)
