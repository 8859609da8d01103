"""``bareme diff`` shows TVA and mention changes rule by rule, version by version."""

from __future__ import annotations

from engine.compare import compare_rulesets
from tests.tax.helpers import repository_files, tax_ruleset

RATES = "rulesets/tax_fr/rates.yaml"


def test_tva_and_mention_changes_are_listed_rule_by_rule() -> None:
    base = tax_ruleset()
    rates = repository_files()[RATES].replace(
        'JORFTEXT000026857857"\n', 'JORFTEXT000026857857"\n      - effective_from: 2027-01-01\n'
        '        rate: "0.206"\n        reference: {title: "Loi de finances pour 2027"}\n', 1)
    mention = repository_files()["legal_mentions/echeance.yaml"].replace(
        "Date d'échéance :", "Date d'échéance du paiement :")
    head = tax_ruleset({RATES: rates, "legal_mentions/echeance.yaml": mention})
    described = [c.describe() for c in compare_rulesets(base, head)]
    assert "tax_rates fr.normal @ 2027-01-01: added" in described
    assert any(d.startswith("mentions echeance @ 2000-01-01: text changed from "
                            "\"Date d'échéance : {invoice.due_date}\"") for d in described)
    assert len(described) == 2, described


def test_seller_and_regime_changes_are_listed() -> None:
    seller = repository_files()["rulesets/seller.yaml"].replace(
        'share_capital: "1200000.00"', 'share_capital: "1500000.00"')
    regimes = repository_files()["rulesets/tax_fr/regimes.yaml"].replace(
        "category: O\n        exemption_reason: \"TVA non applicable – article 259-1° du CGI\"",
        "category: G\n        exemption_reason: \"TVA non applicable – article 259-1° du CGI\"")
    head = tax_ruleset({"rulesets/seller.yaml": seller,
                        "rulesets/tax_fr/regimes.yaml": regimes})
    described = [c.describe() for c in compare_rulesets(tax_ruleset(), head)]
    assert described == [
        "seller seller @ 2025-01-01: share_capital changed from '1200000.00' to '1500000.00'",
        "tax_regimes noneu.business @ 2010-01-01: category changed from 'O' to 'G'"]
