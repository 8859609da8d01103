"""Replay is byte-identical whatever the usage (DESIGN.md invariant 2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.issue import IssueRequest, issue_invoice
from archive.replay import replay
from engine.usage import UsageRecord
from tests.archive.conftest import PERIOD, TODAY, Rules, build_archive


@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_replay_of_any_usage_is_identical(tmp_path_factory: pytest.TempPathFactory, rules: Rules,
                                          usage: tuple[UsageRecord, ...],
                                          data: st.DataObject) -> None:
    customer = data.draw(st.sampled_from(["C-0001", "C-0002", "C-0006"]))
    mine = [r for r in usage if r.customer_id == customer]
    chosen = data.draw(st.lists(st.sampled_from(mine), min_size=1, max_size=40, unique=True))
    folder = tmp_path_factory.mktemp("prop")
    archive = build_archive(f"sqlite:///{folder / 'db.sqlite3'}", folder / "data", rules)
    number = issue_invoice(archive, IssueRequest(customer_id=customer, period=PERIOD,
                                                 records=tuple(chosen)), TODAY).number
    assert replay(archive, number).identical
    archive.engine.dispose()
