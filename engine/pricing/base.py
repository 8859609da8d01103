"""What every pricing model shares: the slice of quantity it prices and the pieces it returns.

A customer's records of one rule in one period are taken in timestamp order (ties by
``event_id``). Each record covers a slice ``(lo, hi]`` of the customer's cumulative
chargeable quantity (after the included units); a model prices a slice as pieces that
add up, record by record, to the model's price for the period's total.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

import msgspec

__all__ = ["Piece", "Rater", "Slice"]


class Slice(msgspec.Struct, frozen=True, kw_only=True):
    """The part of a customer's period quantity that one record brings."""

    lo: Decimal
    """Cumulative chargeable quantity before the record."""
    hi: Decimal
    """Cumulative chargeable quantity after the record."""
    total: Decimal
    """The customer's chargeable quantity for the whole period (volume pricing needs it)."""
    first: bool
    """Whether this is the customer's first record of the rule in the period."""
    last: bool
    """Whether this is the customer's last record of the rule in the period."""


class Piece(msgspec.Struct, frozen=True, kw_only=True):
    """A priced part of a record; pieces with the same key make one invoice line."""

    component: str
    """``units``, ``flat_fee``, ``package``, ``fee``, ``percentage``…"""
    tier: int | None
    """1-based tier of a graduated or volume price list."""
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    """quantity × unit_price, unrounded."""


class Rater(Protocol):
    """Prices a slice under one version of one model."""

    def __call__(self, version: object, piece: Slice, /) -> list[Piece]:
        """The pieces of ``piece`` under ``version``."""
        ...
