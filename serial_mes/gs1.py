# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Strict parsing of GS1 barcode data, without Tryton.

`parse_barcode` takes what a scanner or a person gives and returns a
`Barcode`, or raises `BarcodeError` with a one-line reason naming the AI and
the offending value.  Nothing else escapes it.

Accepted forms
--------------
* Scanner output with a GS1 symbology identifier: ``]C1`` (GS1-128), ``]d2``
  (GS1 DataMatrix), ``]Q3`` (GS1 QR Code), ``]e0`` (GS1 DataBar), ``]J1``
  (GS1 DotCode).  FNC1 separators arrive as GS (ASCII 29).
* EAN/UPC scanner output (``]E0`` with 12/13 digits, ``]E4`` with 8 digits):
  a GTIN, returned as kind ``gs1`` with AI (01).
* Raw element strings without identifier (see "Raw data" below).
* The bracketed human-readable form ``(01)09506000134352(21)ABC``; white
  space around elements is ignored.  A ``(`` inside a value that would look
  like an AI, ``(nn)`` .. ``(nnnn)``, is written ``\\(`` (the GS1 Barcode
  Syntax Engine's escape); other parentheses are plain data.
* GS1 Digital Link URIs (http or https, any domain, any stem before the
  primary key), bare or behind any non-GS1 identifier such as ``]Q1``/``]d1``.

Tolerated, by choice
--------------------
* Surrounding spaces, tabs, CR and LF (GS is never stripped as white space).
* One leading GS: some readers send FNC1 in first position as GS instead of
  dropping it (the GS1 Syntax Engine refuses this; biip accepts it).  Two
  leading GS are an empty field and are refused.
* One GS after a predefined-length field, and one trailing GS.

Refused
-------
* Two GS in a row (empty field), unknown AIs, values of the wrong length or
  characters (CSET 82 for X fields, digits for N fields, CSET 39 for Y),
  wrong check digits (00, 01, 02, 03, 253, 255, 402, 410-417, 8003, 8006,
  8017, 8018, 8026), invalid dates and times (day 00 only where the GS1
  Syntax Dictionary allows it: 11, 12, 13, 15, 16, 17, 4324, 4325; two-digit
  years use the GS1 sliding century window relative to ``today``), an AI
  repeated with another value (the same value repeated is kept once), and
  broken AI associations (every ``req=``/``ex=`` of the GS1 Syntax
  Dictionary, the mandatory and invalid pairings of the GS1 General
  Specifications: (37) needs (00) and also (02) or (8026), for example).
* Digital Link: key qualifiers out of order or a non-qualifier AI in the
  path, a query AI that belongs in the path (one that, inserted among the
  path's AIs, would make a valid key-qualifier sequence, as the GS1 Syntax
  Engine decides: ``/01/…/21/…?10=…`` is refused, ``/01/…/235/…?10=…`` is
  not), malformed percent-escapes, white space or control characters.  A
  ``#fragment`` is not part of the identifier (RFC 3986) and is ignored,
  as the GS1 Syntax Engine does.  Values are percent-decoded before
  validation; a
  GTIN-8/12/13 after ``/01/`` is normalised to 14 digits; query parameters
  whose name is not all digits (``linkType`` ...) are ignored.
* Input longer than MAX_INPUT_LENGTH characters, before any other work.

GS1 or plain
------------
Data that is recognisably GS1 is always validated strictly and refused when
broken, even with ``plain=True``: a GS1 symbology identifier, an EAN/UPC
identifier, the bracketed AI form, or an http(s) URI whose path holds a
primary key AI followed by a value that starts like a key (6 digits; 4 for
401/8004/8010/8013), so that https://example.com/2024/01/15/news stays an
ordinary web address.  Other text (a ``]d1``/``]Q1`` payload that is no
Digital Link, a word, ...) is refused as "not GS1 data" unless
``plain=True``, which returns ``Barcode(kind='plain', ais=(), text)``, text
being the input without surrounding white space and symbology identifier.

Raw data (no symbology identifier, not bracketed, not a URI) is GS1 when
1. it contains a GS anywhere, or
2. it starts with a GS1 key AI followed by the key's full numeric part
   (00 + 18 digits, 01/02/03 + 14, 410-417/253/255 + 13, 402 + 17,
   8003 + 14, 8006/8017/8018/8026 + 18, 401/8004/8010/8013 + 4 digits);
   such data is then validated strictly and refused when broken, or
3. it parses as a fully valid element string that contains a GS1
   identification key (the key may come later, AIs are in any order).
Anything else is not GS1 data.  Rule 3 needs a key because nearly every
digit string "starts with an AI" (90-99 take any text, (400) takes an
EAN-13 such as 4006381333931): without it, numeric work-order numbers and
EAN-13 read without identifier would be misread as GS1, or refused.

