"""Rate one rule for one customer and period: records in order, versions by timestamp.

Each input (a usage record, or for a percentage rule an amount another rule charged) is
priced by the version in force at its own instant — the customer's override version when
one is in force — and the tier position is the customer's cumulative quantity of the rule
in the period, so a price change mid-period splits lines without restarting the tiers.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import msgspec

from engine.money import ZERO, round_cents
from engine.pricing import RATERS, Piece, Slice
from engine.pricing.flat import rate_flat
from engine.results import Provenance
from engine.rules.pricing import (
    Discount,
    Override,
    OverrideVersion,
    Percentage,
    PricingRule,
    PricingVersion,
    UseCatalogue,
)
from engine.timeline import utc_midnight, version_at

__all__ = ["OVERRIDDEN", "Charge", "Input", "LineKey", "RuleTimeline", "line_amount", "rate_rule",
           "round_line"]

PROPORTIONAL = frozenset({"percentage", "discount"})
"""Components whose line amount is the rate times the line's rounded base."""


class Input(msgspec.Struct, frozen=True, kw_only=True):
    """Something a rule prices: a quantity at an instant."""

    timestamp: datetime
    event_id: str
    quantity: Decimal
    from_rule: str = ""
    """For a percentage rule: the rule that charged this amount."""


OVERRIDDEN = -1
"""``version_index`` of a line an override version prices: the catalogue versions under
it do not split the line (each part would be rounded apart)."""


class LineKey(msgspec.Struct, frozen=True, kw_only=True, cache_hash=True):
    """What makes charges one line: rule, version (or override version), component, tier."""

    rule_id: str
    version_index: int
    """The catalogue version, or :data:`OVERRIDDEN` when an override version sets the
    price."""
    override_index: int | None
    """Index of the override version that set the price, if one did."""
    component: str
    tier: int | None
    unit_price: Decimal


class Charge(msgspec.Struct, frozen=True, kw_only=True):
    """A priced piece of one input."""

    key: LineKey
    piece: Piece
    at: datetime
    event_id: str
    base: Decimal | None = None
    """What a percentage of the rule takes from this charge, when not ``piece.amount``: a
    minimum's top-up is the minimum less the rounded lines, but a percentage takes the
    minimum less the exact amounts, so that it takes exactly the minimum from a rule held
    at its minimum (and never less from more usage)."""


class RuleTimeline:
    """A rule (and the customer's override) with version starts as UTC instants.

    Instants are compared in UTC, where a comparison is cheap; callers may pass instants
    of any offset. The rater of each version is looked up once.
    """

    def __init__(self, rule: PricingRule, override: Override | None, zone: ZoneInfo) -> None:
        self.rule = rule
        self.override = override
        self.zone = zone
        self.starts = [utc_midnight(v.effective_from, zone) for v in rule.versions]
        self.until = utc_midnight(rule.until, zone) if rule.until else None
        self.override_starts = ([utc_midnight(v.effective_from, zone)
                                 for v in override.versions] if override else [])
        self.is_percentage = isinstance(rule.versions[0], Percentage)
        self.raters = [RATERS[_tag(v)] for v in rule.versions]
        self.described: dict[tuple[int, int | None, str, int | None, str],
                             tuple[str, str, Provenance]] = {}
        """Label, unit and provenance by version, override version, component, tier and
        commit, filled by :mod:`engine.lines`."""
        self.keys: dict[tuple[int, int | None, str, int | None, Decimal], LineKey] = {}
        """Line keys by version, override version, component, tier and unit price."""

    def key(self, version_index: int, override_index: int | None, piece: Piece) -> LineKey:
        """The line key of ``piece``, one shared object per distinct key.

        A shared key hashes once (its hash is cached), where a new key for each charge
        would hash again at each grouping. A key is only shared for the very unit price
        object it was made with, so the price keeps the precision it was written with.
        """
        unit_price = piece.unit_price
        found = self.keys.get((version_index, override_index, piece.component, piece.tier,
                                unit_price))
        if found is None or found.unit_price is not unit_price:
            made = LineKey(rule_id=self.rule.id, version_index=version_index,
                           override_index=override_index, component=piece.component,
                           tier=piece.tier, unit_price=unit_price)
            if found is None:
                self.keys[(version_index, override_index, piece.component, piece.tier,
                            unit_price)] = made
            return made
        return found

    def base_at(self, instant: datetime) -> int | None:
        """Index of the catalogue version in force at ``instant``, if the rule applies then."""
        if self.until is not None and instant >= self.until:
            return None
        return version_at(self.starts, instant)

    def override_at(self, instant: datetime) -> int | None:
        """Index of the override version in force, unless it hands back to the catalogue."""
        if self.override is None:
            return None
        index = version_at(self.override_starts, instant)
        if index is None or isinstance(self.override.versions[index], UseCatalogue):
            return None
        return index


