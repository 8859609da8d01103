"""``flat``: a recurring fee, once per billing period for a customer who used the rule.

The fee is that of the first flat version a record of the period meets: a rule that
becomes flat mid-period charges it on the first record after the change.
"""

from __future__ import annotations

from decimal import Decimal

from engine.pricing.base import Piece, Slice
from engine.rules.pricing import Flat

__all__ = ["rate_flat"]


def rate_flat(version: Flat, part: Slice) -> list[Piece]:
    """The fee, on the customer's first record of the period that a flat version prices.

    ``part.first`` says so (:func:`engine.rating.rate_rule`).
    """
    if not part.first:
        return []
    return [Piece(component="fee", tier=None, quantity=Decimal(1), unit_price=version.fee,
                  amount=version.fee)]
