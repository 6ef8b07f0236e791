# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The normalized ASN, its one error class and the checks shared by formats.

Every format parser collects what it read into `LineDraft` objects and
hands them to `build_notice`, which applies the rules that hold for all
formats (see the package docstring) and returns a frozen
`AdvanceShipNotice`.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

from serial_mes.gs1 import (
    BarcodeError, gtin_check_digit, is_cset82, normalize_gtin)

__all__ = [
    "AdvanceShipNotice", "AsnError", "AsnLine", "LineDraft",
    "MAX_IDENTIFIER_LENGTH", "MAX_NAME_LENGTH", "MAX_RANGE", "MAX_SERIALS",
    "MAX_SERIAL_LENGTH", "MAX_SIZE", "MAX_UNIT_LENGTH", "build_notice",
    "check_gln", "check_gtin", "check_sscc", "decode_utf8", "expand_range",
    "parse_quantity", "parse_xml", "show", "xml_datetime", "xml_text",
    "xml_where",
]

MAX_SIZE = 50 * 1024 * 1024
# A single range (GIN C208 first:last) expands to at most this many values.
MAX_RANGE = 100_000
# All serials of one ASN together, after range expansion.
MAX_SERIALS = 1_000_000
# Longest serial accepted: the length of GS1 AI (21).
MAX_SERIAL_LENGTH = 20
# Longest ASN number, order reference, line and order line number, supplier
# item code and lot: EDIFACT's an..35 (BGM, RFF, PIA, GIN), which UBL and
# GS1 XML senders keep to in practice.
MAX_IDENTIFIER_LENGTH = 35
# Longest party name: EDIFACT C080, five components of an..35.
MAX_NAME_LENGTH = 175
# Longest unit of measure: UN/ECE Recommendation 20 codes and X12 units.
MAX_UNIT_LENGTH = 3

_QUANTITY = re.compile(r"[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+")
_RANGE_END = re.compile(r"(.*?)([0-9]+)", re.S)


class AsnError(ValueError):
    """An ASN refused, with a one-line reason naming what and where."""


@dataclass(frozen=True)
class AsnLine:
    """One despatched line: a product, its quantity and its serials/lots."""
    line: str
    gtin: str | None  # 14 digits
    supplier_code: str | None
    quantity: Decimal
    unit: str | None
    order_line: str | None
    serials: tuple[str, ...] = ()
    lots: tuple[str, ...] = ()

    @property
    def unserialized(self) -> Decimal:
        "Units announced without a serial (all of them on a line without)"
        return self.quantity - len(self.serials)

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "gtin": self.gtin,
            "supplier_code": self.supplier_code,
            "quantity": format_quantity(self.quantity),
            "unit": self.unit,
            "order_line": self.order_line,
            "serials": list(self.serials),
            "lots": list(self.lots),
        }


@dataclass(frozen=True)
class AdvanceShipNotice:
    """An advance shipping notice, the same shape for every format."""
    format: str
    number: str
    despatch_datetime: datetime.datetime | None
    order_references: tuple[str, ...]
    supplier_gln: str | None
    supplier_name: str | None
    ship_to_gln: str | None
    sscc: tuple[str, ...]
    lines: tuple[AsnLine, ...]

    def as_dict(self) -> dict:
        "Return the normalized JSON shape printed by `asn parse --json`"
        return {
            "format": self.format,
            "number": self.number,
            "despatch_datetime": (
                self.despatch_datetime.isoformat()
                if self.despatch_datetime is not None else None),
            "order_references": list(self.order_references),
            "supplier": {"gln": self.supplier_gln, "name": self.supplier_name},
            "ship_to": {"gln": self.ship_to_gln},
            "sscc": list(self.sscc),
            "lines": [line.as_dict() for line in self.lines],
        }


@dataclass
class LineDraft:
    """What a parser read for one line, checked later by `build_notice`.

    `where` names the line's position in the input for messages
    ("segment 17 (LIN)", "row 4", "line 40, /DespatchAdvice/...").
    """
    line: str
    where: str
    gtin: str | None = None
    supplier_code: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    order_line: str | None = None
    serials: list[str] = field(default_factory=list)
    lots: list[str] = field(default_factory=list)


def format_quantity(quantity: Decimal) -> str:
    "Plain decimal text without exponent or trailing zeros: '3', '2.5'"
    return format(quantity.normalize(), "f")


