"""``bareme demo``: the main job on the embedded defaults.

Generates sample customers and a month of usage when none exist, evaluates every
customer against the repository's rules at HEAD, and prints a summary.
"""

from __future__ import annotations

import sys
import time
from decimal import Decimal

import click
from rich.console import Console
from rich.table import Table

from bareme.evaluation import evaluate_files
from bareme.sample import write_sample
from bareme.settings import Settings
from engine.money import ZERO, format_amount, format_decimal
from engine.results import Evaluation
from engine.store.access import RuleAccess
from engine.timeline import parse_period

__all__ = ["COMMANDS"]

DEMO_PERIOD = "2026-10"


@click.command()
@click.option("--period", default=DEMO_PERIOD, show_default=True, metavar="YYYY-MM",
              help="Month of the sample usage.")
@click.option("--rev", default="HEAD", show_default=True, metavar="REV",
              help="Rules commit to evaluate against.")
@click.pass_obj
def demo(settings: Settings, period: str, rev: str) -> None:
    """Generate sample data if needed, evaluate it, and print a summary."""
    console = Console(width=None if sys.stdout.isatty() else 110)
    started = time.perf_counter()
    access = RuleAccess(str(settings.repo))
    ruleset = access.ruleset(rev)
    month = parse_period(period, ruleset.zone)
    customers, usage = write_sample(settings.data_dir / "sample", month)
    console.print(f"[bold]Barème[/bold] — rules {ruleset.commit[:12]} ({settings.repo}), "
                  f"period {month.label} ({ruleset.manifest.timezone})")
    console.print(f"customers: {customers}\nusage:     {usage}")
    result = evaluate_files(ruleset, [usage], customers, period)
    table = Table(title=f"Evaluation of {month.label}")
    for header in ("customer", "lines", "net HT", "TVA", "TTC", "catégorie", "digest"):
        table.add_column(header, justify="right" if header in ("lines", "net HT", "TVA", "TTC")
                         else "left")
    net = tax = ZERO
    for evaluation in result.evaluations:
        totals = evaluation.totals
        net, tax = net + totals.net, tax + totals.tax
        table.add_row(evaluation.customer_id, str(len(evaluation.lines)),
                      _euros(totals.net), _euros(totals.tax), _euros(totals.gross),
                      _regime(evaluation), evaluation.usage_digest[7:19])
    table.add_section()
    table.add_row("total", "", _euros(net), _euros(tax), _euros(net + tax), "", "")
    console.print(table)
    records = sum(e.usage_count for e in result.evaluations)
    console.print(f"{records} usage records, {len(result.evaluations)} customers, "
                  f"{time.perf_counter() - started:.2f} s")


def _regime(evaluation: Evaluation) -> str:
    """The TVA categories and rates applied, e.g. ``S 20 %``, ``AE`` or ``S 21 % BE``."""
    regime = dict(evaluation.extra).get("tax")
    country = regime.get("country") if isinstance(regime, dict) else None
    rates = [t.category if t.category != "S" else f"S {format_decimal(t.rate * 100)} %"
             for t in evaluation.taxes]
    return " ".join([*rates, country or ""]).strip()


def _euros(amount: Decimal) -> str:
    return f"{format_amount(amount)} €"


COMMANDS = (demo,)
