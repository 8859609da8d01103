"""French TVA rules: territories, rates by category, EU standard rates, regimes.

Each is an item with an ``id`` and dated ``versions``, each version with its legal
reference, so that an auditor sees which law every rate came from and ``bareme diff``
shows changes rule by rule.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import msgspec

from engine.rules.conditions import Condition
from engine.rules.dated import LegalReference, version_on
from engine.rules.origin import Origin

__all__ = ["EuRate", "EuRateVersion", "RateRule", "RateVersion", "Regime", "RegimeVersion",
           "TaxRules", "Territory", "TerritoryVersion"]


class TerritoryVersion(msgspec.Struct, frozen=True, kw_only=True):
    """Whether TVA applies in a territory from a date."""

    effective_from: date
    """First local date (ruleset time zone) on which this version holds."""
    applies: bool
    """``False`` where TVA is not applicable (Guyane, Mayotte: CGI art. 294-1)."""
    exemption_reason: str | None = None
    """Text printed when TVA does not apply."""
    exemption_code: str | None = None
    """VATEX code when TVA does not apply."""
    category: str = "S"
    """EN 16931 category of operations taxed (or not) in the territory."""
    reference: LegalReference
    """The legal text this version comes from."""
    line: int = 0
    """Line of the version in its file."""


class Territory(msgspec.Struct, frozen=True, kw_only=True):
    """A French TVA territory, recognised by the customer's postal code."""

    id: str
    """E.g. ``fr.metropole``, ``fr.reunion``."""
    label: str
    """French name, as read by people."""
    postal_prefixes: tuple[str, ...] = ()
    """Postal code prefixes of the territory; empty for the default territory."""
    default: bool = False
    """The territory of a French postal code no other territory claims."""
    versions: tuple[TerritoryVersion, ...]
    """Dated versions, strictly increasing by ``effective_from``."""
    origin: Origin
    """Where the rule is written."""


class RateVersion(msgspec.Struct, frozen=True, kw_only=True):
    """A TVA rate from a date, and the law that set it."""

    effective_from: date
    """First local date (ruleset time zone) on which this version holds."""
    rate: Decimal
    """E.g. ``0.196``."""
    reference: LegalReference
    """The legal text this version comes from."""
    line: int = 0
    """Line of the version in its file."""


class RateRule(msgspec.Struct, frozen=True, kw_only=True):
    """The rate of one category (normal, intermediate…) in some territories, over time."""

    id: str
    """Stable id, e.g. ``fr.normal``."""
    category: str
    """normal, intermediate, reduced or super_reduced (the pricing rules' ``vat_rate``)."""
    territories: tuple[str, ...]
    """Ids of the territories this rate applies in."""
    versions: tuple[RateVersion, ...]
    """Dated versions, strictly increasing by ``effective_from``."""
    origin: Origin
    """Where the rule is written."""


class EuRateVersion(msgspec.Struct, frozen=True, kw_only=True):
    """A member state's standard VAT rate from a date."""

    effective_from: date
    """First local date (ruleset time zone) on which this version holds."""
    rate: Decimal | None = None
    """Standard rate; ``None`` before 2015-01-01 (never applied) and after an exit."""
    member: bool = True
    """Whether the state is in the EU VAT area from this date."""
    reference: LegalReference
    """The legal text this version comes from."""
    line: int = 0
    """Line of the version in its file."""


class EuRate(msgspec.Struct, frozen=True, kw_only=True):
    """One EU member state: its membership and standard rate over time."""

    id: str
    """E.g. ``eu.be``."""
    country: str
    """ISO 3166-1 alpha-2 code, e.g. ``BE``."""
    versions: tuple[EuRateVersion, ...]
    """Dated versions, strictly increasing by ``effective_from``."""
    origin: Origin
    """Where the rule is written."""


class RegimeVersion(msgspec.Struct, frozen=True, kw_only=True):
    """What a regime does from a date."""

    effective_from: date
    """First local date (ruleset time zone) on which this version holds."""
    treatment: str
    """``french_vat`` (French TVA at the territory's rate), ``reverse_charge``,
    ``destination`` (the customer's member state's rate) or ``outside_scope``."""
    category: str | None = None
    """EN 16931 category for ``reverse_charge`` (AE) and ``outside_scope`` (O, G…)."""
    exemption_reason: str | None = None
    """Text of the exemption (BT-120) when no French TVA is charged."""
    exemption_code: str | None = None
    """VATEX code (BT-121), e.g. ``VATEX-EU-AE``."""
    reason: str
    """Why this regime applies, in French, put in the evaluation for the reader."""
    reference: LegalReference
    """The legal text this version comes from."""
    line: int = 0
    """Line of the version in its file."""


class Regime(msgspec.Struct, frozen=True, kw_only=True):
    """A regime rule: the first whose conditions hold and which is in force applies."""

    id: str
    """Stable id, e.g. ``fr.normal``."""
    label: str
    """French name, as read by people."""
    when: tuple[Condition, ...]
    """Conditions on customer and seller facts, all of which must hold."""
    versions: tuple[RegimeVersion, ...]
    """Dated versions, strictly increasing by ``effective_from``."""
    origin: Origin
    """Where the rule is written."""


class TaxRules(msgspec.Struct, frozen=True, kw_only=True):
    """All TVA rules of a ruleset."""

    territories: tuple[Territory, ...] = ()
    """French TVA territories."""
    rates: tuple[RateRule, ...] = ()
    """Rates by category and territory."""
    eu_rates: tuple[EuRate, ...] = ()
    """Other member states' membership and standard rate."""
    regimes: tuple[Regime, ...] = ()
    """In priority order."""

    def territory(self, territory_id: str) -> Territory | None:
        """The territory with this id."""
        return next((t for t in self.territories if t.id == territory_id), None)

    def rate_rule(self, territory_id: str, category: str) -> RateRule | None:
        """The rule giving ``category``'s rate in ``territory_id``."""
        return next((r for r in self.rates
                     if r.category == category and territory_id in r.territories), None)

    def eu_rate(self, country: str) -> EuRate | None:
        """The member state table entry of ``country``."""
        return next((e for e in self.eu_rates if e.country == country), None)

    def is_member(self, country: str, day: date) -> bool:
        """Whether ``country`` is in the EU VAT area on ``day`` per the table."""
        entry = self.eu_rate(country)
        if entry is None:
            return False
        version = version_on(entry.versions, day)
        return version is not None and version.member
