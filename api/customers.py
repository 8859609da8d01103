"""Customers looked up by id: a small seam the operational store will plug into.

Until the store exists, a customers file (``--customers`` / ``BAREME_CUSTOMERS``) serves as
the directory; it is re-read when it changes on disk.
"""

from __future__ import annotations

import os
import threading
from contextlib import suppress
from pathlib import Path
from typing import Protocol

from batch.readers import read_text
from engine.customers import Customer, parse_customers
from engine.diagnostics import DiagnosticsError
from engine.loading.yaml_nodes import parse_yaml

__all__ = ["CustomerDirectory", "FileDirectory", "NoDirectory", "read_customers_file"]


class CustomerDirectory(Protocol):
    """Where customers given by id are found."""

    def get(self, customer_id: str) -> Customer | None:
        """The customer with this id, if known."""
        ...


class NoDirectory:
    """No directory configured: every id is unknown."""

    def get(self, customer_id: str) -> Customer | None:
        """Always ``None``."""
        del customer_id
        return None


class FileDirectory:
    """Customers of a YAML or JSON file, reloaded when its modification time changes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp = self._mtime()
        self._customers = read_customers_file(self.path)

    def get(self, customer_id: str) -> Customer | None:
        """The customer, from the file as it is now (or as last read, if now invalid)."""
        stamp = self._mtime()
        if stamp != self._stamp:
            with self._lock:
                # Keep serving the last good file when the new one is broken.
                with suppress(DiagnosticsError, OSError):
                    self._customers = read_customers_file(self.path)
                self._stamp = stamp
        return self._customers.get(customer_id)

    def _mtime(self) -> int:
        try:
            return os.stat(self.path).st_mtime_ns
        except OSError:
            return -1


def read_customers_file(path: Path) -> dict[str, Customer]:
    """Customers by id; :class:`DiagnosticsError` naming every problem of the file."""
    located, errors = parse_yaml(read_text(path), str(path))
    if located is None or errors:
        raise DiagnosticsError(errors)
    customers, problems = parse_customers(located.data, str(path), located.positions)
    if problems:
        raise DiagnosticsError(problems)
    return {c.id: c for c in customers}
