"""Usage records as archived: canonical JSON that reads back into the same records."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from engine.canonical import canonical_bytes
from engine.usage import UsageRecord

__all__ = ["usage_bytes", "usage_from_bytes"]


def usage_bytes(records: Iterable[UsageRecord]) -> bytes:
    """The records in (timestamp, event id) order, as canonical JSON."""
    ordered = sorted(records, key=lambda r: (r.timestamp, r.event_id))
    return canonical_bytes([
        {"event_id": r.event_id, "customer_id": r.customer_id, "metric": r.metric,
         "quantity": str(r.quantity), "timestamp": r.timestamp.isoformat(),
         "attributes": [list(a) for a in r.attributes]} for r in ordered])


def usage_from_bytes(data: bytes, source: str) -> list[UsageRecord]:
    """Records read back from :func:`usage_bytes`, exactly as they were evaluated."""
    rows: list[dict[str, Any]] = msgspec.json.decode(data)
    return [UsageRecord(event_id=r["event_id"], customer_id=r["customer_id"],
                        metric=r["metric"], quantity=Decimal(r["quantity"]),
                        timestamp=datetime.fromisoformat(r["timestamp"]),
                        attributes=tuple((k, v) for k, v in r["attributes"]),
                        source=source, row=index)
            for index, r in enumerate(rows, start=1)]
