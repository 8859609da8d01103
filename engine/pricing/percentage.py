"""``percentage``: rate × the amounts of other rules.

The inputs of a percentage rule are the unrounded amounts the referenced rules charged,
each at the instant of the record that caused it; each is priced by the percentage
version in force at that instant. The slice's width is that amount.
"""

from __future__ import annotations

from engine.pricing.base import Piece, Slice
from engine.rules.pricing import Percentage

__all__ = ["rate_percentage"]


def rate_percentage(version: Percentage, part: Slice) -> list[Piece]:
    """The rate applied to the amount this input brings."""
    base = part.hi - part.lo
    if not base:
        return []
    return [Piece(component="percentage", tier=None, quantity=base, unit_price=version.rate,
                  amount=base * version.rate)]
