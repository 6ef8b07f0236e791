# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""ANSI ASC X12 856 Ship Notice/Manifest (004010 and later) with serials.

Parsed here, without a library: X12 has no release character, so a segment
is split on its separators only.

Separators and envelope
-----------------------
The input must be UTF-8 and start with ISA, which is fixed width (106
characters, each element padded to its width): the element separator is
the 4th character, the component separator ISA16 and the segment
terminator the character after ISA16.  The three must differ and must not
be letters, digits or space; CR and LF may only be the segment terminator.
CR/LF after a terminator are ignored, and a CR before an LF terminator,
so files with CR LF line ends work whichever of the two ISA declares.
ISA ... GS ... ST ... SE ... GE ... IEA, with exactly one transaction set,
which must be an 856 (GS01 SH).
Checked: SE01 = segments from ST to SE, SE02 = ST02; GE01 = transaction sets
in the group, GE02 = GS06; IEA01 = groups, IEA02 = ISA13; CTT01 = number of
HL segments and, when given, CTT02 = sum of SN102.  Data after the last
terminator or after IEA is refused.

Content read
------------
* ``BSN02`` is the ASN number; ``DTM*011`` (shipped; CCYYMMDD and optional
  HHMM[SS]) the despatch date/time (the time zone code is ignored).
* ``N1*SU`` (else ``N1*VN``, else ``N1*SF``) is the supplier, ``N1*ST`` the
  ship-to; N104 is a GLN (checked) when N103 is ``UL``.
* ``HL`` levels S (shipment), O (order), T (tare), P (pack) and I (item);
  another level code, a duplicate HL id or an unknown parent is refused.
  ``PRF01`` (and ``LIN*PO``) are purchase orders.
* ``MAN*GM`` and ``MAN*AA`` are SSCCs (18 digits, or 20 with AI 00 in
  front), ``MAN*AI`` with AI 00/21/10 data an SSCC, serial or lot; other
  MAN qualifiers (CP, W, CA, ...) are package labels and are ignored.
* Item level: ``LIN`` id pairs: UK, EN, UP, EO, UA (GTIN, normalised to 14
  digits; two different GTINs are refused), VP, VN (supplier code), SN
  (serial), LT, B8 (lot), PO (purchase order), PL (order line); BP, IN,
  MG, MF, CB, SK, MN, PN, PD, VA, VC, BL, ZZ are read and ignored; any other
  qualifier is refused.  ``SN1`` gives quantity (SN102) and unit (SN103),
  ``REF*SE`` serials and ``REF*LT`` lots.  Serials and lots of P/T levels
  below an item belong to that item.
* The line number is the item's HL id; the order line is LIN*PL, else
  LIN01.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from .common import (
    AdvanceShipNotice, AsnError, LineDraft, build_notice, check_gln,
    check_gtin, check_sscc, decode_utf8, parse_quantity, show)

__all__ = ["parse"]

WHAT = "X12"

ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
ISA_LENGTH = 3 + sum(width + 1 for width in ISA_WIDTHS)  # 105, before term.
HL_LEVELS = {"S": "shipment", "O": "order", "T": "tare", "P": "pack",
    "I": "item"}
LIN_GTIN = frozenset({"UK", "EN", "UP", "EO", "UA"})
LIN_SUPPLIER = frozenset({"VP", "VN"})
LIN_SERIAL = frozenset({"SN"})
LIN_LOT = frozenset({"LT", "B8"})
LIN_ORDER = frozenset({"PO"})
LIN_ORDER_LINE = frozenset({"PL"})
LIN_IGNORED = frozenset({
    "BP", "IN", "MG", "MF", "CB", "SK", "MN", "PN", "PD", "VA", "VC", "BL",
    "ZZ"})
