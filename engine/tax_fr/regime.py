"""Which TVA regime applies to a customer at a tax point.

The first regime rule in force whose conditions hold applies; for French TVA, the
customer's territory decides whether TVA applies and at which rates.
"""

from __future__ import annotations

from datetime import date

import msgspec

from engine.customers import FRENCH_TVA_COUNTRIES, Customer, postal_code_problem
from engine.diagnostics import Diagnostic, DiagnosticsError
from engine.rules.conditions import holds
from engine.rules.dated import version_on
from engine.rules.ruleset import Ruleset
from engine.rules.seller import SellerVersion
from engine.rules.tax_fr import (
    EuRate,
    EuRateVersion,
    Regime,
    RegimeVersion,
    Territory,
    TerritoryVersion,
)
from engine.tax_fr.facts import Facts, customer_facts, seller_facts
from engine.tax_fr.territory import territory_of

__all__ = ["Decision", "decide"]


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """The regime chosen for one customer at one tax point, and why."""

    day: date
    """Local date of the tax point."""
    regime: Regime
    """The regime rule chosen."""
    version: RegimeVersion
    """Its version in force at the tax point."""
    treatment: str
    """The version's treatment, or ``not_applicable`` for French TVA in a territory where
    TVA does not apply (Guyane, Mayotte)."""
    territory: Territory | None = None
    """Territory whose French rates apply (``french_vat``, ``not_applicable``)."""
    territory_version: TerritoryVersion | None = None
    """The territory's version in force."""
    eu_rate: EuRate | None = None
    """Member state whose standard rate applies (``destination``)."""
    eu_rate_version: EuRateVersion | None = None
    """The member state's version in force."""
    facts: tuple[tuple[str, str | None], ...] = ()
    """Customer and seller facts the conditions were evaluated on."""


def decide(ruleset: Ruleset, customer: Customer, day: date,
           seller: SellerVersion | None) -> Decision:
    """The regime of ``customer`` on ``day``, or :class:`DiagnosticsError` saying why none."""
    rules = ruleset.tax
    facts: Facts = {**customer_facts(rules, customer, day), **seller_facts(seller)}
    for regime in rules.regimes:
        version = version_on(regime.versions, day)
        if version is not None and holds(regime.when, facts):
            return _complete(ruleset, customer, seller, Decision(
                day=day, regime=regime, version=version, treatment=version.treatment,
                facts=tuple(sorted(facts.items()))))
    raise _error(ruleset, "tax.regime.none",
                 f"no TVA regime in force on {day} applies to customer {customer.id!r} "
                 f"(kind {customer.kind}, country {customer.country}, area "
                 f"{facts['customer.area']}, VAT number {facts['customer.vat_number_status']})")


def _complete(ruleset: Ruleset, customer: Customer, seller: SellerVersion | None,
              decision: Decision) -> Decision:
    rules = ruleset.tax
    if decision.treatment == "destination":
        entry = rules.eu_rate(customer.country)
        version = version_on(entry.versions, decision.day) if entry else None
        if entry is None or version is None or version.rate is None:
            raise _error(ruleset, "tax.eu_rate.none_in_force",
                         f"no standard VAT rate of {customer.country} in force on "
                         f"{decision.day} in rulesets/tax_fr/eu_rates.yaml")
        return msgspec.structs.replace(decision, eu_rate=entry, eu_rate_version=version)
    if decision.treatment != "french_vat":
        return decision
    # French TVA: the customer's territory, or the seller's for a customer taxed in France
    # from abroad (place of supply at the seller's establishment).
    if problem := postal_code_problem(customer.country, customer.postal_code):
        # A customer stored before this check, or built without it: never a guess.
        raise _error(ruleset, "tax.territory.postal_code", f"customer {customer.id!r}: "
                     f"{problem}")
    postal = customer.postal_code if customer.country in FRENCH_TVA_COUNTRIES else (
        seller.postal_code if seller else "")
    territory = territory_of(rules, postal)
    status = version_on(territory.versions, decision.day) if territory else None
    if territory is None or status is None:
        raise _error(ruleset, "tax.territory.none",
                     f"no TVA territory in force on {decision.day} for postal code {postal!r}")
    treatment = "french_vat" if status.applies else "not_applicable"
    return msgspec.structs.replace(decision, territory=territory, territory_version=status,
                                   treatment=treatment)


def _error(ruleset: Ruleset, code: str, message: str) -> DiagnosticsError:
    regimes = ruleset.tax.regimes
    path = regimes[0].origin.path if regimes else "rulesets/tax_fr/regimes.yaml"
    return DiagnosticsError([Diagnostic(path=path, line=1, column=1, code=code,
                                        message=message)])