def rate_rule(timeline: RuleTimeline, inputs: Sequence[Input]) -> list[Charge]:
    """Charges of ``inputs`` (sorted by timestamp then event id) under ``timeline``.

    Inputs outside every version are the caller's to reject; here they are skipped. The
    loop is the innermost of an evaluation, hence one long function with its names held
    local and the usual line key looked up in place (:meth:`RuleTimeline.key` otherwise).
    """
    versions, raters, key_of, known = (timeline.rule.versions, timeline.raters, timeline.key,
                                       timeline.keys)
    starts, until, override = timeline.starts, timeline.until, timeline.override
    is_percentage = timeline.is_percentage
    raw_total = sum([i.quantity for i in inputs], ZERO)
    charges: list[Charge] = []
    append = charges.append
    cumulative = ZERO
    priced = 0
    fee_due = True  # a flat fee is charged once a period, by the first flat version met
    last_position = len(inputs) - 1
    last_key: tuple[int, int | None] | None = None
    for position, item in enumerate(inputs):
        at = item.timestamp
        if until is not None and at >= until:
            continue
        base_index = bisect_right(starts, at) - 1
        if base_index < 0:
            continue
        model: PricingVersion | OverrideVersion = versions[base_index]
        rater = raters[base_index]
        price_index = override_index = None
        discount = None
        if override is not None and (override_index := timeline.override_at(at)) is not None:
            chosen = override.versions[override_index]
            if isinstance(chosen, Discount):
                discount = chosen
            else:
                model, price_index, rater = chosen, override_index, RATERS[_tag(chosen)]
        if isinstance(model, Percentage) and item.from_rule not in model.of:
            continue
        line_index = base_index if price_index is None else OVERRIDDEN
        quantity, event_id = item.quantity, item.event_id
        before, cumulative = cumulative, cumulative + quantity
        first, last = priced == 0, position == last_position
        if rater is rate_flat:
            first, fee_due = fee_due, False
        if is_percentage:
            part = Slice(lo=ZERO, hi=quantity, total=raw_total, first=first, last=last)
        elif not (included := model.included):
            # Nothing included: the record's slice is its own quantity, none of it free
            # (quantities are never negative, so max(ZERO, x - 0) is x).
            part = Slice(lo=before, hi=cumulative, total=raw_total, first=first, last=last)
        else:
            # max(ZERO, x), spelled out: a comparison costs a third of a call to max
            lo, hi, total = before - included, cumulative - included, raw_total - included
            part = Slice(lo=lo if lo > ZERO else ZERO, hi=hi if hi > ZERO else ZERO,
                         total=total if total > ZERO else ZERO, first=first, last=last)
            free = quantity - (part.hi - part.lo)
            if free > 0:
                piece = Piece(component="included", tier=None, quantity=free,
                              unit_price=ZERO, amount=ZERO)
                append(Charge(key=key_of(line_index, price_index, piece), piece=piece, at=at,
                              event_id=event_id))
        pieces = rater(model, part)
        for piece in pieces:
            key = known.get((line_index, price_index, piece.component, piece.tier,
                             piece.unit_price))
            if key is None or key.unit_price is not piece.unit_price:
                key = key_of(line_index, price_index, piece)
            append(Charge(key=key, piece=piece, at=at, event_id=event_id))
        if discount is not None:
            base = sum([p.amount for p in pieces], ZERO)
            if base:
                piece = Piece(component="discount", tier=None, quantity=base,
                              unit_price=-discount.rate, amount=-discount.rate * base)
                append(Charge(key=key_of(base_index, override_index, piece), piece=piece,
                              at=at, event_id=event_id))
        priced += 1
        last_key = (base_index, price_index if discount is None else override_index)
    if last_key is not None:
        charges.extend(_minimum(timeline, charges, last_key, inputs[-1]))
    return charges


def _tag(version: object) -> str:
    return str(type(version).__struct_config__.tag)  # type: ignore[attr-defined]


def round_line(component: str, unit_price: Decimal, quantity: Decimal,
               amount: Decimal) -> Decimal:
    """A line's net, rounded half-up to the cent at this one place.

    An ordinary line rounds its exact sum once; a proportional line (percentage,
    discount) is the rate times its base rounded to the cent.

    >>> round_line("units", Decimal("0.0420"), Decimal("1200"), Decimal("50.4000"))
    Decimal('50.40')
    >>> round_line("percentage", Decimal("0.05"), Decimal("554.515"), Decimal("27.72575"))
    Decimal('27.73')
    """
    if component in PROPORTIONAL:
        return round_cents(round_cents(quantity) * unit_price)
    return round_cents(amount)


def line_amount(key: LineKey, quantity: Decimal, amount: Decimal) -> Decimal:
    """:func:`round_line` of the line ``key``."""
    return round_line(key.component, key.unit_price, quantity, amount)


def _minimum(timeline: RuleTimeline, charges: Sequence[Charge],
             last_key: tuple[int, int | None], last: Input) -> list[Charge]:
    """Top the rule up to the minimum of the version in force at the customer's last input."""
    base_index, override_index = last_key
    override = timeline.override
    version = (override.versions[override_index]
               if override is not None and override_index is not None else None)
    minimum = (version.minimum if version is not None and not isinstance(version, Discount)
               else None)
    if minimum is None:
        minimum = timeline.rule.versions[base_index].minimum
    if minimum is None:
        return []
    sums: dict[LineKey, tuple[Decimal, Decimal]] = {}
    for charge in charges:
        quantity, amount = sums.get(charge.key, (ZERO, ZERO))
        sums[charge.key] = (quantity + charge.piece.quantity, amount + charge.piece.amount)
    billed = sum((line_amount(k, q, a) for k, (q, a) in sums.items()), ZERO)
    if billed >= minimum:
        return []
    top_up = minimum - billed
    exact = sum((a for _, a in sums.values()), ZERO)
    return [Charge(key=LineKey(rule_id=timeline.rule.id, version_index=base_index,
                               override_index=override_index, component="minimum", tier=None,
                               unit_price=top_up),
                   piece=Piece(component="minimum", tier=None, quantity=Decimal(1),
                               unit_price=top_up, amount=top_up),
                   at=last.timestamp, event_id=last.event_id, base=minimum - exact)]
