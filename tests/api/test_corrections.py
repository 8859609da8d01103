"""``POST /v1/invoices/{number}/corrections``: credit notes and corrective invoices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient

from api.routes.common import services
from archive import load
from bareme.cli import cli
from tests.api.conftest import KEYS, auth, issued, problem

Client = TestClient[Litestar]


def corrections(number: str) -> str:
    return f"/v1/invoices/{number}/corrections"


def corrected(http: Client, number: str, status: int = 201, **body: Any) -> dict[str, Any]:
    """Correct ``number`` as ``billing``; the answer, checked for ``status``."""
    response = http.post(corrections(number), json=body, headers=auth("billing"))
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_price_cut_gives_a_credit_note_then_a_rise_a_corrective_invoice(
        http: Client, archive_app: Litestar) -> None:
    invoice = issued(http)
    credit = corrected(http, invoice["number"], rev="cheaper")
    assert credit["kind"] == "credit_note"
    assert credit["number"].startswith("A-") and credit["created"] is True
    assert credit["original"] == invoice["number"]
    assert (credit["customer_id"], credit["period"]) == (invoice["customer_id"],
                                                         invoice["period"])
    assert Decimal(credit["totals"]["net"]) > 0
    assert credit["commit"] != invoice["commit"]
    dearer = corrected(http, invoice["number"], rev="dearer")
    assert (dearer["kind"], dearer["original"]) == ("corrective_invoice", invoice["number"])
    archive = services(archive_app.state).archive.get()
    _, document = load(archive, dearer["number"])
    assert document["original"]["base_commit"] == credit["commit"]
    assert document["evaluation"]["digest"] == dearer["digest"]
    for number in (credit["number"], dearer["number"]):
        replay = http.get(f"/v1/invoices/{number}/replay", headers=auth("auditor")).json()
        assert replay["identical"] is True


def test_a_correction_is_issued_once_per_request(http: Client) -> None:
    number = issued(http)["number"]
    first = corrected(http, number, rev="cheaper", idempotency_key="fix-7")
    again = corrected(http, number, 200, rev="cheaper", idempotency_key="fix-7")
    assert again == {**first, "created": False}
    headers = {**auth("billing"), "Idempotency-Key": "fix-7"}
    by_header = http.post(corrections(number), json={"rev": "cheaper"}, headers=headers)
    assert by_header.status_code == 200 and by_header.json() == again
    # Under another key, the same rules find nothing left to correct.
    problem(http.post(corrections(number), json={"rev": "cheaper"}, headers=auth("billing")),
            422, "nothing-to-correct")


def test_a_key_reused_for_another_request_is_a_conflict(http: Client) -> None:
    number = issued(http)["number"]
    corrected(http, number, rev="cheaper", idempotency_key="fix-8")
    response = http.post(corrections(number), json={"rev": "dearer", "idempotency_key": "fix-8"},
                         headers=auth("billing"))
    assert "fix-8" in problem(response, 409, "idempotency-conflict")["detail"]
    reused = http.post(corrections(number), json={"rev": "dearer"},
                       headers={**auth("billing"), "Idempotency-Key": "invoice:C-0001:2026-10"})
    problem(reused, 409, "idempotency-conflict")


def test_no_difference_is_a_problem_and_issues_nothing(http: Client) -> None:
    invoice = issued(http)
    for body in ({"rev": "HEAD"}, {"as_known_at": "2026-06-01T00:00:00Z"},
                 {"rev": "reworded"}):
        response = http.post(corrections(invoice["number"]), json=body,
                              headers=auth("billing"))
        assert invoice["number"] in problem(response, 422, "nothing-to-correct")["detail"]
    count = http.post("/v1/archive/query", json={"sql": "SELECT count(*) FROM documents"},
                      headers=auth("tax_reviewer")).json()
    assert count["rows"] == [["1"]]


def test_as_known_at_picks_the_rules_of_that_instant(http: Client) -> None:
    number = issued(http)["number"]
    problem(http.post(corrections(number), json={"as_known_at": "2025-01-01T00:00:00Z"},
                      headers=auth("billing")), 422, "unknown-revision")


def test_a_correction_is_not_corrected(http: Client) -> None:
    number = issued(http)["number"]
    credit = corrected(http, number, rev="cheaper")["number"]
    response = http.post(corrections(credit), json={"rev": "dearer"}, headers=auth("billing"))
    assert number in problem(response, 422, "not-correctable")["detail"]


def test_an_unknown_number_is_404(http: Client) -> None:
    response = http.post(corrections("F-2026-999999"), json={"rev": "cheaper"},
                         headers=auth("billing"))
    assert "F-2026-999999" in problem(response, 404, "unknown-document")["detail"]


@pytest.mark.parametrize(("body", "slug"), [
    ({}, "invalid-request"),
    ({"rev": ""}, "invalid-request"),
    ({"rev": "cheaper", "as_known_at": "2026-11-20T00:00:00Z"}, "invalid-request"),
    ({"rev": "cheaper", "colour": "blue"}, "invalid-request"),
    ({"rev": 3}, "invalid-request"),
    ({"rev": "no-such-branch"}, "unknown-revision"),
    ({"as_known_at": "last week"}, "unknown-revision"),
])
def test_bad_correction_requests_are_422(http: Client, body: dict[str, Any],
                                         slug: str) -> None:
    number = issued(http)["number"]
    problem(http.post(corrections(number), json=body, headers=auth("billing")), 422, slug)


def test_an_unknown_field_is_named(http: Client) -> None:
    number = issued(http)["number"]
    response = http.post(corrections(number), json={"rev": "cheaper", "reason": "x"},
                         headers=auth("billing"))
    assert problem(response, 422, "invalid-request")["diagnostics"][0]["pointer"] == "/reason"


def test_malformed_and_oversize_bodies(http: Client, archive_app: Litestar) -> None:
    number = issued(http)["number"]
    bad = http.post(corrections(number), content=b"{rev", headers=auth("billing"))
    problem(bad, 400, "malformed-json")
    limit = services(archive_app.state).settings.max_body_bytes
    big = http.post(corrections(number), content=b'{"rev": "' + b"x" * limit + b'"}',
                    headers=auth("billing"))
    problem(big, 413, "too-large")


def test_the_api_issues_what_the_cli_issues(http: Client, archive_app: Litestar) -> None:
    number = issued(http)["number"]
    settings = services(archive_app.state).settings
    done = CliRunner().invoke(cli, ["--repo", settings.repo, "--data-dir", settings.data_dir,
                                    "correct", number, "--rev", "cheaper"])
    assert done.exit_code == 0, done.output
    answer = corrected(http, number, 200, rev="cheaper")
    assert answer["number"] == done.stdout.strip()


def test_roles(http: Client) -> None:
    number = issued(http)["number"]
    path = corrections(number)
    problem(http.post(path, json={"rev": "cheaper"}), 401, "unauthorized")
    for role in sorted(set(KEYS) - {"billing"}):
        problem(http.post(path, json={"rev": "cheaper"}, headers=auth(role)), 403, "forbidden")
    assert http.post(path, json={"rev": "cheaper"}, headers=auth("billing")).status_code == 201
