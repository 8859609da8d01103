"""``POST /v1/evaluate``: the evaluation, and every way a request can be wrong."""

from __future__ import annotations

import json
import threading
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient

import api.routes.evaluate as route
from api import create_app
from api.wire import EvaluationOut
from tests.api.conftest import CUSTOMER, Rules, auth, evaluate_body, problem, settings_for, usage

Client = TestClient[Litestar]


def post(client: Client, body: Any, role: str = "billing") -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/v1/evaluate", content=content, headers=auth(role))


def test_evaluates_an_inline_customer(client: Client, rules: Rules) -> None:
    response = post(client, evaluate_body())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["customer_id"] == "C-0001"
    assert document["commit"] == rules.v2
    assert document["usage"]["records"] == 3
    vcpu = [line for line in document["lines"] if line["rule_id"] == "compute.vcpu"]
    assert [line["unit_price"] for line in vcpu] == ["0.0420"]
    assert document["totals"]["currency"] == "EUR"


def test_the_answer_matches_its_documented_schema(client: Client) -> None:
    response = post(client, evaluate_body())
    document = msgspec.json.decode(response.content, type=EvaluationOut)
    assert document.lines and document.digest.startswith("sha256:")


def test_a_customer_by_id_comes_from_the_directory(client: Client) -> None:
    by_id = post(client, evaluate_body(customer="C-0001"))
    inline = post(client, evaluate_body())
    assert by_id.status_code == 200
    assert by_id.content == inline.content


def test_an_unknown_customer_id_is_named(client: Client) -> None:
    data = problem(post(client, evaluate_body(customer="C-9999")), 422, "unknown-customer")
    assert "C-9999" in data["detail"]


@pytest.mark.parametrize("country", ["France", "ZZ", "FE", "fr", "EL"])
def test_an_invalid_inline_customer_is_located(client: Client, country: str) -> None:
    body = evaluate_body(customer={**CUSTOMER, "country": country})
    data = problem(post(client, body), 422, "invalid-customer")
    assert data["diagnostics"][0]["code"] == "customers.bad_country"
    assert data["diagnostics"][0]["pointer"] == "/customer"


def test_rev_and_as_known_at_choose_the_rules(client: Client, rules: Rules) -> None:
    assert post(client, evaluate_body(rev=rules.v1)).json()["commit"] == rules.v1
    assert post(client, evaluate_body(rev=rules.v1[:10])).json()["commit"] == rules.v1
    known = post(client, evaluate_body(as_known_at="2026-03-01T00:00:00Z"))
    assert known.json()["commit"] == rules.v1


@pytest.mark.parametrize("changes", [{"rev": "no-such-branch"}, {"rev": ""}, {"rev": " "},
                                     {"as_known_at": "2020-01-01T00:00:00Z"},
                                     {"as_known_at": "yesterday"},
                                     {"rev": "HEAD", "as_known_at": "2026-03-01T00:00:00Z"}])
def test_an_unusable_revision_is_refused(client: Client, changes: dict[str, str]) -> None:
    problem(post(client, evaluate_body(**changes)), 422, "unknown-revision")


def test_malformed_json_is_400(client: Client) -> None:
    data = problem(post(client, b'{"customer": '), 400, "malformed-json")
    assert data["detail"] == "Input data was truncated"


@pytest.mark.parametrize(("before", "after", "key"), [
    ('"quantity": "1"', '"quantity": "1", "quantity": "1000"', "quantity"),
    ('"period": "2026-10"', '"period": "2026-10", "period": "2026-11"', "period"),
    ('"quantity": "1"', '"quantity": "1", "attributes": {"region": "a", "region": "b"}',
     "region"),
])
def test_a_key_given_twice_is_refused_not_guessed(client: Client, before: str, after: str,
                                                  key: str) -> None:
    body = json.dumps(evaluate_body(usage=[{**usage(1)[0], "quantity": "1"}]))
    assert before in body
    data = problem(post(client, body.replace(before, after, 1).encode()), 400,
                   "malformed-json")
    assert f"key {key!r} appears more than once" in data["detail"]


