"""The ruleset as small tables for the rating query: time buckets, routes, models, tiers.

A period is cut at every instant where something could change for some record: a rule
version, a rule's end, an override version. Inside one bucket every record of a
(customer, rule) is priced by the same version, so records can be summed per bucket
before pricing; see docs/batch.md for why that gives the per-record result exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from batch.normalise import QUANTITY_SCALE
from engine.diagnostics import Diagnostic, DiagnosticsError
from engine.rating import RuleTimeline
from engine.rules.pricing import (
    Discount,
    Flat,
    Graduated,
    Override,
    Package,
    Percentage,
    PerUnit,
    PricingRule,
    Volume,
)
from engine.rules.ruleset import Ruleset
from engine.timeline import BillingPeriod, local_midnight

__all__ = ["AMOUNT", "QTY", "Plan", "build_plan", "is_percentage"]

QTY = "DECIMAL(38, 9)"
"""SQL type of quantities and prices."""
AMOUNT = "DECIMAL(38, 18)"
"""SQL type of unrounded amounts: a quantity times a price."""

_MAX_DIGITS = 15
"""Integer digits allowed in a price, size or bound, so products fit ``DECIMAL(38, 18)``."""


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    """What the rating query joins to: all small, built once per run."""

    period: BillingPeriod
    starts: tuple[datetime, ...]
    """First instant of each bucket; bucket ``i`` is ``[starts[i], starts[i + 1])``."""
    metric_cuts: dict[str, tuple[int, ...]]
    """Buckets where something changes for a metric's rules. A record of the metric goes
    to the last of these at or before its instant (0 when none): a coarser bucket, named
    by the index of its first instant, over which nothing changes for the metric."""
    metrics: tuple[str, ...]
    """Metrics some rule rates."""
    where_keys: tuple[str, ...]
    """Attributes some rule's ``where`` tests: the query groups by them."""
    models: list[tuple[Any, ...]]
    """(model_id, tag, included, unit_price, size, package_price, fee, whole_size): the
    last is the package size as an integer, when it is one."""
    tiers: list[tuple[Any, ...]]
    """(model_id, tier, floor, ceiling, unit_price, flat_fee)."""
    prices: list[tuple[Any, ...]]
    """(customer_id or None, rule position, bucket, version, price_override,
    discount_override, override position, model_id): the model of each rule in each
    bucket, and of each override."""


def build_plan(ruleset: Ruleset, period: BillingPeriod) -> Plan:
    """The tables of ``ruleset`` for ``period``; refuses values that would not fit exactly."""
    _check_scales(ruleset)
    zone = ruleset.zone
    cuts: set[datetime] = set()
    for rule in ruleset.rules:
        cuts.update(local_midnight(v.effective_from, zone) for v in rule.versions)
        if rule.until:
            cuts.add(local_midnight(rule.until, zone))
    for override in ruleset.overrides:
        cuts.update(local_midnight(v.effective_from, zone) for v in override.versions)
    inside = sorted(c for c in cuts if period.start < c < period.end)
    starts = (period.start, *inside)
    models: list[tuple[Any, ...]] = []
    tiers: list[tuple[Any, ...]] = []
    prices: list[tuple[Any, ...]] = []
    ids: dict[int, int] = {}

    def model_id(version: Any) -> int:
        if id(version) not in ids:
            ids[id(version)] = len(ids)
            models.append(_model_row(len(ids) - 1, version))
            tiers.extend(_tier_rows(len(ids) - 1, version))
        return ids[id(version)]

    position = {rule.id: i for i, rule in enumerate(ruleset.rules)}
    for ri, rule in enumerate(ruleset.rules):
        if rule.metric is None:
            continue
        timeline = RuleTimeline(rule, None, zone)
        for bucket, start in enumerate(starts):
            index = timeline.base_at(start)
            if index is not None:
                prices.append((None, ri, bucket, index, None, None, None,
                               model_id(rule.versions[index])))
    for ovr, override in enumerate(ruleset.overrides):
        ri = position[override.rule]
        rule = ruleset.rules[ri]
        if rule.metric is not None:
            prices.extend((override.customer_id, ri, *row[:4], ovr, row[4])
                          for row in _override_rows(rule, override, starts, ruleset, model_id))
    keys = sorted({key for rule in ruleset.rules for key, _ in rule.where})
    return Plan(period=period, starts=starts, metric_cuts=_metric_cuts(ruleset, starts),
                metrics=tuple(sorted({r.metric for r in ruleset.rules if r.metric})),
                where_keys=tuple(keys), models=models,
                tiers=tiers, prices=prices)