MAN_SSCC = frozenset({"GM", "AA"})
MAN_AI = {"00": "sscc", "21": "serial", "10": "lot"}
SUPPLIER_QUALIFIERS = ("SU", "VN", "SF")
_TAG = re.compile("[A-Z][A-Z0-9]{1,2}")
_ENVELOPE_TAGS = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})


@dataclass(frozen=True, slots=True)
class _Segment:
    number: int  # 1 = ISA
    tag: str
    elements: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{WHAT}: segment {self.number} ({self.tag})"

    def __getitem__(self, index: int) -> str:
        "Element by X12 position (1 = first after the tag); '' if absent"
        if index <= len(self.elements):
            return self.elements[index - 1]
        return ""


def parse(data: bytes) -> AdvanceShipNotice:
    text = decode_utf8(data, WHAT).lstrip(" \t\r\n")
    content = _Content()
    _interchange(_segments(text), content)
    return content.notice()


# --- separators and segments -------------------------------------------------

def _separators(text: str) -> tuple[str, str, str]:
    if not text.startswith("ISA"):
        raise AsnError(f"{WHAT}: the interchange must start with ISA")
    if len(text) <= ISA_LENGTH:
        raise AsnError(
            f"{WHAT}: truncated ISA: {len(text)} characters, an ISA segment "
            f"has {ISA_LENGTH + 1}")
    element, component, terminator = text[3], text[104], text[105]
    position = 3
    for index, width in enumerate(ISA_WIDTHS, 1):
        if text[position] != element:
            raise AsnError(
                f"{WHAT}: ISA is not fixed width: ISA{index:02d} does not "
                f"start at character {position + 2} (expected "
                f"{element!r} there, found {text[position]!r})")
        position += width + 1
    separators = {element, component, terminator}
    if len(separators) != 3 or any(
            char.isalnum() or char == " " for char in separators) or \
            {element, component} & {"\r", "\n"}:
        raise AsnError(
            f"{WHAT}: ISA separators {element!r}, {component!r} and "
            f"{terminator!r} must differ and not be letters, digits or "
            f"space (CR and LF only as segment terminator)")
    return element, component, terminator


def _segments(text: str) -> Iterator[_Segment]:
    "The segments, one at a time (the interchange is never held as a list)"
    element, _, terminator = _separators(text)
    position = number = 0
    while True:
        end = text.find(terminator, position)
        if end < 0:
            tail = text[position:]
            if tail.strip(" \t\r\n"):
                raise AsnError(
                    f"{WHAT}: truncated: {show(tail)} after the last segment "
                    f"terminator {terminator!r}")
            return
        piece = text[position:end].lstrip("\r\n")
        position = end + 1
        if terminator == "\n":
            piece = piece.removesuffix("\r")
            if not piece.strip(" \t"):
                continue  # a blank line between LF-terminated segments
        number += 1
        tag, *elements = piece.split(element)
        if not _TAG.fullmatch(tag):
            raise AsnError(
                f"{WHAT}: segment {number}: invalid segment tag {show(tag)}")
        yield _Segment(number, tag, tuple(elements))


