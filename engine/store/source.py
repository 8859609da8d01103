"""The only input of the engine: the files of a ruleset at one knowledge-time point."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Protocol

import msgspec

__all__ = ["RULE_ROOTS", "WORKTREE", "RuleFile", "RuleSource", "StaticSource", "blob_sha"]

RULE_ROOTS = ("rulesets/", "legal_mentions/")
"""Folders of a rules repository that hold rules."""
WORKTREE = "WORKTREE"
"""Pseudo-commit of files read from disk rather than from a commit."""


class RuleFile(msgspec.Struct, frozen=True, kw_only=True):
    """One file of a ruleset."""

    path: str
    """Path inside the rules repository, with ``/`` separators."""
    blob: str
    """Git blob SHA-1 of the content."""
    data: bytes


class RuleSource(Protocol):
    """A ruleset's files at one commit."""

    @property
    def commit(self) -> str:
        """40-hex commit SHA, or :data:`WORKTREE`."""
        ...

    def files(self) -> Iterable[RuleFile]:
        """Every file under :data:`RULE_ROOTS`, in path order."""
        ...


def blob_sha(data: bytes) -> str:
    """The SHA-1 git gives a blob with this content.

    >>> blob_sha(b"")
    'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'
    """
    header = f"blob {len(data)}\0".encode()
    return hashlib.sha1(header + data, usedforsecurity=False).hexdigest()


class StaticSource:
    """Files given in memory: uploads to the validate endpoint, tests."""

    def __init__(self, files: Mapping[str, bytes | str], commit: str = WORKTREE) -> None:
        self._commit = commit
        self._files = tuple(
            RuleFile(path=p, blob=blob_sha(_bytes(d)), data=_bytes(d))
            for p, d in sorted(files.items()))

    @property
    def commit(self) -> str:
        """The commit these files are said to come from."""
        return self._commit

    def files(self) -> Iterable[RuleFile]:
        """The files, in path order."""
        return self._files


def _bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data
