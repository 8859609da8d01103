"""Load a whole ruleset: parse every file, validate against its schema, build, check.

Every problem is gathered; a ruleset is returned only when there is none.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from engine.diagnostics import Diagnostic, sort_diagnostics
from engine.loading.checks import check_overrides, check_rules
from engine.loading.context import LoadContext
from engine.loading.families import FAMILIES, Family
from engine.loading.schema import schema_diagnostics
from engine.loading.yaml_nodes import parse_yaml
from engine.rules.ruleset import Manifest, Ruleset
from engine.store.source import WORKTREE, RuleFile, RuleSource

__all__ = ["MANIFEST_PATH", "LoadResult", "RulesetCache", "load_ruleset"]

MANIFEST_PATH = "rulesets/ruleset.yaml"
LoadResult = tuple[Ruleset | None, tuple[Diagnostic, ...]]


def load_ruleset(source: RuleSource) -> LoadResult:
    """Every rule of ``source``, typed and checked, or ``None`` and all the problems."""
    ctx = LoadContext()
    files = list(source.files())
    manifest = _manifest(ctx, files)
    items: dict[str, list[Any]] = {family.name: [] for family in FAMILIES}
    schema_ok = True
    for file in files:
        family = next((f for f in FAMILIES if f.claims(file.path)), None)
        if family is not None:
            schema_ok = _load_file(ctx, family, file, items[family.name]) and schema_ok
    # Across files even when some item has a problem of its own: a reference to such an
    # item (written, not built) is then not reported as unknown.
    built = {rule.id for rule in items["rules"]}
    declared = frozenset(ctx.rule_ids) - built
    check_rules(ctx, items["rules"], declared)
    _unbuilt_duplicates(ctx, {(r.origin.path, r.origin.pointer) for r in items["rules"]})
    check_overrides(ctx, items["overrides"], items["rules"], declared)
    finished: dict[str, Any] = {"manifest": manifest}
    for family in FAMILIES:
        value = items[family.name]
        if family.finish is not None and schema_ok:
            value = family.finish(ctx, value, finished)
        finished[family.name] = value
    diagnostics = sort_diagnostics(ctx.diagnostics)
    if diagnostics or manifest is None:
        return None, diagnostics
    extensions = {k: v for k, v in finished.items()
                  if k not in ("manifest", "rules", "overrides")}
    return Ruleset(commit=source.commit, manifest=manifest, rules=tuple(finished["rules"]),
                   overrides=tuple(finished["overrides"]),
                   extensions=MappingProxyType(extensions)), diagnostics


def _load_file(ctx: LoadContext, family: Family, file: RuleFile, out: list[Any]) -> bool:
    """Build the file's valid items; whether the whole file passed its schema."""
    data = _parse(ctx, file, family.schema)
    if data is None:
        return False
    if family.name == "rules" and isinstance(data.get("rules"), list):
        written = [(raw["id"], file.path, index) for index, raw in enumerate(data["rules"])
                   if isinstance(raw, dict) and isinstance(raw.get("id"), str)]
        ctx.rule_ids.update(rule_id for rule_id, _, _ in written)
        ctx.written_rules.extend(written)
    out.extend(family.build(ctx, file.path, file.blob, data))
    return not any(f == file.path for f, _ in ctx.invalid)


def _unbuilt_duplicates(ctx: LoadContext, built: set[tuple[str, Any]]) -> None:
    """Report a rule id written twice when one of the two was not built.

    Two built rules with one id are :func:`check_rules`' to report; a rule with a problem
    of its own is not built, and its id would otherwise be checked only once that
    problem is fixed.
    """
    first: dict[str, tuple[str, int]] = {}
    for rule_id, path, index in ctx.written_rules:
        if rule_id not in first:
            first[rule_id] = (path, index)
            continue
        was_path, was_index = first[rule_id]
        if ((was_path, ("rules", was_index)) in built
                and (path, ("rules", index)) in built):
            continue
        line = ctx.line_of(was_path, ("rules", was_index, "id"))
        ctx.report(path, ("rules", index, "id"), "rule.duplicate_id",
                   f"rule id {rule_id!r} is already used at {was_path}:{line}; ids must be "
                   "unique")


def _parse(ctx: LoadContext, file: RuleFile, schema: str) -> dict[str, Any] | None:
    try:
        text = file.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = file.data[:exc.start]
        line, column = before.count(b"\n") + 1, exc.start - before.rfind(b"\n")
        ctx.diagnostics.append(Diagnostic(
            path=file.path, line=line, column=column, code="file.encoding",
            message=f"byte {file.data[exc.start]:#04x} is not valid UTF-8; save the file as "
                    "UTF-8"))
        return None
    located, errors = parse_yaml(text, file.path)
    ctx.diagnostics.extend(errors)
    if located is None:
        return None
    ctx.files[file.path] = located
    problems = schema_diagnostics(schema, located, file.path)
    ctx.diagnostics.extend(d for _, d in problems)
    ctx.invalid.update((file.path, pointer) for pointer, _ in problems)
    # Items with a schema error are skipped by the builders; a broken top level stops here.
    if errors or not isinstance(located.data, dict) or any(len(p) < 2 for p, _ in problems):
        return None
    return located.data


def _manifest(ctx: LoadContext, files: Sequence[RuleFile]) -> Manifest | None:
    file = next((f for f in files if f.path == MANIFEST_PATH), None)
    if file is None:
        ctx.diagnostics.append(Diagnostic(
            path=MANIFEST_PATH, line=1, column=1, code="manifest.missing",
            message="no ruleset manifest; create it with at least 'timezone: Europe/Paris' "
                    "and 'currency: EUR'"))
        return None
    data = _parse(ctx, file, "ruleset")
    located = ctx.files.get(file.path)
    fields = located.data if located is not None and isinstance(located.data, dict) else {}
    zone = fields.get("timezone")
    # Checked even when another field fails its schema: every problem at once.
    if isinstance(zone, str) and ctx.is_valid(file.path, ("timezone",)):
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            ctx.report(file.path, ("timezone",), "manifest.timezone.unknown",
                       f"unknown time zone {zone!r}; use an IANA name such as "
                       "Europe/Paris")
            return None
    if data is None:
        return None
    return msgspec.convert(data, Manifest)


class RulesetCache:
    """Rulesets parsed once per commit SHA and shared; the working tree is never cached."""

    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._entries: OrderedDict[str, LoadResult] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, commit: object) -> bool:
        """Whether the ruleset of ``commit`` is parsed already (no git, no parsing)."""
        return commit in self._entries

    def load(self, source: RuleSource) -> LoadResult:
        """:func:`load_ruleset` of ``source``, from the cache when its commit was seen."""
        if source.commit == WORKTREE:
            return load_ruleset(source)
        with self._lock:
            if source.commit in self._entries:
                self._entries.move_to_end(source.commit)
                return self._entries[source.commit]
        result = load_ruleset(source)
        with self._lock:
            self._entries[source.commit] = result
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return result
