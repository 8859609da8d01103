"""Open the ruleset a caller asks for: working tree, a revision, or as known at an instant."""

from __future__ import annotations

from datetime import datetime

from engine.diagnostics import DiagnosticsError
from engine.loading.ruleset import RulesetCache
from engine.rules.ruleset import Ruleset
from engine.store.git import GitStore, RevisionError, WorktreeSource
from engine.store.source import RuleSource
from engine.usage import parse_timestamp

__all__ = ["RuleAccess"]


class RuleAccess:
    """A rules repository with a per-commit cache of parsed rulesets."""

    def __init__(self, repo: str, cache: RulesetCache | None = None) -> None:
        self.store = GitStore(repo)
        self.cache = cache or RulesetCache()

    def source(self, rev: str | None = None, as_known_at: str | None = None,
               worktree: bool = False) -> RuleSource:
        """The files asked for; ``HEAD`` when neither a revision nor an instant is given."""
        if rev is not None and not rev.strip():
            raise RevisionError("the revision is empty; give a commit SHA, a branch or a tag, "
                                "or none for HEAD")
        if rev and as_known_at:
            raise RevisionError("give either --rev or --as-known-at, not both")
        if as_known_at:
            try:
                instant: datetime = parse_timestamp(as_known_at)
            except ValueError as exc:
                raise RevisionError(f"--as-known-at: {exc}") from None
            return self.store.source(self.store.as_known_at(instant))
        if rev is None and worktree:
            return WorktreeSource(self.store.root)
        return self.store.source(rev or "HEAD")

    def ruleset(self, rev: str | None = None, as_known_at: str | None = None) -> Ruleset:
        """The checked ruleset, or :class:`DiagnosticsError` with every problem."""
        ruleset, problems = self.cache.load(self.source(rev, as_known_at))
        if ruleset is None:
            raise DiagnosticsError(problems)
        return ruleset