def test_a_colon_after_a_quote_inside_a_string_is_no_repeated_key(client: Client) -> None:
    body = evaluate_body(usage=[{**usage(1)[0], "event_id": 'e"1": x'}])
    assert post(client, json.dumps(body).encode()).status_code == 200


def test_trailing_garbage_is_malformed_json_even_when_a_field_is_missing(
        client: Client) -> None:
    problem(post(client, b'{"customer": "C-0001"}garbage'), 400, "malformed-json")


def test_a_body_that_is_not_utf8_is_400(client: Client) -> None:
    data = problem(post(client, b'{"customer": "C-\xff", "usage": [], "period": "2026-10"}'),
                   400, "malformed-json")
    assert "0xff" in data["detail"]


def test_a_validate_body_that_is_not_utf8_is_400(client: Client) -> None:
    response = client.post("/v1/rulesets/validate", content=b'{"files": {"\xff": ""}}',
                           headers=auth("pricing"))
    problem(response, 400, "malformed-json")


def test_an_empty_body_is_400(client: Client) -> None:
    data = problem(post(client, b""), 400, "malformed-json")
    assert "empty" in data["detail"]


def test_an_unknown_field_is_refused_with_its_pointer(client: Client) -> None:
    body = evaluate_body()
    body["usage"][1]["region"] = "fr-par"
    data = problem(post(client, body), 422, "invalid-request")
    assert data["diagnostics"][0]["pointer"] == "/usage/1/region"
    assert "unknown field" in data["diagnostics"][0]["message"]


@pytest.mark.parametrize("quantity", [12.5, 12])
def test_a_json_number_quantity_is_refused_clearly(client: Client, quantity: float) -> None:
    body = evaluate_body()
    body["usage"][2]["quantity"] = quantity
    data = problem(post(client, body), 422, "invalid-request")
    diagnostic = data["diagnostics"][0]
    assert diagnostic["pointer"] == "/usage/2/quantity"
    assert "decimal string" in diagnostic["message"]


def test_an_unknown_metric_names_the_record(client: Client) -> None:
    body = evaluate_body()
    body["usage"][1]["metric"] = "compute.quantum_hours"
    data = problem(post(client, body), 422, "invalid-usage")
    (diagnostic,) = data["diagnostics"]
    assert diagnostic["code"] == "usage.unknown_metric"
    assert diagnostic["pointer"] == "/usage/1"
    assert diagnostic["line"] == 2


def test_every_bad_record_is_reported(client: Client) -> None:
    body = evaluate_body()
    body["usage"][0]["quantity"] = "-1"
    body["usage"][1]["timestamp"] = "2026-10-01 10:00"
    body["usage"][2]["customer_id"] = "C-0002"
    data = problem(post(client, body), 422, "invalid-usage")
    # parsing problems and the engine's checks, in one answer, in record order
    assert [(d["code"], d["pointer"]) for d in data["diagnostics"]] == [
        ("usage.bad_quantity", "/usage/0"), ("usage.bad_timestamp", "/usage/1"),
        ("usage.other_customer", "/usage/2")]
    body["usage"] = [body["usage"][2]]
    data = problem(post(client, body), 422, "invalid-usage")
    assert [d["code"] for d in data["diagnostics"]] == ["usage.other_customer"]


def test_a_record_outside_the_period_is_refused(client: Client) -> None:
    data = problem(post(client, evaluate_body(period="2026-11")), 422, "invalid-usage")
    assert {d["code"] for d in data["diagnostics"]} == {"usage.outside_period"}


def test_a_bad_period_is_refused(client: Client) -> None:
    data = problem(post(client, evaluate_body(period="2026-13")), 422, "invalid-period")
    assert data["diagnostics"][0]["pointer"] == "/period"


def test_small_evaluations_in_the_event_loop_answer_the_same_bytes(client: Client,
                                                                   rules: Rules) -> None:
    app = create_app(settings_for(rules, inline_records=5, memo_size=0))
    with TestClient(app) as inline:
        for count in (3, 8):  # in the loop, then in a thread
            body = evaluate_body(usage=usage(count))
            expected = post(client, body)
            assert expected.status_code == 200, expected.text
            assert post(inline, body).content == expected.content
        problem(post(inline, evaluate_body(usage=[{**usage(1)[0], "quantity": "-1"}])),
                422, "invalid-usage")


