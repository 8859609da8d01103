"""Canonical evaluations, pinned byte for byte (update with ``pytest --snapshot-update``)."""

from __future__ import annotations

from pathlib import Path

from syrupy.assertion import SnapshotAssertion

from bareme.sample import SAMPLE_CUSTOMERS, sample_usage
from engine.customers import Customer
from engine.document import evaluation_bytes
from engine.evaluate import evaluate
from engine.loading.ruleset import load_ruleset
from engine.store.source import StaticSource
from engine.timeline import parse_period
from engine.usage import parse_records

ROOT = Path(__file__).resolve().parents[2]
FIXED_COMMIT = "f" * 40


def repository_rules() -> StaticSource:
    """The repository's rules as they are on disk, under a fixed pseudo-commit."""
    files = {p.relative_to(ROOT).as_posix(): p.read_bytes()
             for root in ("rulesets", "legal_mentions") for p in (ROOT / root).rglob("*")
             if p.is_file()}
    return StaticSource(files, commit=FIXED_COMMIT)


def test_sample_customers_evaluation_bytes(snapshot: SnapshotAssertion) -> None:
    ruleset, problems = load_ruleset(repository_rules())
    assert ruleset is not None, problems
    period = parse_period("2026-10", ruleset.zone)
    records, errors = parse_records(sample_usage(period), "sample.jsonl")
    assert errors == []
    for data in SAMPLE_CUSTOMERS[:3]:
        customer = Customer(**data)  # type: ignore[arg-type]
        mine = [r for r in records if r.customer_id == customer.id]
        text = evaluation_bytes(evaluate(ruleset, customer, period, mine)).decode("utf-8")
        assert text == snapshot(name=customer.id)
