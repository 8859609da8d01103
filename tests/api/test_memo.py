"""Repeated evaluations come from memory, and only when every input is the same."""

from __future__ import annotations

import json
import os

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.memo import EvaluationMemo
from tests.api.conftest import CUSTOMERS, Rules, auth, evaluate_body

Client = TestClient[Litestar]


def test_the_memo_is_a_bounded_lru() -> None:
    memo = EvaluationMemo(2)
    a, b, c = (EvaluationMemo.key("commit", n) for n in "abc")
    memo.put(a, b"A")
    memo.put(b, b"B")
    assert memo.get(a) == b"A"
    memo.put(c, b"C")
    assert (memo.get(a), memo.get(b), memo.get(c)) == (b"A", None, b"C")
    assert EvaluationMemo(0).get(a) is None


def test_a_changed_customer_is_evaluated_again(client: Client, rules: Rules,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    from engine.evaluate import evaluate as real

    def counting(*args: object) -> object:
        calls.append(args)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr("api.routes.evaluate.evaluate", counting)
    body = json.dumps(evaluate_body(customer="C-0001"))
    first = client.post("/v1/evaluate", content=body, headers=auth("billing"))
    again = client.post("/v1/evaluate", content=body, headers=auth("billing"))
    assert first.content == again.content and len(calls) == 1
    rules.customers.write_text(CUSTOMERS.replace("75011", "75012"), encoding="utf-8")
    os.utime(rules.customers, ns=(1, 1))
    moved = client.post("/v1/evaluate", content=body, headers=auth("billing"))
    assert moved.status_code == 200 and len(calls) == 2
    other_rev = client.post("/v1/evaluate", content=json.dumps(
        evaluate_body(customer="C-0001", rev=rules.v1)), headers=auth("billing"))
    assert other_rev.json()["commit"] == rules.v1 and len(calls) == 3
