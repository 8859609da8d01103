"""The operational store: migrations apply once, customers import and update."""

from __future__ import annotations

from pathlib import Path

import msgspec
from sqlalchemy import text

from archive.customers import get_customer, import_customers
from archive.db import open_engine
from archive.migrations import MIGRATIONS, migrate
from engine.customers import Customer
from tests.archive.conftest import CUSTOMERS


def test_migrations_apply_once(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert migrate(engine) == MIGRATIONS[-1][0]
    with engine.connect() as conn:
        versions = [r[0] for r in conn.execute(text("SELECT version FROM schema_version"))]
        heads = conn.execute(text("SELECT count(*) FROM chain_head")).scalar()
    assert (versions, heads) == ([v for v, _, _ in MIGRATIONS], 1)


def test_customers_import_and_update(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert import_customers(engine, CUSTOMERS) == (len(CUSTOMERS), 0)
    assert import_customers(engine, CUSTOMERS) == (0, 0)
    moved = msgspec.structs.replace(CUSTOMERS[0], address="1 place de la Bastille, 75004 Paris")
    assert import_customers(engine, [moved]) == (0, 1)
    assert get_customer(engine, moved.id) == moved
    assert isinstance(get_customer(engine, "C-0003"), Customer)
