"""What every evaluation at one commit reads, derived once per ruleset.

A ruleset is immutable, so the rules by metric with their span in time, the order in
which rules are rated (percentages after their bases) and each rule's timeline (with a
customer's override, when one exists) are computed on first use and kept with it
(:meth:`engine.rules.ruleset.Ruleset.derived`). Instants are kept in UTC: comparing two
UTC instants is an order of magnitude cheaper than comparing across time zones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from engine.rating import RuleTimeline
from engine.rules.pricing import Override, Percentage, PricingRule
from engine.rules.ruleset import Ruleset
from engine.timeline import utc_midnight

__all__ = ["PricingIndex", "Route", "dependency_order", "pricing_index"]


class Route(NamedTuple):
    """A rule a record of its metric may go to: its ``where`` and its span, in UTC."""

    rule: PricingRule
    where: tuple[tuple[str, str], ...]
    start: datetime
    """Local midnight of the first version's ``effective_from``."""
    end: datetime | None
    """Local midnight of ``until`` (exclusive), if the rule ends."""


class PricingIndex:
    """Routes by metric, rating order and timelines of one ruleset."""

    def __init__(self, ruleset: Ruleset) -> None:
        zone = ruleset.zone
        self.routes: dict[str, list[Route]] = {}
        for rule in ruleset.rules:
            if rule.metric is not None:
                self.routes.setdefault(rule.metric, []).append(Route(
                    rule, rule.where, utc_midnight(rule.versions[0].effective_from, zone),
                    utc_midnight(rule.until, zone) if rule.until else None))
        self.order = tuple(dependency_order(ruleset.rules))
        self.percentages = frozenset(r.id for r in ruleset.rules
                                     if isinstance(r.versions[0], Percentage))
        self._overrides: dict[tuple[str, str], Override] = {}
        for override in ruleset.overrides:
            self._overrides.setdefault((override.customer_id, override.rule), override)
        self._timelines: dict[tuple[str, str | None], RuleTimeline] = {}
        self._zone = zone
        self._contracted = frozenset(o.customer_id for o in ruleset.overrides)
        self._catalogue: dict[str, RuleTimeline] | None = None

    def override(self, customer_id: str, rule_id: str) -> Override | None:
        """The customer's contract on the rule, if any (the loader refuses overlaps)."""
        return self._overrides.get((customer_id, rule_id))

    def timeline(self, rule: PricingRule, customer_id: str) -> RuleTimeline:
        """The rule's timeline for ``customer_id``: with its override, if it has one."""
        override = self.override(customer_id, rule.id)
        key = (rule.id, None if override is None else override.id)
        found = self._timelines.get(key)
        if found is None:
            found = self._timelines[key] = RuleTimeline(rule, override, self._zone)
        return found


    def timelines(self, customer_id: str) -> dict[str, RuleTimeline]:
        """Every rule's timeline for ``customer_id`` by rule id; callers do not change it.

        Customers without a contract share one mapping: the catalogue's timelines.
        """
        if customer_id in self._contracted:
            return {rule.id: self.timeline(rule, customer_id) for rule in self.order}
        if self._catalogue is None:
            self._catalogue = {rule.id: self.timeline(rule, customer_id) for rule in self.order}
        return self._catalogue


def pricing_index(ruleset: Ruleset) -> PricingIndex:
    """The ruleset's :class:`PricingIndex`, built on first use."""
    return ruleset.derived("pricing_index", PricingIndex)


def dependency_order(rules: Sequence[PricingRule]) -> list[PricingRule]:
    """Rules with the rules they are a percentage of first (the loader refused cycles)."""
    by_id = {rule.id: rule for rule in rules}
    done: dict[str, PricingRule] = {}

    def visit(rule: PricingRule) -> None:
        if rule.id in done:
            return
        for version in rule.versions:
            if isinstance(version, Percentage):
                for ref in version.of:
                    visit(by_id[ref])
        done[rule.id] = rule

    for rule in rules:
        visit(rule)
    return list(done.values())
