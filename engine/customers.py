"""Customers as billed: identity, kind and location, checked field by field."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Literal

import msgspec
import pycountry

from engine.diagnostics import Diagnostic

__all__ = ["FRENCH_TVA_COUNTRIES", "POSTAL_PREFIXES", "Customer", "parse_customers",
           "postal_code_problem"]

POSTAL_PREFIXES = {"GP": "971", "MQ": "972", "GF": "973", "RE": "974", "YT": "976",
                   "MC": "980"}
"""The overseas departments and Monaco by their own ISO 3166-1 codes, with the prefix
of their postal codes: they are France for TVA (CGI, art. 294), and the postal code says
which TVA territory, so it must be theirs."""
FRENCH_TVA_COUNTRIES = frozenset({"FR", *POSTAL_PREFIXES})
"""Codes of customers located in France for TVA: France, its overseas departments, and
Monaco (convention fiscale franco-monégasque du 18/05/1963, art. 21; directive
2006/112/CE, art. 7)."""


class Customer(msgspec.Struct, frozen=True, kw_only=True, cache_hash=True):
    """A customer of the provider."""

    id: str
    name: str
    kind: Literal["business", "consumer"] = "business"
    country: str = "FR"
    """ISO 3166-1 alpha-2; see :data:`FRENCH_TVA_COUNTRIES`."""
    postal_code: str = ""
    """French overseas departments are recognised by 971, 972, 973, 974 and 976."""
    siren: str | None = None
    """Nine-digit *SIREN* of a French business."""
    vat_number: str | None = None
    """Intra-EU VAT number, with its country prefix."""
    address: str = ""


_FIELDS = frozenset(Customer.__struct_fields__)


def parse_customers(items: Any, source: str,
                    positions: Mapping[tuple[str | int, ...], tuple[int, int]] | None = None
                    ) -> tuple[list[Customer], list[Diagnostic]]:
    """Customers from a parsed list, with every problem located (line, column when known)."""
    where = positions or {}

    def at(path: tuple[str | int, ...]) -> tuple[int, int]:
        while path not in where and path:
            path = path[:-1]
        return where.get(path, (1, 0))

    if not isinstance(items, list):
        return [], [Diagnostic(path=source, line=1, column=1, code="customers.not_a_list",
                               message="expected a list of customers")]
    customers: list[Customer] = []
    problems: list[Diagnostic] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        customer, errors = _one(item, index)
        for field, code, message in errors:
            line, column = at((index, field) if field else (index,))
            problems.append(Diagnostic(path=source, line=line, column=column, code=code,
                                       message=message))
        if customer is None:
            continue
        if customer.id in seen:
            line, column = at((index, "id"))
            problems.append(Diagnostic(path=source, line=line, column=column,
                                       code="customers.duplicate_id",
                                       message=f"customer id {customer.id!r} appears twice"))
        seen.add(customer.id)
        customers.append(customer)
    return customers, problems


def _one(item: Any, index: int) -> tuple[Customer | None, list[tuple[str, str, str]]]:
    if not isinstance(item, dict):
        return None, [("", "customers.not_a_mapping", f"customer {index + 1} must be a mapping")]
    errors = [(k, "customers.unknown_field",
               f"unknown field {k!r}; allowed: {', '.join(sorted(_FIELDS))}")
              for k in item if k not in _FIELDS]
    for field in ("id", "name"):
        if not isinstance(item.get(field), str) or not item[field].strip():
            errors.append((field, "customers.missing_field",
                           f"field {field!r} is required and must be a non-empty text"))
    for field in _FIELDS - {"kind"}:
        if field in item and item[field] is not None and not isinstance(item[field], str):
            errors.append((field, "customers.not_text",
                           f"field {field!r} must be quoted text; got {item[field]!r}"))
    if item.get("kind", "business") not in ("business", "consumer"):
        errors.append(("kind", "customers.bad_kind",
                       f"field 'kind' must be business or consumer; got {item.get('kind')!r}"))
    country = item.get("country", "FR")
    if not (isinstance(country, str) and country in _countries()):
        errors.append(("country", "customers.bad_country",
                       f"field 'country' must be an ISO 3166-1 alpha-2 country code such as "
                       f"FR, DE or GP; got {country!r}"))
    elif problem := postal_code_problem(country, item.get("postal_code")):
        errors.append(("postal_code", "customers.bad_postal_code", problem))
    if errors:
        return None, errors
    return msgspec.convert({k: v for k, v in item.items() if v is not None}, Customer), []


def postal_code_problem(country: str, postal_code: object) -> str | None:
    """Why ``postal_code`` cannot be one of ``country``'s, or ``None`` if it can.

    Only the countries of :data:`POSTAL_PREFIXES` are checked: their TVA territory follows
    the postal code.
    """
    prefix = POSTAL_PREFIXES.get(country)
    if prefix is None or str(postal_code or "").startswith(prefix):
        return None
    return (f"a customer in {country} has a postal code starting with {prefix}, which "
            f"decides its TVA territory; got {postal_code or ''!r}")


@functools.cache
def _countries() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes of every country and territory (pycountry's list)."""
    return frozenset(country.alpha_2 for country in pycountry.countries)
