"""The API answers exactly the bytes ``bareme evaluate`` prints for the same inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient

from bareme.cli import cli
from tests.api.conftest import CUSTOMER, Rules, auth, evaluate_body, problem, usage

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


def test_a_unit_is_converted_as_the_cli_converts_a_unit_column(
        http: Client, project_rules: Path, tmp_path: Path) -> None:
    record = {"event_id": "e1", "metric": "compute.vcpu_hours", "quantity": "600",
              "timestamp": "2026-10-14T09:30:00Z", "unit": "min"}
    usage_file = tmp_path / "usage.jsonl"
    usage_file.write_text(json.dumps({"customer_id": "C-0001", **record}) + "\n",
                          encoding="utf-8")
    customers = tmp_path / "customers.json"
    customers.write_text(json.dumps([CUSTOMER]), encoding="utf-8")
    printed = CliRunner().invoke(cli, [
        "--repo", str(project_rules), "evaluate", "--usage", str(usage_file), "--customers",
        str(customers), "--customer", "C-0001", "--period", "2026-10"])
    assert printed.exit_code == 0, printed.output
    answered = http.post("/v1/evaluate", headers=auth("billing"), content=json.dumps(
        {"customer": CUSTOMER, "usage": [record], "period": "2026-10"}))
    assert answered.status_code == 200, answered.text
    assert answered.content == printed.stdout_bytes
    vcpu = [line for line in answered.json()["lines"] if line["rule_id"] == "compute.vcpu"]
    assert [line["quantity"] for line in vcpu] == ["10"]  # 600 min


def test_a_unit_the_metric_does_not_accept_or_given_as_an_attribute_is_refused(
        http: Client) -> None:
    record = {"event_id": "e1", "metric": "compute.vcpu_hours", "quantity": "600",
              "timestamp": "2026-10-14T09:30:00Z"}
    for given, code in (({"unit": "parsec"}, "usage.unknown_unit"),
                        ({"attributes": {"unit": "min"}}, "usage.attribute_clash")):
        data = problem(http.post("/v1/evaluate", headers=auth("billing"), content=json.dumps(
            {"customer": CUSTOMER, "usage": [{**record, **given}], "period": "2026-10"})),
            422, "invalid-usage")
        assert [(d["code"], d["pointer"]) for d in data["diagnostics"]] == [(code, "/usage/0")]
