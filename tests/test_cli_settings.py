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
