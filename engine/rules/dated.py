"""Dated items shared by the TVA, seller and mention rules: references, versions in force.

Every such rule is an item with an ``id`` and ``versions`` ordered by ``effective_from``
(the shape :mod:`engine.compare` diffs rule by rule); the version in force on a local date
is a bisect over the version starts.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import date
from typing import Protocol, TypeVar

import msgspec

from engine.results import Provenance
from engine.rules.origin import Origin

__all__ = ["Dated", "DatedItem", "LegalReference", "provenance_of", "version_on"]


class LegalReference(msgspec.Struct, frozen=True, kw_only=True):
    """The legal text a dated value comes from, as an auditor would look it up."""

    title: str
    """E.g. ``Loi 2012-1510 du 29/12/2012, art. 68``."""
    url: str = ""
    """Link to the text (Légifrance, EUR-Lex, BOFiP)."""


class Dated(Protocol):
    """Anything with a start date."""

    @property
    def effective_from(self) -> date:
        """First local date on which the value holds."""
        ...


D = TypeVar("D", bound=Dated)


def version_on(versions: Sequence[D], day: date) -> D | None:
    """The version in force on ``day``: the last one starting on or before it.

    >>> class V(msgspec.Struct, frozen=True):
    ...     effective_from: date
    >>> vs = [V(date(2000, 4, 1)), V(date(2014, 1, 1))]
    >>> version_on(vs, date(2013, 12, 31)).effective_from
    datetime.date(2000, 4, 1)
    >>> version_on(vs, date(2000, 3, 31)) is None
    True
    """
    index = bisect.bisect_right([v.effective_from for v in versions], day) - 1
    return versions[index] if index >= 0 else None


class _Version(Protocol):
    @property
    def effective_from(self) -> date: ...

    @property
    def line(self) -> int: ...


class DatedItem(Protocol):
    """A rule with an id and a place in a file."""

    @property
    def id(self) -> str:
        """Rule id."""
        ...

    @property
    def origin(self) -> Origin:
        """Where the rule is written."""
        ...


def provenance_of(item: DatedItem, version: _Version, commit: str) -> Provenance:
    """The provenance of ``version`` of ``item`` at ``commit``."""
    return Provenance(rule_id=item.id, version=version.effective_from.isoformat(),
                      path=item.origin.path, line=version.line, blob=item.origin.blob,
                      commit=commit)
