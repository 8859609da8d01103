"""The repository's own TVA, seller and mention rules load, validate and cover 2000 onwards."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner

from bareme.cli import cli
from engine.loading.ruleset import load_ruleset
from engine.rules.dated import version_on
from engine.store.git import WorktreeSource

ROOT = Path(__file__).resolve().parents[2]


def test_default_rules_hold_tva_seller_and_mentions_from_2000() -> None:
    ruleset, problems = load_ruleset(WorktreeSource(ROOT))
    assert problems == () and ruleset is not None
    tax = ruleset.tax
    assert {t.id for t in tax.territories} == {
        "fr.metropole", "fr.corse", "fr.guadeloupe", "fr.martinique", "fr.reunion",
        "fr.guyane", "fr.mayotte"}
    for rule in tax.rates:
        assert all(v.reference.title for v in rule.versions)
    for territory in ("fr.metropole", "fr.corse", "fr.reunion"):
        for category in ("normal", "reduced", "super_reduced"):
            found = tax.rate_rule(territory, category)
            assert found is not None and version_on(found.versions, date(2000, 1, 1)) is not None
    assert ruleset.seller is not None
    assert version_on(ruleset.seller.versions, date(2000, 1, 1)) is not None
    assert [m.order for m in ruleset.mentions] == sorted(m.order for m in ruleset.mentions)


def test_bareme_validate_exits_0_on_the_working_tree() -> None:
    result = CliRunner().invoke(cli, ["--repo", str(ROOT), "validate"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok:")
