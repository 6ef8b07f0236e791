# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Writers of normalized ASNs, one per format, for the round-trip tests.

The project reads ASNs and never writes them, so these live with the
tests.  Each writes a document of its format as the samples in data/asn
do (the same segments, elements and control counts), carrying everything
the format can say of an `AdvanceShipNotice`:

* ``csv``: no despatch date, ship-to, SSCC, unit or order line; the
  supplier is its GLN or else its name; lines are numbered 1, 2, …
* ``ubl``, ``gs1-xml``, ``desadv`` (D96A), ``x12-856``: every field;
  EDIFACT and X12 give despatch times without time zone, to the minute
  (X12) or the second (EDIFACT); X12 line numbers are the items' HL ids, so
  they are numbers other than 1, 2 and 900 and up (the shipment, order and
  pack levels).

Order references: the first is the header's, line i (from 0) names
reference i (the last one for the lines after), so a notice needs at
least as many lines as references for them to come back in order.
"""

import csv
import io

from lxml import etree

from serial_mes.asn.common import format_quantity
from serial_mes.asn import gs1xml, ubl

__all__ = ["WRITERS"]


def _line_references(notice):
    "The order reference each line names (None without references)"
    references = notice.order_references
    return [
        references[min(index, len(references) - 1)] if references else None
        for index in range(len(notice.lines))]


# --- CSV ---------------------------------------------------------------------

def write_csv(notice) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([
        "supplier", "asn_number", "po", "gtin", "supplier_code", "serial",
        "lot", "quantity"])
    supplier = notice.supplier_gln or notice.supplier_name or ""
    for line, po in zip(notice.lines, _line_references(notice)):
        rows = [[serial, ""] for serial in line.serials]
        if line.unserialized or not rows:
            rows.append(["", format_quantity(line.unserialized)])
        while len(rows) < len(line.lots):
            rows.append(["", "0"])
        for index, (serial, quantity) in enumerate(rows):
            lot = line.lots[index] if index < len(line.lots) else ""
            writer.writerow([
                supplier, notice.number, po or "", line.gtin or "",
                line.supplier_code or "", serial, lot, quantity])
    return out.getvalue().encode()


# --- UBL ---------------------------------------------------------------------

def _ubl(parent, name, text=None, **attributes):
    prefix, local = name.split(":")
    namespace = {"cac": ubl.CAC, "cbc": ubl.CBC}[prefix]
    element = etree.SubElement(parent, f"{{{namespace}}}{local}",
        {key.replace("_", ""): value for key, value in attributes.items()
            if value is not None})
    if text is not None:
        element.text = text
    return element


def _ubl_party(parent, name, gln, party_name):
    party = _ubl(_ubl(parent, name), "cac:Party")
    if gln:
        _ubl(party, "cbc:EndpointID", gln, schemeID="0088")
    if party_name:
        _ubl(_ubl(party, "cac:PartyName"), "cbc:Name", party_name)


def write_ubl(notice) -> bytes:
    root = etree.Element(f"{{{ubl.NAMESPACE}}}DespatchAdvice", nsmap={
            None: ubl.NAMESPACE, "cac": ubl.CAC, "cbc": ubl.CBC})
    _ubl(root, "cbc:CustomizationID",
        "urn:fdc:peppol.eu:poacc:trns:despatch_advice:3")
    _ubl(root, "cbc:ProfileID", "urn:fdc:peppol.eu:poacc:bis:despatch_advice:3")
    _ubl(root, "cbc:ID", notice.number)
    _ubl(root, "cbc:IssueDate", "2024-01-01")
    if notice.order_references:
        _ubl(_ubl(root, "cac:OrderReference"), "cbc:ID",
            notice.order_references[0])
    _ubl_party(root, "cac:DespatchSupplierParty", notice.supplier_gln,
        notice.supplier_name)
    shipment = _ubl(root, "cac:Shipment")
    _ubl(shipment, "cbc:ID", "1")
    delivery = _ubl(shipment, "cac:Delivery")
    if notice.ship_to_gln:
        _ubl(_ubl(delivery, "cac:DeliveryLocation"), "cbc:ID",
            notice.ship_to_gln, schemeID="0088")
    moment = notice.despatch_datetime
    if moment is not None:
        despatch = _ubl(delivery, "cac:Despatch")
        _ubl(despatch, "cbc:ActualDespatchDate", moment.date().isoformat())
        _ubl(despatch, "cbc:ActualDespatchTime",
            moment.timetz().isoformat())
    for sscc in notice.sscc:
        _ubl(_ubl(shipment, "cac:TransportHandlingUnit"), "cbc:ID", sscc,
            schemeID="SSCC")
    for line, po in zip(notice.lines, _line_references(notice)):
        despatch_line = _ubl(root, "cac:DespatchLine")
        _ubl(despatch_line, "cbc:ID", line.line)
        _ubl(despatch_line, "cbc:DeliveredQuantity",
            format_quantity(line.quantity), unitCode=line.unit)
        reference = _ubl(despatch_line, "cac:OrderLineReference")
        _ubl(reference, "cbc:LineID", line.order_line)
        if po:
            _ubl(_ubl(reference, "cac:OrderReference"), "cbc:ID", po)
        item = _ubl(despatch_line, "cac:Item")
        _ubl(item, "cbc:Name", "Item")
        if line.supplier_code:
            _ubl(_ubl(item, "cac:SellersItemIdentification"), "cbc:ID",
                line.supplier_code)
        if line.gtin:
            _ubl(_ubl(item, "cac:StandardItemIdentification"), "cbc:ID",
                line.gtin, schemeID="0160")
        instances = max(len(line.serials), len(line.lots))
        for index in range(instances):
            instance = _ubl(item, "cac:ItemInstance")
            if index < len(line.serials):
                _ubl(instance, "cbc:SerialID", line.serials[index])
            if index < len(line.lots):
                _ubl(_ubl(instance, "cac:LotIdentification"),
                    "cbc:LotNumberID", line.lots[index])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- GS1 XML -----------------------------------------------------------------

def _gs1(parent, name, text=None, **attributes):
    element = etree.SubElement(parent, name, {
            key: value for key, value in attributes.items()
            if value is not None})
    if text is not None:
        element.text = text
    return element


def write_gs1_xml(notice) -> bytes:
    root = etree.Element(
        f"{{{gs1xml.NAMESPACE}}}despatchAdviceMessage",
        nsmap={"despatch_advice": gs1xml.NAMESPACE})
    advice = _gs1(root, "despatchAdvice")
    _gs1(advice, "creationDateTime", "2024-01-01T00:00:00")
    _gs1(advice, "documentStatusCode", "ORIGINAL")
    _gs1(_gs1(advice, "despatchAdviceIdentification"),
        "entityIdentification", notice.number)
    if notice.order_references:
        _gs1(_gs1(advice, "purchaseOrder"), "entityIdentification",
            notice.order_references[0])
    shipper = _gs1(advice, "shipper")
    if notice.supplier_gln:
        _gs1(shipper, "gln", notice.supplier_gln)
    if notice.supplier_name:
        _gs1(_gs1(shipper, "organisationDetails"), "organisationName",
            notice.supplier_name)
    if notice.ship_to_gln:
        _gs1(_gs1(advice, "shipTo"), "gln", notice.ship_to_gln)
    if notice.despatch_datetime is not None:
        _gs1(_gs1(advice, "despatchInformation"), "despatchDateTime",
            notice.despatch_datetime.isoformat())
    units = [_gs1(advice, "despatchAdviceLogisticUnit")
        for _ in notice.sscc] or [_gs1(advice, "despatchAdviceLogisticUnit")]
    for unit, sscc in zip(units, notice.sscc):
        _gs1(_gs1(unit, "logisticUnitIdentification"), "sscc", sscc)
    for line, po in zip(notice.lines, _line_references(notice)):
        item_line = _gs1(units[-1], "despatchAdviceLineItem")
        _gs1(item_line, "lineItemNumber", line.line)
        _gs1(item_line, "despatchedQuantity", format_quantity(line.quantity),
            measurementUnitCode=line.unit)
        item = _gs1(item_line, "transactionalTradeItem")
        if line.gtin:
            _gs1(item, "gtin", line.gtin)
        if line.supplier_code:
            _gs1(item, "additionalTradeItemIdentification",
                line.supplier_code,
                additionalTradeItemIdentificationTypeCode="SUPPLIER_ASSIGNED")
        # one transactionalItemData per batch, the serials with the first
        for index in range(max(1, len(line.lots))):
            if not (line.lots or line.serials):
                break
            data = _gs1(item, "transactionalItemData")
            if index < len(line.lots):
                _gs1(data, "batchNumber", line.lots[index])
            if index == 0:
                for serial in line.serials:
                    _gs1(data, "serialNumber", serial)
        if po or line.order_line:
            order = _gs1(item_line, "purchaseOrder")
            if po:
                _gs1(order, "entityIdentification", po)
            if line.order_line:
                _gs1(order, "lineItemNumber", line.order_line)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- EDIFACT DESADV D96A -----------------------------------------------------

def _edi(value: str) -> str:
    "Release the service characters of UNA:+.? '"
    return "".join("?" + c if c in "?+:'" else c for c in value)


def write_desadv(notice) -> bytes:
    segments = [
        "UNH+1+DESADV:D:96A:UN:EAN005",
        f"BGM+351+{_edi(notice.number)}+9",
        "DTM+137:20240101:102"]
    if notice.despatch_datetime is not None:
        segments.append(
            f"DTM+11:{notice.despatch_datetime:%Y%m%d%H%M%S}:204")
    if notice.order_references:
        segments.append(f"RFF+ON:{_edi(notice.order_references[0])}")
    if notice.supplier_gln or notice.supplier_name:
        gln = f"{notice.supplier_gln}::9" if notice.supplier_gln else ""
        name = _edi(notice.supplier_name or "")
        segments.append(f"NAD+SU+{gln}++{name}".rstrip("+"))
    if notice.ship_to_gln:
        segments.append(f"NAD+DP+{notice.ship_to_gln}::9")
    level = 0
    for sscc in notice.sscc:
        level += 1
        segments += [f"CPS+{level}", "PAC+1++CT", "PCI+33E",
            f"GIN+BJ+{sscc}"]
    segments.append(f"CPS+{level + 1}")
    for line, po in zip(notice.lines, _line_references(notice)):
        segments.append(f"LIN+{_edi(line.line)}"
            + (f"++{line.gtin}:SRV" if line.gtin else ""))
        if line.supplier_code:
            segments.append(f"PIA+1+{_edi(line.supplier_code)}:SA")
        segments.append(f"QTY+12:{format_quantity(line.quantity)}"
            + (f":{_edi(line.unit)}" if line.unit else ""))
        if po or line.order_line:
            segments.append(f"RFF+ON:{_edi(po or '')}"
                + (f":{_edi(line.order_line)}" if line.order_line else ""))
        for lot in line.lots:
            segments.append(f"GIN+BX+{_edi(lot)}")
        for start in range(0, len(line.serials), 5):
            segments.append("GIN+BN+" + "+".join(
                    _edi(serial) for serial in line.serials[start:start + 5]))
    segments.append(f"CNT+2:{len(notice.lines)}")
    segments.append(f"UNT+{len(segments) + 1}+1")
    text = "UNA:+.? '\n" + "'\n".join(
        ["UNB+UNOW:3+9506000300009:14+9506000100005:14+240101:1200+REF1"]
        + segments + ["UNZ+1+REF1"]) + "'\n"
    return text.encode()


# --- X12 856 -----------------------------------------------------------------

_ISA = ("ISA*00*          *00*          *ZZ*SUPPLIER       *ZZ*NORTHWINDPC    "
    "*240101*1200*U*00401*000000001*0*P*>")


def write_x12(notice) -> bytes:
    "HL ids: 1 shipment, 2 order, 900… packs (SSCCs), items by line number"
    body = ["ST*856*0001", f"BSN*00*{notice.number}*20240101*1200",
        "HL*1**S"]
    if notice.despatch_datetime is not None:
        body.append(f"DTM*011*{notice.despatch_datetime:%Y%m%d*%H%M}")
    if notice.ship_to_gln:
        body.append(f"N1*ST**UL*{notice.ship_to_gln}")
    if notice.supplier_gln or notice.supplier_name:
        body.append(f"N1*SU*{notice.supplier_name or ''}"
            + (f"*UL*{notice.supplier_gln}" if notice.supplier_gln else ""))
    body.append("HL*2*1*O")
    if notice.order_references:
        body.append(f"PRF*{notice.order_references[0]}")
    for index, sscc in enumerate(notice.sscc):
        body += [f"HL*{index + 900}*1*P", f"MAN*GM*{sscc}"]
    for line, po in zip(notice.lines, _line_references(notice)):
        body.append(f"HL*{line.line}*2*I")
        lin = [line.order_line or ""]
        for qualifier, value in (("UK", line.gtin),
                ("VP", line.supplier_code), ("PO", po)):
            if value:
                lin += [qualifier, value]
        body.append("LIN*" + "*".join(lin))
        body.append(f"SN1**{format_quantity(line.quantity)}"
            + (f"*{line.unit}" if line.unit else ""))
        body += [f"REF*SE*{serial}" for serial in line.serials]
        body += [f"REF*LT*{lot}" for lot in line.lots]
    hl_count = sum(1 for segment in body if segment.startswith("HL*"))
    body.append(f"CTT*{hl_count}")
    body.append(f"SE*{len(body) + 1}*0001")
    segments = [_ISA, "GS*SH*SUPPLIER*NORTHWINDPC*20240101*1200*1*X*004010"]
    segments += body + ["GE*1*1", "IEA*1*000000001"]
    return ("~\n".join(segments) + "~\n").encode()


WRITERS = {
    "csv": write_csv,
    "ubl": write_ubl,
    "gs1-xml": write_gs1_xml,
    "desadv": write_desadv,
    "x12-856": write_x12,
}
