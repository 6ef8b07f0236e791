# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""GS1 XML despatchAdvice (Business Message Standard 3.x) with serials.

The root is ``despatch_advice:despatchAdviceMessage`` in namespace
``urn:gs1:ecom:despatch_advice:xsd:3``, optionally with a Standard Business
Document Header; the other elements are unqualified in the GS1 schemas and
are matched here by local name.  The XML is parsed by `common.parse_xml`
(UTF-8 only, DOCTYPE/ENTITY refused, no entity resolution, no network).

Content read
------------
* Exactly one ``despatchAdvice`` (more are refused: one ASN per file).
* ``despatchAdviceIdentification/entityIdentification`` (ASN number);
  ``despatchInformation/despatchDateTime``, else ``actualShipDateTime``
  (xsd:dateTime, time zone kept); ``purchaseOrder/entityIdentification``
  of the header and of each line (purchase orders).
* Supplier: ``seller``, else ``shipper`` (``gln``, checked, and
  ``organisationDetails/organisationName``); ship-to: ``shipTo/gln``.
* ``despatchAdviceLogisticUnit`` at any depth:
  ``logisticUnitIdentification/sscc`` (checked).
* ``despatchAdviceLineItem`` at any depth: ``lineItemNumber`` (line),
  ``despatchedQuantity`` and its ``measurementUnitCode``,
  ``transactionalTradeItem/gtin`` (checked, 14 digits),
  ``additionalTradeItemIdentification`` with type code
  ``SUPPLIER_ASSIGNED`` (supplier code), ``transactionalItemData``
  (repeatable): ``batchNumber`` and ``lotNumber`` (lots), ``serialNumber``
  (0..n, serials); ``serialNumberRange`` is refused (send serialNumber
  elements); ``purchaseOrder/lineItemNumber`` (order line).
"""

from __future__ import annotations

from lxml import etree

from .common import (
    AdvanceShipNotice, AsnError, LineDraft, build_notice, check_gln,
    check_gtin, check_sscc, parse_quantity, parse_xml, xml_datetime,
    xml_text, xml_where)

__all__ = ["NAMESPACE", "parse"]

WHAT = "GS1 XML"
NAMESPACE = "urn:gs1:ecom:despatch_advice:xsd:3"
SUPPLIER_PARTIES = ("seller", "shipper")
SUPPLIER_CODE_TYPE = "SUPPLIER_ASSIGNED"


def parse(data: bytes) -> AdvanceShipNotice:
    root = parse_xml(data, WHAT)
    if root.tag != f"{{{NAMESPACE}}}despatchAdviceMessage":
        raise AsnError(
            f"{WHAT}: root element {etree.QName(root).text!r} is not "
            f"{{{NAMESPACE}}}despatchAdviceMessage")
    advices = _children(root, "despatchAdvice")
    if len(advices) != 1:
        raise AsnError(
            f"{WHAT}: the message holds {len(advices)} despatchAdvice "
            f"elements; send exactly one per file")
    advice = advices[0]
    references = [
        _text(advice, "purchaseOrder", "entityIdentification")]
    ssccs = [
        check_sscc(xml_text(element) or "", _where(element))
        for unit in _descendants(advice, "despatchAdviceLogisticUnit")
        for element in _path(unit, "logisticUnitIdentification", "sscc")]
    drafts = [
        _line(line, references)
        for line in _descendants(advice, "despatchAdviceLineItem")]
    supplier_gln = supplier_name = None
    for name in SUPPLIER_PARTIES:
        party = _first(advice, name)
        if party is not None:
            supplier_gln = _gln(party)
            supplier_name = _text(
                party, "organisationDetails", "organisationName")
            break
    ship_to = _first(advice, "shipTo")
    information = _first(advice, "despatchInformation")
    despatch = None
    if information is not None:
        moment = _first(information, "despatchDateTime")
        if moment is None:
            moment = _first(information, "actualShipDateTime")
        if moment is not None:
            despatch = _datetime(moment)
    return build_notice(
        "gs1-xml", _text(advice, "despatchAdviceIdentification",
            "entityIdentification"), where=WHAT,
        despatch_datetime=despatch, order_references=references,
        supplier_gln=supplier_gln, supplier_name=supplier_name,
        ship_to_gln=_gln(ship_to) if ship_to is not None else None,
        sscc=ssccs, lines=drafts)


def _local(element) -> str:
    return etree.QName(element).localname


def _children(element, name: str) -> list:
    return [
        child for child in element.iterchildren(tag=etree.Element)
        if _local(child) == name]


def _descendants(element, name: str) -> list:
    return [
        child for child in element.iterdescendants(tag=etree.Element)
        if _local(child) == name]


def _path(element, *names: str) -> list:
    elements = [element]
    for name in names:
        elements = [
            child for parent in elements for child in _children(parent, name)]
    return elements


def _first(element, *names: str):
    found = _path(element, *names)
    return found[0] if found else None


def _text(element, *names: str) -> str | None:
    return xml_text(_first(element, *names))


def _where(element) -> str:
    return f"{WHAT}: {xml_where(element)}"


def _gln(party) -> str | None:
    gln = _first(party, "gln")
    if gln is None:
        return None
    return check_gln(xml_text(gln) or "", _where(gln))


def _datetime(element):
    text = xml_text(element)
    if text is None or "T" not in text:
        raise AsnError(
            f"{_where(element)}: {text!r} is not an xsd:dateTime")
    return xml_datetime(text, None, _where(element))


def _line(line, references: list) -> LineDraft:
    where = _where(line)
    draft = LineDraft(line=_text(line, "lineItemNumber") or "", where=where)
    quantity = _first(line, "despatchedQuantity")
    if quantity is None:
        raise AsnError(f"{where}: despatchedQuantity is missing")
    draft.quantity = parse_quantity(xml_text(quantity), _where(quantity))
    draft.unit = quantity.get("measurementUnitCode")
    item = _first(line, "transactionalTradeItem")
    if item is None:
        raise AsnError(f"{where}: transactionalTradeItem is missing")
    gtin = _first(item, "gtin")
    if gtin is not None:
        draft.gtin = check_gtin(xml_text(gtin) or "", _where(gtin))
    for identification in _children(item, "additionalTradeItemIdentification"):
        kind = identification.get("additionalTradeItemIdentificationTypeCode")
        if kind == SUPPLIER_CODE_TYPE and not draft.supplier_code:
            draft.supplier_code = xml_text(identification)
    for data in _children(item, "transactionalItemData"):
        ranges = _children(data, "serialNumberRange")
        if ranges:
            raise AsnError(
                f"{_where(ranges[0])}: serialNumberRange is not supported; "
                f"send one serialNumber element per serial")
        for name in ("batchNumber", "lotNumber"):
            lot = _text(data, name)
            if lot:
                draft.lots.append(lot)
        draft.serials.extend(
            xml_text(serial) or ""
            for serial in _children(data, "serialNumber"))
    order = _first(line, "purchaseOrder")
    if order is not None:
        references.append(_text(order, "entityIdentification"))
        draft.order_line = _text(order, "lineItemNumber")
    return draft
