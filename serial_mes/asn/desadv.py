# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""UN/EDIFACT DESADV (EANCOM 97 D96A, EANCOM 2002 D01B) with serial numbers.

pydifact 0.2.3 splits the text into segments: only its Tokenizer and
Parser.convert_tokens_to_raw_segments are used.  Parser.parse is avoided:
it warns on every service segment (the wheel lacks the definitions it
validates against), reads the UNB syntax identifier by string indexing
(UNB+UNOC+... gives "U"/"N"; an empty UNB raises IndexError), and takes an
escaped ``?'UNA`` inside text for a UNA.  UNA, the character set, release
characters and truncation are handled here before tokenizing, because
pydifact accepts a release character before any character, cannot express
"no release character", and silently drops a last segment that ends in a
separator.  Its tokenizer works character by character in Python (about
0.3 to 1 MB/s), so a DESADV near MAX_SIZE takes a minute or more; the
segments are streamed, not kept, so memory stays small.

Character set
-------------
The UNB syntax identifier decides how the bytes are decoded: UNOA and UNOB
as ASCII (the level A/B character restrictions are not enforced), UNOC as
ISO 8859-1, UNOD-UNOK as ISO 8859-2/5/7/3/4/6/8/9, UNOW and UNOY as UTF-8.
Other identifiers (UNOX with code extension, national ones) are refused, as
are bytes the character set cannot decode.

Service characters
------------------
UNA is honoured (a space as release character means "none").  The release
character may only precede a service character (component, element and
segment separators, the release character itself and, in syntax version 4,
the repetition separator); anything else, or a release character at the very
end, is refused.  A service character may not be CR, LF or space, nor
appear twice in UNA.

Envelope
--------
UNB ... UNZ with optional UNG ... UNE groups; exactly one message, of type
DESADV directory D.96A or D.01B.  UNT must count the message's segments
(UNH and UNT included) and repeat the UNH reference; UNE and UNZ must count
messages (UNZ: groups when there are groups) and repeat the UNG/UNB
references.  Data that does not end with a segment terminator, or lacks
UNT/UNZ, is reported as truncated.

Content read
------------
* ``BGM+351+number`` (another document code is refused), ``DTM+11``
  (despatch date/time; formats 102, 203 and 204, others refused; a date
  alone gives midnight, no time zone),
  ``RFF+ON`` (purchase order; after LIN its third component is the order
  line), ``NAD+SU`` (supplier), ``NAD+DP`` or else ``NAD+ST`` (ship-to).
  A NAD party id is a GLN (checked) when its agency is 9, or when the agency
  is missing and the id is 13 digits; the name is the C080 party name,
  else the C058 name-and-address text.
* ``CPS``/``PAC``/``PCI``: packaging levels; ``GIN+BJ`` anywhere gives
  SSCCs (ranges of SSCCs are expanded with their check digits).
* ``LIN+n++gtin:SRV`` (also ``EN`` and ``UP``; another item type is
  refused), ``PIA+1|5+code:SA`` (supplier article number; other types are
  ignored), ``QTY+12`` (despatched quantity, '.' or ',' as decimal mark
  whatever UNA says; other qualifiers are ignored).
* ``GIN`` after a LIN: ``BN`` (serial number; ``SN`` is accepted as a
  synonym) and ``BX`` (batch/lot).  C208 ``first:last`` is an inclusive
  range, expanded keeping prefix and width; at most five C208 per GIN.
  Another GIN qualifier, serials or lots at package level (before the CPS's
  first LIN), and lot ranges are refused.
* ``CNT+2`` (number of line items) is checked when present.
Other segments are ignored.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pydifact.control import Characters
from pydifact.exceptions import EDISyntaxError
from pydifact.parser import Parser
from pydifact.tokenizer import Tokenizer

from serial_mes.gs1 import gtin_check_digit

from .common import (
    MAX_RANGE, MAX_SERIALS, AdvanceShipNotice, AsnError, LineDraft,
    build_notice, check_gln, check_gtin, check_sscc, expand_range,
    parse_quantity, show)

