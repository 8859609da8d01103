"""Charges grouped into invoice lines, each rounded once and traced to its rule text."""

from __future__ import annotations

from collections.abc import Iterable

from engine.money import ZERO, format_decimal, round_cents
from engine.rating import PROPORTIONAL, Charge, LineKey, RuleTimeline, line_amount
from engine.results import Line, Provenance
from engine.rules.pricing import Discount, Package, PricingVersion

__all__ = ["build_lines", "describe_line"]

_COMPONENT_ORDER = {"included": 0, "fee": 1, "flat_fee": 2, "units": 3, "package": 4,
                    "percentage": 5, "discount": 6, "minimum": 7}


def build_lines(charges: Iterable[Charge], timeline: RuleTimeline, commit: str) -> list[Line]:
    """One line per key, ordered by version, component and tier."""
    groups: dict[LineKey, list[Charge]] = {}
    for charge in charges:
        groups.setdefault(charge.key, []).append(charge)
    lines = [_line(key, group, timeline, commit) for key, group in groups.items()]
    if len(lines) < 2:
        return lines
    return sorted(lines, key=lambda line: (
        line.component == "minimum", line.version, line.provenance.override_id or "",
        _COMPONENT_ORDER[line.component], line.tier or 0))


def describe_line(key: LineKey, timeline: RuleTimeline,
                  commit: str) -> tuple[str, str, Provenance]:
    """Label, unit and provenance of the line ``key`` names (shared with batch rating).

    Kept on the timeline, by what they depend on (not the unit price, which varies from
    customer to customer for a minimum's top-up): the same lines come back evaluation
    after evaluation.
    """
    where = (key.version_index, key.override_index, key.component, key.tier, commit)
    found = timeline.described.get(where)
    if found is None:
        found = timeline.described[where] = (
            _label(key, timeline), _unit(key, timeline), _provenance(key, timeline, commit))
    return found


def _line(key: LineKey, group: list[Charge], timeline: RuleTimeline, commit: str) -> Line:
    """The line of ``group``: sums, first and last use in one pass over its charges."""
    quantity = amount = ZERO
    first = last = group[0].at
    for charge in group:
        piece = charge.piece
        quantity += piece.quantity
        amount += piece.amount
        at = charge.at
        if at < first:
            first = at
        elif at > last:
            last = at
    amount = line_amount(key, quantity, amount)
    if key.component in PROPORTIONAL:
        quantity = round_cents(quantity)
    label, unit, provenance = describe_line(key, timeline, commit)
    return Line(rule_id=timeline.rule.id, version=provenance.version, label=label,
                component=key.component, tier=key.tier, quantity=quantity, unit=unit,
                unit_price=key.unit_price, amount=amount, vat_rate_name=timeline.rule.vat_rate,
                usage_from=first.astimezone(timeline.zone),
                usage_to=last.astimezone(timeline.zone), provenance=provenance)


def _provenance(key: LineKey, timeline: RuleTimeline, commit: str) -> Provenance:
    rule = timeline.rule
    override = timeline.override
    if key.override_index is None or override is None:
        version = rule.versions[key.version_index]
        return Provenance(rule_id=rule.id, version=version.effective_from.isoformat(),
                          path=rule.origin.path, line=version.line, blob=rule.origin.blob,
                          commit=commit)
    chosen = override.versions[key.override_index]
    return Provenance(rule_id=rule.id, version=chosen.effective_from.isoformat(),
                      path=override.origin.path, line=chosen.line, blob=override.origin.blob,
                      commit=commit, override_id=override.id)


def _label(key: LineKey, timeline: RuleTimeline) -> str:
    label = timeline.rule.label
    tier = f" (palier {key.tier})" if key.tier else ""
    override = timeline.override
    return {
        "included": f"{label} — quantité incluse",
        "flat_fee": f"{label} — forfait d'entrée{tier}",
        "fee": f"{label} — forfait",
        "minimum": f"{label} — complément au minimum de facturation",
        "discount": f"{label} — remise "
                    f"{(override.label if override and override.label else 'contractuelle')}",
    }.get(key.component, f"{label}{tier}")


def _model(key: LineKey, timeline: RuleTimeline) -> object:
    """The version whose price the line shows: the override's, when it set one."""
    override = timeline.override
    if key.override_index is not None and override is not None:
        chosen = override.versions[key.override_index]
        if not isinstance(chosen, Discount):
            return chosen
    version: PricingVersion = timeline.rule.versions[key.version_index]
    return version


def _unit(key: LineKey, timeline: RuleTimeline) -> str:
    version = _model(key, timeline)
    if key.component == "package" and isinstance(version, Package):
        return f"paquet de {format_decimal(version.size)} {timeline.rule.unit}".rstrip()
    if key.component in PROPORTIONAL:
        return "EUR"
    if key.component in ("fee", "flat_fee", "minimum"):
        return "forfait"
    return timeline.rule.unit
