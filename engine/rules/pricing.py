"""Pricing rules: one frozen struct per model, tagged by the YAML ``model`` key.

A rule rates one metric (or, for ``percentage``, other rules' amounts) and holds dated
versions; each version is one of the models below. The meaning of each model, for a
customer's quantity Q of the rule in one billing period, is in CONTRACT.md and in the
module of the same name under :mod:`engine.pricing`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import msgspec

from engine.money import ZERO
from engine.rules.origin import Origin

__all__ = [
    "VAT_RATE_NAMES",
    "Discount",
    "Flat",
    "Graduated",
    "Override",
    "OverrideVersion",
    "Package",
    "PerUnit",
    "Percentage",
    "PricingRule",
    "PricingVersion",
    "Tier",
    "UseCatalogue",
    "Volume",
]

VAT_RATE_NAMES = ("normal", "intermediate", "reduced", "super_reduced")


class Tier(msgspec.Struct, frozen=True, kw_only=True):
    """One band of a graduated or volume price list."""

    up_to: Decimal | None
    """Upper bound (inclusive) of the band; ``None`` closes the list."""
    unit_price: Decimal
    """Price of one unit in this band, full precision."""
    flat_fee: Decimal = ZERO
    """Charged once when the quantity enters the band."""


class _Version(msgspec.Struct, frozen=True, kw_only=True, tag_field="model"):
    effective_from: date
    """First local date (ruleset time zone) on which this version is in force."""
    included: Decimal = ZERO
    """Free units per billing period, consumed first."""
    minimum: Decimal | None = None
    """Minimum charge per billing period for a customer who used the rule."""
    line: int = 0
    """Line of the version in its file."""


class PerUnit(_Version, frozen=True, kw_only=True, tag="per_unit"):
    """Q × unit_price."""

    unit_price: Decimal


class Graduated(_Version, frozen=True, kw_only=True, tag="graduated"):
    """Each band's units at that band's price; a band's flat fee once when entered."""

    tiers: tuple[Tier, ...]


class Volume(_Version, frozen=True, kw_only=True, tag="volume"):
    """All Q units at the price (plus flat fee) of the band that contains Q."""

    tiers: tuple[Tier, ...]


class Package(_Version, frozen=True, kw_only=True, tag="package"):
    """ceil(Q / size) × package_price."""

    size: Decimal
    package_price: Decimal


class Flat(_Version, frozen=True, kw_only=True, tag="flat"):
    """A recurring fee, once per billing period for a customer who used the rule."""

    fee: Decimal


class Percentage(_Version, frozen=True, kw_only=True, tag="percentage"):
    """rate × the amounts of the listed rules for the same customer and period."""

    rate: Decimal
    of: tuple[str, ...]


class Discount(_Version, frozen=True, kw_only=True, tag="discount"):
    """Override only: the catalogue price, less ``rate`` of it, shown as its own line."""

    rate: Decimal


class UseCatalogue(_Version, frozen=True, kw_only=True, tag="catalogue"):
    """Override only: from this date the catalogue rule applies again."""


PricingVersion = PerUnit | Graduated | Volume | Package | Flat | Percentage
OverrideVersion = PerUnit | Graduated | Volume | Package | Flat | Discount | UseCatalogue


class PricingRule(msgspec.Struct, frozen=True, kw_only=True):
    """A catalogue rule: what a metric costs, version by version."""

    id: str
    """Unique across the ruleset, e.g. ``compute.vcpu``."""
    metric: str | None = None
    """Usage metric rated by this rule; ``None`` for a ``percentage`` rule."""
    unit: str = ""
    """Unit of the metric as printed, e.g. ``vCPU-hour``."""
    label: str
    """French designation printed on invoices."""
    vat_rate: str = "normal"
    """TVA rate category: normal, intermediate, reduced or super_reduced."""
    where: tuple[tuple[str, str], ...] = ()
    """Attribute equalities a usage record must satisfy, e.g. ``(("region", "fr-par"),)``."""
    until: date | None = None
    """Local date from which the rule no longer applies (exclusive); ``None``: open."""
    versions: tuple[PricingVersion, ...]
    """Strictly increasing by ``effective_from``."""
    origin: Origin


class Override(msgspec.Struct, frozen=True, kw_only=True):
    """A customer-specific, versioned contract price or discount on one catalogue rule."""

    id: str
    customer_id: str
    rule: str
    """Id of the catalogue rule it overrides."""
    label: str | None = None
    """Designation of the contract (printed on discount lines)."""
    versions: tuple[OverrideVersion, ...]
    origin: Origin