def show(value, limit: int = 40) -> str:
    "Quote a value for a one-line message, shortened when long"
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit] + "..."
    return repr(value)


def decode_utf8(data: bytes, what: str) -> str:
    "Decode UTF-8 (a leading BOM is dropped) or raise AsnError with the spot"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise AsnError(
            f"{what}: byte 0x{data[error.start]:02x} at offset {error.start} "
            f"(line {line}) is not valid UTF-8; the file must be UTF-8"
        ) from None
    return text.removeprefix("\ufeff")


def parse_quantity(text: str | None, where: str) -> Decimal:
    "A non-negative decimal quantity; '.' or ',' as decimal mark"
    if text is None or not _QUANTITY.fullmatch(text):
        raise AsnError(
            f"{where}: quantity {show(text)} is not a non-negative number")
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:  # not reachable with the pattern, kept strict
        raise AsnError(
            f"{where}: quantity {show(text)} is not a number") from None


def check_gtin(value: str, where: str) -> str:
    "A GTIN-8/12/13/14 as 14 digits"
    try:
        return normalize_gtin(value)
    except BarcodeError as error:
        raise AsnError(f"{where}: {error}") from None


def check_gln(value: str, where: str) -> str:
    "A GLN: 13 digits with a valid check digit"
    if not (len(value) == 13 and value.isascii() and value.isdigit()):
        raise AsnError(f"{where}: GLN {show(value)} must be 13 digits")
    expected = gtin_check_digit(value[:-1])
    if value[-1] != expected:
        raise AsnError(
            f"{where}: GLN {show(value)} has check digit {value[-1]}, "
            f"expected {expected}")
    return value


def check_sscc(value: str, where: str, *, ai_prefix: bool = False) -> str:
    """An SSCC: 18 digits with a valid check digit.

    With ai_prefix, a 20-digit value starting with AI 00 is accepted too and
    returned without the AI (X12 MAN*GM).
    """
    if ai_prefix and len(value) == 20 and value.startswith("00"):
        value = value[2:]
    if not (len(value) == 18 and value.isascii() and value.isdigit()):
        wanted = "18 digits (or 20 with AI 00)" if ai_prefix else "18 digits"
        raise AsnError(f"{where}: SSCC {show(value)} must be {wanted}")
    expected = gtin_check_digit(value[:-1])
    if value[-1] != expected:
        raise AsnError(
            f"{where}: SSCC {show(value)} has check digit {value[-1]}, "
            f"expected {expected}")
    return value


def expand_range(first: str, last: str, where: str) -> list[str]:
    """Expand an inclusive range of identifiers such as SN-0098..SN-0102.

    Both ends must share the text before their trailing digits.  When both
    ends have the same length the width is kept (zero padding); otherwise
    the numbers must be written without leading zeros.
    """
    if first == last:
        return [first]
    head_first = _RANGE_END.fullmatch(first)
    head_last = _RANGE_END.fullmatch(last)
    if head_first is None or head_last is None:
        raise AsnError(
            f"{where}: range {show(first)} to {show(last)} cannot be "
            f"expanded: both ends must end in digits")
    prefix, digits_first = head_first.groups()
    prefix_last, digits_last = head_last.groups()
    if not (digits_first.isascii() and digits_last.isascii()):
        raise AsnError(
            f"{where}: range {show(first)} to {show(last)} uses non-ASCII "
            f"digits")
    if prefix != prefix_last:
        raise AsnError(
            f"{where}: range {show(first)} to {show(last)}: the ends differ "
            f"before their trailing digits")
    start, end = int(digits_first), int(digits_last)
    if len(digits_first) == len(digits_last):
        width = len(digits_first)
    elif _zero_padded(digits_first) or _zero_padded(digits_last):
        raise AsnError(
            f"{where}: range {show(first)} to {show(last)}: zero-padded "
            f"ends must have the same width")
    else:
        width = 0
    if end < start:
        raise AsnError(
            f"{where}: range {show(first)} to {show(last)} is reversed")
    count = end - start + 1
    if count > MAX_RANGE:
        raise AsnError(
            f"{where}: range {show(first)} to {show(last)} holds {count} "
            f"values, more than {MAX_RANGE}")
    return [f"{prefix}{number:0{width}d}" for number in range(start, end + 1)]


def _zero_padded(digits: str) -> bool:
    return len(digits) > 1 and digits.startswith("0")


