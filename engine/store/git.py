"""Rules read straight from git objects with GitPython: any commit, branch or tag, no checkout.

Knowledge time is a commit: ``as_known_at(T)`` is the last commit of the branch (first
parents, newest first) whose committer date is at or before ``T``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import git
import msgspec

from engine.store.source import RULE_ROOTS, WORKTREE, RuleFile, blob_sha

__all__ = ["CommitInfo", "GitStore", "RevisionError", "WorktreeSource"]


class RevisionError(ValueError):
    """A revision, date or repository that cannot be resolved."""


class CommitInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One ruleset version, as ``bareme versions`` lists it."""

    commit: str
    date: datetime
    """Committer date: when the rules became known."""
    author: str
    subject: str


class GitStore:
    """A rules repository on disk; thread-safe for reads."""

    def __init__(self, path: str | Path) -> None:
        try:
            self.repo = git.Repo(path, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise RevisionError(f"{path} is not inside a git repository") from exc
        self.root = Path(self.repo.working_tree_dir or path)
        self._lock = threading.Lock()

    def resolve(self, rev: str) -> str:
        """The 40-hex SHA of a commit, branch, tag or abbreviated SHA."""
        with self._lock:
            try:
                commit = self.repo.commit(rev)
                self.repo.odb.info(commit.binsha)  # a well-formed SHA may name nothing
                return str(commit.hexsha)
            # GitPython answers some revision syntaxes (reflog dates) with
            # NotImplementedError, others with lookup errors: every one is "unknown".
            except (git.BadName, git.BadObject, ValueError, NotImplementedError, LookupError,
                    AttributeError, TypeError) as exc:
                raise RevisionError(f"unknown revision {rev!r} in the rules repository; try a "
                                    "commit SHA, a branch or a tag (see 'bareme versions')"
                                    ) from exc

    def as_known_at(self, instant: datetime, branch: str = "HEAD") -> str:
        """The last commit of ``branch`` committed at or before ``instant``."""
        if instant.tzinfo is None:
            raise RevisionError("--as-known-at needs an offset, such as 2026-10-01T00:00:00Z")
        with self._lock:
            for commit in self.repo.iter_commits(branch, first_parent=True):
                if commit.committed_datetime <= instant:
                    return str(commit.hexsha)
        raise RevisionError(f"no commit of {branch} is at or before {instant.isoformat()}")

    def source(self, rev: str) -> GitSource:
        """The ruleset files of ``rev``."""
        return GitSource(self, self.resolve(rev))

    def versions(self, rev: str = "HEAD") -> list[CommitInfo]:
        """Commits that changed rules, newest first."""
        with self._lock:
            commits = list(self.repo.iter_commits(rev, paths=[r.rstrip("/") for r in RULE_ROOTS]))
            return [CommitInfo(commit=c.hexsha, date=c.committed_datetime,
                               author=str(c.author.name), subject=_subject(c.message))
                    for c in commits]

    def read_files(self, sha: str) -> list[RuleFile]:
        """Every file under the rule roots at commit ``sha``, in path order."""
        with self._lock:
            tree = self.repo.commit(sha).tree
            files: list[RuleFile] = []
            for root in RULE_ROOTS:
                try:
                    subtree = tree / root.rstrip("/")
                except KeyError:
                    continue
                for item in subtree.traverse():
                    if isinstance(item, git.Blob):
                        files.append(RuleFile(path=str(item.path), blob=item.hexsha,
                                              data=item.data_stream.read()))
            return sorted(files, key=lambda f: f.path)


def _subject(message: str | bytes) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return text.strip().splitlines()[0] if text.strip() else ""


class GitSource:
    """The files of one commit, read once."""

    def __init__(self, store: GitStore, sha: str) -> None:
        self._store = store
        self._sha = sha
        self._files: list[RuleFile] | None = None

    @property
    def commit(self) -> str:
        """The commit SHA."""
        return self._sha

    def files(self) -> Iterable[RuleFile]:
        """The files of the commit (read on first use)."""
        if self._files is None:
            self._files = self._store.read_files(self._sha)
        return self._files


class WorktreeSource:
    """The rule files as they are on disk, committed or not."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def commit(self) -> str:
        """Always :data:`WORKTREE`."""
        return WORKTREE

    def files(self) -> Iterator[RuleFile]:
        """Every file under the rule roots, in path order."""
        paths = sorted(p for root in RULE_ROOTS for p in (self.root / root).rglob("*")
                       if p.is_file())
        for path in paths:
            data = path.read_bytes()
            yield RuleFile(path=path.relative_to(self.root).as_posix(), blob=blob_sha(data),
                           data=data)
