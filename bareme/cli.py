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

SETTINGS = ("--repo", "--data-dir", "--database-url")
"""The options of every command (CONTRACT.md's configuration table)."""


class Bareme(click.Group):
    """The command group; its settings may also come after a command's name."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse ``args`` with the settings given after the command moved before it.

        ``bareme rate --period 2026-10 --data-dir D`` is then ``bareme --data-dir D rate
        --period 2026-10``; a setting given twice keeps its later value.
        """
        return super().parse_args(ctx, hoisted(args))


def hoisted(args: list[str]) -> list[str]:
    """``args`` with the settings that follow the first command name moved before it.

    >>> hoisted(["rate", "--period", "2026-10", "--data-dir", "d", "--repo=r"])
    ['--data-dir', 'd', '--repo=r', 'rate', '--period', '2026-10']
    >>> hoisted(["--repo", "r", "validate"])
    ['--repo', 'r', 'validate']
    """
    first = next((i for i, arg in enumerate(args) if not arg.startswith("-")
                  and (i == 0 or args[i - 1] not in SETTINGS)), len(args))
    head, rest, moved = args[:first], [], []
    index = first
    while index < len(args):
        arg = args[index]
        if arg == "--":  # what follows is not options
            rest.extend(args[index:])
            break
        if arg in SETTINGS and index + 1 < len(args):
            moved.extend(args[index:index + 2])
            index += 2
            continue
        if arg.split("=", 1)[0] in SETTINGS and "=" in arg:
            moved.append(arg)
        else:
            rest.append(arg)
        index += 1
    return [*head, *moved, *rest]


@click.group(cls=Bareme,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
