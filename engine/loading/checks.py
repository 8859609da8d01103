"""Checks across files: unique ids, references, cycles, overlapping claims on a metric."""

from __future__ import annotations

from collections.abc import Sequence, Set
from datetime import date

from engine.loading.context import LoadContext
from engine.rules.pricing import Discount, Override, Percentage, PricingRule, UseCatalogue

__all__ = ["check_overrides", "check_rules"]


def check_rules(ctx: LoadContext, rules: Sequence[PricingRule],
                declared: Set[str] = frozenset()) -> None:
    """Ids unique, percentage references resolve without cycle, metrics claimed once.

    ``declared``: ids of rules written in the files but not built (their item has a
    problem of its own, already reported); a reference to one is not reported again.
    """
    by_id: dict[str, PricingRule] = {}
    for rule in rules:
        first = by_id.setdefault(rule.id, rule)
        if first is not rule:
            ctx.report_at(rule.origin, ("id",), "rule.duplicate_id",
                          f"rule id {rule.id!r} is already used at "
                          f"{first.origin.path}:{first.origin.line}; ids must be unique")
    _check_references(ctx, rules, by_id, declared)
    _check_metric_overlap(ctx, rules)


def _check_references(ctx: LoadContext, rules: Sequence[PricingRule],
                      by_id: dict[str, PricingRule], declared: Set[str]) -> None:
    graph: dict[str, set[str]] = {}
    for rule in rules:
        for vi, version in enumerate(rule.versions):
            if not isinstance(version, Percentage):
                continue
            for ri, ref in enumerate(version.of):
                if ref not in by_id and ref not in declared:
                    ctx.report_at(rule.origin, ("versions", vi, "of", ri),
                                  "pricing.percentage.unknown_rule",
                                  f"rule {rule.id!r} is a percentage of {ref!r}, which is not a "
                                  f"rule of this ruleset; known: {', '.join(sorted(by_id))}")
                graph.setdefault(rule.id, set()).add(ref)
    for rule_id in sorted(graph):
        cycle = _cycle_from(rule_id, graph)
        if cycle and cycle[0] == min(cycle[:-1]):
            rule = by_id[rule_id]
            ctx.report_at(rule.origin, ("id",), "pricing.percentage.cycle",
                          "percentage rules refer to each other in a cycle: "
                          + " -> ".join(cycle))


def _cycle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    while stack:
        node, trail = stack.pop()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return [*trail, start]
            if nxt not in trail:
                stack.append((nxt, [*trail, nxt]))
    return None


def _span(rule: PricingRule) -> tuple[date, date]:
    return rule.versions[0].effective_from, rule.until or date.max


def _check_metric_overlap(ctx: LoadContext, rules: Sequence[PricingRule]) -> None:
    metered = [r for r in rules if r.metric is not None]
    for i, first in enumerate(metered):
        for second in metered[i + 1:]:
            if first.metric != second.metric or first.id == second.id:
                continue
            (a0, a1), (b0, b1) = _span(first), _span(second)
            if a0 < b1 and b0 < a1 and not _disjoint(first.where, second.where):
                ctx.report_at(second.origin, ("metric",), "pricing.metric.overlap",
                              f"rules {first.id!r} ({first.origin.path}:{first.origin.line}) and "
                              f"{second.id!r} both rate {second.metric!r} from "
                              f"{max(a0, b0)}; give them disjoint 'where' conditions or end one "
                              "with 'until'")


def _disjoint(a: tuple[tuple[str, str], ...], b: tuple[tuple[str, str], ...]) -> bool:
    left = dict(a)
    return any(key in left and left[key] != value for key, value in b)


def check_overrides(ctx: LoadContext, overrides: Sequence[Override],
                    rules: Sequence[PricingRule], declared: Set[str] = frozenset()) -> None:
    """Overrides name a known rule, start after it, and never overlap for one customer.

    ``declared`` as for :func:`check_rules`.
    """
    by_id = {rule.id: rule for rule in rules}
    seen: dict[str, Override] = {}
    claimed: dict[tuple[str, str], Override] = {}
    for override in overrides:
        if seen.setdefault(override.id, override) is not override:
            ctx.report_at(override.origin, ("id",), "override.duplicate_id",
                          f"override id {override.id!r} is used twice; ids must be unique")
        rule = by_id.get(override.rule)
        if rule is None and override.rule in declared:
            continue
        if rule is None:
            ctx.report_at(override.origin, ("rule",), "override.unknown_rule",
                          f"override {override.id!r} names rule {override.rule!r}, which is not "
                          "a rule of this ruleset")
            continue
        key = (override.customer_id, override.rule)
        other = claimed.setdefault(key, override)
        if other is not override:
            ctx.report_at(override.origin, ("customer_id",), "override.overlap",
                          f"customer {override.customer_id!r} already has override "
                          f"{other.id!r} on rule {override.rule!r}; put both contracts in one "
                          "override as successive versions")
        _check_override_versions(ctx, override, rule)


def _check_override_versions(ctx: LoadContext, override: Override, rule: PricingRule) -> None:
    is_percentage = isinstance(rule.versions[0], Percentage)
    start = rule.versions[0].effective_from
    for index, version in enumerate(override.versions):
        if is_percentage and not isinstance(version, Discount | UseCatalogue):
            ctx.report_at(override.origin, ("versions", index, "model"),
                          "override.model_not_allowed",
                          f"rule {rule.id!r} is a percentage rule; an override of it may only "
                          "be a 'discount' or 'catalogue' version")
        if version.effective_from < start:
            ctx.report_at(override.origin, ("versions", index, "effective_from"),
                          "override.before_rule",
                          f"override version starts {version.effective_from}, before rule "
                          f"{rule.id!r} exists ({start})")
