"""Rulesets for requests: revisions resolved cheaply, each commit parsed once and shared.

Resolving ``HEAD`` through git costs a few hundred microseconds, so a symbolic revision's
commit is reused for ``head_ttl`` seconds; a full commit SHA, once seen, never changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from engine.diagnostics import DiagnosticsError
from engine.loading.ruleset import RulesetCache
from engine.rules.ruleset import Ruleset
from engine.store.access import RuleAccess
from engine.store.git import GitStore, RevisionError
from engine.store.source import RuleFile
from engine.usage import parse_timestamp

__all__ = ["RuleBook"]

_MAX_NAMES = 256


class _CommitSource:
    """The files of one known commit (the :class:`RuleSource` the cache loads)."""

    def __init__(self, store: GitStore, sha: str) -> None:
        self._store = store
        self.commit = sha

    def files(self) -> Iterable[RuleFile]:
        return self._store.read_files(self.commit)


class RuleBook:
    """A rules repository seen by the API."""

    def __init__(self, repo: str, head_ttl: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.access = RuleAccess(repo, RulesetCache())
        self._ttl = head_ttl
        self._clock = clock
        self._names: dict[str, tuple[float, str]] = {}
        self._known: set[str] = set()
        self._lock = threading.Lock()

    @property
    def store(self) -> GitStore:
        """The git store."""
        return self.access.store

    def commit(self, rev: str | None = None, as_known_at: str | None = None,
               field: str = "rev") -> str:
        """The commit SHA of a revision, of an instant of knowledge, or of ``HEAD``.

        ``field`` names ``rev`` in messages (``base``, ``head``…).
        """
        if rev is not None and not rev.strip():
            raise RevisionError(f"{field!r} is empty; give a commit SHA, a branch or a tag"
                                + (", or leave it out for HEAD" if field == "rev" else ""))
        if rev and as_known_at:
            raise RevisionError("give either 'rev' or 'as_known_at', not both")
        if as_known_at:
            try:
                instant = parse_timestamp(as_known_at)
            except ValueError as exc:
                raise RevisionError(f"as_known_at: {exc}") from None
            return self.store.as_known_at(instant)
        name = rev or "HEAD"
        known = self.known_commit(name)
        if known is not None:
            return known
        now = self._clock()
        sha = self.store.resolve(name)
        with self._lock:
            if len(self._names) >= _MAX_NAMES:
                self._names.clear()
            self._names[name] = (now + self._ttl, sha)
            self._known.add(sha)
        return sha

    def known_commit(self, rev: str | None = None) -> str | None:
        """The commit of ``rev`` (default ``HEAD``) if known without asking git, else ``None``."""
        if rev is not None and not rev.strip():
            return None  # refused by :meth:`commit`
        name = rev or "HEAD"
        if name in self._known:
            return name
        cached = self._names.get(name)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        return None

    def is_parsed(self, rev: str | None = None) -> bool:
        """Whether :meth:`at` of ``rev`` would neither ask git nor parse.

        That is, the commit of ``rev`` is known and its ruleset in the cache.
        """
        sha = self.known_commit(rev)
        return sha is not None and sha in self.access.cache

    def ruleset(self, sha: str) -> Ruleset:
        """The checked ruleset of a commit, or :class:`DiagnosticsError` with every problem."""
        ruleset, problems = self.access.cache.load(_CommitSource(self.store, sha))
        if ruleset is None:
            raise DiagnosticsError(problems)
        return ruleset

    def at(self, rev: str | None = None, as_known_at: str | None = None,
           field: str = "rev") -> Ruleset:
        """The ruleset of :meth:`commit`."""
        return self.ruleset(self.commit(rev, as_known_at, field))
