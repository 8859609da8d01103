"""A whole ruleset at one commit: manifest, pricing rules, overrides, TVA, seller, mentions."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from engine.rules.mentions import Mention
from engine.rules.pricing import Override, PricingRule
from engine.rules.seller import Seller
from engine.rules.tax_fr import TaxRules

__all__ = ["Manifest", "Ruleset"]


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    """``rulesets/ruleset.yaml``: what every rule of the set shares."""

    timezone: str = "Europe/Paris"
    """IANA zone of every local date in the ruleset, and of billing periods."""
    currency: str = "EUR"
    """ISO 4217 code of every amount."""
    name: str = ""
    """Human name of the catalogue."""


class Ruleset(msgspec.Struct, frozen=True, kw_only=True):
    """Every rule of a rules repository at one commit, validated and typed."""

    commit: str
    """40-hex commit SHA, or ``WORKTREE`` for uncommitted files."""
    manifest: Manifest
    rules: tuple[PricingRule, ...]
    """Catalogue rules in file order."""
    overrides: tuple[Override, ...] = ()
    extensions: MappingProxyType[str, Any] = MappingProxyType({})
    """Typed rule families loaded beside pricing (TVA, seller, mentions), by name."""

    @property
    def zone(self) -> ZoneInfo:
        """The ruleset's time zone."""
        return ZoneInfo(self.manifest.timezone)

    @property
    def tax(self) -> TaxRules:
        """The TVA rules (``rulesets/tax_fr/``); empty when the ruleset has none."""
        ext = self.extensions
        return TaxRules(territories=tuple(ext.get("tax_territories", ())),
                        rates=tuple(ext.get("tax_rates", ())),
                        eu_rates=tuple(ext.get("tax_eu_rates", ())),
                        regimes=tuple(ext.get("tax_regimes", ())))

    @property
    def seller(self) -> Seller | None:
        """The seller (``rulesets/seller.yaml``), if described."""
        found: tuple[Seller, ...] = tuple(self.extensions.get("seller", ()))
        return found[0] if found else None

    @property
    def mentions(self) -> tuple[Mention, ...]:
        """Legal mentions (``legal_mentions/``), in print order."""
        return tuple(self.extensions.get("mentions", ()))