def test_only_small_evaluations_with_parsed_rules_run_in_the_loop(
        rules: Rules, monkeypatch: pytest.MonkeyPatch) -> None:
    where: list[str] = []
    real = route.evaluate_request

    def spy(*args: Any) -> bytes:
        where.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(route, "evaluate_request", spy)
    app = create_app(settings_for(rules, inline_records=5, memo_size=0))
    with TestClient(app) as inline:
        first = usage(3)
        second = [{**r, "event_id": f"{r['event_id']}-2"} for r in first]
        for body in (evaluate_body(usage=first), evaluate_body(usage=second),
                     {**evaluate_body(usage=second), "as_known_at": "2030-01-01T00:00:00Z"},
                     evaluate_body(usage=usage(8))):
            assert post(inline, body).status_code == 200
    # HEAD not parsed yet: a thread; then in the loop; as_known_at asks git: a thread;
    # more records than inline_records: a thread.
    loop = where[1]
    assert [name == loop for name in where] == [False, True, False, False]


def test_an_oversize_body_is_413_before_it_is_read(rules: Rules) -> None:
    app = create_app(settings_for(rules, max_body_bytes=4096))
    with TestClient(app) as client:
        body = json.dumps(evaluate_body(usage=usage(200))).encode()
        assert len(body) > 4096
        problem(post(client, body), 413, "too-large")


def test_too_many_records_is_413(rules: Rules) -> None:
    app = create_app(settings_for(rules, max_records=5))
    with TestClient(app) as client:
        data = problem(post(client, evaluate_body(usage=usage(6))), 413, "too-large")
        assert "at most 5" in data["detail"]


def test_an_internal_error_leaks_nothing(client: Client, monkeypatch: pytest.MonkeyPatch,
                                         caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: object) -> bytes:
        raise RuntimeError("secret internals at /srv/bareme")

    monkeypatch.setattr("api.routes.evaluate.evaluation_bytes", broken)
    response = post(client, evaluate_body())
    data = problem(response, 500, "internal")
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert data["request_id"] == response.headers["x-request-id"]
    assert "secret internals" in caplog.text


def test_requests_are_logged_with_their_id(client: Client, log_lines: list[bytes]) -> None:
    response = client.post("/v1/evaluate", content=json.dumps(evaluate_body()),
                           headers={**auth("billing"), "X-Request-ID": "req-42"})
    assert response.headers["x-request-id"] == "req-42"
    entry = json.loads(log_lines[-1])
    assert entry["request_id"] == "req-42"
    assert entry["status"] == 200
    assert entry["key"].endswith("billing")
    assert "k-billing" not in log_lines[-1].decode()
    odd = client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert odd.headers["x-request-id"] != "bad id\twith spaces"


@pytest.mark.parametrize("quantity", ["9" * 100_000, "0." + "1" * 100_000])
def test_a_quantity_of_many_digits_is_refused_before_any_arithmetic(
        client: Client, quantity: str) -> None:
    body = evaluate_body()
    body["usage"][0]["quantity"] = quantity
    data = problem(post(client, body), 422, "invalid-usage")
    assert [(d["code"], d["pointer"]) for d in data["diagnostics"]] == [
        ("usage.bad_quantity", "/usage/0")]


def test_a_record_with_a_bad_quantity_still_has_its_other_problems_named(
        client: Client) -> None:
    bad = {**usage(1)[0], "event_id": "bad-1", "quantity": "NaN",
           "timestamp": "2026-11-01T00:00:00+01:00",
           "metric": "no.such_metric"}
    data = problem(post(client, evaluate_body(usage=[*usage(2), bad])), 422, "invalid-usage")
    found = sorted((d["pointer"], d["code"]) for d in data["diagnostics"])
    assert found == [("/usage/2", "usage.bad_quantity"), ("/usage/2", "usage.outside_period")]
