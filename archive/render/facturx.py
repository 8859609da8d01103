"""Factur-X: the EN 16931 CII XML of a document, embedded in its PDF (PDF/A-3).

Every figure is read from the archived document JSON, the same data the PDF prints.
Element order follows the CII D16B schema, which is strict about it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import facturx
from lxml import etree

from archive.terms import due_date, notes
from engine.money import format_decimal

__all__ = ["cii_xml", "facturx_pdf"]

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
_NS = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}


def facturx_pdf(document: dict[str, Any], pdf: bytes) -> bytes:
    """The PDF with the CII XML embedded as ``factur-x.xml``, checked against the XSD."""
    return bytes(facturx.generate_from_binary(
        pdf, cii_xml(document), flavor="factur-x", level="en16931", check_xsd=True,
        pdf_metadata={"author": document["seller"]["name"],
                      "keywords": "Factur-X, facture",
                      "title": f"{document['seller']['name']} : {document['number']}",
                      "subject": f"Facture {document['number']}"},
        lang="fr-FR"))


def _el(parent: etree._Element, tag: str, text: str | None = None,
        **attributes: str) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{_NS[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def _date(parent: etree._Element, tag: str, iso: str, ns: str = "udt") -> None:
    _el(_el(parent, tag), f"{ns}:DateTimeString", iso.replace("-", "")[:8], format="102")


def cii_xml(document: dict[str, Any]) -> bytes:
    """The CII XML (Factur-X EN 16931 profile) of ``document``."""
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=_NS)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", "S1")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID",
        "urn:cen.eu:en16931:2017")
    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", document["number"])
    _el(header, "ram:TypeCode", document["type_code"])
    _date(header, "ram:IssueDateTime", document["issue_date"])
    for subject, text in [*notes(document), ("BAR", _framework(document["customer"]))]:
        note = _el(header, "ram:IncludedNote")
        _el(note, "ram:Content", text)
        if subject:
            _el(note, "ram:SubjectCode", subject)
    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for index, line in enumerate(document["evaluation"]["lines"], start=1):
        _line(transaction, index, line)
    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _el(agreement, "ram:BuyerReference", document["customer"]["id"])
    # BR-O-02: outside the scope of VAT, no party's VAT identifier is given.
    with_vat = not _out_of_scope(document["evaluation"])
    _seller(agreement, document["seller"], with_vat)
    _buyer(agreement, document["customer"], with_vat,
           document["seller"].get("email") or "facturation@invalid.example")
    _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    _settlement(transaction, document)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _framework(customer: dict[str, Any]) -> str:
    if customer["kind"] == "consumer":
        return "B2C"
    return "B2B" if customer["country"] == "FR" else "B2BINT"


def _line(transaction: etree._Element, index: int, line: dict[str, Any]) -> None:
    item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
    _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(index))
    product = _el(item, "ram:SpecifiedTradeProduct")
    _el(product, "ram:SellerAssignedID", line["rule_id"])
    _el(product, "ram:Name", line["label"])
    _el(product, "ram:Description", f"{line['unit']} — {line['component']}"
        + (f", palier {line['tier']}" if line.get("tier") else ""))
    quantity, price = _quantity_price(line)
    _el(_el(_el(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice"),
        "ram:ChargeAmount", price)
    _el(_el(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", quantity,
        unitCode="C62")
    settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
    tax = _el(settlement, "ram:ApplicableTradeTax")
    _el(tax, "ram:TypeCode", "VAT")
    _el(tax, "ram:CategoryCode", line.get("vat_category") or "O")
    if (line.get("vat_category") or "O") != "O":
        _el(tax, "ram:RateApplicablePercent", _percent(line.get("vat_rate") or "0"))
    period = _el(settlement, "ram:BillingSpecifiedPeriod")
    _date(period, "ram:StartDateTime", line["usage_from"])
    _date(period, "ram:EndDateTime", line["usage_to"])
    _el(_el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"),
        "ram:LineTotalAmount", line["amount"])


def _quantity_price(line: dict[str, Any]) -> tuple[str, str]:
    """Billed quantity and a non-negative net price (BR-27) whose sign is in the quantity."""
    amount = Decimal(line["amount"])
    if line["component"] in ("units", "package", "included"):
        quantity = Decimal(line["quantity"])
        price = abs(Decimal(line["unit_price"]))
        if amount < 0 < quantity or quantity < 0 < amount:
            quantity = -quantity
        return format_decimal(quantity), format_decimal(price)
    return ("-1" if amount < 0 else "1"), format_decimal(abs(amount))


def _percent(rate: str) -> str:
    return format_decimal(Decimal(rate) * 100)


def _address(party: etree._Element, data: dict[str, Any]) -> None:
    address = _el(party, "ram:PostalTradeAddress")
    if data.get("postal_code"):
        _el(address, "ram:PostcodeCode", data["postal_code"])
    if data.get("address"):
        _el(address, "ram:LineOne", data["address"])
    if data.get("city"):
        _el(address, "ram:CityName", data["city"])
    _el(address, "ram:CountryID", data.get("country") or "FR")


def _out_of_scope(evaluation: dict[str, Any]) -> bool:
    return any(t["category"] == "O" for t in _taxes(evaluation))


def _seller(agreement: etree._Element, seller: dict[str, Any], with_vat: bool) -> None:
    party = _el(agreement, "ram:SellerTradeParty")
    _el(party, "ram:Name", seller["name"])
    legal = _el(party, "ram:SpecifiedLegalOrganization")
    _el(legal, "ram:ID", seller["siren"], schemeID="0002")
    _address(party, seller)
    if seller.get("email"):
        _el(_el(party, "ram:URIUniversalCommunication"), "ram:URIID", seller["siren"],
            schemeID="0225")
    if with_vat:
        _el(_el(party, "ram:SpecifiedTaxRegistration"), "ram:ID", seller["vat_number"],
            schemeID="VA")


def _buyer_endpoint(customer: dict[str, Any], seller_email: str) -> tuple[str, str]:
    """BT-49, mandatory in the French CTC: the SIREN (scheme 0225) of a French business.

    Customers without a SIREN (consumers, foreign businesses) have no e-invoicing address
    in the customer format yet: their documents go to their customer space, named here
    as a sub-address of the seller's billing mailbox (scheme EM).
    """
    if customer.get("siren"):
        return "0225", customer["siren"]
    if customer.get("email"):
        return "EM", customer["email"]
    user, _, domain = seller_email.partition("@")
    return "EM", f"{user}+{customer['id']}@{domain}"


def _buyer(agreement: etree._Element, customer: dict[str, Any], with_vat: bool,
           seller_email: str) -> None:
    party = _el(agreement, "ram:BuyerTradeParty")
    _el(party, "ram:Name", customer["name"])
    if customer.get("siren"):
        _el(_el(party, "ram:SpecifiedLegalOrganization"), "ram:ID", customer["siren"],
            schemeID="0002")
    _address(party, customer)
    scheme, address = _buyer_endpoint(customer, seller_email)
    _el(_el(party, "ram:URIUniversalCommunication"), "ram:URIID", address, schemeID=scheme)
    if with_vat and customer.get("vat_number"):
        _el(_el(party, "ram:SpecifiedTaxRegistration"), "ram:ID", customer["vat_number"],
            schemeID="VA")


def _settlement(transaction: etree._Element, document: dict[str, Any]) -> None:
    evaluation = document["evaluation"]
    totals = evaluation["totals"]
    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:InvoiceCurrencyCode", totals["currency"])
    if document["seller"].get("iban"):
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", "58")
        _el(_el(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID",
            document["seller"]["iban"])
    for tax in _taxes(evaluation):
        _tax(settlement, tax, document)
    period = _el(settlement, "ram:BillingSpecifiedPeriod")
    _date(period, "ram:StartDateTime", evaluation["period"]["start"])
    _date(period, "ram:EndDateTime", evaluation["tax_point"])
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _el(terms, "ram:Description", f"Paiement à {30} jours par virement")
    _date(terms, "ram:DueDateDateTime", due_date(document).isoformat())
    money = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(money, "ram:LineTotalAmount", totals["net"])
    _el(money, "ram:TaxBasisTotalAmount", totals["net"])
    _el(money, "ram:TaxTotalAmount", totals["tax"], currencyID=totals["currency"])
    _el(money, "ram:GrandTotalAmount", totals["gross"])
    _el(money, "ram:DuePayableAmount", totals["gross"])
    if document["original"]:
        reference = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", document["original"]["number"])
        _date(reference, "ram:FormattedIssueDateTime", document["original"]["issue_date"],
              ns="qdt")


def _taxes(evaluation: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's TVA breakdown; lines without TVA are outside its scope (O)."""
    taxes = list(evaluation["taxes"])
    untaxed = [line for line in evaluation["lines"] if not line.get("vat_category")]
    if untaxed:
        base = sum((Decimal(line["amount"]) for line in untaxed), Decimal("0"))
        taxes.append({"category": "O", "rate": "0.00", "base": f"{base:.2f}",
                      "amount": "0.00", "exemption_reason": "Hors champ de la TVA française"})
    return taxes


