"""``/v1/archive/export`` and ``/v1/archive/fec``: the CLI's files, as downloads."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient

from api.routes.common import services
from archive import load
from bareme.cli import cli
from tests.api.conftest import KEYS, auth, issued, problem, usage

Client = TestClient[Litestar]
READERS = ("auditor", "tax_reviewer")


def issue_day(http: Client, archive_app: Litestar) -> str:
    """Issue two invoices of C-0001 (under two idempotency keys); their issue date."""
    number = issued(http)["number"]
    issued(http, usage=usage(5), idempotency_key="second")
    row, _ = load(services(archive_app.state).archive.get(), number)
    return row.issue_date


def cli_run(archive_app: Litestar, *args: str) -> None:
    """Run ``bareme`` on the app's rules repository and data directory."""
    settings = services(archive_app.state).settings
    done = CliRunner().invoke(cli, ["--repo", settings.repo, "--data-dir", settings.data_dir,
                                    *args])
    assert done.exit_code == 0, done.output


def fetched(http: Client, archive_app: Litestar, path: str, role: str) -> tuple[str, Response]:
    """The day an invoice was issued, and ``path`` for that day as ``role`` (answered 200)."""
    day = issue_day(http, archive_app)
    response = http.get(path, params={"from": day, "to": day}, headers=auth(role))
    assert response.status_code == 200, response.text
    return day, response


@pytest.mark.parametrize("role", READERS)
def test_the_zip_holds_the_cli_export(http: Client, archive_app: Litestar, tmp_path: Path,
                                      role: str) -> None:
    day, response = fetched(http, archive_app, "/v1/archive/export", role)
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="archive-{day}-{day}.zip"')
    assert int(response.headers["content-length"]) == len(response.content)
    cli_run(archive_app, "archive", "export", "--from", day, "--to", day, str(tmp_path / "out"))
    with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
        assert bundle.testzip() is None
        members = {name: bundle.read(name) for name in bundle.namelist()}
    assert members == {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    assert len(members) == 2 * 3 + 1


def test_an_empty_range_gives_a_manifest_only(http: Client) -> None:
    response = http.get("/v1/archive/export", params={"year": "2001"},
                        headers=auth("tax_reviewer"))
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
        assert bundle.namelist() == ["manifest.json"]


@pytest.mark.parametrize("role", READERS)
def test_the_fec_is_the_cli_file(http: Client, archive_app: Litestar, tmp_path: Path,
                                 role: str) -> None:
    day, response = fetched(http, archive_app, "/v1/archive/fec", role)
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    cli_run(archive_app, "export", "fec", "--from", day, "--to", day, str(tmp_path))
    [written] = tmp_path.glob("*FEC*.txt")
    assert response.headers["content-disposition"] == f'attachment; filename="{written.name}"'
    assert response.content == written.read_bytes()
    assert response.content.count(b"\r\n") > 3


def test_the_fec_of_a_year_with_a_siren(http: Client, archive_app: Litestar,
                                        tmp_path: Path) -> None:
    day = issue_day(http, archive_app)
    year = day[:4]
    response = http.get("/v1/archive/fec", params={"year": year, "siren": "123456782"},
                        headers=auth("tax_reviewer"))
    assert response.status_code == 200
    name = f"123456782FEC{year}1231.txt"
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    cli_run(archive_app, "export", "fec", "--from", f"{year}-01-01", "--to", f"{year}-12-31",
            "--siren", "123456782", str(tmp_path))
    assert response.content == (tmp_path / name).read_bytes()


@pytest.mark.parametrize("path", ["/v1/archive/export", "/v1/archive/fec"])
@pytest.mark.parametrize(("params", "fields"), [
    ({"from": "2026-13-01", "to": "2026-12-31"}, ["from"]),
    ({"from": "2026-02-30", "to": "yesterday"}, ["from", "to"]),
    ({"from": "20260101", "to": "2026-12-31"}, ["from"]),
    ({"from": "2026-12-31", "to": "2026-01-01"}, ["to"]),
    ({"to": "2026-01-01"}, ["from"]),
    ({}, ["from", "to"]),
    ({"year": "26"}, ["year"]),
    ({"year": "2026", "from": "2026-01-01"}, ["year"]),
])
def test_bad_dates_are_422_naming_the_field(http: Client, path: str, params: dict[str, str],
                                            fields: list[str]) -> None:
    response = http.get(path, params=params, headers=auth("tax_reviewer"))
    data = problem(response, 422, "invalid-dates")
    assert [d["parameter"] for d in data["diagnostics"]] == fields
    assert all(f"'{field}'" in data["detail"] for field in fields)


@pytest.mark.parametrize("siren", ["1234\r\nX: y", "١٢٣٤٥٦٧٨٩"])  # Arabic-Indic digits
def test_a_bad_siren_is_400(http: Client, siren: str) -> None:
    response = http.get("/v1/archive/fec", params={"year": "2026", "siren": siren},
                        headers=auth("tax_reviewer"))
    assert problem(response, 400, "bad-request")["diagnostics"][0]["parameter"] == "siren"


def test_an_altered_file_stops_the_export(http: Client, archive_app: Litestar) -> None:
    day = issue_day(http, archive_app)
    archive = services(archive_app.state).archive.get()
    row, _ = load(archive, "F-" + day[:4] + "-000001")
    archive.files.path(row.facturx_sha256).write_bytes(b"%PDF-1.7 forged")
    response = http.get("/v1/archive/export", params={"from": day, "to": day},
                        headers=auth("auditor"))
    assert "altered" in problem(response, 500, "altered-document")["detail"]


ACCESS: list[tuple[str, dict[str, Any]]] = [
    ("/v1/archive/export", {"year": "2026"}),
    ("/v1/archive/fec", {"year": "2026"}),
]


@pytest.mark.parametrize(("path", "params"), ACCESS)
def test_roles(http: Client, path: str, params: dict[str, Any]) -> None:
    problem(http.get(path, params=params), 401, "unauthorized")
    for role in sorted(set(KEYS) - set(READERS)):
        problem(http.get(path, params=params, headers=auth(role)), 403, "forbidden")
    for role in READERS:
        assert http.get(path, params=params, headers=auth(role)).status_code == 200