__all__ = ["parse"]

WHAT = "EDIFACT"

SYNTAX_CHARSETS = {
    "UNOA": "ascii", "UNOB": "ascii", "UNOC": "latin_1",
    "UNOD": "iso8859_2", "UNOE": "iso8859_5", "UNOF": "iso8859_7",
    "UNOG": "iso8859_3", "UNOH": "iso8859_4", "UNOI": "iso8859_6",
    "UNOJ": "iso8859_8", "UNOK": "iso8859_9", "UNOW": "utf_8",
    "UNOY": "utf_8",
}
DIRECTORIES = {("D", "96A"): "D96A", ("D", "01B"): "D01B"}
DTM_FORMATS = {"102": "%Y%m%d", "203": "%Y%m%d%H%M", "204": "%Y%m%d%H%M%S"}
LIN_GTIN_TYPES = frozenset({"SRV", "EN", "UP"})
GIN_KINDS = {"BN": "serial", "SN": "serial", "BX": "lot", "BJ": "sscc"}
GIN_MAX_RANGES = 5
DEFAULT_UNA = ":+.? '"
# pydifact always has a release character; this one cannot be in the text
# when the interchange declares none (checked).
_NO_RELEASE = "\uffff"
_FORBIDDEN_SERVICE = frozenset("\r\n")
_SERVICE_TAGS = frozenset({"UNH", "UNT", "UNG", "UNE", "UNZ", "UNB"})
_TAG = re.compile("[A-Z][A-Z0-9]{2}")


@dataclass(frozen=True)
class _Service:
    component: str
    element: str
    decimal: str
    release: str | None
    repetition: str | None
    terminator: str


@dataclass(frozen=True, slots=True)
class _Segment:
    number: int  # 1 = UNB
    tag: str
    elements: tuple

    @property
    def where(self) -> str:
        return f"segment {self.number} ({self.tag})"

    def element(self, index: int):
        return self.elements[index] if index < len(self.elements) else ""

    def component(self, index: int, sub: int = 0) -> str:
        return _component(self.element(index), sub)


def _component(element, sub: int = 0) -> str:
    if isinstance(element, list):
        return element[sub] if sub < len(element) else ""
    return element if sub == 0 else ""


def parse(data: bytes) -> AdvanceShipNotice:
    text, service = _decode(data)
    _check_release(text, service)
    content = _Content()
    _interchange(_segments(text, service), content)
    return content.notice()


# --- characters --------------------------------------------------------------

def _decode(data: bytes) -> tuple[str, _Service]:
    head = data[:600].decode("latin_1")
    if head.startswith("UNA"):
        if len(head) < 9:
            raise AsnError(f"{WHAT}: truncated UNA service string advice")
        una, offset = head[3:9], 9
    else:
        una, offset = DEFAULT_UNA, 0
    while data[offset:offset + 1] in (b"\r", b"\n"):
        offset += 1
    component, element, decimal, release, reserved, terminator = una
    if len(set(una[:2] + una[3] + una[5])) != 4 or \
            _FORBIDDEN_SERVICE & set(una) or " " in una[:2] + una[5]:
        raise AsnError(
            f"{WHAT}: UNA service characters {una!r} are not usable (they "
            f"must differ and must not be CR, LF or space)")
    header = head[offset:]
    if not header.startswith("UNB" + element):
        raise AsnError(
            f"{WHAT}: the interchange must start with UNB (after an optional "
            f"UNA)")
    syntax = header[4:].split(element, 1)[0]
    identifier, _, version = syntax.partition(component)
    codec = SYNTAX_CHARSETS.get(identifier)
    if codec is None:
        raise AsnError(
            f"{WHAT}: UNB syntax identifier {show(identifier)} is not "
            f"supported (UNOA-UNOK, UNOW, UNOY)")
    if version not in ("1", "2", "3", "4"):
        raise AsnError(
            f"{WHAT}: UNB syntax version {show(version)} is not 1 to 4")
    try:
        text = data[offset:].decode(codec)
    except UnicodeDecodeError as error:
        position = offset + error.start
        raise AsnError(
            f"{WHAT}: byte 0x{data[position]:02x} at offset {position} is "
            f"not valid {identifier} ({codec.replace('_', '-')})") from None
    if release == " ":
        release = None
    elif _NO_RELEASE in text:
        raise AsnError(f"{WHAT}: character U+FFFF is not allowed")
    repetition = reserved if version == "4" and reserved != " " else None
    return text, _Service(
        component, element, decimal, release, repetition, terminator)


