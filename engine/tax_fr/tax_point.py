"""The tax point (*fait générateur*) that selects the TVA rules of a billing period.

For a continuous service billed per period, the tax point is the end of each period
(CGI art. 269-1-a: services giving rise to successive statements are taxable at the
expiry of the period each statement covers). The rate is the one in force at the tax
point, for the whole period: a period that straddles a rate change is taxed entirely at
the new rate when the change falls inside it. Pricing, by contrast, follows each usage
record's own timestamp.
"""

from __future__ import annotations

from datetime import date

from engine.timeline import BillingPeriod

__all__ = ["tax_date"]


def tax_date(period: BillingPeriod) -> date:
    """Local date of the tax point: the last day of the period.

    >>> from zoneinfo import ZoneInfo
    >>> from engine.timeline import parse_period
    >>> tax_date(parse_period("2013-12", ZoneInfo("Europe/Paris")))
    datetime.date(2013, 12, 31)
    """
    return period.last_day
