"""TVA rule files of ``rulesets/tax_fr/``: territories, rates, EU rates, regimes.

Built per file, then checked across files: rates name known territories and are on the
legal list, no two rules give one (territory, category), postal prefixes are not claimed
twice, EU rates are for member states.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from engine.loading.context import LoadContext
from engine.loading.dated import build_versions, check_unique_ids, item_origin, parse_when
from engine.loading.yaml_nodes import PathKey
from engine.money import format_decimal
from engine.rules.conditions import REGIME_STAGES
from engine.rules.tax_fr import (
    EuRate,
    EuRateVersion,
    RateRule,
    RateVersion,
    Regime,
    RegimeVersion,
    Territory,
    TerritoryVersion,
)

__all__ = ["FRENCH_RATES", "build_eu_rates", "build_rates", "build_regimes",
           "build_territories", "finish_eu_rates", "finish_rates", "finish_regimes",
           "finish_territories"]

FRENCH_RATES = frozenset(Decimal(p) / 100 for p in (
    "0", "0.9", "1.05", "1.75", "2.1", "5.5", "7", "8.5", "9.2", "9.5", "9.6", "10", "13",
    "19.6", "20", "20.6"))
"""Rates French law has set since 1995: the French CTC schematron list, plus the 9.5 % of
Guadeloupe, Martinique and La Réunion in force until 2000-03-31 (needed for replay)."""

_EU_CODES = frozenset((
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "GB"))
"""Member states of the EU VAT area since 2000 (ISO codes; the United Kingdom until 2020)."""


def _items(ctx: LoadContext, filename: str, blob: str, data: dict[str, Any], key: str,
           build: Any) -> list[Any]:
    out = []
    for index, raw in enumerate(data[key]):
        pointer: PathKey = (key, index)
        if not isinstance(raw, dict) or not ctx.is_valid(filename, pointer):
            continue
        item = build(ctx, item_origin(ctx, filename, blob, pointer), raw)
        if item is not None:
            out.append(item)
    return out


def build_territories(ctx: LoadContext, filename: str, blob: str,
                      data: dict[str, Any]) -> list[Territory]:
    """Typed territories of one schema-valid file."""
    def one(ctx: LoadContext, origin: Any, raw: dict[str, Any]) -> Territory | None:
        versions = build_versions(ctx, origin, raw["versions"], TerritoryVersion)
        if versions is None:
            return None
        return Territory(id=raw["id"], label=raw["label"],
                         postal_prefixes=tuple(raw.get("postal_prefixes", ())),
                         default=raw.get("default", False), versions=versions, origin=origin)
    return _items(ctx, filename, blob, data, "territories", one)


def build_rates(ctx: LoadContext, filename: str, blob: str,
                data: dict[str, Any]) -> list[RateRule]:
    """Typed rate rules of one schema-valid file."""
    def one(ctx: LoadContext, origin: Any, raw: dict[str, Any]) -> RateRule | None:
        versions = build_versions(ctx, origin, raw["versions"], RateVersion)
        if versions is None:
            return None
        return RateRule(id=raw["id"], category=raw["category"],
                        territories=tuple(raw["territories"]), versions=versions, origin=origin)
    return _items(ctx, filename, blob, data, "rates", one)


def build_eu_rates(ctx: LoadContext, filename: str, blob: str,
                   data: dict[str, Any]) -> list[EuRate]:
    """Typed member-state rates of one schema-valid file."""
    def one(ctx: LoadContext, origin: Any, raw: dict[str, Any]) -> EuRate | None:
        versions = build_versions(ctx, origin, raw["versions"], EuRateVersion)
        if versions is None:
            return None
        return EuRate(id=raw["id"], country=raw["country"], versions=versions, origin=origin)
    return _items(ctx, filename, blob, data, "eu_rates", one)


def build_regimes(ctx: LoadContext, filename: str, blob: str,
                  data: dict[str, Any]) -> list[Regime]:
    """Typed regime rules of one schema-valid file, conditions checked."""
    def one(ctx: LoadContext, origin: Any, raw: dict[str, Any]) -> Regime | None:
        when = parse_when(ctx, filename, (*origin.pointer, "when"), raw.get("when"),
                          REGIME_STAGES, "tax")
        versions = build_versions(ctx, origin, raw["versions"], RegimeVersion)
        if versions is None:
            return None
        return Regime(id=raw["id"], label=raw["label"], when=when, versions=versions,
                      origin=origin)
    return _items(ctx, filename, blob, data, "regimes", one)


def finish_territories(ctx: LoadContext, items: Sequence[Territory],
                       finished: dict[str, Any]) -> tuple[Territory, ...]:
    """Unique ids, one default territory, no postal prefix claimed twice."""
    del finished
    check_unique_ids(ctx, items, "tax.territory.duplicate_id", "territory")
    claimed: dict[str, Territory] = {}
    for territory in items:
        for index, prefix in enumerate(territory.postal_prefixes):
            other = next((t for p, t in claimed.items()
                          if p.startswith(prefix) or prefix.startswith(p)), None)
            if other is not None and other is not territory:
                ctx.report_at(territory.origin, ("postal_prefixes", index),
                              "tax.territory.overlap",
                              f"postal prefix {prefix!r} overlaps territory {other.id!r}; "
                              "a postal code must select one territory")
            claimed[prefix] = territory
    defaults = [t for t in items if t.default]
    if items and len(defaults) != 1:
        where = defaults[1] if defaults else items[0]
        ctx.report_at(where.origin, ("default",), "tax.territory.default",
                      f"exactly one territory must be 'default: true' (the one of French "
                      f"postal codes no other claims); found {len(defaults)}")
    return tuple(items)


def finish_rates(ctx: LoadContext, items: Sequence[RateRule],
                 finished: dict[str, Any]) -> tuple[RateRule, ...]:
    """Known territories, legal rates, one rule per (territory, category)."""
    known = {t.id for t in finished.get("tax_territories", ())}
    check_unique_ids(ctx, items, "tax.rate.duplicate_id", "rate rule")
    owner: dict[tuple[str, str], RateRule] = {}
    for rule in items:
        for index, territory in enumerate(rule.territories):
            if territory not in known:
                ctx.report_at(rule.origin, ("territories", index), "tax.territory.unknown",
                              f"rate rule {rule.id!r} names territory {territory!r}, which is "
                              f"not in rulesets/tax_fr/territories.yaml; known: "
                              f"{', '.join(sorted(known)) or 'none'}")
            first = owner.setdefault((territory, rule.category), rule)
            if first is not rule:
                ctx.report_at(rule.origin, ("territories", index), "tax.rate.overlap",
                              f"the {rule.category} rate of {territory!r} is already given by "
                              f"rule {first.id!r} ({first.origin.path}:{first.origin.line}); "
                              "put successive rates in one rule as versions")
        for index, version in enumerate(rule.versions):
            if version.rate not in FRENCH_RATES:
                ctx.report_at(rule.origin, ("versions", index, "rate"), "tax.rate.not_legal",
                              f"rate {_percent(version.rate)} is not a French TVA rate; the "
                              f"legal list is: {', '.join(map(_percent, sorted(FRENCH_RATES)))}")
    return tuple(items)


def _percent(rate: Decimal) -> str:
    """``0.196`` as ``19.6 %``."""
    return f"{format_decimal(rate * 100)} %"


def finish_eu_rates(ctx: LoadContext, items: Sequence[EuRate],
                    finished: dict[str, Any]) -> tuple[EuRate, ...]:
    """Member states only, once each; the first version is a membership, not an exit."""
    del finished
    check_unique_ids(ctx, items, "tax.eu_rate.duplicate_id", "EU rate")
    seen: set[str] = set()
    for entry in items:
        if entry.country not in _EU_CODES:
            ctx.report_at(entry.origin, ("country",), "tax.eu_rate.not_member",
                          f"{entry.country!r} has not been an EU member state since 2000; "
                          f"expected one of {', '.join(sorted(_EU_CODES))}")
        if entry.country in seen:
            ctx.report_at(entry.origin, ("country",), "tax.eu_rate.duplicate_country",
                          f"{entry.country!r} already has an entry; put its rates in one "
                          "entry as versions")
        seen.add(entry.country)
    return tuple(items)


def _check_regime_versions(ctx: LoadContext, regimes: Sequence[Regime]) -> None:
    """Reverse charge and outside-scope versions name their category, reason and code."""
    for regime in regimes:
        for index, version in enumerate(regime.versions):
            needs = version.treatment in ("reverse_charge", "outside_scope")
            missing = [f for f in ("category", "exemption_reason", "exemption_code")
                       if needs and getattr(version, f) is None]
            if missing:
                ctx.report_at(regime.origin, ("versions", index, "treatment"),
                              "tax.regime.incomplete",
                              f"a {version.treatment} version must give "
                              f"{', '.join(missing)} (printed where no French TVA is charged)")


def finish_regimes(ctx: LoadContext, items: Sequence[Regime],
                   finished: dict[str, Any]) -> tuple[Regime, ...]:
    """Unique ids, complete versions."""
    del finished
    check_unique_ids(ctx, items, "tax.regime.duplicate_id", "regime")
    _check_regime_versions(ctx, items)
    return tuple(items)
