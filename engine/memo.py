"""A bounded memo for pure functions of a ruleset and small immutable inputs.

What a ruleset decides for a customer and a month (the TVA regime, the treatment of a
rate category, the legal mentions) is the same for every evaluation of that customer and
month at that commit; the ruleset keeps one :class:`Memo` per such function
(:meth:`engine.rules.ruleset.Ruleset.derived`). Only values are kept: a computation that
raises is not remembered and raises again next time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["Memo"]

V = TypeVar("V")


class Memo(Generic[V]):
    """At most ``size`` values by key, the least recently used dropped first; thread-safe."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The value remembered for ``key``, or ``compute()`` remembered now."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = compute()
        with self._lock:
            self._values[key] = value
            if len(self._values) > self._size:
                self._values.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._values)
