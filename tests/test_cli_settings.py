"""Every command takes the settings of CONTRACT.md, before or after its name."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bareme.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def test_settings_may_follow_the_command(tmp_path: Path) -> None:
    before = CliRunner().invoke(cli, ["--repo", str(ROOT), "validate"])
    after = CliRunner().invoke(cli, ["validate", "--repo", str(ROOT)])
    assert (before.exit_code, after.exit_code) == (0, 0), after.output
    assert before.output == after.output
    nested = CliRunner().invoke(cli, ["usage", "late", f"--data-dir={tmp_path / 'd'}",
                                      "--repo", str(ROOT)])
    assert nested.exit_code == 0 and "no late events" in nested.output


def test_a_setting_given_twice_keeps_the_later_value(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--repo", str(tmp_path), "validate", "--repo", str(ROOT)])
    assert result.exit_code == 0, result.output


def test_a_reversed_date_range_is_refused(tmp_path: Path) -> None:
    for command in (["archive", "export"], ["export", "fec"]):
        result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), *command, "--from",
                                          "2026-12-31", "--to", "2026-01-01", str(tmp_path)])
        assert result.exit_code == 1
        assert "--from 2026-12-31 is after --to 2026-01-01" in result.output


def test_an_empty_diff_revision_and_a_bad_run_period_are_named(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["diff", "", "HEAD"])
    assert result.exit_code == 1 and "BASE is empty" in result.output
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "invoice", "run",
                                      "--period", "\uff12\uff10\uff12\uff16-10"])
    assert result.exit_code != 0 and "period must be YYYY-MM" in str(result.exception)
