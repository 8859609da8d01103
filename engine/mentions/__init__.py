"""Legal mentions in force at the invoice date whose conditions hold, in print order."""

from __future__ import annotations

from datetime import date

from engine.customers import Customer
from engine.memo import Memo
from engine.mentions.facts import invoice_facts
from engine.mentions.render import render
from engine.results import Line, MentionResult, TaxLine
from engine.rules.conditions import holds
from engine.rules.dated import provenance_of, version_on
from engine.rules.ruleset import Ruleset
from engine.timeline import BillingPeriod

__all__ = ["select_mentions"]


def select_mentions(ruleset: Ruleset, customer: Customer, period: BillingPeriod,
                    lines: tuple[Line, ...], taxes: tuple[TaxLine, ...], *,
                    issue_date: date | None = None) -> tuple[MentionResult, ...]:
    """Mentions to print on the invoice issued on ``issue_date`` (default: end of period).

    A mention is printed when a version is in force at the issue date and both the
    mention's and that version's conditions hold.
    """
    del lines, taxes  # the regime, not the subtotals, decides the mentions
    if not ruleset.mentions:
        return ()
    issued = issue_date or period.last_day
    memo = ruleset.derived("mentions", lambda _: Memo[tuple[MentionResult, ...]]())
    return memo.get((customer, period.label, issued),
                    lambda: _select(ruleset, customer, period, issued))


def _select(ruleset: Ruleset, customer: Customer, period: BillingPeriod,
            issued: date) -> tuple[MentionResult, ...]:
    facts = invoice_facts(ruleset, customer, period, issued)
    chosen = []
    for mention in ruleset.mentions:
        version = version_on(mention.versions, issued)
        if version is None or not holds(mention.when + version.when, facts):
            continue
        chosen.append(MentionResult(id=mention.id, text=render(version.text, facts),
                                    provenance=provenance_of(mention, version, ruleset.commit)))
    return tuple(chosen)