Building
--------
`element_string` builds the bracketed HRI from (AI, value) pairs after
validating each element; `Barcode.digital_link` gives the canonical Digital
Link (stem https://id.gs1.org, the first primary key of the message, its
qualifiers in the standard's order, every other AI in the query string
sorted by AI, values percent-encoded).

biip (5.2.0) provides the AI table (formats and patterns), the per-element
pattern check with GTIN/SSCC/GLN validation, and the check digit algorithm.
Message splitting, Digital Link splitting and the checks above are done
here, because biip's ``GS1Message.parse`` strips GS as white space and
accepts empty fields and empty messages, its ``parse_hri`` drops text in
parentheses inside values, and ``GS1DigitalLinkURI.parse`` turns ``+`` into a
space, drops ``#...`` silently, keeps the last of repeated query AIs and
keeps malformed percent-escapes; biip also accepts non-ASCII digits for N
fields and does no association or duplicate checks.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from biip import ParseConfig, ParseError
from biip.checksums import gs1_standard_check_digit
# biip publishes its AI table only through GS1ApplicationIdentifier.extract(),
# which scans all entries by prefix; the dict it is built from gives an exact
# lookup by AI code.
from biip.gs1_application_identifiers import _GS1_APPLICATION_IDENTIFIERS
from biip.gs1_element_strings import GS1ElementString

__all__ = [
    "CSET82", "Barcode", "BarcodeError", "GS", "MAX_INPUT_LENGTH",
    "DIGITAL_LINK_STEM", "element_string",
    "gtin_check_digit", "is_cset82", "normalize_gtin", "parse_barcode",
]

GS = "\x1d"
MAX_INPUT_LENGTH = 4096
DIGITAL_LINK_STEM = "https://id.gs1.org"

_AIS = _GS1_APPLICATION_IDENTIFIERS
# Dates are validated here, relative to the caller's reference date.
_BIIP_CONFIG = ParseConfig(gs1_element_strings_verify_date=False)
# Never str.strip(): it also strips GS (and the other C0 separators).
_WHITESPACE = " \t\r\n\f\v"

CSET82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
    "abcdefghijklmnopqrstuvwxyz")
