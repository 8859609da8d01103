"""Broken TVA, seller and mention files, each with the located diagnostic it must produce."""

from __future__ import annotations

import pytest

from tests.tax.helpers import load, repository_files

RATES = "rulesets/tax_fr/rates.yaml"
MENTION = "legal_mentions/test.yaml"
REF = "reference: {title: \"Loi test\"}"


def _problems(files: dict[str, str]) -> list[str]:
    ruleset, problems = load({**repository_files(), **files})
    assert ruleset is None
    return [str(p) for p in problems]


def _rates(body: str) -> dict[str, str]:
    return {RATES: repository_files()[RATES] + body}


def _mention(body: str) -> dict[str, str]:
    return {MENTION: "id: test\ntitle: \"Test\"\norder: 99\n" + body}


BROKEN = [
    ("unknown territory", _rates(f"""
  - id: fr.test
    category: normal
    territories: [fr.atlantide]
    versions:
      - {{effective_from: 2000-01-01, rate: "0.20", {REF}}}
"""), f"{RATES}:115:19: tax.territory.unknown: rate rule 'fr.test' names territory "
      "'fr.atlantide'"),
    ("rate outside the legal list", _rates(f"""
  - id: fr.test
    category: normal
    territories: [fr.mayotte]
    versions:
      - {{effective_from: 2000-01-01, rate: "0.18", {REF}}}
"""), f"{RATES}:117:44: tax.rate.not_legal: rate 18 % is not a French TVA rate"),
    ("two rules for one territory and category", _rates(f"""
  - id: fr.test
    category: normal
    territories: [fr.corse]
    versions:
      - {{effective_from: 2000-01-01, rate: "0.20", {REF}}}
"""), f"{RATES}:115:19: tax.rate.overlap: the normal rate of 'fr.corse' is already given by "
      "rule 'fr.normal'"),
    ("overlapping versions", _rates(f"""
  - id: fr.test
    category: normal
    territories: [fr.mayotte]
    versions:
      - {{effective_from: 2014-01-01, rate: "0.20", {REF}}}
      - {{effective_from: 2014-01-01, rate: "0.10", {REF}}}
"""), f"{RATES}:118:26: versions.not_increasing: version 2 starts 2014-01-01, which is not "
      "after version 1"),
    ("bare number as a rate", _rates(f"""
  - id: fr.test
    category: normal
    territories: [fr.mayotte]
    versions:
      - {{effective_from: 2000-01-01, rate: 0.20, {REF}}}
"""), f"{RATES}:117:44: amount.bare_number: rates[8].versions[0].rate must be a quoted rate"),
    ("mention condition on an unknown field", _mention(f"""when:
  customer.segment: large
versions:
  - {{effective_from: 2000-01-01, text: "x", {REF}}}
"""), f"{MENTION}:5:21: mention.condition.unknown_field: condition names unknown field "
      "'customer.segment'"),
    ("mention condition on an impossible value", _mention(f"""when:
  tax.treatment: exempt
versions:
  - {{effective_from: 2000-01-01, text: "x", {REF}}}
"""), f"{MENTION}:5:18: mention.condition.unknown_value: field 'tax.treatment' never takes "
      "the value 'exempt'"),
    ("mention placeholder naming no field", _mention(f"""versions:
  - {{effective_from: 2000-01-01, text: "SIREN {{customer.sirne}}", {REF}}}
"""), f"{MENTION}:5:40: mention.placeholder.unknown: placeholder {{customer.sirne}} names "
      "no known field"),
    ("overlapping mention versions", _mention(f"""versions:
  - {{effective_from: 2026-09-01, text: "x", {REF}}}
  - {{effective_from: 2020-01-01, text: "y", {REF}}}
"""), f"{MENTION}:6:22: versions.not_increasing"),
    ("duplicate mention id", {"legal_mentions/zz.yaml": repository_files()[
        "legal_mentions/echeance.yaml"]},
     "legal_mentions/zz.yaml:2:5: mention.duplicate_id: mention id 'echeance' is already used"),
    ("regime condition on a tax fact", {"rulesets/tax_fr/regimes.yaml": repository_files()[
        "rulesets/tax_fr/regimes.yaml"].replace("customer.area: france", "tax.regime: x")},
     "rulesets/tax_fr/regimes.yaml:9:19: tax.condition.unknown_field: condition names unknown "
     "field 'tax.regime'"),
    ("seller SIREN failing its checksum", {"rulesets/seller.yaml": repository_files()[
        "rulesets/seller.yaml"].replace('siren: "421738501"', 'siren: "421738502"', 1)},
     "rulesets/seller.yaml:14:14: seller.siren.invalid: SIREN '421738502' fails its checksum"),
    ("seller VAT number of another company", {"rulesets/seller.yaml": repository_files()[
        "rulesets/seller.yaml"].replace('vat_number: "FR89421738501"',
                                        'vat_number: "FR11123456782"', 1)},
     "rulesets/seller.yaml:16:19: seller.vat_number.invalid: VAT number 'FR11123456782' is "
     "not the one of SIREN 421738501; expected FR89421738501"),
    ("unknown territory in a postal prefix clash", {
        "rulesets/tax_fr/territories.yaml": repository_files()[
            "rulesets/tax_fr/territories.yaml"].replace('postal_prefixes: ["972"]',
                                                        'postal_prefixes: ["97"]')},
     "tax.territory.overlap"),
    ("EU rate for a non-member", {"rulesets/tax_fr/eu_rates.yaml": repository_files()[
        "rulesets/tax_fr/eu_rates.yaml"].replace("country: SE", "country: CH")},
     "tax.eu_rate.not_member: 'CH' has not been an EU member state"),
]


@pytest.mark.parametrize(("files", "expected"), [(f, e) for _, f, e in BROKEN],
                         ids=[name for name, _, _ in BROKEN])
def test_broken_file_is_reported_where_it_is_wrong(files: dict[str, str], expected: str) -> None:
    problems = _problems(files)
    assert any(expected in p for p in problems), "\n".join(problems)


def test_every_problem_is_reported_at_once() -> None:
    problems = _problems({**BROKEN[0][1], **BROKEN[5][1]})
    assert {p.split(": ")[1] for p in problems} >= {"tax.territory.unknown",
                                                    "mention.condition.unknown_field"}
