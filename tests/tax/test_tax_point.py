"""The tax point (fait générateur) selects the TVA version: the end of the billing period."""

from __future__ import annotations

from decimal import Decimal

from tests.tax.helpers import customer, repository_files, run, tax_ruleset


def _rates_changing_on(day: str) -> dict[str, str]:
    """The repository's rates, with the 2014 normal rate moved to ``day``."""
    text = repository_files()["rulesets/tax_fr/rates.yaml"]
    old, new = (f'effective_from: {d}\n        rate: "0.20"' for d in ("2014-01-01", day))
    return {"rulesets/tax_fr/rates.yaml": text.replace(old, new)}


def test_the_tax_point_is_the_last_day_of_the_period() -> None:
    evaluation = run(customer(), "2013-12")
    assert evaluation.tax_point.isoformat() == "2013-12-31T23:59:59.999999+01:00"
    assert dict(evaluation.extra)["tax"]["tax_point"] == "2013-12-31"  # type: ignore[index]


def test_a_period_straddling_a_rate_change_is_taxed_at_the_rate_of_its_tax_point() -> None:
    # A rate change on the 15th: the whole January, usage before the 15th included, is
    # taxed at the new rate, in force at the end of the period (CGI art. 269-1-a).
    ruleset = tax_ruleset(_rates_changing_on("2014-01-15"))
    early = run(customer(), "2014-01", ruleset)  # usage on 2014-01-11, before the change
    assert early.lines[0].usage_from.day == 11
    assert early.taxes[0].rate == Decimal("0.20")
    assert early.taxes[0].provenance[-1].version == "2014-01-15"
    assert run(customer(), "2013-12", ruleset).taxes[0].rate == Decimal("0.196")


def test_a_change_on_the_last_day_applies_to_the_whole_period() -> None:
    ruleset = tax_ruleset(_rates_changing_on("2013-12-31"))
    assert run(customer(), "2013-12", ruleset).taxes[0].rate == Decimal("0.20")
    assert run(customer(), "2013-11", ruleset).taxes[0].rate == Decimal("0.196")
