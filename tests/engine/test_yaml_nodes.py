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


def test_aliases_expand_within_bounds_and_never_into_themselves() -> None:
    shared = parse_yaml("a: &a [1, 2]\nb: *a\n", "shared.yaml")
    assert shared[0] is not None and shared[0].data["b"] == shared[0].data["a"]
    assert shared[1] == []
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True))  # 9^9 values once expanded
    located, errors = parse_yaml(bomb, "bomb.yaml")
    assert located is not None
    assert [e.code for e in errors] == ["yaml.too_large"]
    _, looped = parse_yaml("a: &a [*a]\n", "loop.yaml")
    assert [e.code for e in looped] == ["yaml.alias"]


def test_control_characters_and_deep_nesting_are_located_problems() -> None:
    for text, code in (("\u0000", "yaml.syntax"), ("a: \u0080\n", "yaml.syntax"),
                       ("[" * 500 + "]" * 500, "yaml.too_deep"),
                       ("x: " + "[" * 70 + "]" * 70, "yaml.too_deep")):
        _, errors = parse_yaml(text, "odd.yaml")
        assert [e.code for e in errors][:1] == [code], text[:10]
        assert "\n" not in errors[0].message