def _check_release(text: str, service: _Service) -> None:
    "Refuse a release character that does not release a service character"
    end = text.rstrip("\r\n ")
    if service.release is None:
        if not end.endswith(service.terminator):
            _truncated(text, service)
        return
    allowed = {
        service.component, service.element, service.terminator,
        service.release, service.repetition} - {None}
    pattern = re.compile(re.escape(service.release) + "(.?)", re.S)
    for match in pattern.finditer(text):
        released = match.group(1)
        if released not in allowed:
            segment = _segment_number(text, match.start(), service)
            if not released or not text[match.end():].strip("\r\n "):
                what = "ends the data"
            else:
                what = f"is followed by {released!r}"
            raise AsnError(
                f"{WHAT}: segment {segment}: release character "
                f"{service.release!r} {what}; it may only precede "
                f"{''.join(sorted(allowed))!r}")
    if not end.endswith(service.terminator):
        _truncated(text, service)
    before = end[:-1]
    releases = len(before) - len(before.rstrip(service.release))
    if releases % 2:
        _truncated(text, service)


def _truncated(text: str, service: _Service):
    segment = _segment_number(text, len(text), service)
    raise AsnError(
        f"{WHAT}: truncated: the data ends inside segment {segment}, "
        f"without a segment terminator")


def _segment_number(text: str, position: int, service: _Service) -> int:
    terminator = re.escape(service.terminator)
    if service.release is None:
        pattern = terminator
    else:
        release = re.escape(service.release)
        pattern = f"(?<!{release}){terminator}"
    return sum(1 for _ in re.finditer(pattern, text[:position])) + 1


# --- segments ----------------------------------------------------------------

def _segments(text: str, service: _Service) -> Iterator[_Segment]:
    "The segments, one at a time (the interchange is never held as a list)"
    characters = Characters(
        component_separator=service.component,
        data_separator=service.element,
        decimal_point=service.decimal,
        escape_character=service.release or _NO_RELEASE,
        segment_terminator=service.terminator)
    tokens = Tokenizer().get_tokens(text, characters)
    number = 0
    try:
        for raw in Parser().convert_tokens_to_raw_segments(tokens):
            number += 1
            tag = raw[0]
            if not isinstance(tag, str) or not _TAG.fullmatch(tag):
                raise AsnError(
                    f"{WHAT}: segment {number}: invalid segment tag "
                    f"{show(str(tag))}")
            yield _Segment(number, tag, tuple(raw[1:]))
    except EDISyntaxError as error:
        raise AsnError(
            f"{WHAT}: truncated or malformed after segment {number}: "
            f"{str(error).removeprefix('EDIFACT Syntax Error: ')}") from None