def _check_serial(serial: str, where: str) -> None:
    if not serial:
        raise AsnError(f"{where}: empty serial number")
    if len(serial) > MAX_SERIAL_LENGTH:
        raise AsnError(
            f"{where}: serial {show(serial)} is longer than "
            f"{MAX_SERIAL_LENGTH} characters")
    if not is_cset82(serial):
        raise AsnError(
            f"{where}: serial {show(serial)} has characters outside GS1 "
            f"CSET 82")


def check_text(value: str | None, what: str, where: str,
        limit: int = MAX_IDENTIFIER_LENGTH) -> str | None:
    """An identifier or name of at most limit printable characters.

    Control and formatting characters (ANSI escapes, NUL, bidi overrides,
    line breaks) are refused: these values are shown on screens and in
    logs and searched for at the dock.
    """
    if value is None:
        return None
    if len(value) > limit:
        raise AsnError(
            f"{where}: {what} {show(value)} is {len(value)} characters "
            f"long, more than {limit}")
    if not value.isprintable():
        bad = next(c for c in value if not c.isprintable())
        raise AsnError(
            f"{where}: {what} {show(value)} contains the unprintable "
            f"character U+{ord(bad):04X}")
    return value


def _finish_line(draft: LineDraft) -> AsnLine:
    check_text(draft.line, "line number", draft.where)
    where = f"{draft.where}, line {draft.line!r}"
    if not draft.line:
        raise AsnError(f"{draft.where}: the line has no line number")
    if draft.gtin is None and not draft.supplier_code:
        raise AsnError(f"{where}: neither a GTIN nor a supplier item code")
    if draft.quantity is None:
        raise AsnError(f"{where}: no despatched quantity")
    check_text(draft.supplier_code, "supplier item code", where)
    check_text(draft.unit, "unit", where, MAX_UNIT_LENGTH)
    check_text(draft.order_line, "order line", where)
    for serial in draft.serials:
        _check_serial(serial, where)
    # a supplier may announce the serials of some units only: the others
    # are expected without serial and numbered or scanned at the dock
    if draft.serials and draft.quantity != int(draft.quantity):
        raise AsnError(
            f"{where}: quantity {format_quantity(draft.quantity)} is not a "
            f"whole number, but the line has serial numbers")
    if len(draft.serials) > draft.quantity:
        raise AsnError(
            f"{where}: quantity {format_quantity(draft.quantity)} but "
            f"{len(draft.serials)} serial numbers; a line cannot have more "
            f"serials than units")
    for lot in draft.lots:
        if not lot:
            raise AsnError(f"{where}: empty lot number")
        check_text(lot, "lot", where)
    return AsnLine(
        line=draft.line,
        gtin=draft.gtin,
        supplier_code=draft.supplier_code or None,
        quantity=draft.quantity,
        unit=draft.unit or None,
        order_line=draft.order_line or None,
        serials=tuple(draft.serials),
        lots=tuple(dict.fromkeys(draft.lots)),
    )


def build_notice(
        format: str, number: str | None, *, where: str,
        despatch_datetime: datetime.datetime | None = None,
        order_references=(), supplier_gln: str | None = None,
        supplier_name: str | None = None, ship_to_gln: str | None = None,
        sscc=(), lines=()) -> AdvanceShipNotice:
    """Check the drafts and build the notice.

    Refused: no ASN number, no line, a line without product or quantity, a
    serial that is empty, longer than 20 characters or outside CSET 82,
    more serials than the line's quantity (or serials on a fractional
    quantity), the same line number twice, the same serial twice for one
    product (GTIN, else supplier code), more than MAX_SERIALS serials in
    all, and identifiers or names that are too long or hold unprintable
    characters (`check_text`).
    """
    if not number:
        raise AsnError(f"{where}: the ASN has no number")
    check_text(number, "ASN number", where)
    for reference in order_references:
        check_text(reference, "order reference", where)
    check_text(supplier_name, "supplier name", where, MAX_NAME_LENGTH)
    if not lines:
        raise AsnError(f"{where}: ASN {number!r} has no lines")
    finished = []
    seen_lines = {}
    seen_serials = {}
    total = 0
    for draft in lines:
        line = _finish_line(draft)
        if line.line in seen_lines:
            raise AsnError(
                f"{draft.where}: line number {line.line!r} is used twice "
                f"(also at {seen_lines[line.line]})")
        seen_lines[line.line] = draft.where
        total += len(line.serials)
        if total > MAX_SERIALS:
            raise AsnError(
                f"{draft.where}: more than {MAX_SERIALS} serial numbers in "
                f"one ASN")
        product = line.gtin or f"supplier code {line.supplier_code}"
        for serial in line.serials:
            other = seen_serials.get((product, serial))
            if other is not None:
                raise AsnError(
                    f"{draft.where}: duplicate serial {serial!r} for "
                    f"{product} (lines {other!r} and {line.line!r})")
            seen_serials[(product, serial)] = line.line
        finished.append(line)
    return AdvanceShipNotice(
        format=format,
        number=number,
        despatch_datetime=despatch_datetime,
        order_references=tuple(dict.fromkeys(
            reference for reference in order_references if reference)),
        supplier_gln=supplier_gln or None,
        supplier_name=supplier_name or None,
        ship_to_gln=ship_to_gln or None,
        sscc=tuple(dict.fromkeys(sscc)),
        lines=tuple(finished),
    )


