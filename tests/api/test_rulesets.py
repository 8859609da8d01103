"""Ruleset endpoints: versions, one version's rules, validation of uploads, diff."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import PRICING_V1, Rules, auth, problem
from tests.conftest import MANIFEST

Client = TestClient[Litestar]


def test_versions_are_listed_newest_first(client: Client, rules: Rules) -> None:
    data = client.get("/v1/rulesets", headers=auth("pricing")).json()
    assert data["head"] == rules.v2
    assert [v["commit"] for v in data["versions"]] == [rules.v2, rules.v1]
    assert data["versions"][0]["subject"] == "vCPU down"


def test_one_version_shows_its_rules(client: Client, rules: Rules) -> None:
    data = client.get(f"/v1/rulesets/{rules.v1}", headers=auth("auditor")).json()
    assert data["commit"] == rules.v1
    assert data["timezone"] == "Europe/Paris"
    vcpu = next(r for r in data["rules"] if r["id"] == "compute.vcpu")
    assert vcpu["versions"][0]["unit_price"] == "0.0450"
    assert vcpu["versions"][0]["model"] == "per_unit"


def test_an_unknown_version_is_404(client: Client, rules: Rules) -> None:
    data = problem(client.get("/v1/rulesets/nope", headers=auth("pricing")), 404,
                   "unknown-revision")
    assert str(rules.repo.root) not in data["detail"]  # no server path in an answer
    problem(client.get("/v1/rulesets/no/such/branch", headers=auth("pricing")), 404,
            "unknown-revision")


def test_a_branch_with_a_slash_in_its_name_is_a_version(client: Client, rules: Rules) -> None:
    rules.repo.git("branch", "feature/cheaper", rules.v1)
    for path in ("/v1/rulesets/feature/cheaper", "/v1/rulesets/feature%2Fcheaper"):
        data = client.get(path, headers=auth("pricing")).json()
        assert data["commit"] == rules.v1, path


def test_the_openapi_document_declares_the_404_of_an_unknown_version(client: Client) -> None:
    schema = client.get("/schema/openapi.json").json()
    responses = schema["paths"]["/v1/rulesets/{rev}"]["get"]["responses"]
    assert "unknown-revision" in responses["404"]["description"]


def test_an_invalid_ruleset_at_a_version_is_422(client: Client, rules: Rules) -> None:
    rules.repo.commit("broken", {"rulesets/pricing/rules.yaml": "rules: [{id: 1}]\n"})
    data = problem(client.get("/v1/rulesets/HEAD", headers=auth("pricing")), 422,
                   "invalid-ruleset")
    assert data["diagnostics"][0]["path"] == "rulesets/pricing/rules.yaml"


def test_valid_uploads_are_valid(client: Client) -> None:
    files = {"rulesets/ruleset.yaml": MANIFEST, "rulesets/pricing/rules.yaml": PRICING_V1}
    data = client.post("/v1/rulesets/validate", json={"files": files},
                       headers=auth("pricing")).json()
    assert data == {"valid": True, "rules": 2, "diagnostics": []}


def test_every_problem_of_the_uploads_is_located(client: Client) -> None:
    broken = PRICING_V1.replace('unit_price: "0.0450"', "unit_price: 0.045").replace(
        'up_to: "100"', 'up_to: "100", colour: red')
    files = {"rulesets/ruleset.yaml": MANIFEST, "rulesets/pricing/rules.yaml": broken,
             "notes.txt": "hello"}
    data = client.post("/v1/rulesets/validate", json={"files": files},
                       headers=auth("pricing")).json()
    assert data["valid"] is False
    found = {(d["path"], d["code"]) for d in data["diagnostics"]}
    assert ("notes.txt", "upload.outside_rules") in found
    located = [d for d in data["diagnostics"] if d["path"] == "rulesets/pricing/rules.yaml"]
    assert len(located) >= 2
    assert all(d["line"] > 0 and d["column"] > 0 for d in located)


def test_uploads_may_be_laid_over_a_version(client: Client, rules: Rules) -> None:
    files = {"rulesets/pricing/rules.yaml": PRICING_V1.replace("per_unit", "per_unicorn")}
    data = client.post("/v1/rulesets/validate", json={"files": files, "base": rules.v1},
                       headers=auth("pricing")).json()
    assert data["valid"] is False and data["diagnostics"]
    data = client.post("/v1/rulesets/validate", json={"files": {}, "base": rules.v1},
                       headers=auth("pricing")).json()
    assert data["valid"] is True


def test_validate_refuses_unknown_fields(client: Client) -> None:
    response = client.post("/v1/rulesets/validate", json={"files": {}, "branch": "main"},
                           headers=auth("pricing"))
    problem(response, 422, "invalid-request")


def test_diff_is_rule_by_rule(client: Client, rules: Rules) -> None:
    data = client.get("/v1/diff", params={"base": rules.v1, "head": "HEAD"},
                      headers=auth("pricing")).json()
    assert (data["base"], data["head"]) == (rules.v1, rules.v2)
    (change,) = data["changes"]
    assert change["kind"] == "version.changed"
    assert (change["field"], change["before"], change["after"]) == (
        "unit_price", "0.0450", "0.0420")
    assert "compute.vcpu" in change["description"]


def test_diff_needs_two_known_revisions(client: Client) -> None:
    problem(client.get("/v1/diff", params={"base": "nope", "head": "HEAD"},
                       headers=auth("pricing")), 422, "unknown-revision")
    problem(client.get("/v1/diff", params={"base": "HEAD"}, headers=auth("pricing")),
            400, "bad-request")


def test_a_query_parameter_given_twice_is_refused(client: Client) -> None:
    response = client.get("/v1/diff?base=HEAD&head=HEAD&base=HEAD~1", headers=auth("pricing"))
    data = problem(response, 400, "bad-request")
    assert "'base' is given more than once" in data["detail"]


def test_an_unknown_query_parameter_is_refused_not_ignored(client: Client) -> None:
    data = problem(client.get("/v1/rulesets?rev=v1", headers=auth("pricing")), 400,
                   "bad-request")
    assert "unknown query parameter 'rev'" in data["detail"] and "takes none" in data["detail"]
    data = problem(client.get("/v1/diff?base=HEAD&head=HEAD&verbose=1",
                              headers=auth("pricing")), 400, "bad-request")
    assert "takes 'base', 'head'" in data["detail"]


def test_an_empty_base_or_head_is_named(client: Client) -> None:
    data = problem(client.get("/v1/diff", params={"base": "", "head": "HEAD"},
                              headers=auth("pricing")), 422, "unknown-revision")
    assert data["detail"].startswith("'base' is empty")
    data = problem(client.get("/v1/diff", params={"base": "HEAD", "head": " "},
                              headers=auth("pricing")), 422, "unknown-revision")
    assert data["detail"].startswith("'head' is empty")
    data = problem(client.post("/v1/rulesets/validate", json={"files": {}, "base": ""},
                               headers=auth("pricing")), 422, "unknown-revision")
    assert data["detail"].startswith("'base' is empty")


def test_uploads_at_paths_no_rule_is_read_from_are_named(client: Client) -> None:
    negative = PRICING_V1.replace('unit_price: "0.0450"', 'unit_price: "-1"')
    paths = {"rulesets//pricing//x.yaml": "upload.bad_path",
             "rulesets/../x.yaml": "upload.bad_path",
             "rulesets/.hidden.yaml": "upload.ignored",
             "rulesets/pricing/x.YAML": "upload.ignored",
             "notes.txt": "upload.outside_rules"}
    files = {"rulesets/ruleset.yaml": MANIFEST, **dict.fromkeys(paths, negative)}
    data = client.post("/v1/rulesets/validate", json={"files": files},
                       headers=auth("pricing")).json()
    assert data["valid"] is False
    found = {d["path"]: d["code"] for d in data["diagnostics"] if d["code"].startswith("upload.")}
    assert found == paths
