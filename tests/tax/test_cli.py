"""The command line shows TVA per customer and diffs TVA and mention changes."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from bareme.cli import cli
from bareme.sample import write_sample
from engine.timeline import parse_period
from tests.conftest import GitRepo
from tests.tax.helpers import ROOT, repository_files


def test_evaluate_prints_taxes_mentions_and_the_issue_date(tmp_path: Path) -> None:
    customers, usage = write_sample(tmp_path, parse_period("2026-10", ZoneInfo("Europe/Paris")))
    result = CliRunner().invoke(cli, [
        "--repo", str(ROOT), "evaluate", "--usage", str(usage), "--customers", str(customers),
        "--customer", "C-0006", "--period", "2026-10", "--issue-date", "2026-11-02"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(t["category"], t["exemption_code"]) for t in data["taxes"]] == [
        ("AE", "VATEX-EU-AE")]
    assert data["issue_date"] == "2026-11-02"
    assert "Autoliquidation" in [m["text"] for m in data["mentions"]]


def test_diff_shows_a_tva_rate_change_rule_by_rule(git_repo: GitRepo) -> None:
    files = dict(repository_files())
    base = git_repo.commit("TVA rules", files)
    files["rulesets/tax_fr/rates.yaml"] = files["rulesets/tax_fr/rates.yaml"].replace(
        'rate: "0.085"', 'rate: "0.092"')
    head = git_repo.commit("overseas normal rate up", files)
    result = CliRunner().invoke(cli, ["--repo", str(git_repo.root), "diff", base, head])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "tax_rates dom.normal @ 2000-04-01: rate changed from '0.085' to '0.092'"]
