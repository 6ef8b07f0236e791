# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""OASIS UBL 2.1 DespatchAdvice with item instances (serial numbers).

The XML is parsed by `common.parse_xml`: UTF-8 only, any DOCTYPE or ENTITY
declaration refused before parsing, lxml with entity resolution, DTD
loading and network access off.  Element text is read without surrounding
white space.

Content read
------------
* ``cbc:ID`` (ASN number); ``cac:Shipment/cac:Delivery/cac:Despatch/
  cbc:ActualDespatchDate`` + ``cbc:ActualDespatchTime`` (despatch date/time,
  time zone kept when given); ``cac:OrderReference/cbc:ID`` and the line
  order references (purchase orders).
* Supplier: ``cac:DespatchSupplierParty/cac:Party``; ship-to:
  ``cac:Shipment/cac:Delivery/cac:DeliveryLocation/cbc:ID``, else
  ``cac:DeliveryCustomerParty/cac:Party``.  A party's GLN is its
  ``cbc:EndpointID`` or ``cac:PartyIdentification/cbc:ID`` with schemeID
  ``0088`` or ``GLN`` (checked; other schemes are not GLNs); its name is
  ``cac:PartyName/cbc:Name``, else ``cac:PartyLegalEntity/
  cbc:RegistrationName``.
* SSCCs (UBL has no dedicated element): ``cbc:ID`` of
  ``cac:TransportHandlingUnit``, ``cac:ActualPackage`` and ``cac:Package``
  (at any depth under
  ``cac:Shipment``) and ``cac:Shipment/cbc:ID``, when its schemeID is
  ``SSCC`` or (for handling units and packages) when it is 18 digits; such
  an ID must be a valid SSCC.  Other IDs are ignored.
* ``cac:DespatchLine``: ``cbc:ID`` (line), ``cbc:DeliveredQuantity``
  (required here) and its ``unitCode``, ``cac:OrderLineReference/
  cbc:LineID`` (required by UBL 2.1, refused when missing),
  ``cac:Item/cac:SellersItemIdentification/cbc:ID`` (supplier code),
  ``cac:Item/cac:StandardItemIdentification/cbc:ID`` (GTIN; schemeID
  ``0160``, ``GTIN`` or none, another scheme is refused),
  ``cac:Item/cac:ItemInstance``: ``cbc:SerialID`` (more than one in an
  instance is refused, as by the XSD) and ``cac:LotIdentification/
  cbc:LotNumberID``.
