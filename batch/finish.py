"""Lines from per-bucket sums: discounts, percentages and minimums finished in Python.

Each (rule, version, component, tier, price) then becomes one line, rounded once.

Sums are exact decimals, and each step here is a sum of what the engine adds record by
record (:mod:`engine.rating`), so the lines are the engine's lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from batch.plan import Plan, is_percentage
from engine.index import pricing_index
from engine.lines import describe_line
from engine.money import ZERO, exact, round_cents
from engine.rating import PROPORTIONAL, LineKey, RuleTimeline, line_amount, round_line
from engine.rules.pricing import Discount, Percentage, PricingRule
from engine.rules.ruleset import Ruleset

__all__ = ["Finisher", "RatedLine", "finished_here", "needs_python"]

Key = tuple[int, int | None, str, int | None, Decimal]
"""(version, override version, component, tier, unit price) of one rule."""
Part = tuple[Key, int, Decimal, Decimal, bool]
"""(key, bucket, quantity, amount, whether some charge in it is not zero)."""

_ORDER = {"included": 0, "fee": 1, "flat_fee": 2, "units": 3, "package": 4, "percentage": 5,
          "discount": 6, "minimum": 7}


class RatedLine(msgspec.Struct, frozen=True, kw_only=True):
    """One line of a customer's period, as the engine would price it."""

    customer_id: str
    rule_id: str
    version: str
    """``effective_from`` of the version (the override's, when it set the price)."""
    override_id: str | None
    component: str
    tier: int | None
    label: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    """Rounded half-up to the cent."""
    vat_rate: str
    path: str
    line: int
    commit: str


