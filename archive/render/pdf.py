"""The French PDF of a document: parties, lines, TVA per rate, totals and every mention.

Everything printed is read from the archived document JSON. Fonts are embedded (DejaVu)
and the sRGB output intent is declared, as PDF/A-3 (Factur-X) requires.
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import fpdf
from fpdf import FPDF
from fpdf.enums import OutputIntentSubType
from fpdf.output import PDFICCProfile

from archive.render.french import amount, day, quantity, rate
from archive.terms import due_date, notes, payment_days

__all__ = ["FONT_DIR", "TITLES", "invoice_pdf"]

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
"""DejaVu fonts (Debian package ``fonts-dejavu-core``)."""
TITLES = {"invoice": "FACTURE", "credit_note": "AVOIR",
          "corrective_invoice": "FACTURE RECTIFICATIVE"}
_COMPONENTS = {"units": "", "included": "inclus", "flat_fee": "forfait de palier",
               "package": "par lot", "fee": "forfait", "minimum": "minimum de facturation",
               "percentage": "pourcentage", "discount": "remise"}


def invoice_pdf(document: dict[str, Any]) -> bytes:
    """The document as a PDF, deterministic for the same JSON."""
    pdf = _new(document)
    _parties(pdf, document)
    _references(pdf, document)
    _lines(pdf, document)
    _taxes_and_totals(pdf, document)
    _mentions(pdf, document)
    return bytes(pdf.output())


def _new(document: dict[str, Any]) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_lang("fr-FR")
    pdf.set_title(f"{TITLES[document['kind']].capitalize()} {document['number']}")
    pdf.set_author(document["seller"]["name"])
    issued = datetime.fromisoformat(document["issue_date"])
    pdf.set_creation_date(datetime.combine(issued.date(), time(12), ZoneInfo("Europe/Paris")))
    icc = Path(fpdf.__file__ or "").parent / "data/color_profiles/sRGB2014.icc"
    pdf.add_output_intent(OutputIntentSubType.PDFA, "sRGB", "IEC 61966-2-1:1999",
                          "http://www.color.org",
                          PDFICCProfile(contents=icc.read_bytes(), n=3, alternate="DeviceRGB"),
                          "sRGB2014 (v2)")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    return pdf


def _text(pdf: FPDF, text: str, size: float = 9, style: str = "") -> None:
    pdf.set_font("DejaVu", style, size)
    pdf.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")


def _parties(pdf: FPDF, document: dict[str, Any]) -> None:
    seller, customer = document["seller"], document["customer"]
    _text(pdf, f"{seller['name']} {seller.get('legal_form', '')}".strip(), 14, "B")
    capital = (f" au capital de {amount(seller['share_capital'])}"
               if seller.get("share_capital") else "")
    _text(pdf, f"{seller.get('legal_form', '')}{capital} — {seller['address']}, "
               f"{seller['postal_code']} {seller['city']}")
    _text(pdf, f"SIREN {seller['siren']} — {seller.get('rcs', '')} — "
               f"N° TVA intracommunautaire {seller['vat_number']}")
    pdf.ln(4)
    _text(pdf, f"{TITLES[document['kind']]} N° {document['number']}", 16, "B")
    pdf.ln(2)
    _text(pdf, "Client", 10, "B")
    _text(pdf, f"{customer['name']} (réf. client {customer['id']})")
    if customer.get("address"):
        _text(pdf, customer["address"])
    ids = [f"SIREN {customer['siren']}" if customer.get("siren") else "",
           f"N° TVA intracommunautaire {customer['vat_number']}"
           if customer.get("vat_number") else ""]
    if any(ids):
        _text(pdf, " — ".join(i for i in ids if i))


def _references(pdf: FPDF, document: dict[str, Any]) -> None:
    evaluation = document["evaluation"]
    pdf.ln(2)
    _text(pdf, f"Date d'émission : {day(document['issue_date'])} — Période facturée : du "
               f"{day(evaluation['period']['start'])} au {day(evaluation['tax_point'])} — "
               f"Échéance : {day(due_date(document).isoformat())}")
    if document["original"]:
        original = document["original"]
        _text(pdf, f"Se rapporte à la facture N° {original['number']} du "
                   f"{day(original['issue_date'])} (règles corrigées : "
                   f"{evaluation['commit'][:12]}).", 9, "B")
    _text(pdf, "Nature des opérations : prestations de services.")


def _lines(pdf: FPDF, document: dict[str, Any]) -> None:
    currency = document["evaluation"]["totals"]["currency"]
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 8)
    with pdf.table(col_widths=(70, 22, 22, 22, 14, 30), text_align=(
            "LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT", "RIGHT"), line_height=4.5) as table:
        table.row(("Désignation", "Quantité", "Unité", "Prix unitaire HT", "TVA",
                   "Montant HT"))
        for line in document["evaluation"]["lines"]:
            table.row((_designation(line), quantity(line["quantity"]), line["unit"],
                       quantity(line["unit_price"]),
                       rate(line["vat_rate"]) if line.get("vat_rate") else "—",
                       amount(line["amount"], currency)))


def _designation(line: dict[str, Any]) -> str:
    extra = _COMPONENTS.get(line["component"], line["component"])
    details = ", ".join(x for x in (extra, f"tarif du {day(line['version'])}") if x)
    return f"{line['label']} ({details})"


def _taxes_and_totals(pdf: FPDF, document: dict[str, Any]) -> None:
    evaluation = document["evaluation"]
    currency = evaluation["totals"]["currency"]
    pdf.ln(3)
    _text(pdf, "TVA par taux", 10, "B")
    pdf.set_font("DejaVu", "", 8)
    with pdf.table(col_widths=(20, 20, 40, 40, 60), line_height=4.5,
                   text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT")) as table:
        table.row(("Catégorie", "Taux", "Base HT", "TVA", "Motif"))
        for tax in evaluation["taxes"]:
            table.row((tax["category"], rate(tax["rate"]), amount(tax["base"], currency),
                       amount(tax["amount"], currency), tax.get("exemption_reason", "")))
    totals = evaluation["totals"]
    pdf.ln(2)
    for label, key in (("Total HT", "net"), ("Total TVA", "tax"), ("Total TTC", "gross")):
        _text(pdf, f"{label} : {amount(totals[key], currency)}", 10, "B")
    due = "Montant à créditer" if document["kind"] == "credit_note" else "Net à payer"
    _text(pdf, f"{due} : {amount(totals['gross'], currency)}", 11, "B")


def _mentions(pdf: FPDF, document: dict[str, Any]) -> None:
    pdf.ln(3)
    _text(pdf, "Mentions légales", 10, "B")
    seller = document["seller"]
    _text(pdf, f"Paiement à {payment_days(document)} jours par virement"
               + (f" sur l'IBAN {seller['iban']}" if seller.get("iban") else "") + ".", 8)
    printed = [text for _, text in notes(document)]
    for text in printed:
        _text(pdf, text, 8)
    # Older rulesets carry no débits mention: the seller's option is printed all the same.
    if seller.get("vat_on_debits") and not any("d'après les débits" in t for t in printed):
        _text(pdf, "Option pour le paiement de la taxe d'après les débits.", 8)
    evaluation = document["evaluation"]
    pdf.ln(2)
    _text(pdf, f"Règles tarifaires : commit {evaluation['commit']} — empreinte "
               f"{evaluation['digest']}", 6)
