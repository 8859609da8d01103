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
    """First local date (ruleset time zone) on which this version holds."""
    text: str
    """Exact French text; ``{field}`` placeholders are filled at evaluation."""
    when: tuple[Condition, ...] = ()
    """Conditions of this version, on top of the mention's own."""
    reference: LegalReference
    """The legal text this version comes from."""
    line: int = 0
    """Line of the version in its file."""


class Mention(msgspec.Struct, frozen=True, kw_only=True):
    """One legal mention (one file of ``legal_mentions/``)."""

    id: str
    """Stable id, e.g. ``indemnite-recouvrement``; also the file's name."""
    title: str
    """What the mention is, for readers of the rules."""
    order: int
    """Print position: mentions are printed by increasing order."""
    when: tuple[Condition, ...] = ()
    """Conditions under which the mention is printed."""
    versions: tuple[MentionVersion, ...]
    """Dated versions, strictly increasing by ``effective_from``."""
    origin: Origin
    """Where the rule is written."""
