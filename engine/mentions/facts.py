"""Every fact a mention may test or print.

Customer, seller and terms at the issue date, the TVA regime at the tax point, and the
invoice's own dates.
"""

from __future__ import annotations

from datetime import date, timedelta

from engine.customers import Customer
from engine.money import format_decimal
from engine.rules.dated import version_on
from engine.rules.ruleset import Ruleset
from engine.tax_fr import decide_for
from engine.tax_fr.facts import Facts, customer_facts, french_date, seller_facts
from engine.tax_fr.tax_point import tax_date
from engine.timeline import BillingPeriod

__all__ = ["invoice_facts"]


def invoice_facts(ruleset: Ruleset, customer: Customer, period: BillingPeriod,
                  issued: date) -> Facts:
    """The facts of one invoice issued on ``issued``."""
    seller = ruleset.seller
    version = version_on(seller.versions, issued) if seller else None
    facts: Facts = {**customer_facts(ruleset.tax, customer, tax_date(period)),
                    **seller_facts(version)}
    due = issued + timedelta(days=version.terms.due_days) if version else None
    facts.update({
        "invoice.issue_date": french_date(issued),
        "invoice.due_date": french_date(due) if due else None,
        "invoice.period_start": french_date(period.start.date()),
        "invoice.period_end": french_date(period.last_day),
        "invoice.tax_point": french_date(tax_date(period)),
        "invoice.operations": "services",
    })
    facts.update(_tax_facts(ruleset, customer, period))
    return facts


def _tax_facts(ruleset: Ruleset, customer: Customer, period: BillingPeriod) -> Facts:
    decision = decide_for(ruleset, customer, period)
    if decision is None:
        return {}
    rate = decision.eu_rate_version.rate if decision.eu_rate_version else None
    status = decision.territory_version
    reason = decision.version.exemption_reason or (
        status.exemption_reason if status and not status.applies else None)
    return {
        "tax.regime": decision.regime.id, "tax.treatment": decision.treatment,
        "tax.territory": decision.territory.id if decision.territory else None,
        "tax.country": decision.eu_rate.country if decision.eu_rate else None,
        "tax.rate": f"{format_decimal(rate * 100).replace('.', ',')} %" if rate else None,
        "tax.exemption_reason": reason,
    }
