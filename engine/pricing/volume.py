"""``volume``: all Q units at the price of the band containing Q, plus that band's flat fee.

The band is chosen by the customer's chargeable total for the period; each record's units
are priced at that band of the version in force at the record; the band's flat fee is
charged once, by the version in force at the customer's last record.
"""

from __future__ import annotations

from decimal import Decimal

from engine.pricing.base import Piece, Slice
from engine.pricing.graduated import bands
from engine.rules.pricing import Tier, Volume

__all__ = ["band_of", "rate_volume"]


def band_of(tiers: tuple[Tier, ...], total: Decimal) -> tuple[int, Tier]:
    """The band whose ``(floor, ceiling]`` contains ``total`` (the first band for 0)."""
    for index, _floor, ceiling, tier in bands(tiers):
        if ceiling is None or total <= ceiling:
            return index, tier
    raise ValueError("tiers must end with an open band")  # the loader guarantees it


def rate_volume(version: Volume, part: Slice) -> list[Piece]:
    """The slice's units at the total's band price; the band fee on the last record."""
    index, tier = band_of(version.tiers, part.total)
    quantity = part.hi - part.lo
    pieces: list[Piece] = []
    if part.last and tier.flat_fee and part.total > 0:
        pieces.append(Piece(component="flat_fee", tier=index, quantity=Decimal(1),
                            unit_price=tier.flat_fee, amount=tier.flat_fee))
    if quantity > 0:
        pieces.append(Piece(component="units", tier=index, quantity=quantity,
                            unit_price=tier.unit_price, amount=quantity * tier.unit_price))
    return pieces
