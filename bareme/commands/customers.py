"""``bareme customers import``: load customers into the operational store."""

from __future__ import annotations

from pathlib import Path

import click

from archive.customers import import_customers
from archive.db import open_engine
from bareme.inputs import read_customers
from bareme.settings import Settings

__all__ = ["COMMANDS"]


@click.group()
def customers() -> None:
    """Customers of the operational store."""


@customers.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_obj
def import_(settings: Settings, file: Path) -> None:
    """Load customers from FILE (YAML or JSON list): new ones added, changed ones updated."""
    found = read_customers(file)
    added, updated = import_customers(open_engine(settings.database_url), found)
    click.echo(f"{len(found)} customer(s) read: {added} added, {updated} updated, "
               f"{len(found) - added - updated} unchanged")


COMMANDS = (customers,)
