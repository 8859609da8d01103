"""Keys and roles: 401 without a valid key, 403 without the role, every endpoint."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api import ApiSettings, create_app
from tests.api.conftest import KEYS, Rules, auth, evaluate_body, problem, settings_for

Client = TestClient[Litestar]

ALLOWED = {
    "evaluate": {"billing", "auditor"},
    "versions": {"pricing", "auditor"},
    "ruleset": {"pricing", "auditor"},
    "validate": {"pricing"},
    "diff": {"pricing", "auditor"},
}
"""Which roles may call which endpoint (docs/api.md has the same table)."""


def call(client: Client, endpoint: str, headers: dict[str, str]) -> Any:
    if endpoint == "evaluate":
        return client.post("/v1/evaluate", content=json.dumps(evaluate_body()), headers=headers)
    if endpoint == "versions":
        return client.get("/v1/rulesets", headers=headers)
    if endpoint == "ruleset":
        return client.get("/v1/rulesets/HEAD", headers=headers)
    if endpoint == "validate":
        return client.post("/v1/rulesets/validate", headers=headers,
                           json={"files": {"rulesets/ruleset.yaml": "timezone: Europe/Paris\n"}})
    return client.get("/v1/diff", params={"base": "HEAD~1", "head": "HEAD"}, headers=headers)


@pytest.mark.parametrize("role", sorted(KEYS))
@pytest.mark.parametrize("endpoint", sorted(ALLOWED))
def test_each_role_reaches_only_its_endpoints(client: Client, endpoint: str, role: str) -> None:
    response = call(client, endpoint, auth(role))
    if role in ALLOWED[endpoint]:
        assert response.status_code == 200, response.text
    else:
        data = problem(response, 403, "forbidden")
        assert " or ".join(sorted(ALLOWED[endpoint])) in data["detail"]


@pytest.mark.parametrize("endpoint", sorted(ALLOWED))
@pytest.mark.parametrize("header", [None, "Bearer wrong-key", "Basic k-billing", "Bearer "])
def test_a_missing_or_wrong_key_is_401(client: Client, endpoint: str, header: str | None) -> None:
    response = call(client, endpoint, {"Authorization": header} if header else {})
    problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_health_ready_and_schema_need_no_key(client: Client) -> None:
    for path in ("/health", "/ready", "/schema/openapi.json"):
        assert client.get(path).status_code == 200


def test_one_key_may_hold_several_roles(rules: Rules) -> None:
    from api.keys import keys_from_pairs

    keys = keys_from_pairs("billing=shared,pricing=shared")
    with TestClient(create_app(settings_for(rules, keys=keys))) as client:
        headers = {"Authorization": "Bearer shared"}
        assert call(client, "evaluate", headers).status_code == 200
        assert call(client, "validate", headers).status_code == 200


def test_development_mode_grants_every_role_on_loopback(rules: Rules) -> None:
    with TestClient(create_app(settings_for(rules, keys=(), dev=True))) as client:
        for endpoint in ALLOWED:
            assert call(client, endpoint, {}).status_code == 200


def test_development_mode_is_refused_off_loopback(rules: Rules) -> None:
    with pytest.raises(ValueError, match="loopback"):
        ApiSettings(repo=str(rules.repo.root), dev=True, host="0.0.0.0")


def test_without_keys_nothing_is_allowed(rules: Rules) -> None:
    with TestClient(create_app(settings_for(rules, keys=()))) as client:
        problem(call(client, "evaluate", auth("billing")), 401, "unauthorized")
