"""The README's commands, run as a new user would: on a fresh clone, from its own venv.

``./dev demo`` sets everything up and runs the main job; the everyday commands then run
in that environment on copies of the demo's sample files. (``./dev test`` is the command
running this very test, so it is not run again here.)
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks_after(heading: str) -> list[str]:
    """Command lines of the first ``sh`` block after ``heading``, comments removed."""
    section = README.split(heading, 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, f"no sh block after {heading!r}"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()
            if line.split("#", 1)[0].strip()]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAREME_", "VIRTUAL_ENV"))}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900, check=False)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is needed to clone the repository")
    target = tmp_path_factory.mktemp("readme") / "bareme"
    done = run(["git", "clone", "--quiet", str(ROOT), str(target)], ROOT)
    assert done.returncode == 0, done.stderr
    # The README names `main`; a clone of a feature branch has it only as origin/main.
    run(["git", "branch", "--quiet", "main", "origin/main"], target)
    return target


@pytest.mark.e2e
def test_the_two_commands_are_documented() -> None:
    assert blocks_after("## Two commands") == ["./dev demo", "./dev test"]
    assert "./dev test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.e2e
def test_demo_on_a_fresh_clone_then_everyday_commands(clone: Path) -> None:
    demo = run(["./dev", "demo"], clone)
    assert demo.returncode == 0, demo.stderr
    assert "1767 usage records, 9 customers" in demo.stdout
    assert "Traceback" not in demo.stderr
    sample = clone / ".bareme" / "sample"
    shutil.copy(sample / "customers.yaml", clone / "customers.yaml")
    shutil.copy(sample / "usage-2026-10.jsonl", clone / "usage.jsonl")
    for line in blocks_after("## Everyday commands"):
        words = shlex.split(line)
        assert words[0] == "bareme"
        done = run([str(clone / ".venv" / "bin" / "bareme"), *words[1:]], clone)
        assert done.returncode == 0, f"{line}\n{done.stderr}"
        assert "Traceback" not in done.stderr
