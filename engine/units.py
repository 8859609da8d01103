"""A usage quantity in its metric's canonical unit: converted exactly, or refused.

Shared by mediation (``bareme usage ingest``) and by the commands that read usage files
directly (``bareme evaluate``, ``bareme invoice issue --usage``), so that one file gives
one bill whichever way it is read. Quantities keep at most :data:`QUANTITY_SCALE`
decimals: an exact factor that would need more is refused, and a divisor (seconds to
hours) is the one documented rounding of a quantity, half-up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import NamedTuple

import msgspec

from engine.diagnostics import Diagnostic
from engine.rules.metrics import Metric
from engine.usage import UsageRecord

__all__ = ["MAX_QUANTITY", "QUANTITY_SCALE", "UnitRefusal", "canonical_quantity",
           "divide_half_up", "in_canonical_unit", "too_large"]

QUANTITY_SCALE = 9
"""Decimals of a stored quantity (DuckDB ``DECIMAL(38, 9)``)."""
MAX_QUANTITY = Decimal(10) ** 15
"""Largest quantity of one record, so that period sums and amounts stay exact in 38 digits."""
_STEP = Decimal(1).scaleb(-QUANTITY_SCALE)


class UnitRefusal(NamedTuple):
    """Why a quantity cannot be had in its canonical unit."""

    field: str
    code: str
    message: str


def canonical_quantity(quantity: Decimal, metric_id: str, metric: Metric | None,
                       unit: str | None) -> Decimal | UnitRefusal:
    """``quantity`` (in ``unit``; none: the canonical unit) in the canonical unit.

    >>> from engine.rules.metrics import UnitConversion
    >>> from engine.rules.origin import Origin
    >>> hours = Metric(id="h", unit="h", accepts=(UnitConversion(unit="s",
    ...                divisor=Decimal(3600)),), origin=Origin(path="m.yaml", line=1, blob=""))
    >>> canonical_quantity(Decimal(7200), "h", hours, "s")
    Decimal('2.000000000')
    >>> canonical_quantity(Decimal(1), "h", hours, "min").code
    'usage.unknown_unit'
    """
    value = quantity
    if unit is not None and unit.strip():
        name = unit.strip()
        conversion = metric.conversion(name) if metric else None
        if conversion is None:
            known = ([metric.unit, *(c.unit for c in metric.accepts)] if metric else [])
            return UnitRefusal("unit", "usage.unknown_unit",
                               f"metric {metric_id!r} does not accept unit {name!r}; accepted: "
                               f"{', '.join(known) or 'none declared (omit the unit column)'}")
        if conversion.divisor is not None:
            value = divide_half_up(quantity, conversion.divisor)
        elif conversion.factor is not None:
            value = quantity * conversion.factor
    if not _fits_scale(value):
        return UnitRefusal("quantity", "usage.quantity_scale",
                           f"quantity {value} has more than {QUANTITY_SCALE} decimals once in "
                           "the canonical unit; it cannot be stored exactly")
    return too_large(value) or value.quantize(_STEP)


def too_large(quantity: Decimal) -> UnitRefusal | None:
    """The refusal of a quantity of :data:`MAX_QUANTITY` or more; ``None`` below it."""
    if quantity < MAX_QUANTITY:
        return None
    return UnitRefusal("quantity", "usage.quantity_too_large",
                       f"quantity {quantity} is not below {MAX_QUANTITY}")


def in_canonical_unit(record: UsageRecord, unit: str | None,
                      metrics: Mapping[str, Metric] | None) -> UsageRecord | Diagnostic:
    """``record``, its quantity given in ``unit`` converted; or the problem, located.

    Without ``metrics``, a unit other than none is refused rather than priced as given.
    """
    if unit is None or not unit.strip():
        return record
    converted = canonical_quantity(record.quantity, record.metric,
                                   (metrics or {}).get(record.metric), unit)
    if isinstance(converted, UnitRefusal):
        return Diagnostic(path=record.source, line=record.row, column=0, code=converted.code,
                          message=f"field {converted.field!r}: {converted.message}")
    return msgspec.structs.replace(record, quantity=converted)


def _fits_scale(value: Decimal) -> bool:
    """Whether ``value`` has at most :data:`QUANTITY_SCALE` decimals.

    A value too large to tell (beyond 28 digits) passes: it is refused as too large.
    """
    try:
        return value == value.quantize(_STEP, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return True


def divide_half_up(value: Decimal, divisor: Decimal) -> Decimal:
    """``value / divisor`` rounded half-up to :data:`QUANTITY_SCALE` decimals, exactly.

    Exact rational arithmetic: no intermediate rounding to the context's 28 digits.

    >>> divide_half_up(Decimal("7200"), Decimal("3600"))
    Decimal('2.000000000')
    >>> print(divide_half_up(Decimal("1"), Decimal("3600")))
    0.000277778
    >>> print(divide_half_up(Decimal("0.0000018"), Decimal("3600")))  # 5·10⁻¹⁰, half: up
    1E-9
    """
    exact = Fraction(value) / Fraction(divisor)
    nano = math.floor(exact * 10**QUANTITY_SCALE + Fraction(1, 2))
    return Decimal(nano).scaleb(-QUANTITY_SCALE)
