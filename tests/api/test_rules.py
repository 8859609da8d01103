"""Revisions resolved for requests: HEAD reused briefly, commits parsed once."""

from __future__ import annotations

import pytest

from api.rules import RuleBook
from engine.store.git import RevisionError
from tests.api.conftest import PRICING_V1, Rules


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_head_is_reused_until_its_time_is_up(rules: Rules) -> None:
    clock = Clock()
    book = RuleBook(str(rules.repo.root), head_ttl=1.0, clock=clock)
    assert book.commit() == rules.v2
    v3 = rules.repo.commit("vCPU up", {"rulesets/pricing/rules.yaml": PRICING_V1})
    clock.now = 0.5
    assert book.commit() == rules.v2
    clock.now = 1.5
    assert book.commit() == v3
    assert book.commit(rules.v1) == rules.v1


def test_a_commit_is_parsed_once(rules: Rules) -> None:
    book = RuleBook(str(rules.repo.root))
    assert book.at() is book.at("HEAD") is book.ruleset(rules.v2)


def test_knowledge_time_and_conflicts(rules: Rules) -> None:
    book = RuleBook(str(rules.repo.root))
    assert book.commit(as_known_at="2026-03-01T00:00:00+01:00") == rules.v1
    with pytest.raises(RevisionError, match="not both"):
        book.commit("HEAD", "2026-03-01T00:00:00Z")
    with pytest.raises(RevisionError, match="as_known_at"):
        book.commit(as_known_at="March")
