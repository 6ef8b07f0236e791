# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""EPC coding for the EPC bank of RFID tags (GS1 EPC Tag Data Standard 2.x).

Five binary schemes: SGTIN-96, SGTIN-198, SSCC-96, GIAI-96 and GIAI-202.
`decode` reads an EPC bank hex value, a tag URI or a pure-identity URI and
returns an `Epc`; `encode_sgtin` builds the EPC of a serialised trade item
from its GTIN and serial.  Invalid input raises `EpcError` (a `ValueError`)
with a one-line reason; nothing else escapes.  No Tryton import.

>>> epc = decode("3074257BF7194E4000001A85")
>>> epc.tag_uri
'urn:epc:tag:sgtin-96:3.0614141.812345.6789'
>>> epc.pure_identity_uri
'urn:epc:id:sgtin:0614141.812345.6789'
>>> epc.gtin, epc.serial
('80614141123458', '6789')
>>> encode_sgtin("80614141123458", "6789", filter=3).hex
'3074257BF7194E4000001A85'
>>> encode_sgtin("70614141123451", "32a/b", filter=3).tag_uri
'urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb'
>>> decode("urn:epc:tag:sgtin-96:3.0614141.812345.06789")
... # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
serial_mes_rfid.epc.EpcError: Expected a sgtin-96 serial without leading...

Accepted input (`decode`)
-------------------------
* Hex: case-insensitive, optional ``0x``, surrounding spaces/tabs/newlines.
  96-bit schemes need exactly 24 hex digits.  SGTIN-198 is transmitted as
  13 words (52 hex digits) but some tools print 50 or 51; GIAI-202 needs 51
  or 52 (50 hex digits hold only 200 of its 202 bits).  The bits after the
  last significant bit must be zero, so 50/51/52-digit forms of one EPC
  decode to the same `Epc`, and `Epc.hex` always gives the 52-digit form.
* Tag URI ``urn:epc:tag:<scheme>:<filter>.<company prefix>.<reference>``
  (SGTIN: ``...<reference>.<serial>``).
* Pure-identity URI ``urn:epc:id:sgtin|sscc|giai:...``.  It carries neither
  filter nor bit size, so the `Epc` gets filter 0 and the smallest scheme
  that holds it: sgtin-96 when the serial is decimal, below 2**38 and has no
  leading zero, else sgtin-198; giai-96 when the asset reference is decimal,
  fits the partition's integer field and has no leading zero, else
  giai-202; sscc-96 for SSCC.

Refused (every rule of the TDS decoding procedure, plus the 13-word padding)
---------------------------------------------------------------------------
Headers other than 30, 31, 34, 36, 38; wrong hex length; partition 7; a
company prefix, item reference or serial reference whose integer has more
digits than the partition allows; SSCC-96 reserved bits or string/word
padding that are not zero; a 7-bit character outside GS1 CSET 82 or after
the terminating NUL; an empty serial or asset reference; too many GIAI-202
characters for the partition; filter outside 0-7; URIs whose fields do not
match the partition table (6-12 company prefix digits, 13 resp. 17 digits
with the reference); in URIs, a character outside CSET 82 or one of
``" % & / < > ?`` not written as %22 %25 %26 %2F %3C %3E %3F (the only
escapes the TDS URI grammar allows); a sgtin-96 serial or giai-96 asset
reference with a leading zero, non-digits or too large a value; input longer
than MAX_INPUT_LENGTH characters (checked before any other work).

Values
------
`Epc.reference` holds the indicator digit + item reference (SGTIN), the
extension digit + serial reference (SSCC) or the asset reference (GIAI).
`Epc.serial` (SGTIN only) and a GIAI asset reference are plain characters
(``32a/b``), as in GS1 element strings; the URIs %-escape them
(``32a%2Fb``).  `Epc.gtin` and `Epc.sscc` add the GS1 check digit, which
is not part of the EPC.  The filter is 3 bits (0-7); values that the TDS
marks reserved (SGTIN 3 and 5, used by its own examples) are accepted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "MAX_INPUT_LENGTH", "SCHEMES", "Epc", "EpcError", "decode",
    "encode_sgtin", "gs1_company_prefix_length", "prefix_length_of",
]

