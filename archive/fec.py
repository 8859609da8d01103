"""FEC — *Fichier des écritures comptables* (LPF art. A47 A-1) of the sales journal.

One balanced entry per document: the customer account (411, auxiliary account = customer)
against revenue (706) and TVA collected (44571), per (category, rate) of the document's
breakdown. A credit note is the same entry with sides swapped. Fields in the order of
A47 A-1, ``|``-separated, dates ``AAAAMMJJ``, amounts with a decimal comma.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import IO, Any

from sqlmodel import col, select

from archive.context import Archive
from archive.db import session
from archive.records import DocumentRow
from archive.replay import load
from archive.seller import DEFAULT_SELLER
from engine.money import format_decimal

__all__ = ["FIELDS", "fec_file_name", "fec_lines", "fec_name", "issuer_siren", "write_fec"]

FIELDS = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum",
          "CompteLib", "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib",
          "Debit", "Credit", "EcritureLet", "DateLet", "ValidDate", "Montantdevise",
          "Idevise")
_LIBS = {"invoice": "Facture", "credit_note": "Avoir", "corrective_invoice": "Facture rect."}


def issuer_siren(archive: Archive) -> str | None:
    """The seller's SIREN on the last archived document, if any."""
    with session(archive.engine) as db:
        last = db.exec(select(DocumentRow.number)
                       .order_by(col(DocumentRow.position).desc())).first()
    return None if last is None else str(load(archive, last)[1]["seller"]["siren"])


def fec_name(siren: str, closing: date) -> str:
    """``<SIREN>FEC<AAAAMMJJ>.txt``."""
    return f"{siren}FEC{closing:%Y%m%d}.txt"


def fec_file_name(archive: Archive, closing: date, siren: str | None = None) -> str:
    """The file name for ``closing``: ``siren``, else the archived seller's, else the default."""
    return fec_name(siren or issuer_siren(archive) or DEFAULT_SELLER.siren, closing)


def write_fec(archive: Archive, start: date, end: date, out: IO[bytes]) -> int:
    """Write the FEC of [start, end] to ``out`` (UTF-8, CRLF lines); the entry line count."""
    count = -1
    for line in fec_lines(archive, start, end):
        out.write(line.encode("utf-8") + b"\r\n")
        count += 1
    return count


def fec_lines(archive: Archive, start: date, end: date) -> Iterator[str]:
    """The header line then every entry line of the documents issued in [start, end]."""
    yield "|".join(FIELDS)
    with session(archive.engine) as db:
        numbers = db.exec(select(DocumentRow.number)
                          .where(col(DocumentRow.issue_date) >= start.isoformat())
                          .where(col(DocumentRow.issue_date) <= end.isoformat())
                          .order_by(col(DocumentRow.position))).all()
    for index, number in enumerate(numbers, start=1):
        _, document = load(archive, number)
        yield from _entry(index, document)


def _entry(index: int, document: dict[str, Any]) -> Iterator[str]:
    evaluation = document["evaluation"]
    customer = document["customer"]
    day = document["issue_date"].replace("-", "")
    label = f"{_LIBS[document['kind']]} {document['number']} {customer['name']}"
    credit_note = document["kind"] == "credit_note"
    head = ("VE", "Ventes", f"VE{index:06d}", day)
    tail = (document["number"], day, label)
    rows = [("411000", "Clients", customer["id"], customer["name"],
             Decimal(evaluation["totals"]["gross"]), not credit_note)]
    for category, rate, base, tax in _breakdown(evaluation):
        regime = "" if category == "-" else f" (TVA {category} {_percent(rate)})"
        rows.append(("706000", f"Prestations de services{regime}", "", "", base, credit_note))
        if tax:
            rows.append(("445710", f"TVA collectée {_percent(rate)}", "", "", tax,
                         credit_note))
    for account, account_label, aux, aux_label, value, debit in rows:
        if value < 0:
            value, debit = -value, not debit
        amounts = (_amount(value), "0,00") if debit else ("0,00", _amount(value))
        yield "|".join((*head, account, account_label, aux, aux_label, *tail, *amounts,
                        "", "", day, "", ""))


def _breakdown(evaluation: dict[str, Any]) -> list[tuple[str, str, Decimal, Decimal]]:
    """(category, rate, base, tax) per TVA line; untaxed lines as one base without tax."""
    rows = [(t["category"], t["rate"], Decimal(t["base"]), Decimal(t["amount"]))
            for t in evaluation["taxes"]]
    untaxed = sum((Decimal(line["amount"]) for line in evaluation["lines"]
                   if not line.get("vat_category")), Decimal("0"))
    if untaxed or not rows:
        rows.append(("-", "0.00", untaxed, Decimal("0")))
    return rows


def _percent(rate: str) -> str:
    return format_decimal(Decimal(rate) * 100).replace(".", ",") + " %"


def _amount(value: Decimal) -> str:
    """``1234.5`` → ``"1234,50"``: decimal comma, no thousands separator."""
    return f"{value:.2f}".replace(".", ",")