def _interchange(segments: Iterator[_Segment], content: _Content) -> None:
    """Check ISA/GS/ST/SE/GE/IEA; feed the transaction set to content.

    Exactly one transaction set, an 856, is allowed.
    """
    isa = next(segments)
    sets = groups = group_sets = 0
    group: _Segment | None = None
    st: _Segment | None = None
    count = 0
    iea = None
    for segment in segments:
        if iea is not None:
            raise AsnError(f"{segment.where}: data after IEA")
        if st is not None and segment.tag not in _ENVELOPE_TAGS:
            count += 1
            content.feed(segment)
        elif segment.tag == "ST":
            if group is None:
                raise AsnError(f"{segment.where}: ST outside a GS group")
            if st is not None:
                raise AsnError(
                    f"{segment.where}: ST before the SE of the previous set")
            if sets:
                raise AsnError(
                    f"{segment.where}: the interchange holds more than one "
                    f"transaction set; send one 856 per file")
            if segment[1] != "856":
                raise AsnError(
                    f"{segment.where}: transaction set {show(segment[1])} "
                    f"is not an 856 ship notice")
            st, count = segment, 1
            content.st = segment
        elif segment.tag == "SE":
            if st is None:
                raise AsnError(f"{segment.where}: SE without ST")
            _check_count(segment, count + 1, "segments from ST to SE")
            _check_control(segment, st[2], "ST02")
            content.finish()
            sets += 1
            group_sets += 1
            st = None
        elif st is not None:
            raise AsnError(
                f"{WHAT}: truncated: transaction set {st[2]!r} ({st.where}) "
                f"has no SE before segment {segment.number} ({segment.tag})")
        elif segment.tag == "GS":
            if group is not None:
                raise AsnError(f"{segment.where}: GS inside a group")
            if segment[1] != "SH":
                raise AsnError(
                    f"{segment.where}: functional group {show(segment[1])} "
                    f"is not SH (ship notice)")
            group, group_sets = segment, 0
            groups += 1
        elif segment.tag == "GE":
            if group is None:
                raise AsnError(f"{segment.where}: GE without GS")
            _check_count(segment, group_sets, "transaction sets in the group")
            _check_control(segment, group[6], "GS06")
            group = None
        elif segment.tag == "IEA":
            iea = segment
        else:
            raise AsnError(
                f"{segment.where}: segment outside a transaction set")
    if st is not None:
        raise AsnError(
            f"{WHAT}: truncated: transaction set {st[2]!r} has no SE")
    if group is not None:
        raise AsnError(f"{WHAT}: truncated: group without GE")
    if iea is None:
        raise AsnError(f"{WHAT}: truncated: the interchange has no IEA")
    _check_count(iea, groups, "functional groups")
    _check_control(iea, isa[13].strip(), "ISA13")
    if not sets:
        raise AsnError(f"{WHAT}: the interchange holds no transaction set")


def _check_count(segment: _Segment, actual: int, what: str) -> None:
    declared = segment[1]
    if not (declared.isascii() and declared.isdigit()
            and int(declared) == actual):
        raise AsnError(
            f"{segment.where}: {segment.tag}01 count {show(declared)} but "
            f"there are {actual} {what}")


def _check_control(segment: _Segment, expected: str, opener: str) -> None:
    number = segment[2].strip()
    same = number == expected or (
        number.isdigit() and expected.isdigit()
        and int(number) == int(expected))
    if not same:
        raise AsnError(
            f"{segment.where}: {segment.tag}02 control number {show(number)} "
            f"does not match {opener} {show(expected)}")


# --- transaction set content -------------------------------------------------

@dataclass(frozen=True)
class _Level:
    code: str
    parent: str
    item: LineDraft | None  # the item this level is, or is below


