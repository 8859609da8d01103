"""jsonschema-rs, which lets valid files skip python-jsonschema, never accepts what it refuses.

A file jsonschema-rs accepts gets no schema diagnostic at all, so the compiled validator
must never accept a document python-jsonschema (the one that explains errors) refuses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.loading.schema import SCHEMA_DIR, is_valid_fast, schema_diagnostics, validator_for
from engine.loading.yaml_nodes import BareNumber, Located, parse_yaml

ROOT = Path(__file__).resolve().parents[2]
KINDS = sorted(p.name.removesuffix(".schema.json") for p in SCHEMA_DIR.glob("*.schema.json")
               if p.name != "defs.schema.json")


def _documents() -> list[tuple[str, Any]]:
    found = []
    for folder in ("rulesets", "legal_mentions", "tests"):
        for path in sorted((ROOT / folder).rglob("*.yaml")):
            located, _ = parse_yaml(path.read_text(encoding="utf-8", errors="replace"),
                                    path.name)
            if located is not None:
                found.append((str(path.relative_to(ROOT)), located.data))
    return found


DOCUMENTS = _documents()
VALID = [(kind, data) for kind in KINDS for _, data in DOCUMENTS
         if validator_for(kind).is_valid(data)]


def test_the_corpus_has_valid_and_invalid_documents_of_every_kind() -> None:
    assert {kind for kind, _ in VALID} == set(KINDS)
    assert len(DOCUMENTS) * len(KINDS) > 3 * len(VALID)


@pytest.mark.parametrize("kind", KINDS)
def test_both_validators_judge_every_repository_document_alike(kind: str) -> None:
    for name, data in DOCUMENTS:
        if _has_bare_number(data):
            assert not is_valid_fast(kind, data), name  # python-jsonschema always decides
        else:
            assert is_valid_fast(kind, data) == validator_for(kind).is_valid(data), name


def test_a_valid_file_gets_no_diagnostic_and_an_invalid_one_its_located_errors() -> None:
    kind, data = next((k, d) for k, d in VALID if k == "pricing")
    located = Located(data, {})
    assert schema_diagnostics(kind, located, "p.yaml") == []
    broken = {**data, "unexpected": 1}
    assert not is_valid_fast(kind, broken)
    problems = schema_diagnostics(kind, Located(broken, {}), "p.yaml")
    assert [d.code for _, d in problems] == ["schema.unknown_field"]


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**12),
                     st.floats(allow_nan=False, allow_infinity=False),
                     st.text(max_size=12),
                     st.sampled_from(["", "0", "1.5", "0.20", "-1", "12.345", "2026-01-01",
                                      "2026-13-01", "FR", "EUR", "per_unit", "graduated",
                                      "volume", "package", "flat", "percentage", "discount",
                                      "١٢٣", "1e3", " 1", "abc", "x" * 70]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)


@st.composite
def _mutated(draw: st.DrawFn) -> tuple[str, Any]:
    """A valid document with one change somewhere: a value replaced, a key removed or added."""
    kind, data = draw(st.sampled_from(VALID))
    return kind, _mutate(draw, data)


def _mutate(draw: st.DrawFn, value: Any) -> Any:
    children = (list(value) if isinstance(value, dict) else range(len(value))
                if isinstance(value, list) else [])
    if children and draw(st.integers(0, 3)):  # usually go deeper
        key = draw(st.sampled_from(list(children)))
        copy = dict(value) if isinstance(value, dict) else list(value)
        copy[key] = _mutate(draw, value[key])
        return copy
    action = draw(st.sampled_from(["replace", "drop", "add"]))
    if action == "drop" and isinstance(value, dict) and value:
        gone = draw(st.sampled_from(list(value)))
        return {k: v for k, v in value.items() if k != gone}
    if action == "drop" and isinstance(value, list) and value:
        return value[1:]
    if action == "add" and isinstance(value, dict):
        return {**value, draw(st.text(min_size=1, max_size=10)): draw(_VALUES)}
    if action == "add" and isinstance(value, list):
        return [*value, draw(_VALUES)]
    return draw(_VALUES)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_the_compiled_validator_never_accepts_what_python_jsonschema_refuses(
        case: tuple[str, Any]) -> None:
    kind, data = case
    if is_valid_fast(kind, data):
        assert validator_for(kind).is_valid(data)


def _has_bare_number(value: Any) -> bool:
    if isinstance(value, BareNumber):
        return True
    if isinstance(value, dict):
        return any(_has_bare_number(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_bare_number(v) for v in value)
    return False
