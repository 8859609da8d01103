"""French TVA: which regime applies, at which tax point, at which rate.

This stage receives the priced lines and returns them with their VAT category and rate,
plus the per-(category, rate) tax subtotals. Until TVA rules are loaded (``tax_fr``
family), no tax is computed.
"""

from __future__ import annotations

from engine.customers import Customer
from engine.results import Line, TaxLine
from engine.rules.ruleset import Ruleset
from engine.timeline import BillingPeriod

__all__ = ["TaxOutcome", "apply_taxes"]

TaxOutcome = tuple[tuple[Line, ...], tuple[TaxLine, ...], tuple[tuple[str, object], ...]]


def apply_taxes(ruleset: Ruleset, customer: Customer, period: BillingPeriod,
                lines: tuple[Line, ...]) -> TaxOutcome:
    """Lines with their TVA, the tax subtotals, and extra keys for the result."""
    del ruleset, customer, period
    return lines, (), ()
