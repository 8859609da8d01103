"""``per_unit``: Q × unit_price."""

from __future__ import annotations

from engine.pricing.base import Piece, Slice
from engine.rules.pricing import PerUnit

__all__ = ["rate_per_unit"]


def rate_per_unit(version: PerUnit, part: Slice) -> list[Piece]:
    """The slice's units at the version's unit price."""
    quantity = part.hi - part.lo
    if quantity <= 0:
        return []
    return [Piece(component="units", tier=None, quantity=quantity,
                  unit_price=version.unit_price, amount=quantity * version.unit_price)]
