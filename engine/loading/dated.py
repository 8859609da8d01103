"""Building dated items (TVA, seller, mentions): ordered versions and declarative conditions.

Shared by the loaders of :mod:`engine.loading.tax_fr`, :mod:`engine.loading.seller` and
:mod:`engine.loading.mentions`; every problem is reported, located, to the context.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import date
from typing import Any, TypeVar

import msgspec

from engine.loading.context import LoadContext
from engine.loading.yaml_nodes import PathKey
from engine.rules.conditions import FIELDS, Condition
from engine.rules.origin import Origin

__all__ = ["build_versions", "check_unique_ids", "item_origin", "known_fields", "parse_when"]

T = TypeVar("T")
Prepare = Callable[[dict[str, Any], PathKey], dict[str, Any]]


def item_origin(ctx: LoadContext, filename: str, blob: str, pointer: PathKey) -> Origin:
    """Where the item at ``pointer`` of ``filename`` starts."""
    return Origin(path=filename, line=ctx.line_of(filename, pointer), blob=blob,
                  pointer=pointer)


def build_versions(ctx: LoadContext, origin: Origin, raws: list[dict[str, Any]], kind: type[T],
                   prepare: Prepare | None = None) -> tuple[T, ...] | None:
    """Typed versions in strictly increasing ``effective_from`` order, or ``None``."""
    versions: list[T] = []
    previous: date | None = None
    ok = True
    for index, raw in enumerate(raws):
        sub: PathKey = (*origin.pointer, "versions", index)
        if not ctx.is_valid(origin.path, sub):
            ok = False
            continue
        day = ctx.parse_date(origin.path, (*sub, "effective_from"), raw["effective_from"])
        if day is None:
            ok = False
            continue
        if previous is not None and day <= previous:
            ctx.report(origin.path, (*sub, "effective_from"), "versions.not_increasing",
                       f"version {index + 1} starts {day}, which is not after version {index} "
                       f"({previous}); versions must be listed in strictly increasing "
                       "effective_from order, without overlap")
            ok = False
        previous = day
        data = prepare(raw, sub) if prepare else raw
        versions.append(msgspec.convert({**data, "line": ctx.line_of(origin.path, sub)}, kind))
    return tuple(versions) if ok else None


def parse_when(ctx: LoadContext, filename: str, pointer: PathKey, raw: dict[str, Any] | None,
               stages: Collection[str], code: str) -> tuple[Condition, ...]:
    """Conditions of a ``when`` mapping; unknown fields and values are reported.

    ``code`` prefixes the diagnostic codes, e.g. ``mention`` gives
    ``mention.condition.unknown_field``.
    """
    conditions = []
    for name, expected in (raw or {}).items():
        where = (*pointer, name)
        field = FIELDS.get(name)
        if field is None or field.stage not in stages:
            ctx.report(filename, where, f"{code}.condition.unknown_field",
                       f"condition names unknown field {name!r}; {known_fields(name, stages)}")
            continue
        negate = isinstance(expected, dict)
        values = tuple(_text(v) for v in _listed(expected["not"] if negate else expected))
        strange = [v for v in values if field.values and v not in field.values]
        if strange:
            ctx.report(filename, where, f"{code}.condition.unknown_value",
                       f"field {name!r} never takes the value {strange[0]!r}; "
                       f"it is one of: {', '.join(field.values)}")
        conditions.append(Condition(field=name, values=values, negate=negate))
    return tuple(conditions)


def known_fields(name: str, stages: Collection[str]) -> str:
    """What to suggest instead of the unknown field ``name``: its stage's fields if known.

    >>> known_fields("customer.segment", {"customer"})[:44]
    'known customer fields: customer.address, cus'
    >>> known_fields("invoice.total", {"customer", "seller"})
    'conditions here may name customer.* or seller.* fields'
    """
    stage = name.split(".", 1)[0]
    if stage in stages:
        same = sorted(n for n, f in FIELDS.items() if f.stage == stage)
        return f"known {stage} fields: {', '.join(same)}"
    return ("conditions here may name "
            + " or ".join(f"{s}.*" for s in sorted(stages)) + " fields")


def _listed(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_unique_ids(ctx: LoadContext, items: Iterable[Any], code: str, what: str) -> None:
    """Report every item whose id was already used."""
    seen: dict[str, Origin] = {}
    for item in items:
        first = seen.setdefault(item.id, item.origin)
        if first is not item.origin:
            ctx.report_at(item.origin, ("id",), code,
                          f"{what} id {item.id!r} is already used at {first.path}:{first.line}; "
                          "ids must be unique")
