"""Legal mentions in force at the invoice date whose conditions hold, in print order."""

from __future__ import annotations

from engine.customers import Customer
from engine.results import Line, MentionResult, TaxLine
from engine.rules.ruleset import Ruleset
from engine.timeline import BillingPeriod

__all__ = ["select_mentions"]


def select_mentions(ruleset: Ruleset, customer: Customer, period: BillingPeriod,
                    lines: tuple[Line, ...], taxes: tuple[TaxLine, ...]
                    ) -> tuple[MentionResult, ...]:
    """Mentions to print; none until the ``mentions`` family is loaded."""
    del ruleset, customer, period, lines, taxes
    return ()
