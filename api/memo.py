"""Evaluation bytes remembered by the digest of their inputs.

Replay is byte-identical by design (DESIGN.md): the same usage, customer, period and commit
always give the same bytes, so a request repeated (a retry, a re-issue, a dashboard that
polls the month so far) is answered from memory. Only successful evaluations are kept.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import msgspec

__all__ = ["EvaluationMemo"]

_ENCODER = msgspec.json.Encoder(order="deterministic")


class EvaluationMemo:
    """A bounded, thread-safe LRU of evaluation bytes; size 0 keeps nothing."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[bytes, bytes] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether anything is kept (size above 0): otherwise keys need not be computed."""
        return self._size > 0

    @staticmethod
    def key(*parts: object) -> bytes:
        """Digest of the inputs (any msgspec-encodable values: commit, customer, usage…)."""
        return hashlib.sha256(_ENCODER.encode(parts)).digest()

    def get(self, key: bytes) -> bytes | None:
        """The bytes remembered for ``key``, if any."""
        if not self._size:
            return None
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: bytes, value: bytes) -> None:
        """Remember ``value``; the least recently used entry goes when full."""
        if not self._size:
            return
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