class Finisher:
    """Finishes customers one at a time against one ruleset and plan."""

    def __init__(self, ruleset: Ruleset, plan: Plan) -> None:
        self.ruleset = ruleset
        self.plan = plan
        self.index = pricing_index(ruleset)  # the engine's own order, overrides, timelines
        self.python_rules, self.python_pairs = needs_python(ruleset)

    def timeline(self, customer_id: str, rule: PricingRule) -> RuleTimeline:
        """The rule's timeline for this customer (with the customer's override, if any)."""
        return self.index.timeline(rule, customer_id)

    @exact
    def lines(self, customer_id: str, rows: Iterable[Sequence[Any]],
              sums: Iterable[Sequence[Any]] = ()) -> list[RatedLine]:
        """Lines of the rules finished here (see :func:`needs_python`) for one customer.

        A row is (rule, version, price override, discount override, bucket, component,
        tier, unit price, quantity, amount) of a rule finished here; a sum is (rule,
        bucket, amount, whether some charge is not zero) of a rule the query finished,
        that a percentage rule takes as input.
        """
        parts: dict[str, list[Part]] = {}
        last: dict[str, tuple[int, int | None, int]] = {}
        discounts: dict[tuple[str, int, int, int], Decimal] = {}
        for rule_id, vi, poi, doi, bucket, component, tier, price, quantity, amount in rows:
            if component == "_last":
                last[rule_id] = (vi, poi if doi is None else doi, bucket)
                continue
            parts.setdefault(rule_id, []).append(
                ((vi, poi, component, tier, price), bucket, quantity, amount, amount != 0))
            if doi is not None:
                where = (rule_id, vi, doi, bucket)
                discounts[where] = discounts.get(where, ZERO) + amount
        emit = set(parts) | set(last)
        for rule_id, bucket, amount, nonzero in sums:
            parts.setdefault(rule_id, []).append(((0, None, "_sum", None, ZERO), bucket, ZERO,
                                                  amount, nonzero))
        for (rule_id, vi, doi, bucket), base in discounts.items():
            if base:
                parts[rule_id].append(self._discount(customer_id, rule_id, vi, doi, bucket, base))
        for rule in self.index.order:
            if rule.id in self.index.percentages:
                if finished_here(self.python_rules, self.python_pairs, customer_id, rule.id):
                    self._percentage(rule, self.timeline(customer_id, rule), parts)
                    emit.add(rule.id)
            elif rule.id in last:
                vi, oi, bucket = last[rule.id]
                mine = parts.setdefault(rule.id, [])
                mine.extend(_minimum(self.timeline(customer_id, rule), mine, (vi, oi), bucket))
        result: list[RatedLine] = []
        for rule in self.ruleset.rules:
            if rule.id in parts and rule.id in emit:
                result.extend(self._rule_lines(customer_id, rule, parts[rule.id]))
        return result

    def _discount(self, customer_id: str, rule_id: str, vi: int, doi: int, bucket: int,
                  base: Decimal) -> Part:
        override = self.index.override(customer_id, rule_id)
        assert override is not None  # the plan marks discounts of existing contracts only
        version = override.versions[doi]
        assert isinstance(version, Discount)  # the plan only marks discount versions
        amount = -version.rate * base
        return (vi, doi, "discount", None, -version.rate), bucket, base, amount, amount != 0

    def _percentage(self, rule: PricingRule, timeline: RuleTimeline,
                    parts: dict[str, list[Part]]) -> None:
        refs = sorted({r for v in rule.versions if isinstance(v, Percentage) for r in v.of})
        sums: dict[tuple[str, int], tuple[Decimal, bool]] = {}
        for ref in refs:
            for bucket, amount, nonzero in _taken(parts.get(ref, ())):
                total, any_nonzero = sums.get((ref, bucket), (ZERO, False))
                sums[(ref, bucket)] = (total + amount, any_nonzero or nonzero)
        buckets = sorted({b for (_, b), (_, nonzero) in sums.items() if nonzero})
        mine: list[Part] = []
        last_key: tuple[int, int | None] | None = None
        for bucket in buckets:
            priced = self._percentage_bucket(timeline, bucket, sums)
            if priced is not None:
                key, extra = priced
                mine.extend(extra)
                last_key = key
        if last_key is not None:
            mine.extend(_minimum(timeline, mine, last_key, buckets[-1]))
        if mine:
            parts[rule.id] = mine

    def _percentage_bucket(self, timeline: RuleTimeline, bucket: int,
                           sums: dict[tuple[str, int], tuple[Decimal, bool]]
                           ) -> tuple[tuple[int, int | None], list[Part]] | None:
        instant = self.plan.starts[bucket]
        base_index = timeline.base_at(instant)
        if base_index is None:
            return None
        model = timeline.rule.versions[base_index]
        assert isinstance(model, Percentage)  # the loader refuses mixed rules
        inputs = [sums[(ref, bucket)] for ref in model.of if (ref, bucket) in sums]
        if not any(nonzero for _, nonzero in inputs):
            return None
        total = sum((amount for amount, _ in inputs), ZERO)
        rate = model.rate
        out: list[Part] = [((base_index, None, "percentage", None, rate), bucket, total,
                            total * rate, rate != 0)]
        oi = timeline.override_at(instant)
        override = timeline.override.versions[oi] if timeline.override and oi is not None \
            else None
        if isinstance(override, Discount):
            if rate:
                amount = -override.rate * total * rate
                out.append(((base_index, oi, "discount", None, -override.rate), bucket,
                            total * rate, amount, override.rate != 0))
            return (base_index, oi), out
        return (base_index, None), out

    def _rule_lines(self, customer_id: str, rule: PricingRule,
                    parts: list[Part]) -> list[RatedLine]:
        sums: dict[Key, tuple[Decimal, Decimal]] = {}
        for key, _bucket, quantity, amount, _nonzero in parts:
            q, a = sums.get(key, (ZERO, ZERO))
            sums[key] = (q + quantity, a + amount)
        timeline = self.timeline(customer_id, rule)
        lines = [self._line(customer_id, timeline, key, q, a) for key, (q, a) in sums.items()]
        return sorted(lines, key=lambda line: (
            line.component == "minimum", line.version, line.override_id or "",
            _ORDER[line.component], line.tier or 0))

    def _line(self, customer_id: str, timeline: RuleTimeline, key: Key, quantity: Decimal,
              amount: Decimal) -> RatedLine:
        vi, oi, component, tier, price = key
        line_key = LineKey(rule_id=timeline.rule.id, version_index=vi, override_index=oi,
                           component=component, tier=tier, unit_price=price)
        label, unit, provenance = describe_line(line_key, timeline, self.ruleset.commit)
        return RatedLine(
            customer_id=customer_id, rule_id=timeline.rule.id, version=provenance.version,
            override_id=provenance.override_id, component=component, tier=tier, label=label,
            quantity=round_cents(quantity) if component in PROPORTIONAL else quantity,
            unit=unit, unit_price=price, amount=line_amount(line_key, quantity, amount),
            vat_rate=timeline.rule.vat_rate, path=provenance.path, line=provenance.line,
            commit=self.ruleset.commit)


