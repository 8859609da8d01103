"""Customers in the operational store: imported from a file, read back as engine values."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
from sqlalchemy import Engine
from sqlmodel import select

from archive.db import session
from archive.records import CustomerRow
from engine.canonical import canonical_bytes
from engine.customers import Customer

__all__ = ["UnknownCustomer", "all_customers", "customer_ids", "get_customer",
           "import_customers"]


class UnknownCustomer(LookupError):
    """No customer with this id in the operational store."""


def import_customers(engine: Engine, customers: Iterable[Customer]) -> tuple[int, int]:
    """Insert new customers and update changed ones; returns (added, updated)."""
    added = updated = 0
    with session(engine) as db:
        for customer in customers:
            data = canonical_bytes(msgspec.to_builtins(customer)).decode("utf-8")
            row = db.get(CustomerRow, customer.id)
            if row is None:
                added += 1
                row = CustomerRow(id=customer.id, name="", kind="", country="", data="")
            elif row.data == data:
                continue
            else:
                updated += 1
            row.name, row.kind, row.country, row.data = (customer.name, customer.kind,
                                                         customer.country, data)
            db.add(row)
    return added, updated


def get_customer(engine: Engine, customer_id: str) -> Customer:
    """The stored customer, or :class:`UnknownCustomer`."""
    with session(engine) as db:
        row = db.get(CustomerRow, customer_id)
        if row is None:
            raise UnknownCustomer(f"no customer {customer_id!r} in the operational store; "
                                  "load it with `bareme customers import FILE`")
        return msgspec.json.decode(row.data, type=Customer)


def all_customers(engine: Engine) -> list[Customer]:
    """Every stored customer, by id."""
    with session(engine) as db:
        rows = db.exec(select(CustomerRow).order_by(CustomerRow.id)).all()
        return [msgspec.json.decode(r.data, type=Customer) for r in rows]


def customer_ids(engine: Engine) -> frozenset[str]:
    """The ids of every stored customer (empty when none was imported)."""
    with session(engine) as db:
        return frozenset(db.exec(select(CustomerRow.id)).all())
