"""``bareme serve`` (the HTTP API) and ``bareme keys`` (API keys for its keys file)."""

from __future__ import annotations

import os
import sys

import click

from api.keys import ROLES, KeyFileError, new_key, render_entry
from api.server import SERVERS, preflight, run
from api.settings import INLINE_RECORDS, ApiSettings, keys_from_environment
from bareme.errors import UserError
from bareme.settings import Settings

__all__ = ["COMMANDS"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="BAREME_HOST")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              envvar="BAREME_PORT")
@click.option("--customers", metavar="FILE", envvar="BAREME_CUSTOMERS",
              help="Customers looked up by id (YAML or JSON list) [env BAREME_CUSTOMERS].")
@click.option("--server", type=click.Choice(SERVERS), default="granian", show_default=True)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              envvar="BAREME_WORKERS")
@click.option("--access-log", default="-", show_default=True, metavar="FILE",
              help="JSON access-log lines: '-' for stdout, a file, or '' for none.")
@click.option("--max-body-bytes", default=2_000_000, show_default=True,
              type=click.IntRange(1024))
@click.option("--max-records", default=10_000, show_default=True, type=click.IntRange(1))
@click.option("--inline-records", default=INLINE_RECORDS, show_default=True,
              type=click.IntRange(0), envvar="BAREME_INLINE_RECORDS",
              help="Evaluate requests of at most this many usage records (under a "
                   "millisecond) in the event loop; larger ones go to a worker thread "
                   "(0: always a thread).")
@click.option("--dev", is_flag=True, envvar="BAREME_API_DEV",
              help="Development mode: no API keys, every role; loopback hosts only.")
@click.pass_obj
def serve(settings: Settings, host: str, port: int, customers: str | None, server: str,
          workers: int, access_log: str, max_body_bytes: int, max_records: int,
          inline_records: int, dev: bool) -> None:
    """Serve the HTTP API (keys from BAREME_API_KEYS_FILE or BAREME_API_KEYS)."""
    try:
        keys = keys_from_environment()
        api_settings = ApiSettings(
            repo=str(settings.repo), data_dir=str(settings.data_dir),
            database_url=settings.database_url, host=host, port=port,
            customers_file=customers, keys=keys, dev=dev, max_body_bytes=max_body_bytes,
            max_records=max_records, inline_records=inline_records, access_log=access_log,
            workers=workers, server=server)
    except (KeyFileError, ValueError) as exc:
        raise UserError(str(exc)) from None
    if not keys and not dev:
        given = [name for name in ("BAREME_API_KEYS_FILE", "BAREME_API_KEYS")
                 if os.environ.get(name)]
        raise UserError(f"no API keys: {' and '.join(given)} hold(s) none" if given else
                        "no API keys: set BAREME_API_KEYS_FILE (see 'bareme keys new') or "
                        "BAREME_API_KEYS, or use --dev on a loopback host")
    try:
        preflight(api_settings)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    mode = "development mode, no keys" if dev else f"{len(keys)} key(s)"
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Barème API on http://{shown}:{port} ({mode}; {server}, {workers} worker(s)); "
               f"OpenAPI at /schema/openapi.json, interactive page at /schema/", err=True)
    run(api_settings)


@click.group()
def keys() -> None:
    """API keys: make one, or hash one, as a line of the keys file."""


def _entry_name(_context: click.Context, _parameter: click.Parameter, name: str) -> str:
    """A name the keys file can hold: one word, without ``#`` (which starts a comment)."""
    if not name or "#" in name or len(name.split()) != 1 or name != name.strip():
        raise click.BadParameter(f"{name!r}: a key's name is one word without spaces or '#' "
                                 "(it is the first field of its keys-file line)")
    return name


@keys.command("new")
@click.option("--name", required=True, callback=_entry_name,
              help="Who holds the key (shown in access logs).")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
def new(name: str, roles: tuple[str, ...]) -> None:
    """Make a key: print it once on stderr, and its keys-file line on stdout."""
    key = new_key()
    click.echo(f"key (give it to {name}; it is not stored): {key}", err=True)
    click.echo(render_entry(name, roles, key))


@keys.command("hash")
@click.option("--name", required=True, callback=_entry_name)
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
def hash_(name: str, roles: tuple[str, ...]) -> None:
    """Read a key on stdin; print its keys-file line."""
    key = sys.stdin.readline().strip()
    if not key:
        raise UserError("give the key on standard input")
    click.echo(render_entry(name, roles, key))


COMMANDS = (serve, keys)
