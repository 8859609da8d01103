"""Dated TVA rates: every change since 2000, every territory, with its legal reference."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.diagnostics import DiagnosticsError
from tests.tax.helpers import customer, run, tax_ruleset

PARIS, AJACCIO, POINTE_A_PITRE, FORT_DE_FRANCE, SAINT_DENIS, CAYENNE, MAMOUDZOU = (
    "75011", "20000", "97110", "97200", "97400", "97300", "97600")

CASES = [
    # postal code, period, category, rate, rule id, law in the reference
    (PARIS, "2000-03", "normal", "0.206", "fr.normal", "95-858"),
    (PARIS, "2000-04", "normal", "0.196", "fr.normal", "2000-656"),
    (PARIS, "2013-12", "normal", "0.196", "fr.normal", "2000-656"),
    (PARIS, "2014-01", "normal", "0.20", "fr.normal", "2012-1510"),
    (PARIS, "2026-10", "normal", "0.20", "fr.normal", "2012-1510"),
    (PARIS, "2012-01", "intermediate", "0.07", "fr.intermediate", "2011-1978"),
    (PARIS, "2013-12", "intermediate", "0.07", "fr.intermediate", "2011-1978"),
    (PARIS, "2014-01", "intermediate", "0.10", "fr.intermediate", "2012-1510"),
    (PARIS, "2000-01", "reduced", "0.055", "fr.reduced", "82-540"),
    (PARIS, "2014-01", "reduced", "0.055", "fr.reduced", "82-540"),
    (PARIS, "2000-01", "super_reduced", "0.021", "fr.super_reduced", "85-1403"),
    (PARIS, "2026-10", "super_reduced", "0.021", "fr.super_reduced", "85-1403"),
    (AJACCIO, "2013-12", "normal", "0.196", "fr.normal", "2000-656"),
    (AJACCIO, "2014-01", "normal", "0.20", "fr.normal", "2012-1510"),
    (AJACCIO, "2014-01", "intermediate", "0.10", "fr.intermediate", "2012-1510"),
    (POINTE_A_PITRE, "2000-03", "normal", "0.095", "dom.normal", "95-858"),
    (POINTE_A_PITRE, "2000-04", "normal", "0.085", "dom.normal", "2000-656"),
    (FORT_DE_FRANCE, "2014-01", "normal", "0.085", "dom.normal", "2000-656"),
    (SAINT_DENIS, "2026-10", "normal", "0.085", "dom.normal", "2000-656"),
    (SAINT_DENIS, "2026-10", "reduced", "0.021", "dom.reduced", "296"),
    (SAINT_DENIS, "2014-01", "intermediate", "0.021", "dom.intermediate", "296"),
    (SAINT_DENIS, "2000-01", "super_reduced", "0.021", "dom.super_reduced", "296"),
]


@pytest.mark.parametrize(("postal", "period", "category", "rate", "rule_id", "law"), CASES)
def test_rate_in_force_at_the_tax_point(postal: str, period: str, category: str, rate: str,
                                        rule_id: str, law: str) -> None:
    evaluation = run(customer(postal_code=postal), period, usage={category: "100"})
    (tax,) = evaluation.taxes
    assert (tax.category, tax.rate, tax.base) == ("S", Decimal(rate), Decimal("100.00"))
    assert tax.amount == Decimal(rate) * 100
    assert evaluation.lines[0].vat_rate == Decimal(rate)
    source = tax.provenance[-1]
    assert (source.rule_id, source.path) == (rule_id, "rulesets/tax_fr/rates.yaml")
    rule = tax_ruleset().tax.rate_rule(
        "fr.metropole" if postal in (PARIS, AJACCIO) else "fr.reunion", category)
    assert rule is not None
    version = next(v for v in rule.versions if v.effective_from.isoformat() == source.version)
    assert law in version.reference.title
    assert version.reference.url.startswith("https://")


def test_december_2013_is_taxed_at_19_6_and_january_2014_at_20() -> None:
    assert run(customer(), "2013-12").totals.tax == Decimal("19.60")
    assert run(customer(), "2014-01").totals.tax == Decimal("20.00")


@pytest.mark.parametrize(("postal", "period", "reason"), [
    (CAYENNE, "2000-01", "article 294-1 du CGI"),
    (CAYENNE, "2026-10", "article 294-1 du CGI"),
    (MAMOUDZOU, "2013-12", "TVA non applicable à Mayotte"),
    (MAMOUDZOU, "2014-01", "article 294-1 du CGI"),
])
def test_no_tva_in_guyane_and_mayotte(postal: str, period: str, reason: str) -> None:
    evaluation = run(customer(postal_code=postal), period)
    (tax,) = evaluation.taxes
    assert (tax.category, tax.rate, tax.amount) == ("O", Decimal("0"), Decimal("0.00"))
    assert tax.exemption_code == "VATEX-EU-O"
    assert reason in (tax.exemption_reason or "")
    assert dict(evaluation.extra)["tax"]["treatment"] == "not_applicable"  # type: ignore[index]


def test_no_intermediate_rate_before_2012_is_a_located_error() -> None:
    with pytest.raises(DiagnosticsError) as caught:
        run(customer(), "2011-12", intermediate="1")
    (problem,) = caught.value.diagnostics
    assert problem.code == "tax.rate.none_in_force"
    assert "intermediate" in problem.message


def test_tva_is_computed_on_the_sum_of_line_nets_rounded_half_up() -> None:
    # Two lines of 0.03 at 20 %: per line, 0.006 would round to 0.01 twice (0.02); on the
    # sum of the nets, 20 % of 0.06 is 0.012, rounded half-up to 0.01.
    evaluation = run(customer(), "2026-10", normal="0.03", normal_bis="0.03")
    (tax,) = evaluation.taxes
    assert (tax.base, tax.amount) == (Decimal("0.06"), Decimal("0.01"))
    half = run(customer(), "2026-10", normal="0.25", normal_bis="0.00")
    assert half.taxes[0].amount == Decimal("0.05")  # 0.25 × 20 % = 0.05 exactly
    up = run(customer(), "2026-10", normal="0.125")  # net 0.13 (half-up), tax 0.026 → 0.03
    assert (up.taxes[0].base, up.taxes[0].amount) == (Decimal("0.13"), Decimal("0.03"))
    assert evaluation.totals.tax == sum(t.amount for t in evaluation.taxes)
    assert evaluation.totals.gross == evaluation.totals.net + evaluation.totals.tax


def test_one_subtotal_per_category_and_rate() -> None:
    evaluation = run(customer(), "2026-10", normal="10", intermediate="10", reduced="10",
                     super_reduced="10")
    assert [(t.category, str(t.rate), str(t.amount)) for t in evaluation.taxes] == [
        ("S", "0.021", "0.21"), ("S", "0.055", "0.55"), ("S", "0.10", "1.00"),
        ("S", "0.20", "2.00")]
