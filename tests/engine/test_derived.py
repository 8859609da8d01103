"""What a ruleset keeps between evaluations (indexes, memos) never changes a result."""

from __future__ import annotations

import msgspec

from bareme.sample import SAMPLE_CUSTOMERS, sample_usage
from engine.customers import Customer
from engine.document import evaluation_bytes
from engine.evaluate import evaluate
from engine.loading.ruleset import load_ruleset
from engine.rules.ruleset import Ruleset
from engine.timeline import parse_period
from engine.usage import UsageRecord, parse_records
from tests.engine.test_snapshots import repository_rules


def fresh() -> Ruleset:
    ruleset, problems = load_ruleset(repository_rules())
    assert ruleset is not None, problems
    return ruleset


def test_a_warm_ruleset_gives_the_bytes_of_a_cold_one() -> None:
    warm = fresh()
    period = parse_period("2026-10", warm.zone)
    records, errors = parse_records(sample_usage(period), "sample.jsonl")
    assert errors == []
    customers = [Customer(**data) for data in SAMPLE_CUSTOMERS]  # type: ignore[arg-type]

    def mine(customer: Customer) -> list[UsageRecord]:
        return [r for r in records if r.customer_id == customer.id]

    # Every customer twice on one ruleset, interleaved, and once more under another
    # customer's identity (same id, another country): each answer is the cold answer.
    for customer in customers * 2:
        cold = evaluation_bytes(evaluate(fresh(), customer, period, mine(customer)))
        assert evaluation_bytes(evaluate(warm, customer, period, mine(customer))) == cold
    moved = msgspec.structs.replace(customers[0], country="BE", postal_code="1000",
                                    vat_number="BE0417497106", siren=None)
    cold = evaluation_bytes(evaluate(fresh(), moved, period, mine(moved)))
    assert evaluation_bytes(evaluate(warm, moved, period, mine(moved))) == cold
    before = evaluation_bytes(evaluate(warm, customers[0], period, mine(customers[0])))
    assert (msgspec.json.decode(cold)["tax"]["regime"]
            != msgspec.json.decode(before)["tax"]["regime"])


def test_issue_dates_and_periods_are_remembered_apart() -> None:
    ruleset = fresh()
    customer = Customer(**SAMPLE_CUSTOMERS[0])  # type: ignore[arg-type]
    documents = {}
    for label in ("2026-08", "2026-10"):
        period = parse_period(label, ruleset.zone)
        records, _ = parse_records(sample_usage(period), "sample.jsonl")
        mine = [r for r in records if r.customer_id == customer.id]
        for issued in (period.last_day, parse_period("2027-10", ruleset.zone).last_day):
            got = evaluation_bytes(evaluate(ruleset, customer, period, mine, issue_date=issued))
            cold = evaluation_bytes(evaluate(fresh(), customer, period, mine,
                                             issue_date=issued))
            assert got == cold
            documents[(label, issued)] = got
    assert len(set(documents.values())) == 4
