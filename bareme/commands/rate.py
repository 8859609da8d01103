"""``bareme rate``: batch-rate every stored usage record of a period."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click
import duckdb

from bareme.errors import UserError
from bareme.progress import staged_progress
from bareme.settings import Settings
from bareme.sizes import MEMORY_SIZE
from batch.finish import RatedLine
from batch.rate import Rating
from batch.store import UsageStore
from engine.money import format_amount, format_decimal
from engine.store.access import RuleAccess
from engine.timeline import parse_period

__all__ = ["COMMANDS"]


@click.command()
@click.option("--period", required=True, metavar="YYYY-MM", help="Billing month to rate.")
@click.option("--rev", metavar="REV", help="Commit, branch or tag of the rules (default HEAD).")
@click.option("--out", metavar="FILE", type=click.Path(path_type=Path),
              help="Write the lines to FILE: .parquet, .csv or .jsonl (default: a summary).")
@click.option("--threads", type=click.IntRange(min=1), help="DuckDB threads (default: all).")
@click.option("--memory-limit", default="2GB", show_default=True, metavar="SIZE",
              type=MEMORY_SIZE,
              help="DuckDB memory limit; beyond it, DuckDB spills to DIR/tmp.")
@click.pass_obj
def rate(settings: Settings, period: str, rev: str | None, out: Path | None,
         threads: int | None, memory_limit: str) -> None:
    """Rate all stored usage of a period, one line per rule, version, component and tier."""
    if out is not None and out.suffix.lower() not in (".parquet", ".csv", ".jsonl", ".ndjson"):
        raise UserError(f"--out must end in .parquet, .csv, .jsonl or .ndjson; got {out.name!r}")
    if out is not None and out.is_dir():
        raise UserError(f"--out {out} is a directory; give a file name")
    ruleset = RuleAccess(str(settings.repo)).ruleset(rev)
    month = parse_period(period, ruleset.zone)
    files = UsageStore(settings.data_dir).files("usage", month.label)
    if not files:
        raise UserError(f"no stored usage for {month.label} in {settings.data_dir}; "
                        "ingest some with `bareme usage ingest FILE`")
    spill = settings.data_dir / "tmp"
    with staged_progress() as progress:
        try:
            rating = Rating(ruleset, month, files, progress, threads, memory_limit, spill)
            try:
                if out is not None:
                    progress("write", 0, 1)
                    rating.write(out)
                    progress("write", 1, 1)
                count, customers, net = rating.totals()
            finally:
                rating.close()
        except duckdb.OutOfRangeException as error:
            raise UserError(f"rating {month.label} failed: a quantity times a price exceeds "
                            "the 38 digits batch rating computes in (over 10^20 with 18 "
                            "decimals); `bareme evaluate` prices such usage exactly. "
                            f"DuckDB said: {error}") from error
        except duckdb.Error as error:
            raise UserError(f"rating {month.label} failed: {error}") from error
    if out is None:
        _summary(rating.lines())
    click.echo(f"{month.label}: {_counted(count, 'line')}, {_counted(customers, 'customer')}, "
               f"net {format_amount(net)} {ruleset.manifest.currency}, rules "
               f"{ruleset.commit[:12]}" + (f" → {out}" if out else ""), err=True)
    for item in rating.unrated:
        click.echo(f"not rated: {item.records} record(s) of {item.metric!r}: {item.code}: "
                   f"{item.message}", err=True)
    if rating.unrated:
        raise UserError(f"{sum(u.records for u in rating.unrated)} stored record(s) were not "
                        "rated")


_ESCAPES = str.maketrans({"\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\"})


def _escaped(text: str) -> str:
    return text.translate(_ESCAPES)


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _summary(lines: Iterable[RatedLine]) -> None:
    """Print one tab-separated row per line on stdout (a tab or line end in an id escaped)."""
    for line in lines:
        click.echo("\t".join([_escaped(line.customer_id), line.rule_id, line.version,
                              line.component,
                              str(line.tier or ""), format_decimal(line.quantity),
                              format_decimal(line.unit_price), format_amount(line.amount)]))


COMMANDS = (rate,)
