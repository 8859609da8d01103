"""An issuer process for the concurrency and crash tests.

``python -m tests.archive.issuer URL DATA_DIR RULES CUSTOMER… [--crash]`` issues one
invoice per customer; with ``--crash`` the process kills itself (SIGKILL) after the number
was taken and the evaluation done, before the commit.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import archive.issue
from archive.context import Archive
from archive.db import open_engine
from archive.issue import IssueRequest, issue_invoice
from bareme.sample import sample_usage
from engine.store.access import RuleAccess
from engine.timeline import parse_period
from engine.usage import parse_records
from tests.archive.conftest import PERIOD, TODAY


def _die(document: dict[str, Any]) -> tuple[bytes, bytes]:
    del document
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def main(argv: list[str]) -> None:
    url, data_dir, rules, *customers = [a for a in argv if a != "--crash"]
    if "--crash" in argv:
        archive.issue.render = _die  # type: ignore[attr-defined]
    records, _ = parse_records(sample_usage(parse_period(PERIOD, ZoneInfo("Europe/Paris"))),
                               "sample")
    store = Archive(open_engine(url, migrate_schema=False), Path(data_dir), RuleAccess(rules))
    for customer in customers:
        done = issue_invoice(store, IssueRequest(customer_id=customer, period=PERIOD,
                                                 records=tuple(records)), TODAY)
        print(done.number, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
