"""Pricing rules and customer overrides: from schema-valid data to structs, with per-file checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import msgspec

from engine.loading.context import LoadContext
from engine.loading.yaml_nodes import PathKey
from engine.rules.origin import Origin
from engine.rules.pricing import Override, OverrideVersion, PricingRule, PricingVersion

__all__ = ["build_overrides", "build_rules"]


def build_rules(ctx: LoadContext, filename: str, blob: str,
                data: dict[str, Any]) -> list[PricingRule]:
    """Typed rules of one schema-valid pricing file; problems go to ``ctx``."""
    rules = []
    for index, raw in enumerate(data["rules"]):
        pointer: PathKey = ("rules", index)
        if not isinstance(raw, dict) or not isinstance(raw.get("versions"), list):
            continue
        origin = Origin(path=filename, line=ctx.line_of(filename, pointer), blob=blob,
                        pointer=pointer)
        versions = _versions(ctx, origin, raw["versions"], PricingVersion)
        if versions is None or not ctx.is_valid(filename, pointer):
            continue
        _check_metric(ctx, origin, raw)
        until = _until(ctx, origin, raw, versions)
        rules.append(PricingRule(
            id=raw["id"], metric=raw.get("metric"), unit=raw.get("unit", ""),
            label=raw["label"], vat_rate=raw.get("vat_rate", "normal"),
            where=tuple(sorted(raw.get("where", {}).items())), until=until,
            versions=versions, origin=origin))
    return rules


def build_overrides(ctx: LoadContext, filename: str, blob: str,
                    data: dict[str, Any]) -> list[Override]:
    """Typed overrides of one schema-valid overrides file; problems go to ``ctx``."""
    overrides = []
    for index, raw in enumerate(data["overrides"]):
        pointer: PathKey = ("overrides", index)
        if not isinstance(raw, dict) or not isinstance(raw.get("versions"), list):
            continue
        origin = Origin(path=filename, line=ctx.line_of(filename, pointer), blob=blob,
                        pointer=pointer)
        versions = _versions(ctx, origin, raw["versions"], OverrideVersion)
        if versions is None or not ctx.is_valid(filename, pointer):
            continue
        overrides.append(Override(id=raw["id"], customer_id=raw["customer_id"], rule=raw["rule"],
                                  label=raw.get("label"), versions=versions, origin=origin))
    return overrides


def _versions(ctx: LoadContext, origin: Origin, raws: list[dict[str, Any]],
              kind: Any) -> tuple[Any, ...] | None:
    versions = []
    previous: date | None = None
    ok = True
    for index, raw in enumerate(raws):
        sub: PathKey = ("versions", index)
        if not ctx.is_valid(origin.path, (*origin.pointer, *sub)):
            # Not built; its parts the schema passed are still checked, so that one
            # validation names every problem.
            _check_parts(ctx, origin, sub, raw)
            ok = False
            continue
        day = ctx.parse_date(origin.path, (*origin.pointer, *sub, "effective_from"),
                             raw["effective_from"])
        ok = _check_tiers(ctx, origin, sub, raw) and ok
        if day is None:
            ok = False
            continue
        if previous is not None and day <= previous:
            ctx.report_at(origin, (*sub, "effective_from"), "versions.not_increasing",
                          f"version {index + 1} of {origin_name(origin)} starts {day}, which is "
                          f"not after version {index} ({previous}); versions must be listed in "
                          "strictly increasing effective_from order")
            ok = False
        previous = day
        line = ctx.line_of(origin.path, (*origin.pointer, *sub))
        versions.append(msgspec.convert({**raw, "line": line}, kind))
    return tuple(versions) if ok else None


def origin_name(origin: Origin) -> str:
    """How a diagnostic names the item at ``origin``."""
    return "the rule" if origin.pointer[:1] == ("rules",) else "the override"


def _check_parts(ctx: LoadContext, origin: Origin, sub: PathKey, raw: object) -> None:
    """The date and tier checks of a version that failed its schema elsewhere."""
    if not isinstance(raw, dict):
        return
    day = (*origin.pointer, *sub, "effective_from")
    if isinstance(raw.get("effective_from"), str) and ctx.is_valid(origin.path, day):
        ctx.parse_date(origin.path, day, raw["effective_from"])
    if isinstance(raw.get("tiers"), list):
        _check_tiers(ctx, origin, sub, raw)


def _check_tiers(ctx: LoadContext, origin: Origin, sub: PathKey, raw: dict[str, Any]) -> bool:
    """Bounds ascending, only the last open; tiers the schema refused are left out."""
    tiers = raw.get("tiers") if raw.get("model") in ("graduated", "volume") else None
    if not tiers:
        return True
    ok = True
    previous: Decimal | None = None
    for index, tier in enumerate(tiers):
        where = (*sub, "tiers", index, "up_to")
        if not (isinstance(tier, dict) and "up_to" in tier
                and ctx.is_valid(origin.path, (*origin.pointer, *where))):
            continue
        bound = tier["up_to"]
        last = index == len(tiers) - 1
        if bound is None and not last:
            ctx.report_at(origin, where, "pricing.tiers.open_before_last",
                          f"tier {index + 1} has up_to: null but is not the last tier; only the "
                          "last tier may be open")
            ok = False
            continue
        if bound is None:
            continue
        value = Decimal(bound)
        if previous is not None and value <= previous:
            ctx.report_at(origin, where, "pricing.tiers.not_ascending",
                          f"tier {index + 1} 'up_to' must be greater than tier {index} "
                          f"('{previous}'); got '{bound}'")
            ok = False
        if last:
            ctx.report_at(origin, where, "pricing.tiers.last_not_open",
                          f"the last tier must have up_to: null so that every quantity is "
                          f"priced; got '{bound}'")
            ok = False
        previous = value
    return ok


def _check_metric(ctx: LoadContext, origin: Origin, raw: dict[str, Any]) -> None:
    models = {v.get("model") for v in raw["versions"]}
    if "percentage" in models and models != {"percentage"}:
        ctx.report_at(origin, ("versions",), "pricing.percentage.mixed",
                      f"rule {raw['id']!r} mixes percentage and usage-based versions; a "
                      "percentage rule rates other rules' amounts in every version")
    elif models == {"percentage"} and "metric" in raw:
        ctx.report_at(origin, ("metric",), "pricing.percentage.metric",
                      f"rule {raw['id']!r} is a percentage of other rules and must not rate a "
                      f"metric; remove 'metric: {raw['metric']}'")
    elif "percentage" not in models and "metric" not in raw:
        ctx.report_at(origin, ("id",), "pricing.metric.missing",
                      f"rule {raw['id']!r} has no 'metric'; every rule but a percentage rule "
                      "rates one usage metric")


def _until(ctx: LoadContext, origin: Origin, raw: dict[str, Any],
           versions: tuple[Any, ...]) -> date | None:
    if "until" not in raw:
        return None
    until = ctx.parse_date(origin.path, (*origin.pointer, "until"), raw["until"])
    if until is not None and until <= versions[0].effective_from:
        ctx.report_at(origin, ("until",), "rule.until_before_start",
                      f"until {until} must be after the first version's effective_from "
                      f"{versions[0].effective_from}")
    return until