MAX_INPUT_LENGTH = 512


class EpcError(ValueError):
    "An EPC value, URI or field that the EPC Tag Data Standard refuses"


# --- data tables (TDS "EPC Binary Encoding": headers, partition tables) ----

class _Partition(NamedTuple):
    company_prefix_bits: int    # M
    company_prefix_digits: int  # L
    reference_bits: int         # N
    reference_size: int         # K: digits, or at most K characters


# Row P of each table is partition value P; the company prefix columns are
# the same in every table.  7 is not a partition value.
_SGTIN_PARTITIONS = (           # item reference incl. indicator digit
    _Partition(40, 12, 4, 1),
    _Partition(37, 11, 7, 2),
    _Partition(34, 10, 10, 3),
    _Partition(30, 9, 14, 4),
    _Partition(27, 8, 17, 5),
    _Partition(24, 7, 20, 6),
    _Partition(20, 6, 24, 7),
)
_SSCC_PARTITIONS = (            # serial reference incl. extension digit
    _Partition(40, 12, 18, 5),
    _Partition(37, 11, 21, 6),
    _Partition(34, 10, 24, 7),
    _Partition(30, 9, 28, 8),
    _Partition(27, 8, 31, 9),
    _Partition(24, 7, 34, 10),
    _Partition(20, 6, 38, 11),
)
_GIAI96_PARTITIONS = (          # asset reference: integer below 2**N
    _Partition(40, 12, 42, 13),
    _Partition(37, 11, 45, 14),
    _Partition(34, 10, 48, 15),
    _Partition(30, 9, 52, 16),
    _Partition(27, 8, 55, 17),
    _Partition(24, 7, 58, 18),
    _Partition(20, 6, 62, 19),
)
_GIAI202_PARTITIONS = (         # asset reference: at most K characters
    _Partition(40, 12, 148, 18),
    _Partition(37, 11, 151, 19),
    _Partition(34, 10, 154, 20),
    _Partition(30, 9, 158, 21),
    _Partition(27, 8, 161, 22),
    _Partition(24, 7, 164, 23),
    _Partition(20, 6, 168, 24),
)

# How a field is coded: DIGITS, a zero-padded K-digit integer; INTEGER, an
# integer without leading zeros (below 2**bits); STRING, 7-bit CSET 82
# characters, NUL-terminated and zero-padded.
DIGITS, INTEGER, STRING = "digits", "integer", "string"


@dataclass(frozen=True)
class _Layout:
    scheme: str
    header: int
    bits: int
    partitions: tuple[_Partition, ...]
    reference: str              # DIGITS, INTEGER or STRING
    serial: str | None          # INTEGER, STRING or None (no serial field)
    serial_bits: int
    serial_size: int            # max serial characters (STRING)
    reserved_bits: int          # trailing bits that must be zero

    @property
    def family(self) -> str:
        return self.scheme.split("-")[0]


