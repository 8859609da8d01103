"""Which regime applies to each kind of customer, and what the evaluation says about it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from engine.results import Evaluation
from tests.tax.helpers import customer, document, run, tax_ruleset

DE_BUSINESS = {"country": "DE", "postal_code": "10115", "siren": None,
               "vat_number": "DE136695976", "address": "Invalidenstraße 117, 10115 Berlin"}
US_BUSINESS = {"country": "US", "postal_code": "94105", "siren": None, "vat_number": None}
BE_CONSUMER = {"kind": "consumer", "country": "BE", "postal_code": "1000", "siren": None,
               "vat_number": None}


def tax_key(evaluation: Evaluation) -> dict[str, Any]:
    value = dict(evaluation.extra)["tax"]
    assert isinstance(value, dict)
    return value


def summary(evaluation: Evaluation) -> tuple[str, str, str, str | None]:
    (tax,) = evaluation.taxes
    return tax_key(evaluation)["regime"], tax.category, str(tax.rate), tax.exemption_code


@pytest.mark.parametrize(("fields", "period", "expected"), [
    ({}, "2026-10", ("fr.customer", "S", "0.20", None)),
    ({"kind": "consumer", "siren": None, "vat_number": None}, "2026-10",
     ("fr.customer", "S", "0.20", None)),
    (DE_BUSINESS, "2026-10", ("eu.business", "AE", "0", "VATEX-EU-AE")),
    (DE_BUSINESS, "2005-06", ("eu.business", "AE", "0", "VATEX-EU-AE")),
    (US_BUSINESS, "2026-10", ("noneu.business", "O", "0", "VATEX-EU-O")),
    (BE_CONSUMER, "2026-10", ("eu.consumer", "S", "0.21", None)),
    (BE_CONSUMER, "2014-12", ("eu.consumer", "S", "0.20", None)),  # before OSS: French TVA
    ({**BE_CONSUMER, "country": "GB"}, "2020-12", ("eu.consumer", "S", "0.20", None)),
    ({**BE_CONSUMER, "country": "GB"}, "2021-01", ("noneu.consumer", "O", "0", "VATEX-EU-O")),
    ({**BE_CONSUMER, "country": "US"}, "2003-06", ("noneu.consumer", "S", "0.196", None)),
    ({**BE_CONSUMER, "country": "US"}, "2003-07", ("noneu.consumer", "O", "0", "VATEX-EU-O")),
    ({**BE_CONSUMER, "country": "DE"}, "2020-07", ("eu.consumer", "S", "0.16", None)),
    ({**BE_CONSUMER, "country": "DE"}, "2021-01", ("eu.consumer", "S", "0.19", None)),
    ({**BE_CONSUMER, "country": "PL"}, "2004-04", ("noneu.consumer", "O", "0", "VATEX-EU-O")),
    ({**BE_CONSUMER, "country": "PL"}, "2004-05", ("eu.consumer", "S", "0.196", None)),
    ({"postal_code": "20000"}, "2026-10", ("fr.customer", "S", "0.20", None)),
    ({"postal_code": "97400"}, "2026-10", ("fr.customer", "S", "0.085", None)),
    ({"postal_code": "97300"}, "2026-10", ("fr.customer", "O", "0", "VATEX-EU-O")),
    # The overseas departments and Monaco by their own codes are France for TVA.
    ({"country": "GP", "postal_code": "97110"}, "2026-10", ("fr.customer", "S", "0.085", None)),
    ({"country": "RE", "postal_code": "97400", "kind": "consumer"}, "2026-10",
     ("fr.customer", "S", "0.085", None)),
    ({"country": "GF", "postal_code": "97300"}, "2026-10",
     ("fr.customer", "O", "0", "VATEX-EU-O")),
    ({"country": "MC", "postal_code": "98000"}, "2026-10", ("fr.customer", "S", "0.20", None)),
    ({"country": "PF", "postal_code": "98714"}, "2026-10",
     ("noneu.business", "O", "0", "VATEX-EU-O")),
])
def test_regime(fields: dict[str, Any], period: str,
                expected: tuple[str, str, str, str | None]) -> None:
    regime, category, rate, code = summary(run(customer(**fields), period))
    assert (regime, category, Decimal(rate), code) == (
        expected[0], expected[1], Decimal(expected[2]), expected[3])


def test_reverse_charge_says_autoliquidation_and_names_the_law() -> None:
    evaluation = run(customer(**DE_BUSINESS), "2026-10")
    (tax,) = evaluation.taxes
    assert (tax.amount, tax.exemption_reason) == (Decimal("0.00"), "Autoliquidation")
    assert tax.provenance[0].path == "rulesets/tax_fr/regimes.yaml"
    key = tax_key(evaluation)
    assert key["treatment"] == "reverse_charge"
    assert "259-1°" in key["reference"]["title"]
    assert evaluation.lines[0].vat_category == "AE"


@pytest.mark.parametrize("number", ["DE136695977", "DE12345", "FR11123456782"])
def test_eu_business_without_a_valid_vat_number_is_taxed_as_a_consumer(number: str) -> None:
    # DE136695977 fails its checksum; FR… is valid but not a German number.
    evaluation = run(customer(**{**DE_BUSINESS, "vat_number": number}), "2026-10")
    regime, category, rate, code = summary(evaluation)
    assert (regime, category, rate, code) == ("eu.business.no_valid_vat", "S", "0.19", None)
    key = tax_key(evaluation)
    assert key["customer"]["vat_number"] == "invalid"
    assert "invalide" in key["reason"] and "non-assujetti" in key["reason"]
    assert "282/2011" in key["reference"]["title"]


def test_eu_business_with_no_vat_number_before_2015_pays_french_tva() -> None:
    evaluation = run(customer(**{**DE_BUSINESS, "vat_number": None}), "2014-12")
    assert summary(evaluation) == ("eu.business.no_valid_vat", "S", "0.20", None)
    assert tax_key(evaluation)["customer"]["vat_number"] == "missing"


def test_eu_consumer_rate_comes_from_the_member_state_table() -> None:
    evaluation = run(customer(**BE_CONSUMER), "2026-10")
    (tax,) = evaluation.taxes
    assert [p.path for p in tax.provenance] == ["rulesets/tax_fr/regimes.yaml",
                                                "rulesets/tax_fr/eu_rates.yaml"]
    assert tax.provenance[1].rule_id == "eu.be"
    assert tax_key(evaluation)["country"] == "BE"


def test_customer_in_97x_uses_overseas_rates_and_an_invalid_siren_is_reported() -> None:
    evaluation = run(customer(postal_code="97400", siren="123456789"), "2026-10")
    key = tax_key(evaluation)
    assert (key["territory"], key["customer"]["siren"]) == ("fr.reunion", "invalid")
    assert evaluation.taxes[0].amount == Decimal("8.50")


def test_a_stored_customer_whose_postal_code_is_not_its_countrys_is_never_taxed_by_guess(
) -> None:
    # Built without the customers check, as a row stored before it would be.
    from engine.diagnostics import DiagnosticsError

    for fields in ({"country": "GP", "postal_code": ""}, {"country": "GP", "postal_code": "97200"},
                   {"country": "MC", "postal_code": "97110"}):
        with pytest.raises(DiagnosticsError) as refused:
            run(customer(**fields), "2026-10")
        assert [d.code for d in refused.value.diagnostics] == ["tax.territory.postal_code"]


def test_an_overseas_code_with_another_postal_code_is_refused() -> None:
    from engine.customers import parse_customers

    items = [{"id": "C-1", "name": "x", "country": "GP", "postal_code": "75011"},
             {"id": "C-2", "name": "y", "country": "MQ"},
             {"id": "C-3", "name": "z", "country": "MQ", "postal_code": "97200"},
             {"id": "C-4", "name": "m", "country": "MC", "postal_code": "97110"}]
    customers, problems = parse_customers(items, "customers.yaml")
    assert [c.id for c in customers] == ["C-3"]
    assert [p.code for p in problems] == ["customers.bad_postal_code"] * 3
    assert "starting with 971" in problems[0].message


def test_tax_document_keys_are_plain_json() -> None:
    data = document(run(customer(**US_BUSINESS), "2026-10"))
    assert data["taxes"] == [{
        "category": "O", "rate": "0.00", "base": "100.00", "amount": "0.00",
        "exemption_reason": "TVA non applicable – article 259-1° du CGI",
        "exemption_code": "VATEX-EU-O", "provenance": data["taxes"][0]["provenance"]}]
    assert data["totals"] == {"net": "100.00", "tax": "0.00", "gross": "100.00",
                              "currency": "EUR"}
    assert data["lines"][0]["vat_category"] == "O"
    assert data["tax"]["tax_point"] == "2026-10-31"
    assert data["issue_date"] == "2026-10-31"


def test_a_ruleset_without_tva_rules_computes_no_tax() -> None:
    from tests.conftest import pricing
    from tests.tax.helpers import CATALOGUE
    evaluation = run(customer(), "2026-10", pricing(CATALOGUE))
    assert (evaluation.taxes, evaluation.mentions, evaluation.extra) == ((), (), ())
    assert tax_ruleset().tax.regimes  # the repository's ruleset has them
