"""A whole ruleset at one commit: manifest, pricing rules, overrides, TVA, seller, mentions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from types import MappingProxyType
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import msgspec

from engine.rules.mentions import Mention
from engine.rules.metrics import Metric
from engine.rules.pricing import Override, PricingRule
from engine.rules.seller import Seller
from engine.rules.tax_fr import TaxRules

__all__ = ["Manifest", "Ruleset"]

T = TypeVar("T")


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    """``rulesets/ruleset.yaml``: what every rule of the set shares."""

    timezone: str = "Europe/Paris"
    """IANA zone of every local date in the ruleset, and of billing periods."""
    currency: str = "EUR"
    """ISO 4217 code of every amount."""
    name: str = ""
    """Human name of the catalogue."""


class Ruleset(msgspec.Struct, frozen=True, kw_only=True, dict=True):
    """Every rule of a rules repository at one commit, validated and typed.

    A ruleset is immutable and shared by every evaluation at its commit, so what is
    derived from it (the time zone, the TVA rules, the indexes of :func:`derived`) is
    computed once and kept on the instance, outside its fields.
    """

    commit: str
    """40-hex commit SHA, or ``WORKTREE`` for uncommitted files."""
    manifest: Manifest
    rules: tuple[PricingRule, ...]
    """Catalogue rules in file order."""
    overrides: tuple[Override, ...] = ()
    extensions: MappingProxyType[str, Any] = MappingProxyType({})
    """Typed rule families loaded beside pricing (TVA, seller, mentions), by name."""

    def derived(self, name: str, build: Callable[[Ruleset], T]) -> T:
        """``build(self)``, computed on first use and kept with the ruleset under ``name``."""
        cache, key = self.__dict__, f"derived:{name}"  # apart from cached properties
        if key not in cache:
            cache[key] = build(self)
        return cache[key]  # type: ignore[no-any-return]

    @cached_property
    def zone(self) -> ZoneInfo:
        """The ruleset's time zone."""
        return ZoneInfo(self.manifest.timezone)

    @cached_property
    def tax(self) -> TaxRules:
        """The TVA rules (``rulesets/tax_fr/``); empty when the ruleset has none."""
        ext = self.extensions
        return TaxRules(territories=tuple(ext.get("tax_territories", ())),
                        rates=tuple(ext.get("tax_rates", ())),
                        eu_rates=tuple(ext.get("tax_eu_rates", ())),
                        regimes=tuple(ext.get("tax_regimes", ())))

    @cached_property
    def seller(self) -> Seller | None:
        """The seller (``rulesets/seller.yaml``), if described."""
        found: tuple[Seller, ...] = tuple(self.extensions.get("seller", ()))
        return found[0] if found else None

    @cached_property
    def metrics(self) -> Mapping[str, Metric]:
        """Declared metrics (``rulesets/metrics.yaml``) by id, with their units."""
        return MappingProxyType({m.id: m for m in self.extensions.get("metrics", ())})

    @cached_property
    def mentions(self) -> tuple[Mention, ...]:
        """Legal mentions (``legal_mentions/``), in print order."""
        return tuple(self.extensions.get("mentions", ()))