CSET39 = frozenset("#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
CSET64 = frozenset(
    "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
_DIGITS = frozenset("0123456789")
_CHARSETS = {
    "N": (_DIGITS, "only digits are allowed"),
    "X": (CSET82, "not in GS1 CSET 82"),
    "Y": (CSET39, "not in GS1 CSET 39"),
    "Z": (CSET64, "not in GS1 CSET 64"),
    "-": (frozenset("-"), "only '-' is allowed there"),
}

_GS1_SYMBOLOGIES = {
    "]C1": "GS1-128", "]d2": "GS1 DataMatrix", "]Q3": "GS1 QR Code",
    "]e0": "GS1 DataBar", "]J1": "GS1 DotCode",
}
_EAN_SYMBOLOGIES = {"]E0": (12, 13), "]E4": (8,)}
_SYMBOLOGY_ID = re.compile(r"\][A-Za-z][0-9A-Za-z]")
_HRI_AI = re.compile(r"\(([0-9]{2,4})\)")

# Key AIs whose value starts with a check-digit number: (start, end) of it.
_CHECK_DIGIT_SPANS = {
    "00": (0, 18), "01": (0, 14), "02": (0, 14), "03": (0, 14),
    "253": (0, 13), "255": (0, 13), "402": (0, 17),
    **{f"41{n}": (0, 13) for n in range(8)},
    "8003": (1, 14), "8006": (0, 14), "8026": (0, 14),
    "8017": (0, 18), "8018": (0, 18),
}

# Date and time components per AI: (offset, linter), as in the GS1 Syntax
# Dictionary.  A component past the end of an optional part is skipped.
_DATE_COMPONENTS = {
    **{ai: ((0, "yymmd0"),) for ai in ("11", "12", "13", "15", "16", "17")},
    "4324": ((0, "yymmd0"), (6, "hh"), (8, "mi")),
    "4325": ((0, "yymmd0"), (6, "hh"), (8, "mi")),
    "4326": ((0, "yymmdd"),),
    "7003": ((0, "yymmdd"), (6, "hh"), (8, "mi")),
    "7006": ((0, "yymmdd"),),
    "7007": ((0, "yymmdd"), (6, "yymmdd")),
    "7011": ((0, "yymmdd"), (6, "hh"), (8, "mi")),
    "7250": ((0, "yyyymmdd"),),
    "7251": ((0, "yyyymmdd"), (8, "hh"), (10, "mi")),
    "8008": ((0, "yymmdd"), (6, "hh"), (8, "mi"), (10, "ss")),
}
_DATE_WIDTHS = {"yymmd0": 6, "yymmdd": 6, "yyyymmdd": 8, "hh": 2, "mi": 2,
    "ss": 2}
_TIME_LIMITS = {"hh": ("hour", 23), "mi": ("minute", 59), "ss": ("second", 59)}

# Digital Link primary keys and their alternative, ordered qualifier
# sequences ("dlpkey=" in the GS1 Syntax Dictionary).
_DL_QUALIFIERS = {
    "01": (("22", "10", "21"), ("235",)),
    "8006": (("22", "10", "21"),),
    "414": (("254",), ("7040",)),
    "415": (("8020",),),
    "417": (("7040",),),
    "8004": (("7040",),),
    "8010": (("8011",),),
    "8017": (("8019",),),
    "8018": (("8019",),),
    **{ai: () for ai in ("00", "253", "255", "401", "402", "8003", "8013")},
}
# How the value after a primary key starts (GS1 Company Prefix digits) for
# an http(s) URI to count as a Digital Link.
_NUMERIC_KEY = re.compile(r"[0-9]{6}.*", re.S)
_ALPHANUMERIC_KEY = re.compile(r"[0-9]{4}.*", re.S)
_DL_KEY_SHAPES = {
    ai: _ALPHANUMERIC_KEY if ai in ("401", "8004", "8010", "8013")
    else _NUMERIC_KEY
    for ai in _DL_QUALIFIERS}
_IDENTIFICATION_KEYS = frozenset(_DL_QUALIFIERS) | {
    "02", "03", "410", "411", "412", "413", "416", "7023", "8026"}
_RAW_KEY_AT_START = re.compile(
    r"(?:00[0-9]{18}|0[123][0-9]{14}|41[0-7][0-9]{13}|25[35][0-9]{13}"
    r"|402[0-9]{17}|8003[0-9]{14}|80(?:06|17|18|26)[0-9]{18}"
    r"|(?:401|8004|8010|8013)[0-9]{4})")
_URI = re.compile(
    r"(?P<scheme>https?)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)"
    r"(?:\?(?P<query>[^#]*))?(?P<fragment>#.*)?", re.I | re.S)
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_URI_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")

# AI associations from the GS1 Barcode Syntax Dictionary:
# "req=a,b" needs one of a, b (a "+" joins AIs that are needed together;
# several req= must all hold); "ex=" AIs may not be combined with it.  An
# "n" in an AI pattern stands for any digit.  The whole table is tested
# row by row in tests/test_gs1.py; the measure and amount families (31nn-36nn, 39nn) are exclusive within
# their first three digits, see _check_families.
_ASSOCIATION_RULES = """
01                                  ex=02,03,255,37
02                                  req=37 ex=01,03
03                                  ex=01,02,37
10 11 13 15 16                      req=01,02,03,8006,8026
12                                  req=8020
17                                  req=01,02,03,255,8006,8026
20 240 241 242                      req=01,02,8006,8026
21                                  req=01,03,8006 ex=235
22 235 243                          req=01
250                                 req=01,8006 req=21
251                                 req=01,8006
254                                 req=414
255                                 ex=01,02,415,8006,8020,8026
30                                  req=01,02
31nn 32nn 350n 351n 352n 356n 357n  req=01,02
360n 361n 364n 365n 366n            req=01,02
33nn 34nn 353n 354n 355n            req=00,01
362n 363n 367n 368n 369n            req=00,01
37                                  req=00 req=02,8026
390n                                req=255,8020 ex=391n,394n,8111
391n                                req=8020
392n                 req=01 req=30,31nn,32nn,35nn,36nn ex=393n
393n                                req=30,31nn,32nn,35nn,36nn
394n                                req=255 ex=8111
395n                  req=30,31nn,32nn,35nn,36nn ex=392n,393n,8005
403 4300 4301 4302 4304 4305 4306   req=00
4307 4308 4309 4310 4311 4312 4314  req=00
4315 4316 4317 4318 4319 4320 4321  req=00
4322 4323 4324 4325 4326            req=00
4330                                req=00 ex=4331
4332                                req=00 ex=4333
4331 4333                           req=00
4303                                req=4302
4313                                req=4312
415                                 req=8020
420                                 ex=421
421                                 ex=4307
422                                 req=01,02,8006,8026 ex=426
423 424 425                         req=01,02 ex=426
426                                 req=01,02
427                                 req=01,02 req=422
7001                                req=01,02,8006,8026
7002 7003 7005 7006 7007 7008       req=01,02
7009 7010 7011 703n                 req=01,02
7004                                req=01 req=10
7020                                req=01,8006 req=416
7021 7240 8012                      req=01,8006
7022                                req=7021
7041                                req=00
710 711 712 713 714 715 716 8001    req=01
8014 8200                           req=01
723n                                req=01,8004
7241 7242 7256                      req=8017,8018
7250                                req=8018 ex=7251
7251 7252 7257                      req=8018
7253 7254 7255                      req=8017,8018 ex=7256,7259
7258                                req=8018+7259
7259                                req=8018 ex=7256
8005 8008                           req=01,02
8006                                ex=01,37
8007                                req=415
8009                                req=00,01
8011                                req=8010
8017                                ex=8018
8019                                req=8017,8018
8020                                req=415
8026                                req=37 ex=02,8006
8030    req=00,01+21,253,255,8003,8004,8006+21,8010+8011,8017,8018
8111                                req=255
"""
_FAMILY_PREFIXES = ("31", "32", "33", "34", "35", "36", "39")


class BarcodeError(ValueError):
    """Barcode data refused, with a one-line, human-readable reason."""


@dataclass(frozen=True)
class _Rule:
    patterns: tuple[str, ...]
    requires: tuple[tuple[tuple[str, ...], ...], ...]
    excludes: tuple[str, ...]


@dataclass(frozen=True)
class _Component:
    charset: str  # a key of _CHARSETS
    length: int
    variable: bool
    optional: bool


def _load_rules(text: str) -> tuple[_Rule, ...]:
    rules = []
    for line in text.strip().splitlines():
        patterns, requires, excludes = [], [], []
        for token in line.split():
            name, _, values = token.partition("=")
            if name == "req":
                requires.append(tuple(
                    tuple(alternative.split("+"))
                    for alternative in values.split(",")))
            elif name == "ex":
                excludes.extend(values.split(","))
            else:
                patterns.append(token)
        rules.append(_Rule(tuple(patterns), tuple(requires), tuple(excludes)))
    return tuple(rules)


def _parse_format(fmt: str) -> tuple[_Component, ...]:
    "Components of a biip format such as 'N4+N14[+X..16]', AI excluded"
    components = []
    optional = False  # everything after a "[" is optional
    for match in re.finditer(
            r"\[|-|([NXYZ])(\.\.)?(\d+)", fmt.split("+", 1)[1]):
        if match.group(0) == "[":
            optional = True
        elif match.group(0) == "-":
            components.append(_Component("-", 1, False, True))
        else:
            charset, dots, length = match.groups()
            components.append(
                _Component(charset, int(length), bool(dots), optional))
    return tuple(components)


_RULES = _load_rules(_ASSOCIATION_RULES)
_COMPONENTS = {code: _parse_format(ai.format) for code, ai in _AIS.items()}


# --- public helpers ---------------------------------------------------------

def gtin_check_digit(digits: str) -> str:
    "Return the GS1 mod-10 check digit of the data digits (check excluded)"
    if not isinstance(digits, str) or not digits or not _is_digits(digits):
        raise BarcodeError(
            f"check digit: {_show(digits)} is not a string of digits")
    return str(gs1_standard_check_digit(digits))


def normalize_gtin(value: str) -> str:
    "Return a GTIN-8/12/13/14 as 14 digits, after checking it"
    if not isinstance(value, str):
        raise BarcodeError(f"GTIN {_show(value)} must be given as text")
    gtin = value.strip(_WHITESPACE)
    if not _is_digits(gtin) or len(gtin) not in (8, 12, 13, 14):
        raise BarcodeError(
            f"GTIN {_show(value)} must be 8, 12, 13 or 14 digits")
    _check_digit_of("GTIN", gtin)
    return gtin.zfill(14)


def is_cset82(value: str) -> bool:
    "Tell whether value is a non-empty string of GS1 CSET 82 characters"
    return isinstance(value, str) and bool(value) and set(value) <= CSET82


def element_string(ais: Iterable[tuple[str, str]] | Mapping[str, str]) -> str:
    """Build the bracketed HRI form "(01)...(21)..." from (AI, value) pairs.

    Each element is validated (format, check digit, date); a "(" in a value
    that would read as an AI is escaped as "\\(" so that the result parses
    back to the same data.
    """
    pairs = ais.items() if isinstance(ais, Mapping) else ais
    today = datetime.date.today()
    parts = []
    for ai, value in pairs:
        _check_element(ai, value, today)
        parts.append(f"({ai}){_escape_hri(value)}")
    if not parts:
        raise BarcodeError("element string: no AI given")
    return "".join(parts)


# --- the parsed barcode -----------------------------------------------------

@dataclass(frozen=True)
class Barcode:
    """A parsed barcode.

    kind is 'gs1' (element string, bracketed or EAN/UPC), 'digital_link' or
    'plain'; ais holds (AI, value) pairs in message order, each AI once.
    """
    kind: str
    ais: tuple[tuple[str, str], ...] = ()
    text: str = ""
    # Reference date for the century of two-digit years (default: today).
    reference_date: datetime.date | None = field(
        default=None, repr=False, compare=False)

    def value(self, ai: str) -> str | None:
        "Return the value of an AI, or None"
        for code, value in self.ais:
            if code == ai:
                return value
        return None

    @property
    def gtin(self) -> str | None:
        return self.value("01")

    @property
    def serial(self) -> str | None:
        return self.value("21")

    @property
    def lot(self) -> str | None:
        return self.value("10")

    @property
    def expiry(self) -> datetime.date | None:
        value = self.value("17")
        if value is None:
            return None
        return _gs1_date(value, self.reference_date or datetime.date.today())

    @property
    def digital_link(self) -> str | None:
        return _build_digital_link(self.ais)

    def as_dict(self) -> dict:
        expiry = self.expiry
        result = {
            "kind": self.kind,
            "ais": dict(self.ais),
            "gtin": self.gtin,
            "serial": self.serial,
            "lot": self.lot,
            "expiry": expiry.isoformat() if expiry else None,
            "digital_link": self.digital_link,
        }
        if self.kind == "plain":
            result["text"] = self.text
        return result


def parse_barcode(text: str, *, plain: bool = False,
        today: datetime.date | None = None) -> Barcode:
    """Parse scanned or typed barcode data; see the module documentation.

    plain=True returns text that is not GS1 data as kind 'plain' instead of
    refusing it; broken GS1 data is refused all the same.  today fixes the
    reference date of the GS1 century window (default: date.today()).
    """
    if not isinstance(text, str):
        raise BarcodeError(
            f"barcode data must be text, got {type(text).__name__}")
    if len(text) > MAX_INPUT_LENGTH:
        raise BarcodeError(
            f"barcode data is too long: {len(text)} characters, "
            f"at most {MAX_INPUT_LENGTH}")
    today = today or datetime.date.today()
    data = text.strip(_WHITESPACE)
    if not data:
        raise BarcodeError("barcode data is empty")

    symbology = data[:3] if _SYMBOLOGY_ID.match(data) else None
    payload = data[3:] if symbology else data
    if not payload:
        raise BarcodeError(f"no data after the symbology identifier {data}")
    if symbology in _GS1_SYMBOLOGIES:
        return _gs1(data, _parse_element_string(payload, today), today)
    if symbology in _EAN_SYMBOLOGIES:
        return _gs1(data, (("01", _ean_gtin(symbology, payload)),), today)
    if symbology is None and _HRI_AI.match(payload):
        return _gs1(data, _parse_bracketed(payload, today), today)
    if _URI.fullmatch(payload):
        return _parse_uri(data, payload, plain, today)
    if symbology is None:
        return _parse_raw(data, plain, today)
    return _not_gs1(
        payload, plain, f"{symbology} data that is no GS1 Digital Link")


# --- forms ------------------------------------------------------------------

def _gs1(text, ais, today) -> Barcode:
    return Barcode("gs1", tuple(ais), text, today)


def _not_gs1(payload: str, plain: bool, reason: str) -> Barcode:
    if plain:
        return Barcode("plain", (), payload)
    raise BarcodeError(f"not GS1 data: {_show(payload)} ({reason})")


def _ean_gtin(symbology: str, payload: str) -> str:
    lengths = _EAN_SYMBOLOGIES[symbology]
    if not _is_digits(payload) or len(payload) not in lengths:
        expected = " or ".join(map(str, lengths))
        raise BarcodeError(
            f"EAN/UPC {symbology}: {_show(payload)} must be "
            f"{expected} digits")
    return normalize_gtin(payload)


def _parse_raw(data: str, plain: bool, today) -> Barcode:
    if GS in data or _RAW_KEY_AT_START.match(data):
        return _gs1(data, _parse_element_string(data, today), today)
    try:
        ais = _parse_element_string(data, today)
    except BarcodeError as exc:
        return _not_gs1(data, plain, f"as an element string: {exc}")
    if not any(code in _IDENTIFICATION_KEYS for code, _ in ais):
        return _not_gs1(data, plain, "no GS1 identification key")
    return _gs1(data, ais, today)


def _parse_uri(data: str, uri: str, plain: bool, today) -> Barcode:
    if not _is_digital_link(uri):
        return _not_gs1(uri, plain, "a URI without a GS1 primary key")
    pairs = _split_digital_link(uri)
    return Barcode("digital_link", _finish(pairs, today), data, today)


# --- element strings --------------------------------------------------------

def _parse_element_string(data: str, today) -> tuple[tuple[str, str], ...]:
    return _finish(_split_element_string(data), today, from_scanner=True)


def _split_element_string(data: str) -> list[tuple[str, str]]:
    # A leading GS stands for the FNC1 in first position (some readers send
    # it although the symbology identifier implies it): accepted.
    pos = 1 if data.startswith(GS) else 0
    if pos == len(data):
        raise BarcodeError("element string has no data")
    pairs = []
    while pos < len(data):
        if data[pos] == GS:
            raise BarcodeError(
                f"empty field: two GS in a row at position {pos}")
        ai = _ai_at(data, pos)
        pos += len(ai)
        end = _field_end(data, pos, ai)
        pairs.append((ai, data[pos:end]))
        pos = end + 1 if data.startswith(GS, end) else end
    return pairs


def _ai_at(data: str, pos: int) -> str:
    for length in (2, 3, 4):
        code = data[pos:pos + length]
        if code in _AIS:
            return code
    raise BarcodeError(
        f"unknown AI: no GS1 Application Identifier starts "
        f"{_show(data[pos:pos + 4])} (position {pos})")


def _field_end(data: str, pos: int, ai: str) -> int:
    "End of the field starting at pos: fixed length or up to the next GS"
    separator = data.find(GS, pos)
    if separator < 0:
        separator = len(data)
    if _AIS[ai].separator_required:
        return separator
    fixed = sum(component.length for component in _COMPONENTS[ai])
    return min(pos + fixed, separator)


def _parse_bracketed(text: str, today) -> tuple[tuple[str, str], ...]:
    pairs = []
    pos = 0
    while pos < len(text):
        match = _HRI_AI.match(text, pos)
        if not match:
            raise BarcodeError(
                f"bracketed form: expected '(AI)' at position {pos} "
                f"in {_show(text)}")
        ai = match.group(1)
        if ai not in _AIS:
            raise BarcodeError(f"unknown AI ({ai}) in {_show(text)}")
        value, pos = _hri_value(text, match.end())
        pairs.append((ai, value.strip(_WHITESPACE)))
    return _finish(pairs, today)


def _hri_value(text: str, pos: int) -> tuple[str, int]:
    chars = []
    while pos < len(text):
        if text.startswith("\\(", pos):
            chars.append("(")
            pos += 2
        elif _HRI_AI.match(text, pos):
            break
        else:
            chars.append(text[pos])
            pos += 1
    return "".join(chars), pos


def _escape_hri(value: str) -> str:
    return _HRI_AI.sub(lambda match: "\\" + match.group(0), value)


# --- Digital Link -----------------------------------------------------------

def _is_digital_link(uri: str) -> bool:
    "Whether the URI path holds a primary key AI and a key-shaped value"
    segments = _URI.fullmatch(uri).group("path").split("/")
    for key, value in zip(segments, segments[1:]):
        shape = _DL_KEY_SHAPES.get(key)
        if shape and shape.fullmatch(unquote(value)):
            return True
    return False


def _split_digital_link(uri: str) -> list[tuple[str, str]]:
    # the fragment is for the client, not part of the identifier
    uri = uri.partition("#")[0]
    parts = _URI.fullmatch(uri)
    if _URI_FORBIDDEN.search(uri):
        raise BarcodeError(
            f"Digital Link {_show(uri)} contains a space or a control "
            f"character")
    if not parts.group("authority"):
        raise BarcodeError(f"Digital Link {_show(uri)} has no domain")
    segments = parts.group("path").split("/")[1:]
    start = _primary_key_index(segments)
    if start is None:
        raise BarcodeError(
            f"Digital Link path {_show(parts.group('path'))} does not end "
            f"in /AI/value pairs after a primary key")
    pairs = [
        (segments[i], _percent_decode(segments[i + 1], segments[i]))
        for i in range(start, len(segments), 2)]
    _check_path_ais(pairs)
    if pairs[0][0] == "01":
        pairs[0] = ("01", _dl_gtin(pairs[0][1]))
    return pairs + _query_pairs(
        parts.group("query") or "", [ai for ai, _ in pairs])


def _primary_key_index(segments: list[str]) -> int | None:
    "Index of the rightmost primary key followed by AI/value pairs only"
    for index in range(len(segments) - 2, -1, -2):
        if segments[index] in _DL_QUALIFIERS:
            return index
    return None


def _check_path_ais(pairs: list[tuple[str, str]]) -> None:
    key = pairs[0][0]
    qualifiers = [ai for ai, _ in pairs[1:]]
    if not qualifiers:
        return
    sequences = _DL_QUALIFIERS[key]
    for ai in qualifiers:
        if ai not in _AIS:
            raise BarcodeError(
                f"unknown AI {_show(ai)} in the Digital Link path")
        if not any(ai in sequence for sequence in sequences):
            raise BarcodeError(
                f"AI ({ai}) is not a key qualifier of ({key}) and cannot be "
                f"in the Digital Link path")
    if not _is_path_sequence(key, qualifiers):
        expected = " or ".join(
            "/".join(sequence) for sequence in sequences)
        raise BarcodeError(
            f"Digital Link key qualifiers of ({key}) out of order or not "
            f"allowed together: {'/'.join(qualifiers)}; allowed, in this "
            f"order: {expected}")


def _is_path_sequence(key: str, qualifiers: list[str]) -> bool:
    "Whether /key/…/q1/…/q2/… is a valid key-qualifier path"
    return not qualifiers or any(
        _in_order(qualifiers, sequence) for sequence in _DL_QUALIFIERS[key])


def _in_order(codes: list[str], sequence: tuple[str, ...]) -> bool:
    remaining = iter(sequence)
    return all(code in remaining for code in codes)


def _dl_gtin(value: str) -> str:
    # Zero-suppressed GTINs (deprecated in the path) are normalised.
    if _is_digits(value) and len(value) in (8, 12, 13):
        return value.zfill(14)
    return value


def _query_pairs(query: str, path: list[str]) -> list[tuple[str, str]]:
    "The query's AIs; one that belongs among the path's AIs is refused"
    key, qualifiers = path[0], path[1:]
    pairs = []
    for parameter in query.split("&"):
        name, has_value, raw = parameter.partition("=")
        if not _is_digits(name):
            continue  # empty, or not an AI (linkType, ...): for the resolver
        if name not in _AIS:
            raise BarcodeError(
                f"unknown AI ({name}) in the Digital Link query")
        if any(_is_path_sequence(key,
                    qualifiers[:index] + [name] + qualifiers[index:])
                for index in range(len(qualifiers) + 1)):
            raise BarcodeError(
                f"AI ({name}) is a key qualifier of ({key}) and belongs in "
                f"the Digital Link path, not the query")
        if not has_value:
            raise BarcodeError(
                f"AI ({name}) has no value in the Digital Link query")
        pairs.append((name, _percent_decode(raw, name)))
    return pairs


def _percent_decode(value: str, ai: str) -> str:
    if _BAD_PERCENT.search(value):
        raise BarcodeError(
            f"AI ({ai}): malformed percent-encoding in {_show(value)}")
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError:
        raise BarcodeError(
            f"AI ({ai}): percent-encoding of {_show(value)} is not UTF-8")


def _build_digital_link(ais: tuple[tuple[str, str], ...]) -> str | None:
    values = dict(ais)
    key = next((ai for ai, _ in ais if ai in _DL_QUALIFIERS), None)
    if key is None:
        return None
    sequence = max(
        _DL_QUALIFIERS[key], default=(),
        key=lambda sequence: sum(ai in values for ai in sequence))
    path_ais = [key] + [ai for ai in sequence if ai in values]
    path = "".join(f"/{ai}/{_percent_encode(values[ai])}" for ai in path_ais)
    query = "&".join(
        f"{ai}={_percent_encode(values[ai])}"
        for ai in sorted(values) if ai not in path_ais)
    return DIGITAL_LINK_STEM + path + (f"?{query}" if query else "")


def _percent_encode(value: str) -> str:
    return quote(value, safe="")


# --- validation -------------------------------------------------------------

def _finish(pairs, today, *, from_scanner: bool = False):
    "Validate each element, merge repeats and check the associations"
    for ai, value in pairs:
        _check_element(ai, value, today, from_scanner=from_scanner)
    ais = _merge_repeats(pairs)
    _check_associations([ai for ai, _ in ais])
    return ais


def _check_element(ai, value, today, *, from_scanner: bool = False) -> None:
    if not isinstance(ai, str) or ai not in _AIS:
        raise BarcodeError(f"unknown AI {_show(ai)}")
    if not isinstance(value, str) or not value:
        raise BarcodeError(f"AI ({ai}): empty value")
    _check_length(ai, value, from_scanner)
    _check_characters(ai, value)
    if ai in _CHECK_DIGIT_SPANS:
        start, end = _CHECK_DIGIT_SPANS[ai]
        _check_digit_of(f"AI ({ai})", value[start:end], value)
    for offset, linter in _DATE_COMPONENTS.get(ai, ()):
        _check_date_component(ai, value, offset, linter, today)
    _check_with_biip(ai, value)


def _check_length(ai: str, value: str, from_scanner: bool) -> None:
    components = _COMPONENTS[ai]
    shortest = sum(
        1 if component.variable else component.length
        for component in components if not component.optional)
    longest = sum(component.length for component in components)
    if len(value) > longest:
        hint = "; a GS separator may be missing" if from_scanner else ""
        raise BarcodeError(
            f"AI ({ai}): value {_show(value)} is too long, {len(value)} "
            f"characters, at most {longest}{hint}")
    if len(value) < shortest:
        raise BarcodeError(
            f"AI ({ai}): value {_show(value)} is too short, {len(value)} "
            f"characters, at least {shortest}")


def _check_characters(ai: str, value: str) -> None:
    pos = 0
    for component in _COMPONENTS[ai]:
        end = pos + component.length
        charset, reason = _CHARSETS[component.charset]
        for char in value[pos:end]:
            if char not in charset:
                raise BarcodeError(
                    f"AI ({ai}): character {char!r} is not allowed in "
                    f"{_show(value)} ({reason})")
        pos = min(end, len(value))


def _check_digit_of(what: str, digits: str, shown: str | None = None) -> None:
    expected = gtin_check_digit(digits[:-1])
    if digits[-1] != expected:
        raise BarcodeError(
            f"{what}: check digit {digits[-1]} is wrong, expected {expected} "
            f"in {_show(shown or digits)}")


def _check_date_component(ai, value, offset, linter, today) -> None:
    part = value[offset:offset + _DATE_WIDTHS[linter]]
    if len(part) < _DATE_WIDTHS[linter]:
        return  # an optional component that is absent
    if linter in _TIME_LIMITS:
        name, limit = _TIME_LIMITS[linter]
        if int(part) > limit:
            raise BarcodeError(
                f"AI ({ai}): {name} {part} is invalid in {_show(value)}")
        return
    if linter == "yyyymmdd":
        year, month, day = int(part[:4]), int(part[4:6]), int(part[6:])
    else:
        year = _gs1_year(int(part[:2]), today)
        month, day = int(part[2:4]), int(part[4:])
    _check_date(ai, value, year, month, day, allow_day_00=linter == "yymmd0")


def _check_date(ai, value, year, month, day, *, allow_day_00) -> None:
    if not 1 <= month <= 12:
        raise BarcodeError(
            f"AI ({ai}): month {month:02d} is invalid in {_show(value)}")
    if day == 0 and allow_day_00:
        return
    if day == 0:
        raise BarcodeError(
            f"AI ({ai}): day 00 is not allowed in {_show(value)}")
    last = calendar.monthrange(year, month)[1]
    if day > last:
        raise BarcodeError(
            f"AI ({ai}): day {day:02d} does not exist in {year}-{month:02d} "
            f"({_show(value)})")


def _check_with_biip(ai: str, value: str) -> None:
    try:
        element = GS1ElementString.parse(ai + value, config=_BIIP_CONFIG)
    except ParseError:
        raise BarcodeError(
            f"AI ({ai}): value {_show(value)} does not match the format "
            f"{_AIS[ai].format}") from None
    error = element.gtin_error or element.sscc_error or element.gln_error
    if error:
        raise BarcodeError(f"AI ({ai}): {error}")


def _merge_repeats(pairs) -> tuple[tuple[str, str], ...]:
    seen = {}
    for ai, value in pairs:
        if ai in seen and seen[ai] != value:
            raise BarcodeError(
                f"AI ({ai}) is repeated with different values "
                f"{_show(seen[ai])} and {_show(value)}")
        seen.setdefault(ai, value)
    return tuple(seen.items())


def _check_associations(ais: list[str]) -> None:
    present = set(ais)
    for ai in ais:
        for rule in _RULES:
            if any(_matches(pattern, ai) for pattern in rule.patterns):
                _check_rule(ai, rule, present)
    _check_families(ais)


def _check_rule(ai: str, rule: _Rule, present: set[str]) -> None:
    for alternatives in rule.requires:
        if not any(
                all(_has(pattern, present) for pattern in alternative)
                for alternative in alternatives):
            names = [
                "+".join(f"({pattern})" for pattern in alternative)
                for alternative in alternatives]
            wanted = ", ".join(names[:-1]) + " or " if len(names) > 1 else ""
            raise BarcodeError(
                f"AI ({ai}) requires AI {wanted}{names[-1]}")
    for pattern in rule.excludes:
        for other in sorted(present):
            if other != ai and _matches(pattern, other):
                raise BarcodeError(
                    f"AI ({ai}) cannot be combined with AI ({other})")


def _check_families(ais: list[str]) -> None:
    "A measure or amount may be given with one decimal position only"
    families = {}
    for ai in ais:
        if len(ai) == 4 and ai.startswith(_FAMILY_PREFIXES):
            other = families.setdefault(ai[:3], ai)
            if other != ai:
                raise BarcodeError(
                    f"AI ({ai}) cannot be combined with AI ({other})")


def _matches(pattern: str, ai: str) -> bool:
    return len(pattern) == len(ai) and all(
        p == "n" or p == a for p, a in zip(pattern, ai))


def _has(pattern: str, present: set[str]) -> bool:
    return any(_matches(pattern, ai) for ai in present)


# --- small helpers ----------------------------------------------------------

def _gs1_year(two_digits: int, today: datetime.date) -> int:
    "Full year of YY by the GS1 sliding century window (GenSpecs 7.12)"
    century, current = divmod(today.year, 100)
    difference = two_digits - current
    if 51 <= difference <= 99:
        century -= 1
    elif -99 <= difference <= -50:
        century += 1
    return century * 100 + two_digits


def _gs1_date(value: str, today: datetime.date) -> datetime.date:
    "Date of a YYMMDD value; DD=00 is the last day of the month"
    year = _gs1_year(int(value[:2]), today)
    month, day = int(value[2:4]), int(value[4:6])
    return datetime.date(
        year, month, day or calendar.monthrange(year, month)[1])


def _is_digits(value: str) -> bool:
    return bool(value) and set(value) <= _DIGITS


def _show(value, limit: int = 60) -> str:
    "Quote a value for a one-line message, shortened when long"
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit] + "..."
    return repr(value)