def _interchange(segments: Iterator[_Segment], content: _Content) -> None:
    """Check UNB/UNG/UNH/UNT/UNE/UNZ; feed the message body to content.

    Exactly one message is allowed.
    """
    unb = next(segments, None)
    if unb is None:
        raise AsnError(f"{WHAT}: no segments")
    if unb.tag != "UNB":
        raise AsnError(
            f"{WHAT}: {unb.where}: the interchange must start with UNB")
    messages = groups = group_messages = 0
    group: _Segment | None = None
    unh: _Segment | None = None
    count = 0
    unz = None
    for segment in segments:
        if unz is not None:
            raise AsnError(f"{WHAT}: {segment.where}: data after UNZ")
        if unh is not None and segment.tag not in _SERVICE_TAGS:
            count += 1
            content.feed(segment)
        elif segment.tag == "UNH":
            if unh is not None:
                raise AsnError(
                    f"{WHAT}: {segment.where}: UNH before the UNT of message "
                    f"{unh.component(0)!r}")
            if messages:
                raise AsnError(
                    f"{WHAT}: {segment.where}: the interchange holds more "
                    f"than one message; send one DESADV per file")
            _check_unh(segment)
            unh, count = segment, 1
            content.unh = segment
        elif segment.tag == "UNT":
            if unh is None:
                raise AsnError(f"{WHAT}: {segment.where}: UNT without UNH")
            _check_count(segment, count + 1, "segments (UNH to UNT)")
            _check_reference(segment, unh.component(0), "UNH")
            messages += 1
            group_messages += 1
            unh = None
        elif unh is not None:
            raise AsnError(
                f"{WHAT}: truncated: message {unh.component(0)!r} "
                f"({unh.where}) has no UNT before {segment.where}")
        elif segment.tag == "UNG":
            if group is not None:
                raise AsnError(f"{WHAT}: {segment.where}: UNG inside a group")
            group, group_messages = segment, 0
            groups += 1
        elif segment.tag == "UNE":
            if group is None:
                raise AsnError(f"{WHAT}: {segment.where}: UNE without UNG")
            _check_count(segment, group_messages, "messages in the group")
            _check_reference(segment, group.component(4), "UNG")
            group = None
        elif segment.tag == "UNZ":
            unz = segment
        else:
            raise AsnError(
                f"{WHAT}: {segment.where}: segment outside a message")
    if unh is not None:
        raise AsnError(
            f"{WHAT}: truncated: message {unh.component(0)!r} ({unh.where}) "
            f"has no UNT")
    if group is not None:
        raise AsnError(f"{WHAT}: truncated: group without UNE")
    if unz is None:
        raise AsnError(f"{WHAT}: truncated: the interchange has no UNZ")
    _check_count(
        unz, groups or messages, "groups" if groups else "messages")
    _check_reference(unz, unb.component(4), "UNB")
    if not messages:
        raise AsnError(f"{WHAT}: the interchange holds no message")


def _check_unh(unh: _Segment) -> None:
    kind = unh.element(1)
    name, version, release = (_component(kind, i) for i in range(3))
    if name != "DESADV":
        raise AsnError(
            f"{WHAT}: {unh.where}: message type {show(name)} is not DESADV")
    if (version, release) not in DIRECTORIES:
        raise AsnError(
            f"{WHAT}: {unh.where}: DESADV directory {version}:{release} is "
            f"not supported (D:96A, D:01B)")


def _check_count(segment: _Segment, actual: int, what: str) -> None:
    declared = segment.component(0)
    if not (declared.isascii() and declared.isdigit()
            and int(declared) == actual):
        raise AsnError(
            f"{WHAT}: {segment.where}: {segment.tag} count {show(declared)} "
            f"but there are {actual} {what}")


def _check_reference(segment: _Segment, expected: str, opener: str) -> None:
    reference = segment.component(1)
    if reference != expected:
        raise AsnError(
            f"{WHAT}: {segment.where}: {segment.tag} reference "
            f"{show(reference)} does not match {opener} reference "
            f"{show(expected)}")


# --- message content ---------------------------------------------------------

