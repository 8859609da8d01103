"""``graduated``: each band's units at that band's price; a band's flat fee once on entry."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from engine.money import ZERO
from engine.pricing.base import Piece, Slice
from engine.rules.pricing import Graduated, Tier

__all__ = ["bands", "rate_graduated"]


def bands(tiers: tuple[Tier, ...]) -> Iterator[tuple[int, Decimal, Decimal | None, Tier]]:
    """Each tier with its 1-based index and its interval ``(floor, ceiling]``."""
    floor = ZERO
    for index, tier in enumerate(tiers, start=1):
        yield index, floor, tier.up_to, tier
        if tier.up_to is not None:
            floor = tier.up_to


def rate_graduated(version: Graduated, part: Slice) -> list[Piece]:
    """Split the slice across the bands it crosses; charge the fee of each band it enters."""
    pieces: list[Piece] = []
    for index, floor, ceiling, tier in bands(version.tiers):
        low = max(part.lo, floor)
        high = part.hi if ceiling is None else min(part.hi, ceiling)
        if high <= low:
            continue
        if tier.flat_fee and part.lo <= floor:
            pieces.append(Piece(component="flat_fee", tier=index, quantity=Decimal(1),
                                unit_price=tier.flat_fee, amount=tier.flat_fee))
        pieces.append(Piece(component="units", tier=index, quantity=high - low,
                            unit_price=tier.unit_price, amount=(high - low) * tier.unit_price))
    return pieces
