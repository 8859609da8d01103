"""French TVA: which regime applies, at which tax point, at which rate.

This stage receives the priced lines and returns them with their VAT category and rate,
the per-(category, rate) tax subtotals, and a ``tax`` key for the evaluation saying which
regime applied and why. A ruleset without TVA rules (no ``rulesets/tax_fr/regimes.yaml``)
computes no tax.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import msgspec

from engine.customers import Customer
from engine.memo import Memo
from engine.results import Line, Provenance, TaxLine
from engine.rules.dated import provenance_of, version_on
from engine.rules.ruleset import Ruleset
from engine.tax_fr.regime import Decision, decide
from engine.tax_fr.tax_point import tax_date
from engine.tax_fr.vat import Treatment, tax_lines, treat_line
from engine.timeline import BillingPeriod

__all__ = ["Decision", "TaxOutcome", "apply_taxes", "decide_for"]

TaxOutcome = tuple[tuple[Line, ...], tuple[TaxLine, ...], tuple[tuple[str, object], ...]]


def decide_for(ruleset: Ruleset, customer: Customer, period: BillingPeriod) -> Decision | None:
    """The regime of ``customer`` at the tax point of ``period``; ``None`` without TVA rules.

    Decided once per customer and tax point at a commit (:class:`engine.memo.Memo`).
    """
    if not ruleset.tax.regimes:
        return None
    day = tax_date(period)

    def decided() -> Decision:
        seller = ruleset.seller
        version = version_on(seller.versions, day) if seller else None
        return decide(ruleset, customer, day, version)

    return _decisions(ruleset).get((customer, day), decided)


def apply_taxes(ruleset: Ruleset, customer: Customer, period: BillingPeriod,
                lines: tuple[Line, ...]) -> TaxOutcome:
    """Lines with their TVA, the tax subtotals, and extra keys for the result."""
    decision = decide_for(ruleset, customer, period)
    if decision is None:
        return lines, (), ()
    treated = _treatments(ruleset)
    by_rate: dict[str, Treatment] = {}  # lines share a few rate names: one look-up each
    treatments = []
    for line in lines:
        found = by_rate.get(line.vat_rate_name)
        if found is None:
            found = by_rate[line.vat_rate_name] = treated.get(
                (customer, decision.day, line.vat_rate_name),
                partial(treat_line, ruleset, decision, line))
        treatments.append(found)
    taxed = tuple(msgspec.structs.replace(line, vat_category=t.category, vat_rate=t.rate)
                  for line, t in zip(lines, treatments, strict=True))
    explained = ruleset.derived("tax_explained", lambda _: Memo[dict[str, Any]]())
    explanation = explained.get((customer, decision.day), partial(_explain, ruleset, decision))
    return taxed, tax_lines(taxed, treatments), (("tax", explanation),)


def _decisions(ruleset: Ruleset) -> Memo[Decision]:
    return ruleset.derived("tax_decisions", lambda _: Memo[Decision]())


def _treatments(ruleset: Ruleset) -> Memo[Treatment]:
    """A line's treatment depends on the decision and the line's rate category only."""
    return ruleset.derived("tax_treatments", lambda _: Memo[Treatment]())


def _explain(ruleset: Ruleset, decision: Decision) -> dict[str, Any]:
    """The ``tax`` key: plain JSON saying which regime applied, where, and from which rules."""
    facts = dict(decision.facts)
    rules = [provenance_of(decision.regime, decision.version, ruleset.commit)]
    if decision.territory and decision.territory_version:
        rules.append(provenance_of(decision.territory, decision.territory_version,
                                   ruleset.commit))
    if decision.eu_rate and decision.eu_rate_version:
        rules.append(provenance_of(decision.eu_rate, decision.eu_rate_version, ruleset.commit))
    return {
        "regime": decision.regime.id, "treatment": decision.treatment,
        "tax_point": decision.day.isoformat(),
        "territory": decision.territory.id if decision.territory else None,
        "country": decision.eu_rate.country if decision.eu_rate else None,
        "reason": decision.version.reason,
        "reference": {"title": decision.version.reference.title,
                      "url": decision.version.reference.url},
        "customer": {"area": facts.get("customer.area"),
                     "vat_number": facts.get("customer.vat_number_status"),
                     "siren": facts.get("customer.siren_status")},
        "rules": [_plain(p) for p in rules],
    }


def _plain(p: Provenance) -> dict[str, Any]:
    return {"rule_id": p.rule_id, "version": p.version, "path": p.path, "line": p.line,
            "blob": p.blob, "commit": p.commit}
