"""``legal_mentions/*.yaml``: one mention per file; conditions and placeholders checked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import msgspec

from engine.loading.context import LoadContext
from engine.loading.dated import (
    build_versions,
    check_unique_ids,
    item_origin,
    known_fields,
    parse_when,
)
from engine.loading.yaml_nodes import PathKey
from engine.rules.conditions import FIELDS
from engine.rules.mentions import Mention, MentionVersion

__all__ = ["PLACEHOLDER", "build_mention", "finish_mentions"]

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
"""A ``{field}`` in a mention's text."""
_ALL_STAGES = frozenset(f.stage for f in FIELDS.values())


def build_mention(ctx: LoadContext, filename: str, blob: str,
                  data: dict[str, Any]) -> list[Mention]:
    """The mention of one schema-valid file."""
    origin = item_origin(ctx, filename, blob, ())
    when = parse_when(ctx, filename, ("when",), data.get("when"), _ALL_STAGES, "mention")

    def prepare(raw: dict[str, Any], pointer: PathKey) -> dict[str, Any]:
        _check_placeholders(ctx, filename, (*pointer, "text"), raw["text"])
        conditions = parse_when(ctx, filename, (*pointer, "when"), raw.get("when"),
                                _ALL_STAGES, "mention")
        return {**raw, "when": msgspec.to_builtins(conditions)}

    versions = build_versions(ctx, origin, data["versions"], MentionVersion, prepare)
    if versions is None:
        return []
    return [Mention(id=data["id"], title=data["title"], order=int(data["order"]), when=when,
                    versions=versions, origin=origin)]


def _check_placeholders(ctx: LoadContext, filename: str, pointer: PathKey, text: str) -> None:
    for name in PLACEHOLDER.findall(text):
        if name not in FIELDS:
            ctx.report(filename, pointer, "mention.placeholder.unknown",
                       f"placeholder {{{name}}} names no known field; "
                       f"{known_fields(name, _ALL_STAGES)}")


def finish_mentions(ctx: LoadContext, items: Sequence[Mention],
                    finished: dict[str, Any]) -> tuple[Mention, ...]:
    """Unique ids; mentions in print order."""
    del finished
    check_unique_ids(ctx, items, "mention.duplicate_id", "mention")
    return tuple(sorted(items, key=lambda m: (m.order, m.id)))
