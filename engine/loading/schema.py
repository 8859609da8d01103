"""JSON Schema validation of parsed YAML, every error turned into a located diagnostic.

The schemas live in ``rulesets/schemas/`` (published for editors); each kind of ruleset
file has one. A value whose subschema carries ``x-expected`` is reported with that text.

Most files are valid: jsonschema-rs (compiled) says so first, in a tenth of a
millisecond; only a file it does not accept goes through python-jsonschema, whose errors
make the located diagnostics. A file holding a bare decimal number (:class:`BareNumber`,
which jsonschema-rs does not take) always does.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
from referencing import Registry, Resource

from engine.diagnostics import Diagnostic
from engine.loading.yaml_nodes import BareNumber, Located, PathKey

__all__ = ["SCHEMA_DIR", "fast_validator_for", "is_valid_fast", "schema_diagnostics",
           "validator_for"]

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "rulesets" / "schemas"
_BASE = "https://bareme.invalid/schemas/"
_QUOTED = re.compile(r"'([^']+)'")


@functools.cache
def _registry() -> Registry[Any]:
    return Registry().with_resources(
        (uri, Resource.from_contents(contents)) for uri, contents in _schemas().items())


@functools.cache
def _schemas() -> dict[str, Any]:
    """Every schema by its URI, read once for both validators (callers only read them)."""
    return {_BASE + path.name: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(SCHEMA_DIR.glob("*.schema.json"))}


def _schema(kind: str) -> Any:
    return _schemas()[f"{_BASE}{kind}.schema.json"]


@functools.cache
def validator_for(kind: str) -> jsonschema.Draft202012Validator:
    """The validator of ``rulesets/schemas/<kind>.schema.json``: it explains every error."""
    return jsonschema.Draft202012Validator(_schema(kind), registry=_registry())


@functools.cache
def fast_validator_for(kind: str) -> jsonschema_rs.Validator:
    """The compiled validator of the same schema: it only says whether data is valid."""
    return jsonschema_rs.validator_for(_schema(kind), registry=_fast_registry())


@functools.cache
def _fast_registry() -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry(list(_schemas().items()))


def is_valid_fast(kind: str, data: Any) -> bool:
    """Whether jsonschema-rs accepts ``data`` (``False`` for data it cannot read)."""
    try:
        return fast_validator_for(kind).is_valid(data)
    except ValueError:  # a type it does not take, such as BareNumber
        return False


def schema_diagnostics(kind: str, located: Located,
                       filename: str) -> list[tuple[PathKey, Diagnostic]]:
    """Every schema violation of ``located``: where in the data, and the located diagnostic."""
    if is_valid_fast(kind, located.data):
        return []
    validator = validator_for(kind)
    errors = list(_leaves(validator.iter_errors(located.data)))
    # An unknown ``model`` makes every field of its version look unknown: report the model only.
    bad_models = {tuple(e.absolute_path)[:-1] for e in errors
                  if tuple(e.absolute_path)[-1:] == ("model",)}
    found: list[tuple[PathKey, Diagnostic]] = []
    for error in errors:
        pointer: PathKey = tuple(error.absolute_path)
        if error.validator == "unevaluatedProperties" and pointer in bad_models:
            continue
        found.extend((pointer, d) for d in _diagnose(error, located, filename))
    return found


def _leaves(errors: Iterator[jsonschema.ValidationError]) -> Iterator[jsonschema.ValidationError]:
    """Descend into ``anyOf``/``allOf`` groups to report the specific failures."""
    for error in errors:
        if error.validator == "anyOf" and error.context:
            yield _best_of(error)
        elif error.validator in ("allOf", "then") and error.context:
            yield from _leaves(iter(error.context))
        else:
            yield error


def _best_of(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    expected = error.schema.get("x-expected") if isinstance(error.schema, dict) else None
    if expected:
        return error
    return jsonschema.exceptions.best_match(error.context or [error]) or error


def _diagnose(error: jsonschema.ValidationError, located: Located,
              filename: str) -> Iterator[Diagnostic]:
    path: PathKey = tuple(error.absolute_path)
    field = _field_name(path)
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        allowed = _allowed(error.schema, error.instance)
        for key in _QUOTED.findall(error.message):
            if key in allowed:
                continue  # a known field whose value failed: reported by its own error
            line, col = located.position((*path, key))
            yield Diagnostic(path=filename, line=line, column=col, code="schema.unknown_field",
                             message=f"unknown field {key!r} in {field}; "
                                     f"allowed: {', '.join(sorted(allowed)) or 'none'}")
        return
    line, col = located.position(path)
    code, message = _describe(error, field)
    yield Diagnostic(path=filename, line=line, column=col, code=code, message=message)


def _describe(error: jsonschema.ValidationError, field: str) -> tuple[str, str]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    expected = schema.get("x-expected")
    value = error.instance
    if isinstance(value, BareNumber) and (expected or error.validator == "type"):
        what = expected or "a quoted string"
        return ("amount.bare_number",
                f"{field} must be {what}; got the bare number {value.text} "
                f"(write \"{value.text}\" in quotes so that it is never read as a float)")
    if error.validator == "required":
        missing = _QUOTED.search(error.message)
        name = missing.group(1) if missing else "?"
        return "schema.required", f"missing required field {name!r} in {field}"
    if error.validator == "enum":
        options = ", ".join(str(v) for v in schema.get("enum", []))
        return "schema.enum", f"{field} must be one of: {options}; got {_show(value)}"
    if expected:
        return "schema.invalid_value", f"{field} must be {expected}; got {_show(value)}"
    if error.validator == "type":
        return "schema.type", f"{field} must be of type {schema.get('type')}; got {_show(value)}"
    if error.validator == "minItems":
        return "schema.empty", f"{field} must list at least {schema.get('minItems')} item(s)"
    return "schema.invalid", f"{field}: {error.message}"


def _field_name(path: PathKey) -> str:
    if not path:
        return "the document"
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _allowed(schema: Any, instance: Any) -> set[str]:
    names: set[str] = set()
    _collect_properties(schema, instance, names)
    return names


def _collect_properties(schema: Any, instance: Any, names: set[str]) -> None:
    if not isinstance(schema, dict):
        return
    names.update(schema.get("properties", {}))
    for sub in schema.get("allOf", []):
        condition = sub.get("if")
        if condition is None or jsonschema.Draft202012Validator(condition).is_valid(instance):
            _collect_properties(sub.get("then", sub), instance, names)


def _show(value: Any) -> str:
    if isinstance(value, BareNumber):
        return value.text
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)
