"""Located diagnostics: every user error names its file, line, column and a stable code.

Stages return ``(value, diagnostics)`` instead of raising at the first problem, so a
pricing analyst fixing a pull request sees the whole list at once.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

__all__ = ["Diagnostic", "DiagnosticsError", "sort_diagnostics"]


class Diagnostic(msgspec.Struct, frozen=True, kw_only=True):
    """One problem in user input."""

    path: str
    """File (or source name, such as ``usage.csv``) the problem is in."""
    line: int
    """1-based line; for tabular sources, the record number."""
    column: int
    """1-based column; 0 when a row-oriented source has no column."""
    code: str
    """Stable, dotted identifier of the kind of problem, e.g. ``pricing.tiers.not_ascending``."""
    message: str
    """What was expected and what was found."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.code}: {self.message}"


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Order by file, line, column and code, dropping exact repeats."""
    unique = set(diagnostics)
    return tuple(sorted(unique, key=lambda d: (d.path, d.line, d.column, d.code, d.message)))


class DiagnosticsError(Exception):
    """Raised at an edge when input had problems; carries all of them."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sort_diagnostics(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))
