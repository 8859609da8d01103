"""``bareme``: the command line of Barème.

Every command takes the settings of CONTRACT.md (``--repo``, ``--data-dir``,
``--database-url``, or ``BAREME_*``). User errors print located messages and exit 1;
no command shows a traceback.
"""

from __future__ import annotations

import sys

import click

from bareme.commands import (
    archive,
    customers,
    demo,
    evaluate,
    export,
    invoice,
    rate,
    rules,
    serve,
    usage,
)
from bareme.errors import run_guarded
from bareme.settings import Settings

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--repo", envvar="BAREME_REPO", metavar="PATH",
              help="Rules repository [env BAREME_REPO; default: the repository Barème runs from].")
@click.option("--data-dir", envvar="BAREME_DATA_DIR", metavar="DIR",
              help="Usage, archive and SQLite file [env BAREME_DATA_DIR; default .bareme/].")
@click.option("--database-url", envvar="BAREME_DATABASE_URL", metavar="URL",
              help="Operational database [env BAREME_DATABASE_URL; default SQLite in DIR].")
@click.pass_context
def cli(ctx: click.Context, repo: str | None, data_dir: str | None,
        database_url: str | None) -> None:
    """Barème: versioned billing rules evaluated at every timestamp."""
    ctx.obj = Settings.resolve(repo, data_dir, database_url)


for module in (rules, evaluate, demo, usage, rate, customers, invoice, archive, export, serve):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    """Entry point of the ``bareme`` script."""
    sys.exit(run_guarded(cli))
