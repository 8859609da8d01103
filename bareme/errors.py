"""Turn user errors into located messages and exit codes, never tracebacks."""

from __future__ import annotations

from collections.abc import Callable

import click
from sqlalchemy.exc import OperationalError

from engine.diagnostics import DiagnosticsError
from engine.money import DecimalSyntaxError
from engine.store.git import RevisionError
from engine.timeline import PeriodSyntaxError

__all__ = ["UserError", "run_guarded"]


class UserError(click.ClickException):
    """A problem the user can fix, reported as one message and exit code 1."""


def run_guarded(command: Callable[..., object]) -> int:
    """Run a click command; known errors become messages on stderr and exit 1."""
    try:
        code = command(standalone_mode=False)
        # Outside standalone mode, click returns the code of a raised Exit instead of exiting.
        if isinstance(code, int) and code:
            return code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except DiagnosticsError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        click.echo(f"{len(exc.diagnostics)} problem(s)", err=True)
        return 1
    except (RevisionError, PeriodSyntaxError, DecimalSyntaxError) as exc:
        click.echo(f"Error: {exc}", err=True)
        return 1
    except OSError as exc:
        click.echo(f"Error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        return 1
    except OperationalError as exc:  # the URL is well formed and has a driver
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "unreachable"
        click.echo(f"Error: the database of --database-url / BAREME_DATABASE_URL cannot be "
                   f"used: {reason}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # the last guard: a message, not a traceback
        click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("please report it with the command you ran", err=True)
        return 70
    return 0
