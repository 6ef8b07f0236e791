# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The Serial MES CSV template for suppliers without EDI.

Template
--------
UTF-8 (a BOM is allowed), comma-separated (a semicolon is accepted when the
header row uses it), quoted as the csv module does, with this header row
(column order free, names case-insensitive)::

    supplier,asn_number,po,gtin,supplier_code,serial,lot,quantity

One row per serial, or one row per lot/quantity for items without serials:

* ``supplier``: the supplier's GLN (13 digits, checked) or its name; the
  same on every row.
* ``asn_number``: the ASN number; the same on every row (one ASN per
  file).
* ``po``: purchase order number (may be empty).
* ``gtin`` (GTIN-8/12/13/14, normalised to 14 digits) and/or
  ``supplier_code``: at least one of them.
* ``serial``: one serial number (CSET 82, at most 20 characters); the
  row's quantity is then 1 (an empty quantity means 1, another value is
  refused).
* ``lot``: batch/lot number (may be empty).
* ``quantity``: required when there is no serial; '.' or ',' as decimal
  mark.

Rows are grouped into lines by (po, gtin) or, without GTIN, by (po,
supplier_code), in order of first appearance; lines are numbered 1, 2, ...
A line's quantity is the sum of its rows: rows with and without serials
for the same product and PO announce serials for some units only (the
others are expected without serial).  A row whose supplier code differs from the one already seen for
its line is refused.  Cells are read without surrounding white space; blank
rows are skipped.  There is no despatch date, ship-to or SSCC in the
template.

Example::

    supplier,asn_number,po,gtin,supplier_code,serial,lot,quantity
    9506000200002,AST-CSV-0042,PO-2024-0822,9506000140100,MB-B760-AST,AB760-2403X0201,,
    9506000200002,AST-CSV-0042,PO-2024-0822,,SCR-M3,,L-7781,40
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from .common import (
    AdvanceShipNotice, AsnError, LineDraft, build_notice, check_gln,
    check_gtin, decode_utf8, parse_quantity, show)

__all__ = ["COLUMNS", "header_delimiter", "parse"]

WHAT = "CSV"
COLUMNS = (
    "supplier", "asn_number", "po", "gtin", "supplier_code", "serial", "lot",
    "quantity")
DELIMITERS = (",", ";")


def header_delimiter(line: str) -> str | None:
    "The delimiter of a template header row, or None if it is not one"
    line = line.removeprefix("\ufeff").strip("\r\n")
    for delimiter in DELIMITERS:
        try:
            names = next(csv.reader([line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        if sorted(name.strip().lower() for name in names) == sorted(COLUMNS):
            return delimiter
    return None


def parse(data: bytes) -> AdvanceShipNotice:
    text = decode_utf8(data, WHAT)
    delimiter = header_delimiter(text.split("\n", 1)[0])
    if delimiter is None:
        raise AsnError(
            f"{WHAT}: row 1 must be the header "
            f"{','.join(COLUMNS)!r} (comma or semicolon separated)")
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    supplier = number = None
    references: list[str] = []
    lines: dict[tuple[str, str], LineDraft] = {}
    try:
        header = [name.strip().lower() for name in next(reader)]
        if sorted(header) != sorted(COLUMNS):
            raise AsnError(
                f"{WHAT}: row 1 must be the header {','.join(COLUMNS)!r}")
        index = {name: header.index(name) for name in COLUMNS}
        for row in reader:
            if any(cell.strip() for cell in row):
                supplier, number = _row(
                    row, reader.line_num, header, index, supplier, number,
                    references, lines)
    except csv.Error as error:
        raise AsnError(
            f"{WHAT}: row {reader.line_num}: malformed CSV: {error}") from None
    if number is None:
        raise AsnError(f"{WHAT}: no data rows after the header")
    supplier_gln = supplier_name = None
    if supplier.isdigit() and len(supplier) == 13:
        supplier_gln = check_gln(supplier, f"{WHAT}: column supplier")
    else:
        supplier_name = supplier or None
    return build_notice(
        "csv", number, where=WHAT, order_references=references,
        supplier_gln=supplier_gln, supplier_name=supplier_name,
        lines=list(lines.values()))


def _row(row, row_number, header, index, supplier, number, references,
        lines) -> tuple[str, str]:
    "Add one data row; return the supplier and ASN number seen so far"
    where = f"{WHAT}: row {row_number}"
    if len(row) != len(header):
        raise AsnError(
            f"{where}: {len(row)} cells, the header has {len(header)}")
    cells = {name: row[index[name]].strip() for name in COLUMNS}
    supplier = _same(supplier, cells["supplier"], "supplier", where)
    number = _same(number, cells["asn_number"], "asn_number", where)
    if cells["po"]:
        references.append(cells["po"])
    _add_row(lines, cells, where)
    return supplier, number


def _same(known: str | None, value: str, column: str, where: str) -> str:
    if known is not None and value != known:
        raise AsnError(
            f"{where}: {column} {show(value)} differs from {show(known)} "
            f"of the first row; one ASN per file")
    return value


def _add_row(lines: dict, cells: dict, where: str) -> None:
    gtin = check_gtin(cells["gtin"], where) if cells["gtin"] else None
    code = cells["supplier_code"] or None
    if gtin is None and code is None:
        raise AsnError(f"{where}: neither gtin nor supplier_code")
    key = (cells["po"], gtin) if gtin else (cells["po"], f"code:{code}")
    line = lines.get(key)
    if line is None:
        line = lines[key] = LineDraft(
            line=str(len(lines) + 1), where=where, gtin=gtin,
            supplier_code=code, quantity=Decimal(0))
    elif code and line.supplier_code and code != line.supplier_code:
        raise AsnError(
            f"{where}: supplier_code {show(code)} differs from "
            f"{show(line.supplier_code)} given for the same line")
    line.supplier_code = line.supplier_code or code
    if cells["serial"]:
        if cells["quantity"] and parse_quantity(
                cells["quantity"], where) != 1:
            raise AsnError(
                f"{where}: a row with a serial has quantity 1, not "
                f"{show(cells['quantity'])}")
        line.serials.append(cells["serial"])
        line.quantity += 1
    elif not cells["quantity"]:
        raise AsnError(f"{where}: quantity is required without a serial")
    else:
        line.quantity += parse_quantity(cells["quantity"], where)
    if cells["lot"]:
        line.lots.append(cells["lot"])
