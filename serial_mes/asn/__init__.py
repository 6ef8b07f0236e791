# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Advance shipping notices (ASN) in five formats, parsed without Tryton.

`parse` takes the bytes of a file and returns an `AdvanceShipNotice`, or
raises `AsnError` (a ValueError) with a one-line reason naming what is
wrong and where (segment number, row, line and element path).  Nothing else
escapes it for any input bytes.

Formats (``format`` values), one module each:

* ``desadv``: UN/EDIFACT DESADV D96A / D01B (`desadv`, with pydifact)
* ``x12-856``: ANSI X12 856 ship notice (`x12`)
* ``ubl``: OASIS UBL 2.1 DespatchAdvice (`ubl`, with lxml)
* ``gs1-xml``: GS1 XML despatchAdvice, BMS 3.x (`gs1xml`, with lxml)
* ``csv``: the Serial MES CSV template (`csv`, documented there)

`detect_format` looks at the start of the data: ``UNA``/``UNB`` is
EDIFACT, ``ISA`` is X12, ``<`` is XML (the root element's namespace tells
UBL from GS1; an XML file with a DOCTYPE is refused already here), and the
template's header row is CSV.  A UTF-8 BOM and leading white space are
ignored.

Rules for every format
----------------------
* Input larger than MAX_SIZE (50 MiB) is refused before any parsing; empty
  input is refused.  Readers of files read at most MAX_SIZE + 1 bytes
  (a pipe or /dev/zero has no size to look at first).
* Text must be UTF-8 (EDIFACT: the UNB character set, see `desadv`); a NUL
  byte is refused in every format (no database stores it in text).
* XML: any DOCTYPE/ENTITY declaration is refused; lxml runs with entity
  resolution, DTD loading and network access off and without huge-tree
  mode.
* One ASN per file; it needs a number and at least one line; line numbers
  are unique.
* GTINs (8, 12, 13 or 14 digits, check digit verified) are returned as 14
  digits; GLNs are 13 digits and SSCCs 18 digits with valid check digits.
* Serials are returned exactly as sent (ranges expanded, release characters
  removed, case and leading zeros kept).  Each must be GS1 CSET 82 and at
  most 20 characters.  A range expands to at most MAX_RANGE (100,000)
  values, an ASN holds at most MAX_SERIALS (1,000,000) serials; a reversed
  range is refused.
* A line may announce serials for some of its units only: its quantity is
  then a whole number at least its serial count, and the other units are
  expected without serial (numbered or scanned at the dock).  More serials
  than the quantity is refused (no correction); so is the same serial twice
  for one product (GTIN, else supplier code).
* The ASN number, order references, line and order line numbers, supplier
  item codes and lots are at most MAX_IDENTIFIER_LENGTH (35) characters,
  the supplier name at most 175 and the unit at most 3; all of them, like
  every other text read, must be printable (no control or formatting
  characters such as ANSI escapes, NUL or line breaks).
* Lots are returned once per line, in order of appearance.
"""

from __future__ import annotations

import re

from . import csv as csv_template
from . import desadv, gs1xml, ubl, x12
from .common import (
    MAX_IDENTIFIER_LENGTH, MAX_RANGE, MAX_SERIALS, MAX_SIZE,
    AdvanceShipNotice, AsnError, AsnLine)

__all__ = [
    "FORMATS", "MAX_IDENTIFIER_LENGTH", "MAX_RANGE", "MAX_SERIALS", "MAX_SIZE", "AdvanceShipNotice",
    "AsnError", "AsnLine", "detect_format", "parse",
]

PARSERS = {
    "desadv": desadv.parse,
    "x12-856": x12.parse,
    "ubl": ubl.parse,
    "gs1-xml": gs1xml.parse,
    "csv": csv_template.parse,
}
FORMATS = tuple(PARSERS)
XML_NAMESPACES = {ubl.NAMESPACE: "ubl", gs1xml.NAMESPACE: "gs1-xml"}

_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"
_HEAD = 64 * 1024
_XML_ROOT = re.compile(
    rb"<(?![?!])[^>]*?xmlns(?::[\w.-]+)?\s*=\s*[\"']([^\"']*)[\"']")
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)


def _start(data: bytes) -> bytes:
    return data.removeprefix(_BOM).lstrip(_WHITESPACE)


def _check_size(data) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"ASN data must be bytes, not {type(data).__name__}")
    if len(data) > MAX_SIZE:
        raise AsnError(
            f"the file is {len(data)} bytes, larger than the "
            f"{MAX_SIZE // (1024 * 1024)} MB limit for an ASN")
    data = bytes(data)
    if not data.removeprefix(_BOM).strip(_WHITESPACE):
        raise AsnError("the file is empty")
    return data


def detect_format(data: bytes) -> str:
    """Return the format of an ASN file (one of FORMATS).

    Raises AsnError for empty or oversized data, XML with a DOCTYPE, XML
    that is neither UBL nor GS1 despatch advice, and anything else that is
    not recognised.
    """
    start = _start(_check_size(data))
    if start.startswith((b"UNA", b"UNB")):
        return "desadv"
    if start.startswith(b"ISA"):
        return "x12-856"
    if start.startswith(b"<"):
        return _xml_format(start[:_HEAD])
    first_line = start.split(b"\n", 1)[0]
    try:
        header = first_line.decode("utf-8")
    except UnicodeDecodeError:
        header = ""
    if csv_template.header_delimiter(header) is not None:
        return "csv"
    raise AsnError(
        "unrecognised ASN format: expected EDIFACT (UNA/UNB), X12 (ISA), "
        "UBL or GS1 XML, or the CSV template header "
        f"{','.join(csv_template.COLUMNS)!r}")


def _xml_format(head: bytes) -> str:
    if _DOCTYPE.search(head):
        raise AsnError(
            "XML with a DOCTYPE or ENTITY declaration is refused (entity "
            "expansion and external entities are not allowed)")
    root = _XML_ROOT.search(head)
    namespaces = re.findall(
        rb"xmlns(?::[\w.-]+)?\s*=\s*[\"']([^\"']*)[\"']",
        head[root.start():head.find(b">", root.start()) + 1]) if root else []
    for namespace in namespaces:
        found = XML_NAMESPACES.get(namespace.decode("utf-8", "replace"))
        if found:
            return found
    raise AsnError(
        "unrecognised XML: the root element declares neither the UBL 2.1 "
        "DespatchAdvice nor the GS1 despatch_advice namespace")


def parse(data: bytes, format: str | None = None) -> AdvanceShipNotice:
    """Parse an ASN file; detect its format when format is None.

    Raises AsnError with a one-line reason for anything refused.
    """
    data = _check_size(data)
    if format is None:
        format = detect_format(data)
    parser = PARSERS.get(format)
    if parser is None:
        raise AsnError(
            f"unknown ASN format {format!r}; expected one of "
            f"{', '.join(FORMATS)}")
    nul = data.find(b"\0")
    if nul != -1:
        raise AsnError(
            f"the file holds a NUL byte at offset {nul}: an ASN is text")
    start = len(data) - len(_start(data))
    return parser(data[start:])