_REASONS = {"AE": ("Autoliquidation", "VATEX-EU-AE"), "E": ("Exonération", None),
            "O": ("Hors champ de la TVA française", "VATEX-EU-O"),
            "G": ("Exportation hors UE", "VATEX-EU-G"), "K": ("Livraison intracommunautaire",
                                                              "VATEX-EU-IC")}


def _tax(settlement: etree._Element, tax: dict[str, Any], document: dict[str, Any]) -> None:
    category = tax["category"]
    element = _el(settlement, "ram:ApplicableTradeTax")
    _el(element, "ram:CalculatedAmount", tax["amount"])
    _el(element, "ram:TypeCode", "VAT")
    reason, code = _REASONS.get(category, (None, None))
    if category != "S" and (tax.get("exemption_reason") or reason):
        _el(element, "ram:ExemptionReason", tax.get("exemption_reason") or reason or "")
    _el(element, "ram:BasisAmount", tax["base"])
    _el(element, "ram:CategoryCode", category)
    if category != "S" and (tax.get("exemption_code") or code):
        _el(element, "ram:ExemptionReasonCode", tax.get("exemption_code") or code or "")
    _el(element, "ram:DueDateTypeCode", "5" if document["seller"].get("vat_on_debits") else "72")
    if category != "O":
        _el(element, "ram:RateApplicablePercent", _percent(tax["rate"]))
