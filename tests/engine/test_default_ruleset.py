from pathlib import Path

from engine.loading.ruleset import load_ruleset
from engine.store.git import WorktreeSource

ROOT = Path(__file__).resolve().parents[2]


def test_the_repository_rules_are_valid() -> None:
    ruleset, problems = load_ruleset(WorktreeSource(ROOT))
    assert problems == ()
    assert ruleset is not None
    assert {r.id for r in ruleset.rules} >= {"compute.vcpu", "network.egress", "support.business"}
