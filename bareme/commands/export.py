"""``bareme export fec``: the sales journal as a FEC file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from archive.fec import fec_file_name, write_fec
from bareme.commands.guard import open_archive
from bareme.errors import UserError
from bareme.settings import Settings

__all__ = ["COMMANDS"]


@click.group("export")
def export_group() -> None:
    """Accounting exports."""


@export_group.command()
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="First issue date (YYYY-MM-DD).")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Closing date of the fiscal period, included.")
@click.option("--siren", help="SIREN in the file name [default: the seller's, as archived].")
@click.argument("folder", type=click.Path(path_type=Path), default=".")
@click.pass_obj
def fec(settings: Settings, start: datetime, end: datetime, siren: str | None,
        folder: Path) -> None:
    """Write <SIREN>FEC<AAAAMMJJ>.txt for the documents issued from --from to --to."""
    if start > end:
        raise UserError(f"--from {start.date()} is after --to {end.date()}")
    archive = open_archive(settings)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / fec_file_name(archive, end.date(), siren)
    with target.open("wb") as out:
        count = write_fec(archive, start.date(), end.date(), out)
    click.echo(f"{count} line(s) written to {target}")


COMMANDS = (export_group,)