class _Content:
    "What the message says, collected segment by segment"

    def __init__(self) -> None:
        self.unh: _Segment | None = None
        self.number: str | None = None
        self.despatch: datetime.datetime | None = None
        self.references: list[str] = []
        self.parties: dict[str, tuple[str | None, str | None]] = {}
        self.ssccs: list[str] = []
        self.drafts: list[LineDraft] = []
        self.line: LineDraft | None = None
        self.serial_total = 0
        self.lin_count = 0
        self.summary = False

    def feed(self, segment: _Segment) -> None:
        handler = self.HANDLERS.get(segment.tag)
        if handler is not None:
            handler(self, segment)

    def _bgm(self, segment: _Segment) -> None:
        self.number = _bgm(segment)

    def _dtm(self, segment: _Segment) -> None:
        if self.line is None:
            self.despatch = _dtm(segment) or self.despatch

    def _rff(self, segment: _Segment) -> None:
        if segment.component(0, 0) == "ON":
            self.references.append(segment.component(0, 1))
            if self.line is not None and segment.component(0, 2):
                self.line.order_line = segment.component(0, 2)

    def _nad(self, segment: _Segment) -> None:
        self.parties.setdefault(segment.component(0), _nad(segment))

    def _cps(self, segment: _Segment) -> None:
        self.line = None

    def _lin(self, segment: _Segment) -> None:
        if self.summary:
            raise AsnError(f"{WHAT}: {segment.where}: LIN after UNS")
        self.line = _lin(segment)
        self.drafts.append(self.line)
        self.lin_count += 1

    def _pia(self, segment: _Segment) -> None:
        if self.line is not None:
            _pia(segment, self.line)

    def _qty(self, segment: _Segment) -> None:
        if self.line is not None:
            _qty(segment, self.line)

    def _gin(self, segment: _Segment) -> None:
        self.serial_total += _gin(segment, self.line, self.ssccs)
        if self.serial_total > MAX_SERIALS:
            raise AsnError(
                f"{WHAT}: {segment.where}: more than {MAX_SERIALS} serial "
                f"numbers in one ASN")

    def _uns(self, segment: _Segment) -> None:
        self.line, self.summary = None, True

    def _cnt(self, segment: _Segment) -> None:
        if segment.component(0, 0) == "2" and \
                segment.component(0, 1) != str(self.lin_count):
            raise AsnError(
                f"{WHAT}: {segment.where}: CNT+2 says "
                f"{show(segment.component(0, 1))} line items but there are "
                f"{self.lin_count} LIN segments")

    HANDLERS = {
        "BGM": _bgm, "DTM": _dtm, "RFF": _rff, "NAD": _nad, "CPS": _cps,
        "LIN": _lin, "PIA": _pia, "QTY": _qty, "GIN": _gin, "UNS": _uns,
        "CNT": _cnt,
    }

    def notice(self) -> AdvanceShipNotice:
        supplier_gln, supplier_name = self.parties.get("SU", (None, None))
        ship_to = self.parties.get("DP") or self.parties.get("ST") \
            or (None, None)
        return build_notice(
            "desadv", self.number, where=f"{WHAT}: {self.unh.where}",
            despatch_datetime=self.despatch,
            order_references=self.references,
            supplier_gln=supplier_gln, supplier_name=supplier_name,
            ship_to_gln=ship_to[0], sscc=self.ssccs, lines=self.drafts)


def _bgm(segment: _Segment) -> str:
    code = segment.component(0)
    if code != "351":
        raise AsnError(
            f"{WHAT}: {segment.where}: document code {show(code)} is not 351 "
            f"(despatch advice)")
    return segment.component(1)


def _dtm(segment: _Segment) -> datetime.datetime | None:
    qualifier, value, code = (segment.component(0, i) for i in range(3))
    if qualifier != "11":
        return None
    pattern = DTM_FORMATS.get(code)
    if pattern is None:
        raise AsnError(
            f"{WHAT}: {segment.where}: DTM+11 format code {show(code)} is not "
            f"supported ({', '.join(DTM_FORMATS)})")
    try:
        moment = datetime.datetime.strptime(value, pattern)
    except ValueError:
        raise AsnError(
            f"{WHAT}: {segment.where}: {show(value)} is not a date of format "
            f"{code}") from None
    if moment.strftime(pattern) != value:
        raise AsnError(
            f"{WHAT}: {segment.where}: {show(value)} is not a date of format "
            f"{code}")
    return moment


