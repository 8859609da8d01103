"""Evaluate a customer's usage for one billing period against one ruleset.

Pricing is selected by each record's own timestamp; TVA by the tax point (the end of the
period, for a continuous service billed per period). Both instants are in the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date
from operator import attrgetter, itemgetter

from engine.canonical import canonical_bytes, sha256_hex
from engine.customers import Customer
from engine.diagnostics import Diagnostic, DiagnosticsError
from engine.index import pricing_index
from engine.instants import isoformats
from engine.lines import build_lines
from engine.mentions import select_mentions
from engine.money import ZERO, exact, format_decimal
from engine.rating import Charge, Input, rate_rule
from engine.results import Evaluation, Line, Totals
from engine.routing import route_timed
from engine.rules.pricing import Percentage, PricingRule
from engine.rules.ruleset import Ruleset
from engine.tax_fr import apply_taxes
from engine.timeline import BillingPeriod
from engine.units import too_large
from engine.usage import Timed, UsageRecord, dedupe

__all__ = ["check_usage", "evaluate", "price_lines", "usage_digest"]


def check_usage(ruleset: Ruleset, customer_id: str, period: BillingPeriod,
                records: Iterable[UsageRecord]
                ) -> tuple[dict[str, list[UsageRecord]], list[Diagnostic]]:
    """Records by rule id, deduplicated; every record that cannot be priced is a problem."""
    routed, problems = _checked(ruleset, customer_id, period, records)
    return {rule_id: [r for _, _, r in group] for rule_id, group in routed.items()}, problems


def _checked(ruleset: Ruleset, customer_id: str, period: BillingPeriod,
             records: Iterable[UsageRecord]) -> tuple[dict[str, list[Timed]], list[Diagnostic]]:
    """:func:`check_usage`, each record kept with its UTC instant (converted once here)."""
    unique, problems = dedupe(records)
    mine: list[Timed] = []
    start, end = period.start.astimezone(UTC), period.end.astimezone(UTC)
    for record in unique:
        if (refused := too_large(record.quantity)) is not None:
            problems.append(_problem(record, *refused))
        elif record.customer_id != customer_id:
            problems.append(_problem(record, "customer_id", "usage.other_customer",
                                     f"record is for customer {record.customer_id!r}, not "
                                     f"{customer_id!r}"))
        elif not start <= (instant := record.timestamp.astimezone(UTC)) < end:
            problems.append(_problem(record, "timestamp", "usage.outside_period",
                                     f"{record.timestamp.isoformat()} is outside period "
                                     f"{period.label} [{period.start.isoformat()}, "
                                     f"{period.end.isoformat()})"))
        else:
            mine.append((instant, record.event_id, record))
    routed, unrouted = route_timed(ruleset, mine)
    return routed, problems + unrouted


def _problem(record: UsageRecord, field: str, code: str, message: str) -> Diagnostic:
    return Diagnostic(path=record.source, line=record.row, column=0, code=code,
                      message=f"field {field!r}: {message}")


@exact
def price_lines(ruleset: Ruleset, customer_id: str,
                routed: dict[str, list[UsageRecord]]) -> tuple[Line, ...]:
    """Every rule's lines for the customer, in ruleset order; percentages after their bases."""
    return _priced(ruleset, customer_id, {
        rule_id: [(r.timestamp.astimezone(UTC), r.event_id, r) for r in group]
        for rule_id, group in routed.items()})


def _priced(ruleset: Ruleset, customer_id: str,
            routed: dict[str, list[Timed]]) -> tuple[Line, ...]:
    index = pricing_index(ruleset)
    charges: dict[str, list[Charge]] = {}
    timelines = index.timelines(customer_id)
    for rule in index.order:
        timeline = timelines[rule.id]
        inputs = (_contributions(rule, charges) if rule.id in index.percentages
                  else _inputs(routed.get(rule.id, ())))
        charges[rule.id] = rate_rule(timeline, inputs)
    lines: list[Line] = []
    for rule in ruleset.rules:
        lines.extend(build_lines(charges[rule.id], timelines[rule.id], ruleset.commit))
    return tuple(lines)


@exact
def evaluate(ruleset: Ruleset, customer: Customer, period: BillingPeriod,
             records: Sequence[UsageRecord], *, issue_date: date | None = None) -> Evaluation:
    """The full evaluation, or :class:`DiagnosticsError` naming every bad record.

    Mentions are those in force on ``issue_date``, by default the last day of the period.
    """
    routed, problems = _checked(ruleset, customer.id, period, records)
    if problems:
        raise DiagnosticsError(problems)
    priced = _priced(ruleset, customer.id, routed)
    lines, taxes, extra = apply_taxes(ruleset, customer, period, priced)
    issued = issue_date or period.last_day
    mentions = select_mentions(ruleset, customer, period, lines, taxes, issue_date=issued)
    net = sum((line.amount for line in lines), ZERO)
    tax = sum((t.amount for t in taxes), ZERO)
    kept = [r for group in routed.values() for r in group]
    return Evaluation(customer_id=customer.id, period=period, commit=ruleset.commit,
                      timezone=ruleset.manifest.timezone, lines=lines, taxes=taxes,
                      mentions=mentions,
                      totals=Totals(net=net, tax=tax, gross=net + tax,
                                    currency=ruleset.manifest.currency),
                      tax_point=period.tax_point, issue_date=issued, usage_count=len(kept),
                      usage_digest=_digest(kept), extra=extra)


def usage_digest(records: Iterable[UsageRecord]) -> str:
    """SHA-256 of the records' content in (timestamp, event id) order, for the archive.

    Equal content gives equal digests however it was written: instants in UTC, quantities
    without trailing zeros (``1.50`` and ``1.5``, ``+02:00`` and ``Z`` are the same event).
    """
    return _digest([(r.timestamp.astimezone(UTC), r.event_id, r) for r in records])


def _digest(keyed: list[Timed]) -> str:
    keyed.sort(key=_instant_and_id)
    instants = isoformats([at for at, _, _ in keyed])
    rows = [[event_id, r.customer_id, r.metric, format_decimal(r.quantity), at,
             [list(a) for a in r.attributes]]
            for at, (_, event_id, r) in zip(instants, keyed, strict=True)]
    return "sha256:" + sha256_hex(canonical_bytes(rows))


def _inputs(records: Iterable[Timed]) -> list[Input]:
    return [Input(timestamp=at, event_id=event_id, quantity=r.quantity)
            for at, event_id, r in sorted(records, key=_instant_and_id)]


_instant_and_id = itemgetter(0, 1)
"""Sort key of (UTC instant, event id, record): instants compare fast in UTC."""

_input_order = attrgetter("timestamp", "event_id", "from_rule")
"""Sort key of a percentage rule's inputs."""


def _contributions(rule: PricingRule, charges: dict[str, list[Charge]]) -> list[Input]:
    referenced = {ref for v in rule.versions if isinstance(v, Percentage) for ref in v.of}
    items = [Input(timestamp=c.at, event_id=c.event_id, from_rule=ref,
                   quantity=c.piece.amount if c.base is None else c.base)
             for ref in sorted(referenced) for c in charges.get(ref, ()) if c.piece.amount]
    return sorted(items, key=_input_order)


