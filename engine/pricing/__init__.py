"""Pricing models: one module each, one :class:`Rater` signature, one registry by YAML tag."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from engine.pricing.base import Piece, Rater, Slice
from engine.pricing.flat import rate_flat
from engine.pricing.graduated import rate_graduated
from engine.pricing.package import rate_package
from engine.pricing.per_unit import rate_per_unit
from engine.pricing.percentage import rate_percentage
from engine.pricing.volume import rate_volume

__all__ = ["RATERS", "Piece", "Rater", "Slice"]

RATERS: MappingProxyType[str, Any] = MappingProxyType({
    "per_unit": rate_per_unit,
    "graduated": rate_graduated,
    "volume": rate_volume,
    "package": rate_package,
    "flat": rate_flat,
    "percentage": rate_percentage,
})
"""Rater of each model, keyed by the ``model`` tag of its version."""
