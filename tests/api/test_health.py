"""``/health`` and ``/ready``; the OpenAPI document and its page."""

from __future__ import annotations

import gc
import re

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api import create_app
from api.server import app_from_environment
from tests.api.conftest import Rules, problem, settings_for
from tests.conftest import GitRepo

Client = TestClient[Litestar]


def test_health_and_ready(client: Client, rules: Rules) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ready", "commit": rules.v2}
    for path in ("/health", "/ready"):  # as load balancers probe
        probe = client.head(path)
        assert probe.status_code == 200 and probe.content == b""
        assert probe.headers.get("content-length", "0") == "0"


def test_not_ready_when_head_is_invalid(client: Client, rules: Rules) -> None:
    rules.repo.commit("broken", {"rulesets/pricing/rules.yaml": "rules: 3\n"})
    data = problem(client.get("/ready"), 503, "not-ready")
    assert client.head("/ready").status_code == 503
    assert "bareme validate" in data["detail"]


def test_not_ready_without_commits(git_repo: GitRepo, rules: Rules) -> None:
    empty = git_repo.root.parent / "empty"
    empty.mkdir()
    GitRepo(empty)
    with TestClient(create_app(settings_for(rules, repo=str(empty)))) as client:
        problem(client.get("/ready"), 503, "not-ready")


def test_unknown_paths_and_methods_are_problems(client: Client) -> None:
    problem(client.get("/v2/nothing"), 404, "not-found")
    problem(client.get("/v1/evaluate"), 405, "method-not-allowed")


def test_the_openapi_document_and_page(client: Client) -> None:
    schema = client.get("/schema/openapi.json").json()
    assert {"/v1/evaluate", "/v1/rulesets", "/v1/rulesets/{rev}", "/v1/rulesets/validate",
            "/v1/diff", "/health", "/ready"} <= set(schema["paths"])
    evaluate = schema["paths"]["/v1/evaluate"]["post"]
    assert set(evaluate["responses"]) >= {"200", "400", "401", "403", "413", "422", "500"}
    assert "application/problem+json" in evaluate["responses"]["422"]["content"]
    page = client.get("/schema/")
    assert page.status_code == 200 and "swagger" in page.text.lower()


def test_every_v1_operation_is_documented_and_secured(client: Client) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert {"/v1/invoices/{number}/corrections", "/v1/billing-runs", "/v1/archive/export",
            "/v1/archive/fec"} <= set(paths)
    for path, operations in paths.items():
        for method, operation in operations.items():
            if not path.startswith("/v1/"):
                continue
            where = f"{method.upper()} {path}"
            assert operation["tags"] and operation["summary"], where
            assert operation["security"] == [{"apiKey": []}], where
            assert {"401", "403", "500"} <= set(operation["responses"]), where
            if method == "post":
                assert {"413", "422"} <= set(operation["responses"]), where


def test_a_worker_starts_with_head_parsed_and_its_heap_frozen(
        rules: Rules, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAREME_SERVE_SETTINGS",
                       msgspec.json.encode(settings_for(rules)).decode())
    app = app_from_environment()
    gc.unfreeze()
    try:
        with TestClient(app) as client:
            assert gc.get_freeze_count() > 0
            assert client.get("/ready").json()["commit"] == rules.v2
    finally:
        gc.unfreeze()


def test_a_worker_starts_even_when_head_does_not_load(
        rules: Rules, monkeypatch: pytest.MonkeyPatch) -> None:
    rules.repo.commit("broken", {"rulesets/pricing/rules.yaml": "rules: 3\n"})
    monkeypatch.setenv("BAREME_SERVE_SETTINGS",
                       msgspec.json.encode(settings_for(rules)).decode())
    try:
        with TestClient(app_from_environment()) as client:
            problem(client.get("/ready"), 503, "not-ready")
    finally:
        gc.unfreeze()


def test_the_page_loads_its_assets_from_the_api(client: Client) -> None:
    page = client.get("/schema/").text
    linked = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
    assert linked and all(url.startswith("/schema/assets/") for url in linked), linked
    for url in linked:
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 1000, url
        assert asset.headers["content-type"].split(";")[0] in (
            "text/javascript", "text/css", "image/png"), url
    problem(client.get("/schema/assets/core.py"), 404, "not-found")