class _Content:
    "What the transaction set says, collected segment by segment"

    def __init__(self) -> None:
        self.st: _Segment | None = None
        self.number: str | None = None
        self.despatch: datetime.datetime | None = None
        self.references: list[str] = []
        self.parties: dict[str, tuple[str | None, str | None]] = {}
        self.ssccs: list[str] = []
        self.drafts: list[LineDraft] = []
        self.levels: dict[str, _Level] = {}
        self.level: _Level | None = None
        self.lin_ids: dict[int, str] = {}  # id(draft) -> LIN01
        self.hl_count = 0
        self.quantity_total = Decimal(0)
        self.ctt: _Segment | None = None

    def feed(self, segment: _Segment) -> None:
        handler = self.HANDLERS.get(segment.tag)
        if handler is not None:
            handler(self, segment)

    def _bsn(self, segment: _Segment) -> None:
        self.number = segment[2]

    def _dtm(self, segment: _Segment) -> None:
        if segment[1] == "011" and self.despatch is None:
            self.despatch = _dtm(segment)

    def _n1(self, segment: _Segment) -> None:
        self.parties.setdefault(segment[1], _n1(segment))

    def _hl(self, segment: _Segment) -> None:
        self.hl_count += 1
        self.level = _hl(segment, self.levels, self.drafts)

    def _prf(self, segment: _Segment) -> None:
        if segment[1]:
            self.references.append(segment[1])

    def _man(self, segment: _Segment) -> None:
        _man(segment, self.level, self.ssccs)

    def _lin(self, segment: _Segment) -> None:
        _lin(segment, _item(segment, self.level), self.references,
            self.lin_ids)

    def _sn1(self, segment: _Segment) -> None:
        self.quantity_total += _sn1(segment, _item(segment, self.level))

    def _ref(self, segment: _Segment) -> None:
        if segment[1] not in ("SE", "LT"):
            return
        item = _item(segment, self.level)
        if not segment[2]:
            raise AsnError(f"{segment.where}: REF*{segment[1]} is empty")
        (item.serials if segment[1] == "SE" else item.lots).append(segment[2])

    def _ctt(self, segment: _Segment) -> None:
        self.ctt = segment

    HANDLERS = {
        "BSN": _bsn, "DTM": _dtm, "N1": _n1, "HL": _hl, "PRF": _prf,
        "MAN": _man, "LIN": _lin, "SN1": _sn1, "REF": _ref, "CTT": _ctt,
    }

    def finish(self) -> None:
        "Checks at SE: every item has a LIN, CTT counts"
        for draft in self.drafts:
            if id(draft) not in self.lin_ids:
                raise AsnError(f"{draft.where}: item level without LIN")
            if draft.order_line is None:
                draft.order_line = self.lin_ids[id(draft)] or None
        _check_ctt(self.ctt, self.hl_count, self.quantity_total)

    def notice(self) -> AdvanceShipNotice:
        supplier = next(
            (self.parties[code] for code in SUPPLIER_QUALIFIERS
                if code in self.parties),
            (None, None))
        ship_to = self.parties.get("ST", (None, None))
        return build_notice(
            "x12-856", self.number, where=self.st.where,
            despatch_datetime=self.despatch,
            order_references=self.references,
            supplier_gln=supplier[0], supplier_name=supplier[1],
            ship_to_gln=ship_to[0], sscc=self.ssccs, lines=self.drafts)


def _dtm(segment: _Segment) -> datetime.datetime:
    date, time = segment[2], segment[3]
    patterns = {0: "", 4: "%H%M", 6: "%H%M%S", 7: "%H%M%S", 8: "%H%M%S"}
    if len(time) not in patterns:
        raise AsnError(f"{segment.where}: invalid time {show(time)}")
    pattern = "%Y%m%d" + patterns[len(time)]
    value = date + time[:6]
    try:
        moment = datetime.datetime.strptime(value, pattern)
    except ValueError:
        raise AsnError(
            f"{segment.where}: invalid date/time {show(date)} "
            f"{show(time)}") from None
    fraction = time[6:]
    if moment.strftime(pattern) != value or (
            fraction and not fraction.isdigit()):
        raise AsnError(
            f"{segment.where}: invalid date/time {show(date)} {show(time)}")
    return moment


def _n1(segment: _Segment) -> tuple[str | None, str | None]:
    gln = None
    if segment[3] == "UL":
        gln = check_gln(segment[4], segment.where)
    return gln, segment[2] or None


def _hl(segment: _Segment, levels: dict[str, _Level],
        drafts: list[LineDraft]) -> _Level:
    identifier, parent, code = segment[1], segment[2], segment[3]
    if not identifier:
        raise AsnError(f"{segment.where}: HL without id")
    if identifier in levels:
        raise AsnError(f"{segment.where}: HL id {identifier!r} used twice")
    if code not in HL_LEVELS:
        raise AsnError(
            f"{segment.where}: unknown HL level code {show(code)} (expected "
            f"{', '.join(HL_LEVELS)})")
    if parent and parent not in levels:
        raise AsnError(
            f"{segment.where}: HL {identifier!r} refers to unknown parent "
            f"{parent!r}")
    item = levels[parent].item if parent else None
    if code == "I":
        item = LineDraft(line=identifier, where=segment.where)
        drafts.append(item)
    level = _Level(code, parent, item)
    levels[identifier] = level
    return level


