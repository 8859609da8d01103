"""Commands on the rules themselves: validate, versions, diff."""

from __future__ import annotations

import click
import msgspec

from bareme.errors import UserError
from bareme.settings import Settings
from engine.compare import compare_rulesets
from engine.diagnostics import DiagnosticsError
from engine.store.access import RuleAccess

__all__ = ["COMMANDS"]


@click.command()
@click.option("--rev", metavar="REV", help="Commit, branch or tag (default: the working tree).")
@click.pass_obj
def validate(settings: Settings, rev: str | None) -> None:
    """Check the rules; print every problem as path:line:column: code: message."""
    access = RuleAccess(str(settings.repo))
    source = access.source(rev, worktree=True)
    ruleset, problems = access.cache.load(source)
    if ruleset is None:
        raise DiagnosticsError(problems)
    where = "working tree" if rev is None else f"{rev} ({ruleset.commit[:12]})"
    click.echo(f"ok: {len(ruleset.rules)} rules, {len(ruleset.overrides)} overrides, "
               f"{sum(len(v) for v in ruleset.extensions.values())} other rules in {where}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--rev", default="HEAD", show_default=True, metavar="REV")
@click.pass_obj
def versions(settings: Settings, as_json: bool, rev: str) -> None:
    """List ruleset versions: commit, date, author, subject."""
    found = RuleAccess(str(settings.repo)).store.versions(rev)
    if as_json:
        data = [{"commit": c.commit, "date": c.date.isoformat(), "author": c.author,
                 "subject": c.subject} for c in found]
        click.echo(msgspec.json.format(msgspec.json.encode(data), indent=2))
        return
    for c in found:
        click.echo(f"{c.commit}  {c.date.isoformat()}  {c.author:<20}  {c.subject}")


@click.command()
@click.argument("base")
@click.argument("head")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def diff(settings: Settings, base: str, head: str, as_json: bool) -> None:
    """What changed between two commits, rule by rule and version by version."""
    for name, rev in (("BASE", base), ("HEAD", head)):
        if not rev.strip():
            raise UserError(f"{name} is empty; give a commit SHA, a branch or a tag")
    access = RuleAccess(str(settings.repo))
    changes = compare_rulesets(access.ruleset(base), access.ruleset(head))
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(changes), indent=2))
        return
    if not changes:
        click.echo("no rule changes")
    for change in changes:
        click.echo(change.describe())


COMMANDS = (validate, versions, diff)
