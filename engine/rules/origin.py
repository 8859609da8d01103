"""Where a rule came from: file, position and blob, completed by the commit at evaluation."""

from __future__ import annotations

import msgspec

__all__ = ["Origin"]


class Origin(msgspec.Struct, frozen=True, kw_only=True):
    """The YAML text behind a rule."""

    path: str
    """Path of the file inside the rules repository, e.g. ``rulesets/pricing/compute.yaml``."""
    line: int
    """1-based line where the item starts."""
    blob: str
    """Git blob SHA-1 of the file (the hash ``git hash-object`` gives)."""
    pointer: tuple[str | int, ...] = ()
    """Path of the item inside the parsed file, e.g. ``("rules", 3)``."""
