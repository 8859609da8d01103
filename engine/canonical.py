"""Canonical bytes: sorted keys, fixed formatting, SHA-256 over them.

Replay depends on this: the same evaluation always encodes to the same bytes.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

__all__ = ["canonical_bytes", "indented", "pretty_bytes", "sha256_hex"]

_ENCODER = msgspec.json.Encoder(order="sorted")


def canonical_bytes(document: Any) -> bytes:
    """Compact JSON with sorted keys; the input holds only str, int, bool, None, list, dict.

    >>> canonical_bytes({"b": "1", "a": [None, True]})
    b'{"a":[null,true],"b":"1"}'
    """
    return _ENCODER.encode(document)


def pretty_bytes(document: Any) -> bytes:
    """The canonical JSON indented by two spaces, with a final newline (what users read)."""
    return indented(canonical_bytes(document))


def indented(canonical: bytes) -> bytes:
    """Canonical bytes (:func:`canonical_bytes`) as :func:`pretty_bytes` writes them.

    >>> print(indented(b'{"a":[1]}').decode(), end="")
    {
      "a": [
        1
      ]
    }
    """
    return msgspec.json.format(canonical, indent=2) + b"\n"


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()
