"""What changed between two rulesets, rule by rule and version by version.

Pricing teams read this in a pull request: a rule added or removed, a version added or
removed, a price changed from → to, an effective date moved. Families loaded beside
pricing (TVA, mentions) are compared the same way when they provide ``versions``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from engine.rules.ruleset import Ruleset

__all__ = ["Change", "compare_rulesets"]

_IGNORED = frozenset({"line", "origin", "effective_from"})


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """One difference between the base and the head ruleset."""

    kind: str
    """``rule.added``, ``rule.removed``, ``rule.changed``, ``version.added``,
    ``version.removed``, ``version.changed`` or ``version.moved``."""
    family: str
    """``rules``, ``overrides``, or the name of another family."""
    item: str
    """Id of the rule (or override, tax rule, mention)."""
    version: str | None = None
    """``effective_from`` of the version concerned (in the head when it exists)."""
    field: str | None = None
    before: Any = None
    after: Any = None

    def describe(self) -> str:
        """One human line."""
        where = f"{self.family} {self.item}" + (f" @ {self.version}" if self.version else "")
        if self.kind == "version.moved":
            return f"{where}: effective date moved from {self.before} to {self.after}"
        if self.field is not None:
            return f"{where}: {self.field} changed from {_show(self.before)} to {_show(self.after)}"
        return f"{where}: {self.kind.split('.')[1]}"


def compare_rulesets(base: Ruleset, head: Ruleset) -> list[Change]:
    """Every change from ``base`` to ``head``, in family and id order."""
    changes = _compare_items("rules", base.rules, head.rules)
    changes += _compare_items("overrides", base.overrides, head.overrides)
    for family in sorted(set(base.extensions) | set(head.extensions)):
        before, after = base.extensions.get(family, ()), head.extensions.get(family, ())
        if _is_items(before) and _is_items(after):
            changes += _compare_items(family, before, after)
        elif _plain(before) != _plain(after):
            changes.append(Change(kind="rule.changed", family=family, item=family,
                                  before=_plain(before), after=_plain(after)))
    if base.manifest != head.manifest:
        changes.append(Change(kind="rule.changed", family="manifest", item="ruleset",
                              before=_plain(base.manifest), after=_plain(head.manifest)))
    return changes


def _is_items(value: object) -> bool:
    return isinstance(value, tuple | list) and all(hasattr(i, "id") for i in value)


def _compare_items(family: str, base: Sequence[Any], head: Sequence[Any]) -> list[Change]:
    before = {item.id: item for item in base}
    after = {item.id: item for item in head}
    changes: list[Change] = []
    for item_id in sorted(before.keys() | after.keys()):
        old, new = before.get(item_id), after.get(item_id)
        if old is None:
            changes.append(Change(kind="rule.added", family=family, item=item_id))
        elif new is None:
            changes.append(Change(kind="rule.removed", family=family, item=item_id))
        else:
            changes += _compare_item(family, item_id, old, new)
    return changes


def _compare_item(family: str, item_id: str, old: Any, new: Any) -> list[Change]:
    changes = [Change(kind="rule.changed", family=family, item=item_id, field=name,
                      before=a, after=b)
               for name, a, b in _field_diffs(old, new, skip={"versions", "id"})]
    if hasattr(old, "versions") and hasattr(new, "versions"):
        changes += _compare_versions(family, item_id, old.versions, new.versions)
    return changes


def _compare_versions(family: str, item_id: str, old: Sequence[Any],
                      new: Sequence[Any]) -> list[Change]:
    before = {v.effective_from: v for v in old}
    after = {v.effective_from: v for v in new}
    removed = [d for d in before if d not in after]
    added = [d for d in after if d not in before]
    changes: list[Change] = []
    for day in list(removed):
        twin = next((d for d in added if _content(before[day]) == _content(after[d])), None)
        if twin is not None:
            removed.remove(day)
            added.remove(twin)
            changes.append(Change(kind="version.moved", family=family, item=item_id,
                                  version=twin.isoformat(), before=day.isoformat(),
                                  after=twin.isoformat()))
    changes += [Change(kind="version.removed", family=family, item=item_id,
                       version=d.isoformat(), before=_content(before[d])) for d in removed]
    changes += [Change(kind="version.added", family=family, item=item_id,
                       version=d.isoformat(), after=_content(after[d])) for d in added]
    for day in sorted(before.keys() & after.keys()):
        changes += [Change(kind="version.changed", family=family, item=item_id,
                           version=day.isoformat(), field=name, before=a, after=b)
                    for name, a, b in _field_diffs(before[day], after[day], skip=set())]
    return sorted(changes, key=lambda c: (c.version or "", c.kind, c.field or ""))


def _field_diffs(old: Any, new: Any, skip: set[str]) -> Iterable[tuple[str, Any, Any]]:
    a, b = _content(old), _content(new)
    for name in sorted(a.keys() | b.keys()):
        if name in skip or a.get(name) == b.get(name):
            continue
        yield from _value_diffs(name, a.get(name), b.get(name))


def _value_diffs(name: str, old: Any, new: Any) -> Iterable[tuple[str, Any, Any]]:
    """Lists of mappings of one length (tiers) are compared item by item, field by field.

    >>> list(_value_diffs("tiers", [{"up_to": "10", "unit_price": "1"}],
    ...                   [{"up_to": "10", "unit_price": "2"}]))
    [('tiers[1].unit_price', '1', '2')]
    """
    same_shape = (isinstance(old, list | tuple) and isinstance(new, list | tuple)
                  and len(old) == len(new)
                  and all(isinstance(i, dict) for i in [*old, *new]))
    if not same_shape:
        yield name, old, new
        return
    for index, (a, b) in enumerate(zip(old, new, strict=True), start=1):
        for key in sorted(a.keys() | b.keys()):
            if a.get(key) != b.get(key):
                yield f"{name}[{index}].{key}", a.get(key), b.get(key)


def _content(value: Any) -> dict[str, Any]:
    data = _plain(value)
    if not isinstance(data, dict):
        return {"value": data}
    return {k: v for k, v in data.items() if k not in _IGNORED}


def _plain(value: Any) -> Any:
    data = msgspec.to_builtins(value, str_keys=True)
    if isinstance(value, msgspec.Struct):
        tag = type(value).__struct_config__.tag
        if isinstance(data, dict) and tag is not None:
            data.setdefault("model", tag)
    return data


def _show(value: Any) -> str:
    if isinstance(value, Mapping | list):
        return msgspec.json.encode(value).decode()
    return repr(value)
