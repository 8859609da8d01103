"""TVA of the lines under a decided regime.

Each line gets its category and rate; then one subtotal per (category, rate) on the sum
of the line nets, rounded half-up to the cent (EN 16931 BR-CO rules).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import msgspec

from engine.diagnostics import Diagnostic, DiagnosticsError
from engine.money import ZERO, round_cents
from engine.results import Line, Provenance, TaxLine
from engine.rules.dated import provenance_of, version_on
from engine.rules.ruleset import Ruleset
from engine.tax_fr.regime import Decision

__all__ = ["Treatment", "tax_lines", "treat_line"]


class Treatment(msgspec.Struct, frozen=True, kw_only=True):
    """How one line is taxed."""

    category: str
    """EN 16931 VAT category code."""
    rate: Decimal
    """Rate applied, 0 where no French TVA is charged."""
    exemption_reason: str | None = None
    """Why no TVA is charged (BT-120), if so."""
    exemption_code: str | None = None
    """VATEX code (BT-121), if so."""
    provenance: tuple[Provenance, ...] = ()
    """Regime version, then the rate (or territory) version behind the rate."""


def treat_line(ruleset: Ruleset, decision: Decision, line: Line) -> Treatment:
    """Category, rate and reasons of ``line`` under ``decision``."""
    regime = provenance_of(decision.regime, decision.version, ruleset.commit)
    version = decision.version
    if decision.treatment in ("reverse_charge", "outside_scope"):
        return Treatment(category=version.category or "O", rate=ZERO,
                         exemption_reason=version.exemption_reason,
                         exemption_code=version.exemption_code, provenance=(regime,))
    if decision.treatment == "destination":
        return _member_state(ruleset, decision, line, regime)
    return _french(ruleset, decision, line, regime)


def _member_state(ruleset: Ruleset, decision: Decision, line: Line,
                  regime: Provenance) -> Treatment:
    """The standard rate of the customer's member state (EU consumers, OSS)."""
    entry, state = decision.eu_rate, decision.eu_rate_version
    if entry is None or state is None or state.rate is None:
        raise _error(line, f"regime {decision.regime.id!r} found no member state rate")
    if line.vat_rate_name != "normal":
        raise _error(line, f"line {line.rule_id!r} has TVA category {line.vat_rate_name!r}; "
                           "only the member states' standard rates are in "
                           "rulesets/tax_fr/eu_rates.yaml")
    return Treatment(category="S", rate=state.rate,
                     provenance=(regime, provenance_of(entry, state, ruleset.commit)))


def _french(ruleset: Ruleset, decision: Decision, line: Line, regime: Provenance) -> Treatment:
    """French TVA at the territory's rate for the line's category (none where none applies)."""
    territory, status = decision.territory, decision.territory_version
    if territory is None or status is None:
        raise _error(line, f"regime {decision.regime.id!r} found no TVA territory")
    if not status.applies:
        return Treatment(category=status.category, rate=ZERO,
                         exemption_reason=status.exemption_reason,
                         exemption_code=status.exemption_code,
                         provenance=(regime, provenance_of(territory, status, ruleset.commit)))
    rule = ruleset.tax.rate_rule(territory.id, line.vat_rate_name)
    found = version_on(rule.versions, decision.day) if rule else None
    if rule is None or found is None:
        raise _error(line, f"no {line.vat_rate_name} TVA rate of territory {territory.id!r} "
                           f"is in force on {decision.day} (line {line.rule_id!r})")
    return Treatment(category=status.category, rate=found.rate,
                     provenance=(regime, provenance_of(rule, found, ruleset.commit)))


def tax_lines(lines: Sequence[Line], treatments: Sequence[Treatment]) -> tuple[TaxLine, ...]:
    """One subtotal per (category, rate, exemption), ordered by category and rate."""
    groups: dict[tuple[str, Decimal, str | None, str | None], list[int]] = {}
    for index, treatment in enumerate(treatments):
        key = (treatment.category, treatment.rate, treatment.exemption_reason,
               treatment.exemption_code)
        groups.setdefault(key, []).append(index)
    taxes = []
    for (category, rate, reason, code), members in sorted(groups.items(),
                                                           key=lambda kv: kv[0][:2]):
        base = sum((lines[i].amount for i in members), ZERO)
        sources: dict[tuple[str, str, str], Provenance] = {}
        for i in members:
            for p in treatments[i].provenance:
                sources.setdefault((p.rule_id, p.version, p.path), p)
        taxes.append(TaxLine(category=category, rate=rate, base=base,
                             amount=round_cents(base * rate), exemption_reason=reason,
                             exemption_code=code, provenance=tuple(sources.values())))
    return tuple(taxes)


def _error(line: Line, message: str) -> DiagnosticsError:
    return DiagnosticsError([Diagnostic(path=line.provenance.path, line=line.provenance.line,
                                        column=1, code="tax.rate.none_in_force",
                                        message=message)])