# --- XML ---------------------------------------------------------------------

# Hardened parser: no DTD loading, no entity resolution, no network, no
# huge-tree mode (lxml's limits on depth and text size stay on).  A
# DOCTYPE is refused before parsing anyway.
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False,
    dtd_validation=False, huge_tree=False, remove_pis=True,
    collect_ids=False)
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)
_XML_DECLARATION = re.compile(
    r"""<\?xml\s[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_XML_ENCODINGS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})


def parse_xml(data: bytes, what: str) -> etree._Element:
    """Parse UTF-8 XML safely and return the root element.

    Refused: bytes that are not UTF-8, an encoding declaration other than
    UTF-8 (or its subset US-ASCII), any DOCTYPE or ENTITY declaration
    (searched in the whole file, comments included, before parsing), and
    XML that is not well-formed.
    """
    text = decode_utf8(data, what)
    match = _DOCTYPE.search(data)
    if match:
        line = data.count(b"\n", 0, match.start()) + 1
        raise AsnError(
            f"{what}: line {line}: XML with a DOCTYPE or ENTITY declaration "
            f"is refused (entity expansion and external entities are not "
            f"allowed)")
    declared = _XML_DECLARATION.match(text.lstrip())
    if declared and declared.group(1).lower() not in _XML_ENCODINGS:
        raise AsnError(
            f"{what}: the XML declares encoding {declared.group(1)!r}; only "
            f"UTF-8 is accepted")
    try:
        root = etree.fromstring(data, parser=_XML_PARSER)
    except etree.XMLSyntaxError as error:
        raise AsnError(
            f"{what}: XML is not well-formed: {_xml_error(error)}") from None
    if root is None:
        raise AsnError(f"{what}: XML document without a root element")
    return root


def _xml_error(error: etree.XMLSyntaxError) -> str:
    return str(error).splitlines()[0] if str(error) else "syntax error"


def xml_where(element: etree._Element) -> str:
    "'line N, /Root/prefix:child[2]/...' for messages"
    steps = []
    node = element
    while node is not None:
        qname = etree.QName(node)
        name = f"{node.prefix}:{qname.localname}" if node.prefix \
            else qname.localname
        parent = node.getparent()
        if parent is not None:
            same = [
                sibling for sibling in parent.iterchildren(tag=node.tag)]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return f"line {element.sourceline}, /" + "/".join(reversed(steps))


def xml_text(element: etree._Element | None) -> str | None:
    "Text of an element without surrounding white space; None if absent"
    if element is None:
        return None
    text = "".join(element.itertext()).strip()
    return text or None


def xml_datetime(
        date_text: str | None, time_text: str | None,
        where: str) -> datetime.datetime | None:
    "xsd:date + optional xsd:time, or one xsd:dateTime in date_text"
    if date_text is None:
        return None
    try:
        if "T" in date_text:
            return datetime.datetime.fromisoformat(date_text)
        day = datetime.date.fromisoformat(date_text)
        moment = (
            datetime.time.fromisoformat(time_text) if time_text
            else datetime.time())
    except ValueError:
        raise AsnError(
            f"{where}: invalid date/time {show(date_text)}"
            + (f" {show(time_text)}" if time_text else "")) from None
    return datetime.datetime.combine(day, moment)
