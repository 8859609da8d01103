"""libyaml and PyYAML's own parser give the loader the same values, positions and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.loading import yaml_nodes
from engine.loading.yaml_nodes import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted(p for folder in ("rulesets", "tests/broken")
                   for p in (ROOT / folder).rglob("*.yaml"))


def _both(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    fast = parse_yaml(text, "f.yaml")
    with monkeypatch.context() as patch:
        patch.setattr(yaml_nodes, "_FAST_LOADER", None)
        slow = parse_yaml(text, "f.yaml")
    return fast, slow


def _plain(result: tuple[yaml_nodes.Located | None, list[object]]) -> object:
    located, errors = result
    return (None if located is None else (located.data, located.positions), errors)


@pytest.mark.skipif(yaml_nodes._FAST_LOADER is None, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_repository_document_parses_the_same(path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    fast, slow = _both(text, monkeypatch)
    assert _plain(fast) == _plain(slow)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [
    'a: "quoted 1.5"\nb: 1.5\nc: |\n  block\nd: 0012\ne: yes\nf: ~\ng: 2026-01-01\n',
    "a: [1, 2\n",
    "a: b\n  c: d\n",
    "a: 1\na: 2\n",
    "\tkey: tab\n",
])
def test_scalars_and_errors_are_the_same(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _both(text, monkeypatch)
    assert _plain(fast) == _plain(slow)  # type: ignore[arg-type]
