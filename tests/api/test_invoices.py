"""``/v1/invoices`` and ``/v1/archive``: issue, read, replay, verify and query over HTTP."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.routes.common import services
from archive import load
from tests.api.conftest import KEYS, Rules, auth, invoice_body, issued, problem, usage

archive_replay = importlib.import_module("archive.replay")
"""The module (the package's ``replay`` attribute is the function of that name)."""


def test_an_invoice_is_issued_once_per_request(http: TestClient[Litestar]) -> None:
    first = issued(http)
    assert first["number"].endswith("-000001")
    assert first["kind"] == "invoice"
    assert first["created"] is True
    assert first["totals"]["currency"] == "EUR"
    assert first["digest"].startswith("sha256:")
    assert len(first["commit"]) == 40
    again = http.post("/v1/invoices", json=invoice_body(), headers=auth("billing"))
    assert again.status_code == 200
    assert again.json() == {**first, "created": False}


def test_the_idempotency_key_comes_from_the_header_or_the_body(
        http: TestClient[Litestar]) -> None:
    first = issued(http, idempotency_key="run-42")
    headers = {**auth("billing"), "Idempotency-Key": "run-42"}
    again = http.post("/v1/invoices", json=invoice_body(), headers=headers)
    assert again.status_code == 200
    assert again.json()["number"] == first["number"]


def test_a_key_reused_for_another_request_is_a_conflict(http: TestClient[Litestar]) -> None:
    issued(http, idempotency_key="k1")
    other = http.post("/v1/invoices", json=invoice_body(usage=usage(4), idempotency_key="k1"),
                      headers=auth("billing"))
    assert "k1" in problem(other, 409, "idempotency-conflict")["detail"]


@pytest.mark.parametrize(("changes", "slug"), [
    ({"customer_id": "C-9999"}, "unknown-customer"),
    ({"period": "2026-13"}, "invalid-period"),
    ({"period": "2026-10\n"}, "invalid-period"),  # the same month under another key
    ({"period": "\uff12\uff10\uff12\uff16-10"}, "invalid-period"),
    ({"period": "2026-03"}, "invalid-usage"),
    ({"usage": []}, "nothing-to-bill"),
    ({"usage": [{**usage(1)[0], "quantity": 3}]}, "invalid-request"),
    ({"usage": [{**usage(1)[0], "timestamp": "yesterday"}]}, "invalid-usage"),
    ({"rev": "no-such-branch"}, "unknown-revision"),
    ({"colour": "blue"}, "invalid-request"),
])
def test_bad_issue_requests_are_422(http: TestClient[Litestar], changes: dict[str, Any],
                                    slug: str) -> None:
    response = http.post("/v1/invoices", json=invoice_body(**changes), headers=auth("billing"))
    problem(response, 422, slug)


def test_header_and_body_keys_must_agree(http: TestClient[Litestar]) -> None:
    headers = {**auth("billing"), "Idempotency-Key": "a"}
    response = http.post("/v1/invoices", json=invoice_body(idempotency_key="b"),
                         headers=headers)
    problem(response, 422, "invalid-request")


def test_the_archived_files_are_served_as_archived(http: TestClient[Litestar],
                                                   archive_app: Litestar) -> None:
    number = issued(http)["number"]
    archive = services(archive_app.state).archive.get()
    document = http.get(f"/v1/invoices/{number}", headers=auth("auditor"))
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/json"
    assert document.json()["number"] == number
    row, _ = load(archive, number)
    assert document.content == archive.files.get(row.json_sha256)
    for suffix in ("pdf", "facturx"):
        response = http.get(f"/v1/invoices/{number}/{suffix}", headers=auth("tax_reviewer"))
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize("suffix", ["", "/pdf", "/facturx", "/replay"])
def test_an_unknown_number_is_404(http: TestClient[Litestar], suffix: str) -> None:
    response = http.get(f"/v1/invoices/F-2026-999999{suffix}", headers=auth("auditor"))
    assert "F-2026-999999" in problem(response, 404, "unknown-document")["detail"]


def test_a_replay_is_identical(http: TestClient[Litestar]) -> None:
    first = issued(http)
    response = http.get(f"/v1/invoices/{first['number']}/replay", headers=auth("auditor"))
    assert response.status_code == 200
    assert response.json() == {"number": first["number"], "commit": first["commit"],
                               "identical": True, "archived_digest": first["digest"],
                               "replayed_digest": first["digest"], "differences": []}


def test_verify_reports_an_intact_chain(http: TestClient[Litestar]) -> None:
    issued(http)
    response = http.get("/v1/archive/verify", headers=auth("tax_reviewer"))
    assert response.status_code == 200
    report = response.json()
    assert (report["intact"], report["records"], report["files"], report["problems"]) == (
        True, 1, 4, [])


def test_a_query_reads_the_archive(http: TestClient[Litestar]) -> None:
    first = issued(http)
    response = http.post("/v1/archive/query", headers=auth("tax_reviewer"),
                         json={"sql": "SELECT number, gross FROM documents"})
    assert response.status_code == 200
    assert response.json() == {"columns": ["number", "gross"],
                               "rows": [[first["number"], first["totals"]["gross"]]]}


@pytest.mark.parametrize("sql", [
    "DELETE FROM documents",
    "SELECT 1; DROP TABLE documents",
    "COPY documents TO '/tmp/out.csv'",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELEKT 1",
    "-- nothing",
])
def test_a_query_that_writes_or_reads_files_is_422(http: TestClient[Litestar],
                                                   sql: str) -> None:
    response = http.post("/v1/archive/query", headers=auth("tax_reviewer"), json={"sql": sql})
    problem(response, 422, "invalid-query")


def test_a_query_is_bounded_in_rows_time_and_memory(http: TestClient[Litestar],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from api.routes import archive as route
    from archive.query import QueryLimits

    monkeypatch.setattr(route, "QUERY_LIMITS", QueryLimits(rows=10, seconds=0.5,
                                                           memory="64MB", characters=1000))
    def ask(sql: str) -> Any:
        return http.post("/v1/archive/query", json={"sql": sql}, headers=auth("tax_reviewer"))

    assert ask("SELECT * FROM range(10)").status_code == 200
    data = problem(ask("SELECT * FROM range(11)"), 422, "invalid-query")
    assert "more than 10 rows" in data["detail"]
    data = problem(ask("SELECT count(*) FROM range(100000000000) a"), 422, "invalid-query")
    assert "longer than 0.5 s" in data["detail"]
    data = problem(ask("SELECT list(range) FROM range(100000000)"), 422, "invalid-query")
    assert "more than 64MB of memory" in data["detail"] and "SET" not in data["detail"]
    data = problem(ask("SELECT repeat('x', 300) FROM range(5)"), 422, "invalid-query")
    assert "more than 1000 characters" in data["detail"]


ACCESS = [
    ("POST", "/v1/invoices", {"billing"}),
    ("GET", "/v1/invoices/F-2026-000001", {"billing", "auditor", "tax_reviewer"}),
    ("GET", "/v1/invoices/F-2026-000001/pdf", {"billing", "auditor", "tax_reviewer"}),
    ("GET", "/v1/invoices/F-2026-000001/replay", {"auditor"}),
    ("GET", "/v1/archive/verify", {"auditor", "tax_reviewer"}),
    ("POST", "/v1/archive/query", {"tax_reviewer"}),
]


@pytest.mark.parametrize(("method", "path", "allowed"), ACCESS)
def test_roles(http: TestClient[Litestar], method: str, path: str,
               allowed: set[str]) -> None:
    problem(http.request(method, path), 401, "unauthorized")
    for role in sorted(set(KEYS) - allowed):
        problem(http.request(method, path, headers=auth(role)), 403, "forbidden")


def test_a_replay_that_differs_is_still_200(http: TestClient[Litestar],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    number = issued(http)["number"]
    original = archive_replay.recompute

    def dearer(*args: Any) -> dict[str, Any]:
        evaluation = original(*args)
        return {**evaluation, "totals": {**evaluation["totals"], "gross": "999.99"}}

    monkeypatch.setattr(archive_replay, "recompute", dearer)
    response = http.get(f"/v1/invoices/{number}/replay", headers=auth("auditor"))
    assert response.status_code == 200
    answer = response.json()
    assert answer["identical"] is False
    assert [line.split(":")[0] for line in answer["differences"]] == ["totals.gross"]


def test_an_altered_file_is_reported_not_served(http: TestClient[Litestar],
                                                archive_app: Litestar) -> None:
    number = issued(http)["number"]
    archive = services(archive_app.state).archive.get()
    row, _ = load(archive, number)
    archive.files.path(row.pdf_sha256).write_bytes(b"%PDF-1.7 forged")
    response = http.get(f"/v1/invoices/{number}/pdf", headers=auth("billing"))
    assert "altered" in problem(response, 500, "altered-document")["detail"]
    verified = http.get("/v1/archive/verify", headers=auth("auditor")).json()
    assert verified["intact"] is False
    assert any(number in line for line in verified["problems"])


def test_an_unreachable_database_is_503_not_an_internal_error(rules: Rules) -> None:
    from api import create_app
    from tests.api.conftest import settings_for

    app = create_app(settings_for(rules, database_url="postgresql+psycopg://u@127.0.0.1:1/x"))
    with TestClient(app) as down:
        response = down.get("/v1/invoices/F-2026-000001", headers=auth("auditor"))
        data = problem(response, 503, "database-unavailable")
        assert "cannot be used" in data["detail"] and response.headers["retry-after"] == "30"