HEADER_BITS, FILTER_BITS, PARTITION_BITS = 8, 3, 3
FILTER_VALUES = range(8)
_LAYOUTS = {layout.scheme: layout for layout in (
    _Layout("sgtin-96", 0x30, 96, _SGTIN_PARTITIONS, DIGITS,
        INTEGER, 38, 0, 0),
    _Layout("sgtin-198", 0x36, 198, _SGTIN_PARTITIONS, DIGITS,
        STRING, 140, 20, 0),
    _Layout("sscc-96", 0x31, 96, _SSCC_PARTITIONS, DIGITS,
        None, 0, 0, 24),
    _Layout("giai-96", 0x34, 96, _GIAI96_PARTITIONS, INTEGER,
        None, 0, 0, 0),
    _Layout("giai-202", 0x38, 202, _GIAI202_PARTITIONS, STRING,
        None, 0, 0, 0),
)}
SCHEMES = tuple(_LAYOUTS)
_BY_HEADER = {layout.header: layout for layout in _LAYOUTS.values()}
# Pure-identity URI scheme -> binary schemes, smallest first.
_FAMILIES = {
    "sgtin": ("sgtin-96", "sgtin-198"),
    "sscc": ("sscc-96",),
    "giai": ("giai-96", "giai-202"),
}
_REFERENCE_NAMES = {
    "sgtin": "indicator digit and item reference",
    "sscc": "extension digit and serial reference",
    "giai": "asset reference",
}
# GS1 key digits without check digit: company prefix + reference (SGTIN:
# indicator + company prefix + item reference = GTIN-14 minus check).
_KEY_DIGITS = {"sgtin": 13, "sscc": 17}

# GS1 AI encodable character set 82 (TDS Table A-1); in URIs the characters
# of _URI_ESCAPES must be written as their escape, and no other escape is
# allowed (the "Escape" production of the TDS URI grammar).
CSET82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
    "abcdefghijklmnopqrstuvwxyz")
_URI_ESCAPES = {
    '"': "%22", "%": "%25", "&": "%26", "/": "%2F", "<": "%3C", ">": "%3E",
    "?": "%3F"}
_URI_UNESCAPES = {escape: char for char, escape in _URI_ESCAPES.items()}
_CHAR_BITS = 7

# Never str.strip(): it also strips GS and the other C0 separators.
_WHITESPACE = " \t\r\n\f\v"
_HEX = re.compile(r"[0-9A-Fa-f]+")
_DIGITS = re.compile(r"[0-9]+")
_TAG_PREFIX = "urn:epc:tag:"
_ID_PREFIX = "urn:epc:id:"


