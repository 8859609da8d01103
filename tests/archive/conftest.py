"""Fixtures of the archive tests: a rules repository with price changes, stores, usage.

Every archive a test builds is replayed in full at teardown: each document it issued must
re-evaluate to byte-identical canonical JSON (DESIGN.md invariant 2).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import pytest
from sqlalchemy import create_engine, text

from archive.context import Archive
from archive.customers import import_customers
from archive.db import open_engine
from archive.replay import replay
from archive.verify import verify
from bareme.sample import SAMPLE_CUSTOMERS, sample_usage
from engine.customers import Customer
from engine.store.access import RuleAccess
from engine.timeline import parse_period
from engine.usage import UsageRecord, parse_records
from tests.conftest import GitRepo

ROOT = Path(__file__).resolve().parents[2]
PERIOD = "2026-10"
TODAY = date(2026, 11, 3)
PG_URL = os.environ.get("BAREME_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class Rules(msgspec.Struct, frozen=True, kw_only=True):
    """The test rules repository and its commits."""

    root: Path
    base: str
    cheaper: str
    """vCPU-hour 0.0420 → 0.0410 from 2025-07-01: a credit note."""
    dearer: str
    """vCPU-hour 0.0420 → 0.0435: a corrective invoice."""


@pytest.fixture(scope="session")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Rules:
    root = tmp_path_factory.mktemp("rules")
    repo = GitRepo(root)
    for folder in ("rulesets", "legal_mentions"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, root / folder)
    base = repo.commit("catalogue", date="2026-01-02T10:00:00+00:00")
    compute = (root / "rulesets/pricing/compute.yaml").read_text(encoding="utf-8")
    cheaper = repo.commit("vcpu cheaper", {"rulesets/pricing/compute.yaml": compute.replace(
        'unit_price: "0.0420"', 'unit_price: "0.0410"')}, date="2026-11-10T10:00:00+00:00")
    dearer = repo.commit("vcpu dearer", {"rulesets/pricing/compute.yaml": compute.replace(
        'unit_price: "0.0420"', 'unit_price: "0.0435"')}, date="2026-11-11T10:00:00+00:00")
    return Rules(root=root, base=base, cheaper=cheaper, dearer=dearer)


@pytest.fixture(scope="session")
def usage() -> tuple[UsageRecord, ...]:
    period = parse_period(PERIOD, ZoneInfo("Europe/Paris"))
    records, problems = parse_records(sample_usage(period), "sample")
    assert not problems
    return tuple(records)


CUSTOMERS = tuple(msgspec.convert(c, Customer) for c in SAMPLE_CUSTOMERS)


def build_archive(url: str, data_dir: Path, rules: Rules) -> Archive:
    archive = Archive(open_engine(url), data_dir, RuleAccess(str(rules.root)))
    import_customers(archive.engine, CUSTOMERS)
    return archive


def check_replays(archive: Archive) -> None:
    """Every document of ``archive`` replays byte-identically and the chain is intact."""
    with archive.engine.connect() as conn:
        numbers = [r[0] for r in conn.execute(text("SELECT number FROM documents"))]
    for number in numbers:
        result = replay(archive, number)
        assert result.identical, (number, result.differences)


@pytest.fixture
def archive(tmp_path: Path, rules: Rules) -> Iterator[Archive]:
    """A fresh SQLite archive with the sample customers, replayed in full at teardown."""
    built = build_archive(f"sqlite:///{tmp_path / 'bareme.sqlite3'}", tmp_path / "data", rules)
    yield built
    if verify(built).intact:  # tamper tests leave broken archives on purpose
        check_replays(built)
    built.engine.dispose()


def postgres_url() -> str:
    """A unique schema on the test server, or skip (fail under CI) when none runs."""
    try:
        admin = create_engine(PG_URL)
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI at {PG_URL}: {exc}")
        pytest.skip(f"no PostgreSQL at {PG_URL} ({type(exc).__name__}); set CI=true to require it")
    schema = f"bareme_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


def drop_schema(url: str) -> None:
    schema = url.rsplit("%3D", 1)[1]
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def pg_archive(tmp_path: Path, rules: Rules) -> Iterator[Archive]:
    """The same archive on a real PostgreSQL, in a schema of its own."""
    url = postgres_url()
    built = build_archive(url, tmp_path / "data", rules)
    yield built
    if verify(built).intact:
        check_replays(built)
    built.engine.dispose()
    drop_schema(url)
