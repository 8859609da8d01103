"""Every diagnostic code has a deliberately broken ruleset that must produce it, located.

Each folder of ``tests/broken/`` is named after a code and holds a small rules
repository (a manifest is added unless the case brings its own or has ``NO_MANIFEST``)
and ``expected``: the ``path:line:column: code`` lines the loader must report.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.diagnostics import Diagnostic
from engine.loading.ruleset import load_ruleset
from engine.store.source import StaticSource

BROKEN = Path(__file__).resolve().parents[1] / "broken"
CASES = sorted(p for p in BROKEN.iterdir() if p.is_dir())
ENGINE = Path(__file__).resolve().parents[2] / "engine"
_CODE = re.compile(r'"((?:yaml|schema|amount|file|manifest|date|versions|pricing|rule|override|'
                   r'tax|seller|mention|metric|terms)\.[a-z_.]+)"')


def diagnose(case: Path) -> tuple[Diagnostic, ...]:
    files = {p.relative_to(case).as_posix(): p.read_bytes() for p in case.rglob("*")
             if p.is_file() and p.name not in ("expected", "NO_MANIFEST")}
    if "rulesets/ruleset.yaml" not in files and not (case / "NO_MANIFEST").exists():
        files["rulesets/ruleset.yaml"] = b"timezone: Europe/Paris\ncurrency: EUR\n"
    ruleset, problems = load_ruleset(StaticSource(files))
    assert ruleset is None
    return problems


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_ruleset_reports_its_code_at_its_place(case: Path) -> None:
    expected = (case / "expected").read_text(encoding="utf-8").split("\n")
    found = [f"{d.path}:{d.line}:{d.column}: {d.code}" for d in diagnose(case)]
    assert found == [line for line in expected if line]
    assert any(line.endswith(f": {case.name}") for line in found)


def test_every_loader_code_has_a_broken_case() -> None:
    codes = {m for path in (ENGINE / "loading").rglob("*.py")
             for m in _CODE.findall(path.read_text(encoding="utf-8"))}
    missing = codes - {c.name for c in CASES} - {"schema.invalid"}
    assert not missing, f"add a folder under tests/broken/ for: {sorted(missing)}"