"""

from __future__ import annotations

from lxml import etree

from .common import (
    AdvanceShipNotice, AsnError, LineDraft, build_notice, check_gln,
    check_gtin, check_sscc, parse_quantity, parse_xml, xml_datetime,
    xml_text, xml_where)

__all__ = ["NAMESPACE", "parse"]

WHAT = "UBL"
NAMESPACE = "urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2"
_UBL = "urn:oasis:names:specification:ubl:schema:xsd:"
CAC = _UBL + "CommonAggregateComponents-2"
CBC = _UBL + "CommonBasicComponents-2"
NS = {"ubl": NAMESPACE, "cac": CAC, "cbc": CBC}
GLN_SCHEMES = frozenset({"0088", "GLN"})
GTIN_SCHEMES = frozenset({"0160", "GTIN", None})


def parse(data: bytes) -> AdvanceShipNotice:
    root = parse_xml(data, WHAT)
    if root.tag != f"{{{NAMESPACE}}}DespatchAdvice":
        raise AsnError(
            f"{WHAT}: root element {etree.QName(root).text!r} is not "
            f"{{{NAMESPACE}}}DespatchAdvice")
    references = [
        xml_text(element)
        for element in _all(root, "cac:OrderReference/cbc:ID")]
    drafts = [
        _line(line, references)
        for line in _all(root, "cac:DespatchLine")]
    supplier_gln, supplier_name = _party(
        _one(root, "cac:DespatchSupplierParty/cac:Party"))
    location = _one(
        root, "cac:Shipment/cac:Delivery/cac:DeliveryLocation/cbc:ID")
    if location is not None and location.get("schemeID") in GLN_SCHEMES:
        ship_to = check_gln(xml_text(location) or "", _where(location))
    else:
        ship_to, _ = _party(_one(root, "cac:DeliveryCustomerParty/cac:Party"))
    despatch = _one(root, "cac:Shipment/cac:Delivery/cac:Despatch")
    despatch_datetime = None
    if despatch is not None:
        despatch_datetime = xml_datetime(
            xml_text(_one(despatch, "cbc:ActualDespatchDate")),
            xml_text(_one(despatch, "cbc:ActualDespatchTime")),
            _where(despatch))
    return build_notice(
        "ubl", xml_text(_one(root, "cbc:ID")), where=WHAT,
        despatch_datetime=despatch_datetime, order_references=references,
        supplier_gln=supplier_gln, supplier_name=supplier_name,
        ship_to_gln=ship_to, sscc=_ssccs(root), lines=drafts)


def _one(element, path: str):
    return element.find(path, NS)


def _all(element, path: str):
    return element.findall(path, NS)


def _where(element) -> str:
    return f"{WHAT}: {xml_where(element)}"


def _party(party) -> tuple[str | None, str | None]:
    if party is None:
        return None, None
    gln = None
    for identifier in (
            _all(party, "cbc:EndpointID")
            + _all(party, "cac:PartyIdentification/cbc:ID")):
        if identifier.get("schemeID") in GLN_SCHEMES:
            gln = check_gln(xml_text(identifier) or "", _where(identifier))
            break
    name = xml_text(_one(party, "cac:PartyName/cbc:Name")) or xml_text(
        _one(party, "cac:PartyLegalEntity/cbc:RegistrationName"))
    return gln, name


def _ssccs(root) -> list[str]:
    ssccs = []
    candidates = [
        (element, False) for element in _all(root, "cac:Shipment/cbc:ID")]
    candidates += [
        (element, True) for element in root.iterfind(
            "cac:Shipment//cac:TransportHandlingUnit/cbc:ID", NS)]
    for package in ("cac:Package", "cac:ActualPackage"):
        candidates += [
            (element, True) for element in root.iterfind(
                f"cac:Shipment//{package}/cbc:ID", NS)]
    for element, digits_mean_sscc in candidates:
        value = xml_text(element) or ""
        if element.get("schemeID") == "SSCC" or (
                digits_mean_sscc and len(value) == 18 and value.isdigit()):
            ssccs.append(check_sscc(value, _where(element)))
    return ssccs


def _line(line, references: list[str]) -> LineDraft:
    where = _where(line)
    draft = LineDraft(line=xml_text(_one(line, "cbc:ID")) or "", where=where)
    quantity = _one(line, "cbc:DeliveredQuantity")
    if quantity is None:
        raise AsnError(f"{where}: cbc:DeliveredQuantity is missing")
    draft.quantity = parse_quantity(xml_text(quantity), _where(quantity))
    draft.unit = quantity.get("unitCode")
    order_line = _one(line, "cac:OrderLineReference")
    if order_line is None or xml_text(_one(order_line, "cbc:LineID")) is None:
        raise AsnError(
            f"{where}: cac:OrderLineReference/cbc:LineID is missing "
            f"(mandatory in UBL 2.1)")
    draft.order_line = xml_text(_one(order_line, "cbc:LineID"))
    references.extend(
        xml_text(element)
        for element in _all(order_line, "cac:OrderReference/cbc:ID"))
    item = _one(line, "cac:Item")
    if item is None:
        raise AsnError(f"{where}: cac:Item is missing")
    draft.supplier_code = xml_text(
        _one(item, "cac:SellersItemIdentification/cbc:ID"))
    standard = _one(item, "cac:StandardItemIdentification/cbc:ID")
    if standard is not None:
        scheme = standard.get("schemeID")
        if scheme not in GTIN_SCHEMES:
            raise AsnError(
                f"{_where(standard)}: unknown schemeID {scheme!r} for the "
                f"standard item identification (expected 0160 or GTIN)")
        draft.gtin = check_gtin(xml_text(standard) or "", _where(standard))
    for instance in _all(item, "cac:ItemInstance"):
        serials = _all(instance, "cbc:SerialID")
        if len(serials) > 1:
            raise AsnError(
                f"{_where(instance)}: {len(serials)} cbc:SerialID in one "
                f"cac:ItemInstance; send one instance per serial")
        if serials:
            draft.serials.append(xml_text(serials[0]) or "")
        lot = xml_text(_one(instance, "cac:LotIdentification/cbc:LotNumberID"))
        if lot:
            draft.lots.append(lot)
    return draft
