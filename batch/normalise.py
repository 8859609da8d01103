"""Mediation of one raw usage row: checked, converted to its metric's canonical unit.

A row becomes a :class:`Normalised` record or a :class:`Reject` naming source, row,
field, value and reason; nothing is dropped silently. Units are converted by
:mod:`engine.units`, as for usage files read directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from engine.rules.metrics import Metric
from engine.units import (
    MAX_QUANTITY,
    QUANTITY_SCALE,
    UnitRefusal,
    canonical_quantity,
    divide_half_up,
)
from engine.usage import parse_record

__all__ = ["MAX_QUANTITY", "QUANTITY_SCALE", "Mediation", "Normalised", "Reject",
           "divide_half_up", "normalise"]


class Normalised(msgspec.Struct, frozen=True, kw_only=True):
    """A usage record in canonical units, ready to store."""

    event_id: str
    customer_id: str
    metric: str
    quantity: Decimal
    """In the metric's canonical unit, at most :data:`QUANTITY_SCALE` decimals."""
    timestamp: datetime
    """In UTC."""
    attributes: str
    """Other columns as canonical JSON (sorted keys); ``{}`` when none."""
    period: str
    """Billing month ``YYYY-MM`` of the timestamp, in the ruleset's time zone."""
    source: str
    row: int

    def content(self) -> tuple[object, ...]:
        """What must match for two records with one ``event_id`` to be the same event."""
        return (self.customer_id, self.metric, self.quantity, self.timestamp, self.attributes)


class Reject(msgspec.Struct, frozen=True, kw_only=True):
    """A row mediation refused, and why."""

    source: str
    row: int
    field: str
    value: str
    code: str
    reason: str
    event_id: str = ""


class Mediation(msgspec.Struct, frozen=True, kw_only=True):
    """What normalising needs from the ruleset and the customer list."""

    zone: ZoneInfo
    rated: frozenset[str]
    """Metrics some pricing rule rates."""
    metrics: Mapping[str, Metric]
    """Declared metrics, with their units."""
    customers: Set[str] | None = None
    """Known customer ids, once customers are loaded; ``None`` accepts any."""


def normalise(row: Mapping[str, Any], source: str, number: int,
              mediation: Mediation) -> Normalised | list[Reject]:
    """The normalised record of ``row``, or every reason it is refused."""
    fields = {k: v.isoformat() if isinstance(v, datetime) else v
              for k, v in row.items() if k != "unit"}
    unit = row.get("unit")
    record, problems = parse_record(fields, source, number)
    event_id = str(row.get("event_id") or "")
    rejects = [_reject(source, number, d.message, d.code, row, event_id) for d in problems]

    def refuse(field: str, code: str, reason: str) -> None:
        rejects.append(Reject(source=source, row=number, field=field,
                              value=_text(row.get(field)), code=code, reason=reason,
                              event_id=event_id))

    # Every reason of the row, also when a field of its own is bad.
    flagged = {r.field for r in rejects}
    metric, customer_id = ((record.metric, record.customer_id) if record is not None
                           else (row.get("metric"), row.get("customer_id")))
    if "metric" not in flagged and isinstance(metric, str) and metric not in mediation.rated:
        refuse("metric", "usage.unknown_metric", f"no rule rates metric {metric!r}")
    if ("customer_id" not in flagged and isinstance(customer_id, str)
            and mediation.customers is not None and customer_id not in mediation.customers):
        refuse("customer_id", "usage.unknown_customer",
               f"customer {customer_id!r} is not a known customer")
    if record is None:
        return rejects
    quantity = _convert(record.quantity, record.metric, unit, mediation, refuse)
    if rejects or quantity is None:
        return rejects
    local = record.timestamp.astimezone(mediation.zone)
    return Normalised(event_id=record.event_id, customer_id=record.customer_id,
                      metric=record.metric, quantity=quantity,
                      timestamp=record.timestamp.astimezone(UTC),
                      attributes=msgspec.json.encode(dict(record.attributes)).decode(),
                      period=f"{local.year:04d}-{local.month:02d}", source=source, row=number)


def _convert(quantity: Decimal, metric_id: str, unit: object, mediation: Mediation,
             refuse: Any) -> Decimal | None:
    converted = canonical_quantity(quantity, metric_id, mediation.metrics.get(metric_id),
                                   None if unit is None else str(unit))
    if isinstance(converted, UnitRefusal):
        refuse(converted.field, converted.code, converted.message)
        return None
    return converted


def _reject(source: str, number: int, message: str, code: str, row: Mapping[str, Any],
            event_id: str) -> Reject:
    field = message.split("'")[1] if message.startswith("field '") else ""
    return Reject(source=source, row=number, field=field, value=_text(row.get(field)),
                  code=code, reason=message.split(": ", 1)[-1], event_id=event_id)


def _text(value: object) -> str:
    if isinstance(value, dict | list | tuple):
        return msgspec.json.encode(value).decode()
    return "" if value is None else str(value)


def utc_now() -> datetime:
    """The current instant, for run identifiers."""
    return datetime.now(UTC)
