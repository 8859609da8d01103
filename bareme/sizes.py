"""Memory sizes on the command line, checked before DuckDB sees them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import click

__all__ = ["MEMORY_SIZE"]

_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)


if TYPE_CHECKING:
    _ParamType = click.ParamType[str, Any]  # generic for type checkers (newer click)
else:
    _ParamType = click.ParamType


class MemorySize(_ParamType):
    """A size such as ``512MB`` or ``2GiB``, as DuckDB's ``memory_limit`` takes it."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        text = str(value)
        if not _SIZE.match(text):
            self.fail(f"{text!r} is not a memory size; write a number and a unit, such as "
                      "512MB or 2GB (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)", param, ctx)
        return text.strip()


MEMORY_SIZE = MemorySize()
