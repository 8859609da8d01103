"""The archive commands as a user runs them: exit codes and messages, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bareme.sample import SAMPLE_CUSTOMERS, write_sample
from tests.archive.conftest import ROOT, Rules


def bareme(tmp_path: Path, rules: Rules, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from bareme.cli import main; main()",
         "--repo", str(rules.root), "--data-dir", str(tmp_path / "data"), *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})


@pytest.mark.e2e
def test_issue_replay_correct_verify(tmp_path: Path, rules: Rules) -> None:
    from zoneinfo import ZoneInfo

    from engine.timeline import parse_period

    customers, usage = write_sample(tmp_path, parse_period("2026-10", ZoneInfo("Europe/Paris")))
    assert len(yaml.safe_load(customers.read_text())) == len(SAMPLE_CUSTOMERS)
    assert "9 added" in bareme(tmp_path, rules, "customers", "import", str(customers)).stdout
    issue = ("invoice", "issue", "--customer", "C-0001", "--period", "2026-10",
             "--usage", str(usage), "--rev", rules.base)
    first = bareme(tmp_path, rules, *issue)
    assert (first.returncode, first.stdout) == (0, "F-2026-000001\n"), first.stderr
    again = bareme(tmp_path, rules, *issue)
    assert (again.stdout, "already issued" in again.stderr) == ("F-2026-000001\n", True)
    conflict = bareme(tmp_path, rules, *issue[:-1], rules.cheaper)
    assert conflict.returncode == 1 and "idempotency key" in conflict.stderr
    assert "Traceback" not in conflict.stderr
    replay = bareme(tmp_path, rules, "replay", "F-2026-000001")
    assert replay.returncode == 0 and "identical" in replay.stdout
    credit = bareme(tmp_path, rules, "correct", "F-2026-000001", "--rev", rules.cheaper)
    assert (credit.returncode, credit.stdout) == (0, "A-2026-000001\n"), credit.stderr
    assert bareme(tmp_path, rules, "replay", "A-2026-000001").returncode == 0
    assert bareme(tmp_path, rules, "archive", "verify").returncode == 0
    unknown = bareme(tmp_path, rules, "replay", "F-2026-999999")
    assert unknown.returncode == 1 and "no archived document" in unknown.stderr
    query = bareme(tmp_path, rules, "archive", "query",
                   "SELECT number, kind FROM documents ORDER BY position")
    assert query.stdout.split()[2:] == ["F-2026-000001", "invoice", "A-2026-000001",
                                        "credit_note"]
    shown = bareme(tmp_path, rules, "invoice", "show", "A-2026-000001", "--pdf", "a.pdf")
    assert '"original": {' in shown.stdout
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")
    pdf = next((tmp_path / "data" / "archive" / "objects").rglob("*"))
    for path in (tmp_path / "data" / "archive" / "objects").rglob("*"):
        if path.is_file() and path.read_bytes().startswith(b"%PDF"):
            pdf = path
            break
    pdf.write_bytes(pdf.read_bytes() + b"\n")
    broken = bareme(tmp_path, rules, "archive", "verify")
    assert broken.returncode == 1 and "file altered" in broken.stdout


@pytest.mark.e2e
def test_invoices_from_stored_usage_close_the_period(tmp_path: Path, rules: Rules) -> None:
    from zoneinfo import ZoneInfo

    from engine.timeline import parse_period

    customers, usage = write_sample(tmp_path, parse_period("2026-10", ZoneInfo("Europe/Paris")))
    missing = bareme(tmp_path, rules, "invoice", "issue", "--customer", "C-0001",
                     "--period", "2026-10")
    assert missing.returncode == 1 and "no stored usage for 2026-10" in missing.stderr
    ingest = bareme(tmp_path, rules, "usage", "ingest", str(usage), "--customers",
                    str(customers))
    assert ingest.returncode == 0, ingest.stderr
    bareme(tmp_path, rules, "customers", "import", str(customers))
    stored = bareme(tmp_path, rules, "invoice", "issue", "--customer", "C-0001",
                    "--period", "2026-10", "--rev", rules.base)
    from_file = bareme(tmp_path, rules, "invoice", "issue", "--customer", "C-0001",
                       "--period", "2026-10", "--rev", rules.base, "--usage", str(usage))
    # The stored usage is the file's usage: the second request is the same request.
    assert (stored.stdout, from_file.stdout) == ("F-2026-000001\n", "F-2026-000001\n")
    late = tmp_path / "late.jsonl"
    late.write_text('{"event_id": "late-1", "customer_id": "C-0001", "metric": '
                    '"compute.vcpu_hours", "quantity": "5", '
                    '"timestamp": "2026-10-20T10:00:00Z"}\n', encoding="utf-8")
    assert bareme(tmp_path, rules, "usage", "ingest", str(late)).returncode == 0
    listed = bareme(tmp_path, rules, "usage", "late")
    assert "late-1" in listed.stdout
