"""Legal mentions: French text with placeholders, conditions, dated versions, reference."""

from __future__ import annotations

from datetime import date

import msgspec

from engine.rules.conditions import Condition
from engine.rules.dated import LegalReference
from engine.rules.origin import Origin

__all__ = ["Mention", "MentionVersion"]


class MentionVersion(msgspec.Struct, frozen=True, kw_only=True):
    """The text of a mention from a date, and when this version applies."""

    effective_from: date
    text: str
    """Exact French text; ``{field}`` placeholders are filled at evaluation."""
    when: tuple[Condition, ...] = ()
    """Conditions of this version, on top of the mention's own."""
    reference: LegalReference
    line: int = 0


class Mention(msgspec.Struct, frozen=True, kw_only=True):
    """One legal mention (one file of ``legal_mentions/``)."""

    id: str
    title: str
    """What the mention is, for readers of the rules."""
    order: int
    """Print position: mentions are printed by increasing order."""
    when: tuple[Condition, ...] = ()
    versions: tuple[MentionVersion, ...]
    origin: Origin