def _nad(segment: _Segment) -> tuple[str | None, str | None]:
    identifier = segment.component(1, 0)
    agency = segment.component(1, 2)
    gln = None
    if identifier and (agency == "9" or (
            not agency and len(identifier) == 13 and identifier.isdigit())):
        gln = check_gln(identifier, f"{WHAT}: {segment.where}")
    names = segment.element(3) or segment.element(2)
    parts = names if isinstance(names, list) else [names]
    name = " ".join(part for part in parts[:5] if part) or None
    return gln, name


def _lin(segment: _Segment) -> LineDraft:
    draft = LineDraft(
        line=segment.component(0), where=f"{WHAT}: {segment.where}")
    item, kind = segment.component(2, 0), segment.component(2, 1)
    if item:
        if kind not in LIN_GTIN_TYPES:
            raise AsnError(
                f"{WHAT}: {segment.where}: unknown item type qualifier "
                f"{show(kind)} (expected {', '.join(sorted(LIN_GTIN_TYPES))})")
        draft.gtin = check_gtin(item, f"{WHAT}: {segment.where}")
    return draft


def _pia(segment: _Segment, line: LineDraft) -> None:
    for element in segment.elements[1:]:
        if _component(element, 1) == "SA" and not line.supplier_code:
            line.supplier_code = _component(element, 0)


def _qty(segment: _Segment, line: LineDraft) -> None:
    if segment.component(0, 0) != "12":
        return
    if line.quantity is not None:
        raise AsnError(
            f"{WHAT}: {segment.where}: a second QTY+12 for line {line.line!r}")
    line.quantity = parse_quantity(
        segment.component(0, 1), f"{WHAT}: {segment.where}")
    line.unit = segment.component(0, 2) or None


def _gin(segment: _Segment, line: LineDraft | None, ssccs: list[str]) -> int:
    "Read one GIN; return the number of serials added"
    where = f"{WHAT}: {segment.where}"
    qualifier = segment.component(0)
    kind = GIN_KINDS.get(qualifier)
    if kind is None:
        raise AsnError(
            f"{where}: unknown GIN qualifier {show(qualifier)} (expected "
            f"{', '.join(GIN_KINDS)})")
    ranges = [element for element in segment.elements[1:] if element != ""]
    if not ranges:
        raise AsnError(f"{where}: GIN without identity number")
    if len(segment.elements) - 1 > GIN_MAX_RANGES:
        raise AsnError(
            f"{where}: {len(segment.elements) - 1} identity number "
            f"composites, at most {GIN_MAX_RANGES}")
    if line is None and kind != "sscc":
        raise AsnError(
            f"{where}: GIN+{qualifier} at package level; serial and batch "
            f"numbers must follow the LIN they belong to")
    added = 0
    for element in ranges:
        if isinstance(element, list) and len(element) > 2:
            raise AsnError(
                f"{where}: identity number range with {len(element)} parts")
        first, last = _component(element, 0), _component(element, 1)
        if not first:
            raise AsnError(f"{where}: range without its first number")
        if kind == "sscc":
            ssccs.extend(_sscc_range(first, last or first, where))
        elif kind == "lot":
            if last and last != first:
                raise AsnError(f"{where}: a batch number cannot be a range")
            line.lots.append(first)
        else:
            serials = expand_range(first, last or first, where)
            line.serials.extend(serials)
            added += len(serials)
    return added


def _sscc_range(first: str, last: str, where: str) -> list[str]:
    first, last = check_sscc(first, where), check_sscc(last, where)
    start, end = int(first[:-1]), int(last[:-1])
    if end < start:
        raise AsnError(f"{where}: SSCC range {first} to {last} is reversed")
    if end - start + 1 > MAX_RANGE:
        raise AsnError(
            f"{where}: SSCC range {first} to {last} holds more than "
            f"{MAX_RANGE} values")
    bodies = (f"{number:017d}" for number in range(start, end + 1))
    return [body + gtin_check_digit(body) for body in bodies]