def _metric_cuts(ruleset: Ruleset, starts: tuple[datetime, ...]
                 ) -> dict[str, tuple[int, ...]]:
    """For each metric, the buckets where its rules change.

    A rule changes where one of its versions, its end, an override of it, or a
    percentage rule taking it (directly or through another percentage) changes.
    """
    zone = ruleset.zone
    index = {start: i for i, start in enumerate(starts)}

    def days(owner: PricingRule | Override) -> set[datetime]:
        found = {local_midnight(v.effective_from, zone) for v in owner.versions}
        if isinstance(owner, PricingRule) and owner.until:
            found.add(local_midnight(owner.until, zone))
        return found

    changes: dict[str, set[datetime]] = {r.id: days(r) for r in ruleset.rules}
    for override in ruleset.overrides:
        changes[override.rule] |= days(override)
    edges = [(rule.id, ref) for rule in ruleset.rules for version in rule.versions
             if isinstance(version, Percentage) for ref in version.of]
    grew = True
    while grew:  # the loader refused cycles, so this ends
        grew = False
        for taker, ref in edges:
            if not changes[taker] <= changes[ref]:
                changes[ref] |= changes[taker]
                grew = True
    cuts: dict[str, set[int]] = {}
    for rule in ruleset.rules:
        if rule.metric is not None:
            cuts.setdefault(rule.metric, set()).update(
                index[c] for c in changes[rule.id] if c in index and index[c] > 0)
    return {metric: tuple(sorted(found)) for metric, found in cuts.items() if found}


def _override_rows(rule: PricingRule, override: Override, starts: tuple[datetime, ...],
                   ruleset: Ruleset, model_id: Any) -> Iterator[tuple[Any, ...]]:
    timeline = RuleTimeline(rule, override, ruleset.zone)
    for bucket, start in enumerate(starts):
        base, chosen = timeline.base_at(start), timeline.override_at(start)
        if base is None or chosen is None:
            continue
        version = override.versions[chosen]
        if isinstance(version, Discount):
            yield bucket, base, None, chosen, model_id(rule.versions[base])
        else:
            yield bucket, base, chosen, None, model_id(version)


def _model_row(model: int, version: Any) -> tuple[Any, ...]:
    tag = type(version).__struct_config__.tag
    return (model, tag, version.included,
            version.unit_price if isinstance(version, PerUnit) else None,
            version.size if isinstance(version, Package) else None,
            version.package_price if isinstance(version, Package) else None,
            version.fee if isinstance(version, Flat) else None,
            _whole(version.size) if isinstance(version, Package) else None)


def _whole(size: Decimal) -> int | None:
    """``size`` as an integer, when it is one and fits 62 bits.

    >>> _whole(Decimal("100")), _whole(Decimal("2.5"))
    (100, None)
    """
    return int(size) if size == size.to_integral_value() and size < 2**62 else None


def _tier_rows(model: int, version: Any) -> Iterator[tuple[Any, ...]]:
    if not isinstance(version, Graduated | Volume):
        return
    floor = Decimal(0)
    for index, tier in enumerate(version.tiers, start=1):
        yield model, index, floor, tier.up_to, tier.unit_price, tier.flat_fee
        floor = tier.up_to if tier.up_to is not None else floor


def _check_scales(ruleset: Ruleset) -> None:
    """Every number the query multiplies must fit ``DECIMAL(38, 9)`` without rounding."""
    problems = []
    owners: list[PricingRule | Override] = [*ruleset.rules, *ruleset.overrides]
    for owner in owners:
        for version in owner.versions:
            for name, value in _numbers(version):
                exponent = value.as_tuple().exponent
                digits = value.adjusted() + 1
                if (isinstance(exponent, int) and -exponent > QUANTITY_SCALE) or \
                        digits > _MAX_DIGITS:
                    problems.append(Diagnostic(
                        path=owner.origin.path, line=version.line, column=0,
                        code="batch.number_scale",
                        message=f"{name} {value} of {owner.id!r} needs more than "
                                f"{QUANTITY_SCALE} decimals or {_MAX_DIGITS} digits; batch "
                                "rating refuses what it could not compute exactly"))
    if problems:
        raise DiagnosticsError(problems)


def _numbers(version: Any) -> Iterator[tuple[str, Decimal]]:
    for name in ("included", "minimum", "unit_price", "size", "package_price", "fee", "rate"):
        value = getattr(version, name, None)
        if isinstance(value, Decimal):
            yield name, value
    for tier in getattr(version, "tiers", ()):
        yield from ((n, v) for n, v in (("up_to", tier.up_to), ("unit_price", tier.unit_price),
                                        ("flat_fee", tier.flat_fee)) if v is not None)


def is_percentage(rule: PricingRule) -> bool:
    """Whether ``rule`` rates other rules' amounts rather than a metric."""
    return isinstance(rule.versions[0], Percentage)
