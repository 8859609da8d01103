"""Numbers stay gapless and unique under parallel issuers and after a killed issuer."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from sqlalchemy import text

from archive.context import Archive
from archive.verify import verify
from tests.archive.conftest import ROOT, Rules

CUSTOMERS = [f"C-000{i}" for i in range(1, 10)]


def issuers(archive: Archive, rules: Rules, groups: list[list[str]],
            crash: bool = False) -> list[subprocess.Popen[str]]:
    url = archive.engine.url.render_as_string(hide_password=False)
    return [subprocess.Popen(
        [sys.executable, "-m", "tests.archive.issuer", url, str(archive.data_dir),
         str(rules.root), *group, *(["--crash"] if crash else [])],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for group in groups]


def numbers(archive: Archive) -> list[str]:
    with archive.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT number FROM documents ORDER BY position"))]


def run_parallel(archive: Archive, rules: Rules) -> None:
    groups = [CUSTOMERS[i::3] for i in range(3)]
    printed = []
    for process in issuers(archive, rules, groups):
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        printed += out.split()
    expected = [f"F-2026-{i:06d}" for i in range(1, len(CUSTOMERS) + 1)]
    assert sorted(printed) == expected
    assert numbers(archive) == expected
    assert verify(archive).intact


def test_parallel_issuers_sqlite(archive: Archive, rules: Rules) -> None:
    run_parallel(archive, rules)


@pytest.mark.postgres
def test_parallel_issuers_postgres(pg_archive: Archive, rules: Rules) -> None:
    run_parallel(pg_archive, rules)


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def kill_then_issue(archive: Archive, rules: Rules) -> None:
    [first] = issuers(archive, rules, [["C-0001"]])
    assert finish(first)[0] == 0
    [killed] = issuers(archive, rules, [["C-0002"]], crash=True)
    assert finish(killed)[0] == -signal.SIGKILL
    assert numbers(archive) == ["F-2026-000001"]
    [after] = issuers(archive, rules, [["C-0003", "C-0002"]])
    code, out, err = finish(after)
    assert code == 0, err
    assert out.split() == ["F-2026-000002", "F-2026-000003"]
    assert numbers(archive) == ["F-2026-000001", "F-2026-000002", "F-2026-000003"]
    assert verify(archive).intact


def test_killed_issuer_leaves_no_gap_sqlite(archive: Archive, rules: Rules) -> None:
    kill_then_issue(archive, rules)


@pytest.mark.postgres
def test_killed_issuer_leaves_no_gap_postgres(pg_archive: Archive, rules: Rules) -> None:
    kill_then_issue(pg_archive, rules)


@pytest.mark.postgres
def test_parallel_retries_of_the_same_requests_postgres(pg_archive: Archive,
                                                       rules: Rules) -> None:
    group = ["C-0001", "C-0002", "C-0003"]
    outputs = []
    for process in issuers(pg_archive, rules, [group, group, group]):
        code, out, err = finish(process)
        assert code == 0, err
        outputs.append(out.split())
    assert outputs[0] == outputs[1] == outputs[2]
    assert sorted(outputs[0]) == numbers(pg_archive) == [f"F-2026-00000{i}" for i in (1, 2, 3)]
