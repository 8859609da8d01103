"""Shared fixtures: rulesets written inline as YAML, temporary git repositories."""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from engine.loading.ruleset import load_ruleset
from engine.rules.ruleset import Ruleset
from engine.store.source import StaticSource

settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

MANIFEST = "timezone: Europe/Paris\ncurrency: EUR\n"


def ruleset_from(files: Mapping[str, str], commit: str = "0" * 40) -> Ruleset:
    """A checked ruleset from inline YAML files (dedented); fails the test on any problem."""
    texts = {"rulesets/ruleset.yaml": MANIFEST,
             **{p: textwrap.dedent(t) for p, t in files.items()}}
    ruleset, problems = load_ruleset(StaticSource(texts, commit=commit))
    assert ruleset is not None, "\n".join(str(p) for p in problems)
    return ruleset


def pricing(yaml_text: str, **more: str) -> Ruleset:
    """A ruleset whose only pricing file is ``yaml_text``."""
    return ruleset_from({"rulesets/pricing/rules.yaml": yaml_text, **more})


class GitRepo:
    """A throwaway rules repository; commits can be backdated."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Test")
        self.git("config", "user.email", "test@example.invalid")

    def git(self, *args: str, date: str | None = None) -> str:
        env = {**os.environ}
        if date is not None:
            env.update(GIT_COMMITTER_DATE=date, GIT_AUTHOR_DATE=date)
        done = subprocess.run(["git", *args], cwd=self.root, env=env, check=True,
                              capture_output=True, text=True)
        return done.stdout.strip()

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")

    def commit(self, message: str, files: Mapping[str, str] | None = None,
               date: str | None = None) -> str:
        for path, text in (files or {}).items():
            self.write(path, text)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, date=date)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def git_repo(tmp_path: Path) -> Iterator[GitRepo]:
    """An empty git repository with the ruleset manifest committed."""
    root = tmp_path / "rules"
    root.mkdir()
    yield GitRepo(root)


RulesetFactory = Callable[[str], Ruleset]