def needs_python(ruleset: Ruleset) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """Rules, and (customer, rule) pairs, whose lines are finished here.

    Rules with a minimum in some version; a customer's rule whose override has a minimum
    or a discount; percentage rules that take another percentage, are taken by one, or
    take a rule finished here (for every customer, or for that customer). The query
    finishes every other line, plain percentages included.
    """
    percentages = [r for r in ruleset.rules if is_percentage(r)]
    refs = {r.id: {ref for v in r.versions if isinstance(v, Percentage) for ref in v.of}
            for r in percentages}
    rules = {r.id for r in ruleset.rules
             if not is_percentage(r) and any(v.minimum is not None for v in r.versions)}
    taken = set().union(*refs.values()) if refs else set()
    rules |= {p for p, of in refs.items()
              if p in taken or of & rules or any(ref in refs for ref in of)}
    pairs = {(o.customer_id, o.rule) for o in ruleset.overrides
             if any(isinstance(v, Discount) or v.minimum is not None for v in o.versions)}
    pairs |= {(c, p) for c, r in list(pairs) for p, of in refs.items() if r in of}
    return frozenset(rules), frozenset(pairs)


def finished_here(rules: frozenset[str], pairs: frozenset[tuple[str, str]], customer_id: str,
                  rule_id: str) -> bool:
    """Whether this customer's lines of this rule are finished here."""
    return rule_id in rules or (customer_id, rule_id) in pairs


def _minimum(timeline: RuleTimeline, parts: Sequence[Part], last_key: tuple[int, int | None],
             bucket: int) -> list[Part]:
    """The top-up to the minimum of the version in force at the last input, if any."""
    base_index, oi = last_key
    override = timeline.override
    version = override.versions[oi] if override is not None and oi is not None else None
    minimum = version.minimum if version is not None and not isinstance(version, Discount) \
        else None
    if minimum is None:
        minimum = timeline.rule.versions[base_index].minimum
    if minimum is None:
        return []
    sums: dict[Key, tuple[Decimal, Decimal]] = {}
    for key, _bucket, quantity, amount, _nonzero in parts:
        q, a = sums.get(key, (ZERO, ZERO))
        sums[key] = (q + quantity, a + amount)
    billed = sum((_amount(key, q, a) for key, (q, a) in sums.items()), ZERO)
    if billed >= minimum:
        return []
    top_up = minimum - billed
    return [((base_index, oi, "minimum", None, top_up), bucket, Decimal(1), top_up, True)]


def _taken(parts: Sequence[Part]) -> Iterator[tuple[int, Decimal, bool]]:
    """(bucket, amount, nonzero) of each part, as a percentage of the rule takes them.

    A minimum's top-up is the minimum less the rounded lines; a percentage takes the
    minimum less the exact amounts (``engine.rating.Charge.base``).
    """
    topped = [part for part in parts if part[0][2] == "minimum"]
    if topped:
        rest = [part for part in parts if part[0][2] != "minimum"]
        sums: dict[Key, tuple[Decimal, Decimal]] = {}
        for key, _bucket, quantity, amount, _nonzero in rest:
            q, a = sums.get(key, (ZERO, ZERO))
            sums[key] = (q + quantity, a + amount)
        billed = sum((_amount(key, q, a) for key, (q, a) in sums.items()), ZERO)
        exact = sum((a for _, a in sums.values()), ZERO)
        parts = rest
        for _key, bucket, _quantity, top_up, nonzero in topped:
            yield bucket, top_up + billed - exact, nonzero
    for _key, bucket, _quantity, amount, nonzero in parts:
        yield bucket, amount, nonzero


def _amount(key: Key, quantity: Decimal, amount: Decimal) -> Decimal:
    return round_line(key[2], key[4], quantity, amount)


