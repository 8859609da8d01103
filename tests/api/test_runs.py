"""``POST /v1/billing-runs``: every stored customer's invoice for a month, resumable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient

from api import ApiSettings, create_app
from api.keys import keys_from_pairs
from api.routes.common import services
from archive import import_customers
from bareme.cli import cli
from engine.customers import Customer
from tests.api.conftest import CUSTOMER, KEYS, auth, problem, usage

Client = TestClient[Litestar]
SECOND = {**CUSTOMER, "id": "C-0002", "name": "Forge Logicielle SARL",
          "siren": "732829320", "vat_number": "FR44732829320"}
IDLE = {**CUSTOMER, "id": "C-0003", "name": "Sans Usage SAS"}


@pytest.fixture
def customers(archive_app: Litestar) -> None:
    """Two more stored customers: C-0002 with usage, C-0003 without."""
    import_customers(services(archive_app.state).archive.get().engine,
                     [msgspec.convert(c, Customer) for c in (SECOND, IDLE)])


def records() -> list[dict[str, Any]]:
    """Usage of C-0001 and C-0002 in October 2026."""
    first = [{**r, "customer_id": "C-0001"} for r in usage(3)]
    second = [{**r, "event_id": f"b-{r['event_id']}", "customer_id": "C-0002"}
              for r in usage(4)]
    return first + second


def run(http: Client, status: int = 200, **body: Any) -> dict[str, Any]:
    response = http.post("/v1/billing-runs", json={"period": "2026-10", **body},
                         headers=auth("billing"))
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.usefixtures("customers")
def test_a_run_issues_each_invoice_once(http: Client) -> None:
    first = run(http, usage=records())
    assert (first["issued"], first["already_issued"], first["without_usage"]) == (2, 0, 1)
    assert [n[-6:] for n in first["numbers"]] == ["000001", "000002"]
    assert Decimal(first["totals"]["gross"]) > 0 and first["totals"]["currency"] == "EUR"
    again = run(http, usage=records())
    assert (again["issued"], again["already_issued"], again["totals"]["gross"]) == (
        0, 2, "0.00")
    assert again["numbers"] == first["numbers"]
    for number in first["numbers"]:
        replay = http.get(f"/v1/invoices/{number}/replay", headers=auth("auditor")).json()
        assert replay["identical"] is True


@pytest.mark.usefixtures("customers")
def test_a_run_completes_what_was_issued_before(http: Client) -> None:
    mine = [r for r in records() if r["customer_id"] == "C-0001"]
    body = {"customer_id": "C-0001", "period": "2026-10",
            "usage": [{k: v for k, v in r.items() if k != "customer_id"} for r in mine]}
    one = http.post("/v1/invoices", json=body, headers=auth("billing")).json()
    answer = run(http, usage=records())
    assert (answer["issued"], answer["already_issued"]) == (1, 1)
    assert one["number"] in answer["numbers"]


@pytest.mark.usefixtures("customers")
def test_a_run_bills_the_stored_usage(http: Client, archive_app: Litestar,
                                      tmp_path: Path) -> None:
    settings = services(archive_app.state).settings
    source = tmp_path / "usage.jsonl"
    source.write_text("".join(json.dumps({**{k: v for k, v in r.items() if k != "attributes"},
                                          **r["attributes"]}) + "\n" for r in records()),
                      encoding="utf-8")
    done = CliRunner().invoke(cli, ["--repo", settings.repo, "--data-dir", settings.data_dir,
                                    "usage", "ingest", str(source)])
    assert done.exit_code == 0, done.output
    answer = run(http)
    assert (answer["issued"], answer["without_usage"]) == (2, 1)


def test_without_stored_usage_there_is_nothing_to_bill(http: Client) -> None:
    problem(http.post("/v1/billing-runs", json={"period": "2026-10"}, headers=auth("billing")),
            422, "nothing-to-bill")
    problem(http.post("/v1/billing-runs", json={"period": "2026-10", "usage": []},
                      headers=auth("billing")), 422, "nothing-to-bill")


@pytest.mark.usefixtures("customers")
@pytest.mark.parametrize(("record", "code"), [
    ({"customer_id": "C-9999"}, "usage.unknown_customer"),
    ({"timestamp": "2026-09-30T09:00:00Z"}, "usage.outside_period"),
    ({"metric": "quantum.hours"}, "usage.unknown_metric"),
    ({"customer_id": None}, "usage.missing_field"),
])
def test_a_record_that_cannot_be_billed_refuses_the_run(http: Client, record: dict[str, Any],
                                                        code: str) -> None:
    body = records()
    body[4] = {**body[4], **record}
    response = http.post("/v1/billing-runs", json={"period": "2026-10", "usage": body},
                         headers=auth("billing"))
    data = problem(response, 422, "invalid-usage")
    assert [(d["code"], d["pointer"]) for d in data["diagnostics"]] == [(code, "/usage/4")]
    count = http.post("/v1/archive/query", json={"sql": "SELECT count(*) FROM documents"},
                      headers=auth("tax_reviewer")).json()
    assert count["rows"] == [["0"]]


@pytest.mark.parametrize(("body", "status", "slug"), [
    ({"period": "2026-13"}, 422, "invalid-period"),
    ({"period": "2026-10", "rev": "no-such-branch"}, 422, "unknown-revision"),
    ({"period": "2026-10", "dry_run": True}, 422, "invalid-request"),
    ({"usage": []}, 422, "invalid-request"),
])
def test_bad_run_requests(http: Client, body: dict[str, Any], status: int, slug: str) -> None:
    response = http.post("/v1/billing-runs", json=body, headers=auth("billing"))
    problem(response, status, slug)


@pytest.fixture
def small(project_rules: Path, tmp_path: Path) -> Iterator[Client]:
    """A client of an app taking at most 2 records and 2 000 bytes per request."""
    keys = keys_from_pairs(",".join(f"{role}={key}" for role, key in KEYS.items()))
    app = create_app(ApiSettings(repo=str(project_rules), data_dir=str(tmp_path / "small"),
                                 keys=keys, access_log="", max_records=2,
                                 max_body_bytes=2_000))
    with TestClient(app) as client:
        yield client


def test_too_many_records_or_bytes_is_413(small: Client) -> None:
    records = [{**r, "customer_id": "C-0001"} for r in usage(3)]
    body = {"period": "2026-10", "usage": records}
    assert "at most 2" in problem(small.post("/v1/billing-runs", json=body,
                                             headers=auth("billing")), 413, "too-large")["detail"]
    big = {"period": "2026-10", "usage": records[:1], "rev": "x" * 3_000}
    problem(small.post("/v1/billing-runs", json=big, headers=auth("billing")), 413,
            "too-large")


def test_roles(http: Client) -> None:
    body = {"period": "2026-10", "usage": [{**r, "customer_id": "C-0001"} for r in usage(2)]}
    problem(http.post("/v1/billing-runs", json=body), 401, "unauthorized")
    for role in sorted(set(KEYS) - {"billing"}):
        problem(http.post("/v1/billing-runs", json=body, headers=auth(role)), 403, "forbidden")
    answer = http.post("/v1/billing-runs", json=body, headers=auth("billing"))
    assert answer.status_code == 200 and answer.json()["issued"] == 1
