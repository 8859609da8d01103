"""The git store: any revision read from objects, knowledge time, versions and diff."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.compare import compare_rulesets
from engine.loading.ruleset import RulesetCache
from engine.rules.pricing import PerUnit
from engine.store.access import RuleAccess
from engine.store.git import GitStore, RevisionError
from engine.store.source import RuleFile
from tests.conftest import GitRepo

MANIFEST = "timezone: Europe/Paris\ncurrency: EUR\n"


def rule(price: str, *more: str) -> str:
    versions = "".join(more)
    return ("rules:\n  - id: vcpu\n    metric: vcpu\n    label: vCPU\n    versions:\n"
            f"      - {{effective_from: 2025-01-01, model: per_unit, unit_price: \"{price}\"}}\n"
            f"{versions}")


@pytest.fixture
def history(git_repo: GitRepo) -> tuple[GitRepo, list[str]]:
    shas = [
        git_repo.commit("catalogue", {"rulesets/ruleset.yaml": MANIFEST,
                                      "rulesets/pricing/compute.yaml": rule("0.0450")},
                        date="2025-01-10T09:00:00+01:00"),
        git_repo.commit("price fix", {"rulesets/pricing/compute.yaml": rule("0.0440")},
                        date="2025-03-01T09:00:00+01:00"),
        git_repo.commit("new version", {"rulesets/pricing/compute.yaml": rule(
            "0.0440", "      - {effective_from: 2025-07-01, model: per_unit, "
                      "unit_price: \"0.0420\"}\n")},
                        date="2025-06-01T09:00:00+02:00"),
    ]
    return git_repo, shas


def test_reads_any_revision_without_checkout(history: tuple[GitRepo, list[str]]) -> None:
    repo, shas = history
    (repo.root / "rulesets/pricing/compute.yaml").write_text("broken: [", encoding="utf-8")
    access = RuleAccess(str(repo.root))
    first = access.ruleset(shas[0]).rules[0].versions[0]
    assert isinstance(first, PerUnit) and str(first.unit_price) == "0.0450"
    assert access.ruleset("HEAD").commit == shas[2]
    assert access.ruleset("main~1").commit == shas[1]
    assert access.ruleset(shas[1][:10]).commit == shas[1]
    # The working tree (here broken) is only read when asked for.
    _ruleset, problems = access.cache.load(access.source(worktree=True))
    assert [p.code for p in problems] == ["yaml.syntax"]


def test_knowledge_time_picks_the_last_commit_at_or_before(
        history: tuple[GitRepo, list[str]]) -> None:
    repo, shas = history
    store = GitStore(repo.root)
    assert store.as_known_at(datetime(2025, 3, 1, 8, 0, tzinfo=UTC)) == shas[1]
    assert store.as_known_at(datetime(2025, 3, 1, 7, 59, 59, tzinfo=UTC)) == shas[0]
    assert store.as_known_at(datetime(2030, 1, 1, tzinfo=UTC)) == shas[2]
    with pytest.raises(RevisionError):
        store.as_known_at(datetime(2024, 1, 1, tzinfo=UTC))
    access = RuleAccess(str(repo.root))
    assert access.ruleset(as_known_at="2025-05-31T23:00:00+00:00").commit == shas[1]


@pytest.mark.parametrize("rev", ["nope", "HEAD@{yesterday}", "HEAD@{1970-01-01}", "0" * 40,
                                 "HEAD~999", "HEAD^{tree}", "a..b"])
def test_unknown_revision_is_a_clear_error(history: tuple[GitRepo, list[str]],
                                           rev: str) -> None:
    repo, _ = history
    with pytest.raises(RevisionError, match="unknown revision"):
        RuleAccess(str(repo.root)).ruleset(rev)


def test_each_commit_is_parsed_once(history: tuple[GitRepo, list[str]],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    repo, shas = history
    cache = RulesetCache()
    access = RuleAccess(str(repo.root), cache)
    calls: list[str] = []
    original = GitStore.read_files

    def counting(self: GitStore, sha: str) -> list[RuleFile]:
        calls.append(sha)
        return original(self, sha)

    monkeypatch.setattr(GitStore, "read_files", counting)
    first = access.ruleset(shas[0])
    assert access.ruleset(shas[0]) is first
    assert calls == [shas[0]]


def test_versions_and_rule_level_diff(history: tuple[GitRepo, list[str]]) -> None:
    repo, shas = history
    found = GitStore(repo.root).versions()
    assert [c.subject for c in found] == ["new version", "price fix", "catalogue"]
    access = RuleAccess(str(repo.root))
    changes = compare_rulesets(access.ruleset(shas[0]), access.ruleset(shas[2]))
    assert [c.describe() for c in changes] == [
        "rules vcpu @ 2025-01-01: unit_price changed from '0.0450' to '0.0440'",
        "rules vcpu @ 2025-07-01: added",
    ]


def test_a_moved_effective_date_is_reported_as_moved(git_repo: GitRepo) -> None:
    v = "      - {{effective_from: {d}, model: per_unit, unit_price: \"0.0420\"}}\n"
    base = git_repo.commit("a", {"rulesets/ruleset.yaml": MANIFEST,
                                 "rulesets/pricing/c.yaml": rule("0.05", v.format(d="2025-07-01"))})
    head = git_repo.commit("b", {"rulesets/pricing/c.yaml": rule("0.05", v.format(d="2025-08-01"))})
    access = RuleAccess(str(git_repo.root))
    changes = compare_rulesets(access.ruleset(base), access.ruleset(head))
    assert [c.describe() for c in changes] == [
        "rules vcpu @ 2025-08-01: effective date moved from 2025-07-01 to 2025-08-01"]


def test_a_removed_version_shows_what_it_was(history: tuple[GitRepo, list[str]]) -> None:
    _, shas = history
    access = RuleAccess(str(history[0].root))
    changes = compare_rulesets(access.ruleset(shas[2]), access.ruleset(shas[0]))
    (removed,) = [c for c in changes if c.kind == "version.removed"]
    assert removed.version == "2025-07-01" and removed.after is None
    assert isinstance(removed.before, dict) and removed.before["model"] == "per_unit"
    assert removed.describe() == "rules vcpu @ 2025-07-01: removed"
