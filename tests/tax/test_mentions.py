"""Legal mentions: in force at the issue date, conditional, in print order, with provenance."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from bareme.sample import SAMPLE_CUSTOMERS
from tests.tax.helpers import customer, mention_ids, repository_files, run, tax_ruleset

REFORM = {"client-siren", "nature-operations", "option-debits"}
"""The e-invoicing reform mentions printed for a French business by a seller on debits."""


def _seller(size: str) -> dict[str, str]:
    text = repository_files()["rulesets/seller.yaml"]
    return {"rulesets/seller.yaml": text.replace("size: mid_size", f"size: {size}")}


@pytest.mark.parametrize(("size", "before", "after"), [
    ("large", "2026-08", "2026-09"),
    ("mid_size", "2026-08", "2026-09"),
    ("sme", "2027-08", "2027-09"),
    ("micro", "2027-08", "2027-09"),
])
def test_reform_mentions_start_at_the_sellers_issuance_date(size: str, before: str,
                                                            after: str) -> None:
    ruleset = tax_ruleset(_seller(size))
    old = set(mention_ids(run(customer(), before, ruleset)))
    new = set(mention_ids(run(customer(), after, ruleset)))
    assert new - old == REFORM
    assert old - new == set()


def test_sme_mentions_do_not_change_in_september_2026() -> None:
    ruleset = tax_ruleset(_seller("sme"))
    assert mention_ids(run(customer(), "2026-08", ruleset)) == mention_ids(
        run(customer(), "2026-09", ruleset))


def test_mentions_follow_the_issue_date_not_the_period() -> None:
    august = run(customer(), "2026-08", issue_date=date(2026, 9, 1))
    assert set(mention_ids(august)) >= REFORM
    assert august.issue_date == date(2026, 9, 1)
    due = next(m for m in august.mentions if m.id == "echeance")
    assert due.text == "Date d'échéance : 01/10/2026"


def test_mentions_carry_their_text_and_provenance_in_print_order() -> None:
    evaluation = run(customer(), "2026-10")
    ids = mention_ids(evaluation)
    assert ids[:2] == ["vendeur", "client"]
    assert ids.index("echeance") < ids.index("indemnite-recouvrement")
    indemnity = next(m for m in evaluation.mentions if m.id == "indemnite-recouvrement")
    assert indemnity.text.endswith(": 40 €")
    assert indemnity.provenance is not None
    assert (indemnity.provenance.path, indemnity.provenance.version) == (
        "legal_mentions/indemnite-recouvrement.yaml", "2013-01-01")
    assert indemnity.provenance.commit == "c" * 40


def test_seller_identity_is_the_version_in_force_at_the_issue_date() -> None:
    lyon = run(customer(), "2012-05").mentions[0].text
    paris = run(customer(), "2012-06").mentions[0].text
    assert "SARL au capital de 7 622,45 €" in lyon and "Lyon" in lyon
    assert "SAS au capital de 250 000 €" in paris and "RCS Paris 421 738 501" in paris


def test_no_recovery_indemnity_before_2013_nor_for_consumers() -> None:
    assert "indemnite-recouvrement" not in mention_ids(run(customer(), "2012-12"))
    assert "indemnite-recouvrement" in mention_ids(run(customer(), "2013-01"))
    consumer = customer(kind="consumer", siren=None, vat_number=None)
    assert {"indemnite-recouvrement", "penalites-retard", "escompte"}.isdisjoint(
        mention_ids(run(consumer, "2026-10")))


def test_autoliquidation_wording_changed_in_2013() -> None:
    de = customer(country="DE", postal_code="10115", siren=None, vat_number="DE136695976")
    old = next(m for m in run(de, "2012-12").mentions if m.id == "autoliquidation")
    new = next(m for m in run(de, "2013-01").mentions if m.id == "autoliquidation")
    assert (old.text, new.text) == ("TVA due par le preneur – article 283-2 du CGI",
                                    "Autoliquidation")


def _sample(index: int) -> Any:
    data = dict(SAMPLE_CUSTOMERS[index])
    return customer(**data)


@pytest.mark.parametrize("index", range(len(SAMPLE_CUSTOMERS)),
                         ids=[f"{c['id']}-{c['country']}-{c['kind']}-{c['postal_code']}"
                              for c in SAMPLE_CUSTOMERS])
def test_mention_texts_for_each_regime(index: int, snapshot: SnapshotAssertion) -> None:
    evaluation = run(_sample(index), "2026-10")
    assert [f"{m.id}: {m.text}" for m in evaluation.mentions] == snapshot


def test_mentions_of_an_invoice_without_usage_name_the_exemption() -> None:
    from engine.evaluate import evaluate
    from engine.timeline import parse_period
    ruleset = tax_ruleset()
    guyane = customer(postal_code="97300")
    evaluation = evaluate(ruleset, guyane, parse_period("2026-10", ruleset.zone), [])
    assert evaluation.taxes == ()
    texts = {m.id: m.text for m in evaluation.mentions}
    assert texts["tva-non-applicable"] == "TVA non applicable – article 294-1 du CGI"