def _item(segment: _Segment, level: _Level | None) -> LineDraft:
    if level is None or level.item is None:
        raise AsnError(
            f"{segment.where}: {segment.tag} outside an item (HL level I)")
    return level.item


def _man(segment: _Segment, level: _Level | None,
        ssccs: list[str]) -> None:
    for qualifier, value in ((segment[1], segment[2]),
            (segment[4], segment[5])):
        if qualifier in MAN_SSCC:
            ssccs.append(check_sscc(value, segment.where, ai_prefix=True))
        elif qualifier == "AI":
            _man_ai(segment, value, level, ssccs)


def _man_ai(segment: _Segment, value: str, level: _Level | None,
        ssccs: list[str]) -> None:
    match = re.fullmatch(r"\(?([0-9]{2})\)?(.+)", value)
    kind = MAN_AI.get(match.group(1)) if match else None
    if kind is None:
        raise AsnError(
            f"{segment.where}: MAN*AI data {show(value)} is not AI 00, 21 "
            f"or 10 followed by its value")
    if kind == "sscc":
        ssccs.append(check_sscc(match.group(2), segment.where))
        return
    item = _item(segment, level)
    (item.serials if kind == "serial" else item.lots).append(match.group(2))


def _lin(segment: _Segment, item: LineDraft, references: list[str],
        lin_ids: dict[int, str]) -> None:
    if id(item) in lin_ids:
        raise AsnError(f"{segment.where}: a second LIN for item {item.line!r}")
    lin_ids[id(item)] = segment[1]
    elements = segment.elements[1:]
    if len(elements) % 2:
        elements += ("",)
    for index in range(0, len(elements), 2):
        qualifier, value = elements[index], elements[index + 1]
        if not qualifier and not value:
            continue
        if not value:
            raise AsnError(
                f"{segment.where}: LIN qualifier {show(qualifier)} without "
                f"a value")
        if qualifier in LIN_GTIN:
            gtin = check_gtin(value, segment.where)
            if item.gtin not in (None, gtin):
                raise AsnError(
                    f"{segment.where}: two different GTINs {item.gtin} and "
                    f"{gtin}")
            item.gtin = gtin
        elif qualifier in LIN_SUPPLIER:
            item.supplier_code = item.supplier_code or value
        elif qualifier in LIN_SERIAL:
            item.serials.append(value)
        elif qualifier in LIN_LOT:
            item.lots.append(value)
        elif qualifier in LIN_ORDER:
            references.append(value)
        elif qualifier in LIN_ORDER_LINE:
            item.order_line = value
        elif qualifier not in LIN_IGNORED:
            raise AsnError(
                f"{segment.where}: unknown product/service id qualifier "
                f"{show(qualifier)}")


def _sn1(segment: _Segment, item: LineDraft) -> Decimal:
    if item.quantity is not None:
        raise AsnError(f"{segment.where}: a second SN1 for item {item.line!r}")
    item.quantity = parse_quantity(segment[2], segment.where)
    item.unit = segment[3] or None
    return item.quantity


def _check_ctt(ctt: _Segment | None, hl_count: int, total: Decimal) -> None:
    if ctt is None:
        return
    _check_count(ctt, hl_count, "HL segments")
    if ctt[2]:
        declared = parse_quantity(ctt[2], ctt.where)
        if declared != total:
            raise AsnError(
                f"{ctt.where}: CTT02 hash total {show(ctt[2])} but the SN102 "
                f"quantities add up to {total.normalize():f}")
