"""The API answers exactly the bytes ``bareme evaluate`` prints for the same inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient

from bareme.cli import cli
from tests.api.conftest import Rules, auth, evaluate_body, usage

Client = TestClient[Litestar]


@pytest.mark.parametrize("rev", [None, "v1"])
def test_api_bytes_equal_cli_bytes(client: Client, rules: Rules, tmp_path: Path,
                                   rev: str | None) -> None:
    records = usage(12)
    rows = [{"customer_id": "C-0001", **{k: v for k, v in r.items() if k != "attributes"},
             **r["attributes"]} for r in records]
    usage_file = tmp_path / "usage.jsonl"
    usage_file.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    commit = rules.v1 if rev else None
    args = ["--repo", str(rules.repo.root), "evaluate", "--usage", str(usage_file),
            "--customers", str(rules.customers), "--customer", "C-0001", "--period", "2026-10",
            *(["--rev", commit] if commit else [])]
    printed = CliRunner().invoke(cli, args)
    assert printed.exit_code == 0, printed.output
    body = evaluate_body(customer="C-0001", usage=records, **({"rev": commit} if commit else {}))
    answered = client.post("/v1/evaluate", content=json.dumps(body), headers=auth("billing"))
    assert answered.status_code == 200, answered.text
    assert answered.content == printed.stdout_bytes
