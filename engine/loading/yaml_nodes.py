"""YAML to plain data, keeping the line and column of every value.

PyYAML's composer gives nodes with marks; we build plain Python values from them while
recording a position for each path, refuse duplicate keys, and keep the original text of
numbers so that an amount written as a bare number can be reported as written (a float
would already have lost it: msgspec's docs warn that YAML numbers pass through a float).
"""

from __future__ import annotations

from typing import Any

import yaml

from engine.diagnostics import Diagnostic

__all__ = ["BareNumber", "Located", "PathKey", "parse_yaml"]

PathKey = tuple[str | int, ...]
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_FAST_LOADER: type[yaml.CSafeLoader] | None = getattr(yaml, "CSafeLoader", None)


class BareNumber(float):
    """A YAML number, kept with the text it was written as.

    It is a ``float`` so that the schema sees a number (and refuses it where a quoted
    decimal string is expected); the text is what the error message quotes.
    """

    text: str

    def __new__(cls, text: str) -> BareNumber:  # noqa: D102
        value = super().__new__(cls, float(text.replace("_", "")))
        value.text = text
        return value


class Located:
    """Parsed data with the (line, column) of each value, by path."""

    def __init__(self, data: Any, positions: dict[PathKey, tuple[int, int]]) -> None:
        self.data = data
        self.positions = positions

    def position(self, path: PathKey) -> tuple[int, int]:
        """Line and column of ``path``, or of its nearest located ancestor."""
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, (1, 1))


def parse_yaml(text: str, filename: str) -> tuple[Located | None, list[Diagnostic]]:
    """Parse one YAML document; return the data with positions, and every problem found."""
    try:
        node = _compose(text)
    except RecursionError:
        return None, [Diagnostic(path=filename, line=1, column=1, code="yaml.too_deep",
                                 message=f"lists or mappings nested more than {_MAX_DEPTH} "
                                         "deep; a rule file never needs so many")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or "invalid YAML"
        if exc.context and exc.context_mark:
            where = exc.context_mark
            problem = f"{exc.context} (line {where.line + 1}, column {where.column + 1}): {problem}"
        return None, [Diagnostic(path=filename, line=line, column=col, code="yaml.syntax",
                                 message=f"{problem}; the file is not valid YAML")]
    except yaml.YAMLError as exc:  # e.g. a control character, which YAML does not allow
        return None, [Diagnostic(path=filename, line=1, column=1, code="yaml.syntax",
                                 message=f"{' '.join(str(exc).split())}; the file is not "
                                         "valid YAML")]
    positions: dict[PathKey, tuple[int, int]] = {}
    errors: list[Diagnostic] = []
    if node is None:
        return Located({}, positions), errors
    data = _build(node, (), positions, errors, filename, _Budget())
    return Located(data, positions), errors


def _compose(text: str) -> yaml.Node | None:
    """The document's node tree, by libyaml when present (ten times faster).

    A document libyaml refuses is parsed again by PyYAML's own parser, whose messages
    are the ones reported; both give the same nodes and marks to a valid document.
    """
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


class _Budget:
    """What building a document may still make, and the collections being built."""

    def __init__(self) -> None:
        self.left = _MAX_VALUES
        self.open: set[int] = set()
        self.spent = False


def _build(node: yaml.Node, path: PathKey, positions: dict[PathKey, tuple[int, int]],
           errors: list[Diagnostic], filename: str, budget: _Budget) -> Any:
    """The value of ``node``, within ``budget``.

    Aliases (``*name``) repeat the anchored value; one inside itself, nesting beyond
    :data:`_MAX_DEPTH`, or a document that aliases expand past :data:`_MAX_VALUES` values
    (a few hundred bytes of nested aliases could otherwise expand without end) is a
    located problem instead.
    """
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        return _scalar(node)
    refused = _refused(node, path, budget)
    if refused is not None:
        if refused[0] != "yaml.too_large" or not budget.spent:  # that one, once
            errors.append(Diagnostic(path=filename, line=node.start_mark.line + 1,
                                     column=node.start_mark.column + 1, code=refused[0],
                                     message=refused[1]))
        budget.spent = budget.spent or refused[0] == "yaml.too_large"
        return None
    budget.left -= len(node.value)
    budget.open.add(id(node))
    try:
        if isinstance(node, yaml.MappingNode):
            return _build_mapping(node, path, positions, errors, filename, budget)
        return [_build(item, (*path, i), positions, errors, filename, budget)
                for i, item in enumerate(node.value)]
    finally:
        budget.open.discard(id(node))


def _refused(node: yaml.Node, path: PathKey, budget: _Budget) -> tuple[str, str] | None:
    """Why a list or mapping is not built, if it is not."""
    if id(node) in budget.open:
        return "yaml.alias", "an alias inside the value it names never ends"
    if len(path) > _MAX_DEPTH:
        return "yaml.too_deep", f"nested more than {_MAX_DEPTH} deep"
    if budget.left <= 0:
        return "yaml.too_large", f"aliases expand the document past {_MAX_VALUES} values"
    return None


_MAX_DEPTH = 64
"""Deepest nesting of lists and mappings read."""
_MAX_VALUES = 200_000
"""Most values of one document once its aliases are expanded."""


def _build_mapping(node: yaml.MappingNode, path: PathKey,
                   positions: dict[PathKey, tuple[int, int]], errors: list[Diagnostic],
                   filename: str, budget: _Budget) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key in result:
            errors.append(Diagnostic(
                path=filename, line=key_node.start_mark.line + 1,
                column=key_node.start_mark.column + 1, code="yaml.duplicate_key",
                message=f"key {key!r} appears twice in the same mapping; keep one"))
            continue
        result[key] = _build(value_node, (*path, key), positions, errors, filename, budget)
    return result


def _scalar(node: yaml.Node) -> Any:
    """Plain scalars resolve to str, bool, None or :class:`BareNumber`; dates stay text."""
    value = str(node.value)
    if not isinstance(node, yaml.ScalarNode) or node.style:  # quoted or block
        return value
    if node.tag in (_INT, _FLOAT):
        return BareNumber(value) if node.tag == _FLOAT or _is_plain_int(value) else value
    if node.tag == _BOOL:
        return value.lower() in ("true", "yes", "on")
    if node.tag == _NULL:
        return None
    return value


def _is_plain_int(text: str) -> bool:
    return text.lstrip("+-").replace("_", "").isdigit()
