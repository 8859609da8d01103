"""Which (customer, period) pairs are invoiced: usage arriving after that is late.

A small JSON file in the data directory; the invoicing code calls :meth:`close` when it
issues an invoice, and mediation asks :meth:`is_closed` for every record it stores.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from engine.diagnostics import Diagnostic, DiagnosticsError

__all__ = ["ClosedPeriods"]


class ClosedPeriods:
    """The registry of invoiced (customer, period) pairs, kept in ``data_dir/closed.json``."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "closed.json"

    def _load(self) -> dict[str, list[str]]:
        if not self.path.is_file():
            return {}
        try:
            return msgspec.json.decode(self.path.read_bytes(), type=dict[str, list[str]])
        except msgspec.DecodeError as exc:
            raise DiagnosticsError([Diagnostic(
                path=str(self.path), line=0, column=0, code="usage.bad_closed_periods",
                message="the invoiced periods cannot be read, so late usage cannot be told "
                        "apart; expected {\"customer id\": [\"YYYY-MM\", …]}: "
                        f"{exc}")]) from None

    def close(self, customer_id: str, period: str) -> None:
        """Record that ``customer_id`` was invoiced for ``period`` (``YYYY-MM``)."""
        data = self._load()
        data[customer_id] = sorted({*data.get(customer_id, []), period})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_bytes(msgspec.json.encode(dict(sorted(data.items()))))
        os.replace(temporary, self.path)

    def is_closed(self, customer_id: str, period: str) -> bool:
        """Whether ``customer_id`` was already invoiced for ``period``."""
        return period in self._load().get(customer_id, ())

    def pairs(self) -> frozenset[tuple[str, str]]:
        """Every closed (customer, period) pair."""
        return frozenset((c, p) for c, periods in self._load().items() for p in periods)
