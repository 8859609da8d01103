"""The repository's TVA, seller and mention files, with a small catalogue, as a ruleset.

Tests replace single files inline (a seller of another size, a rate changing mid-month)
and evaluate one customer's usage written in the domain's terms.
"""

from __future__ import annotations

import functools
import textwrap
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from engine.customers import Customer
from engine.document import to_document
from engine.evaluate import evaluate
from engine.loading.ruleset import load_ruleset
from engine.results import Evaluation
from engine.rules.ruleset import Ruleset
from engine.store.source import StaticSource
from engine.timeline import parse_period
from engine.usage import UsageRecord

ROOT = Path(__file__).resolve().parents[2]

CATALOGUE = """\
rules:
  - id: cloud.normal
    metric: cloud.normal
    unit: h
    label: "Service au taux normal"
    vat_rate: normal
    versions:
      - {effective_from: 1990-01-01, model: per_unit, unit_price: "1.00"}
  - id: cloud.normal_bis
    metric: cloud.normal_bis
    unit: h
    label: "Autre service au taux normal"
    vat_rate: normal
    versions:
      - {effective_from: 1990-01-01, model: per_unit, unit_price: "1.00"}
  - id: cloud.intermediate
    metric: cloud.intermediate
    unit: h
    label: "Service au taux intermédiaire"
    vat_rate: intermediate
    versions:
      - {effective_from: 1990-01-01, model: per_unit, unit_price: "1.00"}
  - id: cloud.reduced
    metric: cloud.reduced
    unit: h
    label: "Service au taux réduit"
    vat_rate: reduced
    versions:
      - {effective_from: 1990-01-01, model: per_unit, unit_price: "1.00"}
  - id: cloud.super_reduced
    metric: cloud.super_reduced
    unit: h
    label: "Service au taux particulier"
    vat_rate: super_reduced
    versions:
      - {effective_from: 1990-01-01, model: per_unit, unit_price: "1.00"}
"""


@functools.cache
def repository_files() -> dict[str, str]:
    """TVA, seller, mention and schema-checked files of the repository (no pricing)."""
    files = {"rulesets/ruleset.yaml": (ROOT / "rulesets/ruleset.yaml").read_text("utf-8"),
             "rulesets/seller.yaml": (ROOT / "rulesets/seller.yaml").read_text("utf-8")}
    for folder in ("rulesets/tax_fr", "legal_mentions"):
        for path in sorted((ROOT / folder).glob("*.yaml")):
            files[f"{folder}/{path.name}"] = path.read_text("utf-8")
    return files


def load(files: dict[str, str]) -> tuple[Ruleset | None, tuple[Any, ...]]:
    """Load files (dedented) as a ruleset."""
    texts = {p: textwrap.dedent(t) for p, t in files.items()}
    return load_ruleset(StaticSource(texts, commit="c" * 40))


@functools.cache
def _cached_default() -> Ruleset:
    ruleset, problems = load({**repository_files(), "rulesets/pricing/cloud.yaml": CATALOGUE})
    assert ruleset is not None, "\n".join(str(p) for p in problems)
    return ruleset


def tax_ruleset(replaced: dict[str, str] | None = None) -> Ruleset:
    """The repository's tax files and the test catalogue, with some files replaced."""
    if not replaced:
        return _cached_default()
    files = {**repository_files(), "rulesets/pricing/cloud.yaml": CATALOGUE, **replaced}
    ruleset, problems = load(files)
    assert ruleset is not None, "\n".join(str(p) for p in problems)
    return ruleset


def customer(**fields: Any) -> Customer:
    """A customer; French business in Paris unless told otherwise."""
    data = {"id": "C-1", "name": "Client Test SAS", "kind": "business", "country": "FR",
            "postal_code": "75011", "siren": "123456782", "vat_number": "FR11123456782",
            "address": "12 rue de la Roquette, 75011 Paris", **fields}
    return msgspec.convert({k: v for k, v in data.items() if v is not None}, Customer)


def run(who: Customer, period: str, ruleset: Ruleset | None = None,
        issue_date: date | None = None, usage: dict[str, str] | None = None,
        **quantities: str) -> Evaluation:
    """Evaluate usage of ``cloud.<category>`` metrics at mid-period (default 100 normal)."""
    quantities = {**(usage or {}), **quantities}
    rules = ruleset or tax_ruleset()
    month = parse_period(period, rules.zone)
    at: datetime = month.start + timedelta(days=10)
    records = [UsageRecord(event_id=f"e-{name}", customer_id=who.id, metric=f"cloud.{name}",
                           quantity=Decimal(q), timestamp=at)
               for name, q in (quantities or {"normal": "100"}).items()]
    return evaluate(rules, who, month, records, issue_date=issue_date)


def document(evaluation: Evaluation) -> dict[str, Any]:
    """The JSON document of an evaluation."""
    return to_document(evaluation)


def mention_ids(evaluation: Evaluation) -> list[str]:
    """Ids of the mentions printed, in order."""
    return [m.id for m in evaluation.mentions]
