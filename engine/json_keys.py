"""Keys given twice in one JSON object.

JSON decoders keep the last value of a repeated key without a word, so a record giving
``quantity`` twice would be billed at a guess. The check is cheap in the usual case:
counting where keys may end in the text and the keys decoded proves that none repeats,
and only text with more key ends than keys is decoded again, pair by pair.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["repeated_key"]

_KEY_END = re.compile(rb'"\s*:')
_TEXT_KEY_END = re.compile(r'"\s*:')


def repeated_key(text: bytes | str, decoded: Any) -> str | None:
    r"""The first key an object of ``text`` gives twice, if any.

    ``decoded`` is ``text`` decoded as plain JSON values (dicts and lists). A key ends
    with a quote and a colon; a string may hold such a sequence too, but then there are
    more ends than keys and the text is read again, which settles it.

    >>> import json
    >>> text = '{"a": {"b": 1, "b": 2}, "c": "x\\":"}'
    >>> repeated_key(text, json.loads(text))
    'b'
    >>> text = '{"a": "x\\":", "b": [{"a": 1}]}'
    >>> repeated_key(text, json.loads(text)) is None
    True
    """
    ends = (_KEY_END.findall(text) if isinstance(text, bytes)
            else _TEXT_KEY_END.findall(text))
    if len(ends) <= _keys(decoded):
        return None
    found: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> None:
        seen: set[str] = set()
        for name, _ in items:
            if name in seen and not found:
                found.append(name)
            seen.add(name)

    try:
        json.loads(text, object_pairs_hook=pairs)
    except RecursionError:  # deeper than any shape the callers accept: they refuse it
        return None
    return found[0] if found else None


def _keys(value: Any) -> int:
    """Keys of every object in ``value``."""
    if isinstance(value, dict):
        return len(value) + sum(_keys(v) for v in value.values() if isinstance(v, dict | list))
    if isinstance(value, list):
        return sum(_keys(v) for v in value if isinstance(v, dict | list))
    return 0
