"""``package``: ceil(Q / size) × package_price; a record pays for the packages it opens."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from engine.pricing.base import Piece, Slice
from engine.rules.pricing import Package

__all__ = ["packages_opened", "rate_package"]


def packages_opened(lo: Decimal, hi: Decimal, size: Decimal) -> Decimal:
    """ceil(hi / size) − ceil(lo / size): these add up to ceil(Q / size) over a period.

    >>> packages_opened(Decimal(0), Decimal(10000), Decimal(10000))
    Decimal('1')
    >>> packages_opened(Decimal(10000), Decimal(10001), Decimal(10000))
    Decimal('1')
    """
    def ceil(value: Decimal) -> Decimal:
        return (value / size).to_integral_value(rounding=ROUND_CEILING)
    return ceil(hi) - ceil(lo)


def rate_package(version: Package, part: Slice) -> list[Piece]:
    """The packages this record opens, at the package price."""
    count = packages_opened(part.lo, part.hi, version.size)
    if count <= 0:
        return []
    return [Piece(component="package", tier=None, quantity=count,
                  unit_price=version.package_price, amount=count * version.package_price)]