def _word_padded_bits(bits: int) -> int:
    "Bits of the EPC as written to the tag: a whole number of 16-bit words"
    return -(-bits // 16) * 16


# --- the EPC ----------------------------------------------------------------

@dataclass(frozen=True)
class Epc:
    """An EPC of one of the five schemes, validated on creation.

    Attributes:
        scheme: 'sgtin-96', 'sgtin-198', 'sscc-96', 'giai-96' or 'giai-202'.
        filter: the 3-bit filter value, 0-7.
        company_prefix: the GS1 Company Prefix, 6 to 12 digits.
        reference: indicator digit + item reference (SGTIN), extension digit
            + serial reference (SSCC) or asset reference (GIAI, plain
            characters).
        serial: the SGTIN serial, plain characters (no %-escapes); None for
            SSCC and GIAI.

    Raises:
        EpcError: a field does not fit the scheme.
    """
    scheme: str
    filter: int
    company_prefix: str
    reference: str
    serial: str | None = None

    def __post_init__(self):
        layout = _LAYOUTS.get(self.scheme) if isinstance(
            self.scheme, str) else None
        if layout is None:
            raise EpcError(
                f"Expected scheme {_or(SCHEMES)}, got {_show(self.scheme)}")
        _check_filter(self.filter)
        partition = layout.partitions[
            _partition_of(layout, self.company_prefix)]
        _check_field(layout, _REFERENCE_NAMES[layout.family],
            self.reference, layout.reference, partition.reference_bits,
            partition.reference_size)
        if layout.serial is None:
            if self.serial is not None:
                raise EpcError(
                    f"Expected no serial for {layout.scheme}, "
                    f"got {_show(self.serial)}")
        else:
            _check_field(layout, "serial", self.serial, layout.serial,
                layout.serial_bits, layout.serial_size)

    @property
    def _layout(self) -> _Layout:
        return _LAYOUTS[self.scheme]

    @property
    def _uri_body(self) -> str:
        parts = [self.company_prefix, _escape(self.reference)]
        if self.serial is not None:
            parts.append(_escape(self.serial))
        return ".".join(parts)

    @property
    def tag_uri(self) -> str:
        "``urn:epc:tag:<scheme>:<filter>.<company prefix>.<reference>[...]``"
        return f"{_TAG_PREFIX}{self.scheme}:{self.filter}.{self._uri_body}"

    @property
    def pure_identity_uri(self) -> str:
        "``urn:epc:id:<sgtin|sscc|giai>:<company prefix>.<reference>[...]``"
        return f"{_ID_PREFIX}{self._layout.family}:{self._uri_body}"

    @property
    def gtin(self) -> str | None:
        "SGTIN: the GTIN-14 with its check digit; else None"
        if self._layout.family != "sgtin":
            return None
        return _with_check_digit(
            self.reference[0] + self.company_prefix + self.reference[1:])

    @property
    def sscc(self) -> str | None:
        "SSCC: the 18-digit SSCC with its check digit; else None"
        if self._layout.family != "sscc":
            return None
        return _with_check_digit(
            self.reference[0] + self.company_prefix + self.reference[1:])

    @property
    def giai(self) -> str | None:
        "GIAI: company prefix + asset reference (the AI 8004 value); else None"
        if self._layout.family != "giai":
            return None
        return self.company_prefix + self.reference

    @property
    def hex(self) -> str:
        """The EPC bank hex, uppercase, zero-padded to whole 16-bit words.

        24 hex digits for the 96-bit schemes, 52 for SGTIN-198 and GIAI-202.
        """
        layout = self._layout
        index = _partition_of(layout, self.company_prefix)
        partition = layout.partitions[index]
        fields = [
            (layout.header, HEADER_BITS),
            (self.filter, FILTER_BITS),
            (index, PARTITION_BITS),
            (int(self.company_prefix), partition.company_prefix_bits),
            (_pack(layout.reference, self.reference,
                    partition.reference_bits),
                partition.reference_bits),
        ]
        if layout.serial is not None:
            fields.append((_pack(layout.serial, self.serial,
                layout.serial_bits), layout.serial_bits))
        fields.append((0, layout.reserved_bits))
        value = 0
        for field, bits in fields:
            value = (value << bits) | field
        padded = _word_padded_bits(layout.bits)
        return f"{value << (padded - layout.bits):0{padded // 4}X}"

    def as_dict(self) -> dict:
        """JSON-able dict: scheme, filter, tag_uri, pure_identity_uri,
        company_prefix, hex, and gtin + serial (SGTIN), sscc (SSCC) or giai
        (GIAI)."""
        result = {
            "scheme": self.scheme,
            "filter": self.filter,
            "tag_uri": self.tag_uri,
            "pure_identity_uri": self.pure_identity_uri,
            "company_prefix": self.company_prefix,
            "hex": self.hex,
        }
        family = self._layout.family
        if family == "sgtin":
            result["gtin"] = self.gtin
            result["serial"] = self.serial
        elif family == "sscc":
            result["sscc"] = self.sscc
        else:
            result["giai"] = self.giai
        return result


# --- public functions -------------------------------------------------------

def decode(value: str) -> Epc:
    """Decode an EPC bank hex value, a tag URI or a pure-identity URI.

    Args:
        value: ``3074257BF7194E4000001A85``, ``0x3074...``,
            ``urn:epc:tag:sgtin-96:3.0614141.812345.6789`` or
            ``urn:epc:id:sgtin:0614141.812345.6789``.  A pure-identity URI
            gives filter 0 and the smallest scheme that holds the EPC (see
            the module documentation).

    Returns:
        The validated `Epc`.

    Raises:
        EpcError: the value is none of these forms or breaks a rule of the
            EPC Tag Data Standard.
    """
    if not isinstance(value, str):
        raise EpcError(f"Expected a str, got {type(value).__name__}")
    if len(value) > MAX_INPUT_LENGTH:
        raise EpcError(f"Expected at most {MAX_INPUT_LENGTH} characters, "
            f"got {len(value)}")
    text = value.strip(_WHITESPACE)
    if text.startswith(_TAG_PREFIX):
        return _decode_tag_uri(text)
    if text.startswith(_ID_PREFIX):
        return _decode_pure_identity_uri(text)
    if text[:2] in ("0x", "0X"):
        text = text[2:]
    if not _HEX.fullmatch(text):
        raise EpcError("Expected EPC hex digits, a urn:epc:tag: URI or a "
            f"urn:epc:id: URI, got {_show(value)}")
    return _decode_hex(text)


def encode_sgtin(gtin: str, serial: str, company_prefix_length: int = 7,
        scheme: str | None = None, filter: int = 1) -> Epc:
    """Build the SGTIN EPC of a serialised trade item.

    Args:
        gtin: GTIN-14 (GTIN-8/12/13 are zero-padded), check digit included
            and verified; surrounding white space is ignored.
        serial: the serial (AI 21 value): 1 to 20 CSET 82 characters, plain
            (not %-escaped).
        company_prefix_length: digits of the GS1 Company Prefix, 6-12.
        scheme: 'sgtin-96' (decimal serial below 2**38 without leading
            zero), 'sgtin-198' (any serial) or None: sgtin-96 when the
            serial fits it, else sgtin-198.
        filter: the filter value, 0-7 (1: point-of-sale trade item).

    Returns:
        The validated `Epc`; `Epc.hex` is what to write to the tag.

    Raises:
        EpcError: a bad GTIN, serial, length, scheme or filter.
    """
    gtin14 = _normalize_gtin(gtin)
    if type(company_prefix_length) is not int or not (
            6 <= company_prefix_length <= 12):
        raise EpcError("Expected a company prefix length of 6 to 12 digits, "
            f"got {_show(company_prefix_length)}")
    if not isinstance(serial, str) or len(serial) > MAX_INPUT_LENGTH:
        raise EpcError("Expected the serial as a str of at most "
            f"{MAX_INPUT_LENGTH} characters, got {_show(serial)}")
    if scheme is None:
        scheme = "sgtin-96" if _is_integer(serial, 38) else "sgtin-198"
    elif scheme not in _FAMILIES["sgtin"]:
        raise EpcError(
            f"Expected scheme {_or(_FAMILIES['sgtin'])}, got {_show(scheme)}")
    prefix_end = 1 + company_prefix_length
    return Epc(scheme=scheme, filter=filter,
        company_prefix=gtin14[1:prefix_end],
        reference=gtin14[0] + gtin14[prefix_end:13], serial=serial)


def gs1_company_prefix_length(gtin: str) -> int | None:
    """The length of the GS1 Company Prefix of gtin by GS1's prefix-length
    table (as biip ships it), or None when the table has no length of 6 to
    12 digits for it (e.g. GTIN-8, restricted-circulation prefixes).

    Raises:
        EpcError: a bad GTIN.
    """
    from biip.gs1_prefixes import GS1CompanyPrefix
    gtin14 = _normalize_gtin(gtin)
    if gtin14.startswith("000000"):
        return None     # a GTIN-8: its leading zeros are no company prefix
    # without the indicator digit: the GTIN-13 form the table keys on
    prefix = GS1CompanyPrefix.extract(gtin14[1:])
    if prefix is None or not 6 <= len(prefix.value) <= 12:
        return None
    return len(prefix.value)


DEFAULT_PREFIX_LENGTH = 7


def prefix_length_of(gtin: str) -> tuple[int, str]:
    """(length, source) of gtin's company prefix without a product's
    setting: GS1's prefix table ('gs1'), else DEFAULT_PREFIX_LENGTH
    ('default'); a bad GTIN gives the default too"""
    try:
        length = gs1_company_prefix_length(gtin)
    except EpcError:
        length = None
    if length:
        return length, "gs1"
    return DEFAULT_PREFIX_LENGTH, "default"


# --- decoding ---------------------------------------------------------------

class _Bits:
    "Reads fields, most significant bit first, from the bits of a hex value"

    def __init__(self, value: int, length: int):
        self.value = value
        self.left = length

    def take(self, bits: int) -> int:
        self.left -= bits
        return (self.value >> self.left) & ((1 << bits) - 1)


def _decode_hex(text: str) -> Epc:
    layout = _BY_HEADER.get(int(text[:2], 16)) if len(text) >= 2 else None
    if layout is None:
        headers = _or([f"{layout.header:02X} ({layout.scheme})"
            for layout in _LAYOUTS.values()])
        raise EpcError(
            f"Expected EPC header {headers}, got {_show(text[:2].upper())}")
    lengths = range(-(-layout.bits // 4), _word_padded_bits(layout.bits) // 4
        + 1)
    if len(text) not in lengths:
        raise EpcError(f"Expected {_or([str(n) for n in lengths])} hex digits "
            f"for {layout.scheme}, got {len(text)}")
    bits = _Bits(int(text, 16), 4 * len(text))
    bits.take(HEADER_BITS)
    filter_value = bits.take(FILTER_BITS)
    index = bits.take(PARTITION_BITS)
    if index >= len(layout.partitions):
        raise EpcError(f"Expected partition 0-{len(layout.partitions) - 1} "
            f"in {layout.scheme}, got {index}")
    partition = layout.partitions[index]
    company_prefix = _unpack(layout, "company prefix", DIGITS,
        bits.take(partition.company_prefix_bits),
        partition.company_prefix_bits, partition.company_prefix_digits)
    reference = _unpack(layout, _REFERENCE_NAMES[layout.family],
        layout.reference,
        bits.take(partition.reference_bits), partition.reference_bits,
        partition.reference_size)
    serial = None
    if layout.serial is not None:
        serial = _unpack(layout, "serial", layout.serial,
            bits.take(layout.serial_bits), layout.serial_bits,
            layout.serial_size)
    if bits.take(layout.reserved_bits):
        raise EpcError(f"Expected {layout.reserved_bits} zero reserved bits "
            f"at the end of {layout.scheme}, got non-zero bits")
    if bits.take(bits.left):
        raise EpcError(f"Expected zero padding after the {layout.bits} bits "
            f"of {layout.scheme}, got non-zero bits")
    return Epc(scheme=layout.scheme, filter=filter_value,
        company_prefix=company_prefix, reference=reference, serial=serial)


def _unpack(layout: _Layout, name: str, coding: str, value: int, bits: int,
        size: int) -> str:
    if coding == DIGITS:
        if value >= 10 ** size:
            raise EpcError(f"Expected a {layout.scheme} {name} of "
                f"{_digits(size)}, got {value}")
        return f"{value:0{size}d}"
    if coding == INTEGER:
        return str(value)
    chars = []
    for position in range(bits // _CHAR_BITS):
        rest = bits - (position + 1) * _CHAR_BITS
        code = (value >> rest) & 0x7F
        if code == 0:
            if value & ((1 << rest) - 1):
                raise EpcError(f"Expected only zero bits after the end of "
                    f"the {layout.scheme} {name}, got non-zero bits after "
                    f"character {position}")
            break
        if chr(code) not in CSET82:
            raise EpcError(f"Expected CSET 82 characters in the "
                f"{layout.scheme} {name}, got 0x{code:02X} at character "
                f"{position + 1}")
        chars.append(chr(code))
    else:
        if value & ((1 << (bits % _CHAR_BITS)) - 1):
            raise EpcError(f"Expected only zero bits after the end of the "
                f"{layout.scheme} {name}, got non-zero bits")
    return "".join(chars)     # length and emptiness: Epc.__post_init__


def _decode_tag_uri(text: str) -> Epc:
    scheme, _, body = text[len(_TAG_PREFIX):].partition(":")
    layout = _LAYOUTS.get(scheme)
    if layout is None:
        raise EpcError(f"Expected tag URI scheme {_or(SCHEMES)}, "
            f"got {_show(scheme)}")
    fields = _split_uri_body(text, body, layout.family, 1)
    filter_text = fields[0]
    if len(filter_text) != 1 or filter_text not in "01234567":
        raise EpcError(f"Expected filter 0-7 in {_show(text)}, "
            f"got {_show(filter_text)}")
    return _epc_from_fields(layout.scheme, int(filter_text), fields[1:])


def _decode_pure_identity_uri(text: str) -> Epc:
    family, _, body = text[len(_ID_PREFIX):].partition(":")
    if family not in _FAMILIES:
        raise EpcError(f"Expected pure-identity URI scheme "
            f"{_or(_FAMILIES)}, got {_show(family)}")
    fields = _split_uri_body(text, body, family, 0)
    small, *large = _FAMILIES[family]
    scheme = small
    if large:
        # Choose by the last field: the SGTIN serial or the GIAI asset.
        layout = _LAYOUTS[small]
        if layout.serial:
            name, bits = "serial", layout.serial_bits
        else:
            name = _REFERENCE_NAMES[family]
            bits = layout.partitions[
                _partition_of(layout, fields[0])].reference_bits
        if not _is_integer(_unescape(fields[-1], name), bits):
            scheme = large[0]
    return _epc_from_fields(scheme, 0, fields)


def _split_uri_body(text: str, body: str, family: str,
        extra: int) -> list[str]:
    # The last field of SGTIN (serial) and GIAI (asset) may contain dots.
    count = (3 if family == "sgtin" else 2) + extra
    fields = body.split(".", count - 1) if family != "sscc" else body.split(
        ".")
    if len(fields) != count:
        raise EpcError(f"Expected {count} dot-separated fields after the "
            f"scheme in {_show(text)}, got {len(fields)}")
    return fields


def _epc_from_fields(scheme: str, filter_value: int,
        fields: list[str]) -> Epc:
    layout = _LAYOUTS[scheme]
    company_prefix, reference, *serial = fields
    _partition_of(layout, company_prefix)     # a clear message first
    if layout.reference == DIGITS:
        _check_key_digits(layout, company_prefix, reference)
    else:
        reference = _unescape(reference, _REFERENCE_NAMES[layout.family])
    return Epc(scheme=scheme, filter=filter_value,
        company_prefix=company_prefix, reference=reference,
        serial=_unescape(serial[0], "serial") if serial else None)


def _check_key_digits(layout: _Layout, company_prefix: str,
        reference: str) -> None:
    total = _KEY_DIGITS[layout.family]
    expected = total - len(company_prefix)
    if not _DIGITS.fullmatch(reference) or len(reference) != expected:
        name = _REFERENCE_NAMES[layout.family]
        raise EpcError(f"Expected a {layout.scheme} {name} of {expected} "
            f"digits ({total} minus the {len(company_prefix)}-digit company "
            f"prefix), got {_show(reference)}")


def _unescape(text: str, name: str) -> str:
    chars = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "%":
            escape = text[position:position + 3]
            if escape not in _URI_UNESCAPES:
                raise EpcError(f"Expected a %-escape {_or(_URI_UNESCAPES)} "
                    f"in the URI {name}, got {_show(escape)}")
            chars.append(_URI_UNESCAPES[escape])
            position += 3
            continue
        if char not in CSET82 or char in _URI_ESCAPES:
            raise EpcError(f"Expected CSET 82 characters with "
                f"{' '.join(_URI_ESCAPES)} %-escaped in the URI {name}, got "
                f"{_show(char)} at position {position + 1}")
        chars.append(char)
        position += 1
    return "".join(chars)


# --- encoding ---------------------------------------------------------------

def _pack(coding: str, text: str, bits: int) -> int:
    if coding != STRING:
        return int(text)
    value = 0
    for char in text:
        value = (value << _CHAR_BITS) | ord(char)
    return value << (bits - _CHAR_BITS * len(text))


def _escape(text: str) -> str:
    return "".join(_URI_ESCAPES.get(char, char) for char in text)


# --- validation -------------------------------------------------------------

def _check_filter(value) -> None:
    if type(value) is not int or value not in FILTER_VALUES:
        raise EpcError(f"Expected filter 0-7, got {_show(value)}")


def _partition_of(layout: _Layout, company_prefix) -> int:
    "The partition value (row) for a company prefix of 6 to 12 digits"
    if isinstance(company_prefix, str) and _DIGITS.fullmatch(company_prefix):
        for index, partition in enumerate(layout.partitions):
            if partition.company_prefix_digits == len(company_prefix):
                return index
    raise EpcError(f"Expected a company prefix of 6 to 12 digits, "
        f"got {_show(company_prefix)}")


def _check_field(layout: _Layout, name: str, value, coding: str, bits: int,
        size: int) -> None:
    what = f"a {layout.scheme} {name}"
    if not isinstance(value, str):
        raise EpcError(f"Expected {what} as a str, got {_show(value)}")
    if coding == DIGITS:
        if not _DIGITS.fullmatch(value) or len(value) != size:
            raise EpcError(
                f"Expected {what} of {_digits(size)}, got {_show(value)}")
    elif coding == INTEGER:
        if not _DIGITS.fullmatch(value):
            raise EpcError(f"Expected {what} of decimal digits (use "
                f"{_larger(layout)}), got {_show(value)}")
        if len(value) > 1 and value[0] == "0":
            raise EpcError(f"Expected {what} without leading zeros (use "
                f"{_larger(layout)}), got {_show(value)}")
        if len(value) > len(str(1 << bits)) or int(value) >= 1 << bits:
            raise EpcError(f"Expected {what} below 2**{bits} = {1 << bits} "
                f"(use {_larger(layout)}), got {_show(value)}")
    else:
        if not 1 <= len(value) <= size:
            raise EpcError(f"Expected {what} of 1 to {size} characters, "
                f"got {len(value)}")
        bad = next((char for char in value if char not in CSET82), None)
        if bad is not None:
            raise EpcError(
                f"Expected {what} of CSET 82 characters, got {_show(bad)}")


def _larger(layout: _Layout) -> str:
    return _FAMILIES[layout.family][-1]


def _is_integer(text: str, bits: int) -> bool:
    "Decimal, no leading zero, below 2**bits: fits a 96-bit integer field"
    return (bool(_DIGITS.fullmatch(text)) and (text == "0" or text[0] != "0")
        and len(text) <= len(str(1 << bits)) and int(text) < 1 << bits)


def _normalize_gtin(gtin) -> str:
    if not isinstance(gtin, str) or len(gtin) > MAX_INPUT_LENGTH:
        raise EpcError(f"Expected the GTIN as a str, got {_show(gtin)}")
    digits = gtin.strip(_WHITESPACE)
    if not _DIGITS.fullmatch(digits) or len(digits) not in (8, 12, 13, 14):
        raise EpcError(f"Expected a GTIN of 8, 12, 13 or 14 digits, "
            f"got {_show(gtin)}")
    expected = _with_check_digit(digits[:-1])
    if expected != digits:
        raise EpcError(f"Expected GTIN check digit {expected[-1]}, "
            f"got {digits[-1]} in {_show(gtin)}")
    return digits.zfill(14)


def _with_check_digit(digits: str) -> str:
    "Append the GS1 mod-10 check digit (weights 3, 1, ... from the right)"
    total = sum(int(digit) * (3 - 2 * (index % 2))
        for index, digit in enumerate(reversed(digits)))
    return digits + str(-total % 10)


def _digits(count: int) -> str:
    return f"{count} digit" if count == 1 else f"{count} digits"


def _or(items) -> str:
    items = list(items)
    return ", ".join(items[:-1]) + " or " + items[-1] if len(
        items) > 1 else items[0]


def _show(value, limit: int = 60) -> str:
    "repr() of a value for a one-line message, shortened"
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + "..."
    text = repr(value)
    return text if len(text) <= limit + 2 else text[:limit] + "..."
