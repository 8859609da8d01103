"""Usage metrics: the canonical unit of each metric and the source units it accepts.

Mediation converts a record's quantity from its source unit (``unit`` column) to the
metric's canonical unit, the unit its pricing rules are written in: bytes to GB by an
exact decimal factor, seconds to hours by an exact divisor.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from engine.rules.origin import Origin

__all__ = ["Metric", "UnitConversion"]


class UnitConversion(msgspec.Struct, frozen=True, kw_only=True):
    """How one source unit becomes the canonical unit: multiply, or divide, exactly."""

    unit: str
    """Source unit as written in usage records, e.g. ``B`` or ``s``."""
    factor: Decimal | None = None
    """Canonical units per source unit, e.g. ``0.000000001`` GB per byte."""
    divisor: Decimal | None = None
    """Source units per canonical unit, e.g. ``3600`` seconds per hour."""


class Metric(msgspec.Struct, frozen=True, kw_only=True):
    """A usage metric declared in ``rulesets/metrics.yaml``."""

    id: str
    """The metric, as in usage records and pricing rules, e.g. ``network.egress_gb``."""
    unit: str
    """Canonical unit: the unit of stored quantities and of the pricing rules."""
    accepts: tuple[UnitConversion, ...] = ()
    """Other units a usage record may carry for this metric."""
    origin: Origin

    def conversion(self, unit: str) -> UnitConversion | None:
        """The conversion from ``unit``; ``None`` when the unit is unknown."""
        if unit == self.unit:
            return UnitConversion(unit=unit, factor=Decimal(1))
        return next((c for c in self.accepts if c.unit == unit), None)
