# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Tests of serial_mes.asn (pure pytest, no database)"

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serial_mes.asn import (
    FORMATS, MAX_SIZE, AdvanceShipNotice, AsnError, AsnLine, detect_format,
    parse)
from serial_mes.asn.common import (
    _XML_PARSER, expand_range, format_quantity)

DATA = Path(__file__).resolve().parents[2] / "data" / "asn"
# Hypothesis keeps no example database, so the tests leave nothing behind.
# No deadline: speed is measured by the benchmarks, not by tests that a
# loaded machine would make flaky.
_SETTINGS = settings(deadline=None, database=None, max_examples=300)


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def edit(name: str, old: str | bytes, new: str | bytes, count: int = 1):
    "A sample with old replaced by new (old must be there)"
    data = sample(name)
    old = old.encode() if isinstance(old, str) else old
    new = new.encode() if isinstance(new, str) else new
    assert old in data, old
    return data.replace(old, new, count)


def refused(data: bytes, phrase: str, format: str | None = None) -> str:
    with pytest.raises(AsnError) as info:
        parse(data, format)
    message = str(info.value)
    assert phrase.lower() in message.lower(), message
    assert "\n" not in message
    return message


def line(number, gtin, code, quantity, unit, order_line, serials=(),
        lots=()):
    return {
        "line": number, "gtin": gtin, "supplier_code": code,
        "quantity": quantity, "unit": unit, "order_line": order_line,
        "serials": list(serials), "lots": list(lots)}


def series(prefix: str, first: int, last: int, width: int) -> list[str]:
    return [f"{prefix}{number:0{width}d}" for number in range(first, last + 1)]


MB, CPU, RAM, SSD, PSU, CASE = (
    "09506000140100", "09506000140117", "09506000140124", "09506000140131",
    "09506000140148", "09506000140155")
NORTHWIND_DOCK = "9506000100012"
ASTERIA, HELIX, KEYSTONE = "9506000200002", "9506000300009", "9506000400006"

EXPECTED = {
    "desadv_d96a_pc_parts.edi": {
        "format": "desadv",
        "number": "DA-HX-240312-01",
        "despatch_datetime": "2024-03-12T14:30:00",
        "order_references": ["PO-2024-0815"],
        "supplier": {"gln": HELIX, "name": "Helix Silicon GmbH"},
        "ship_to": {"gln": NORTHWIND_DOCK},
        "sscc": [
            "395060000000003017", "395060000000003024",
            "395060000000003031", "395060000000003048"],
        "lines": [
            line("1", CPU, "CPU-8C65-HX", "6", "PCE", "10",
                series("HXC8-2406-", 1, 4, 4)
                + ["HXC8-2406-0009", "HXC8-2406-0012"]),
            line("2", RAM, "RAM-D5-16-HX", "8", "PCE", "20",
                series("HXM16-", 101, 108, 6), ["L2406A"]),
            line("3", RAM, "RAM-D5-16-HX", "4", "PCE", "20",
                ["HXM16-000120", "HXM16-000121", "HXM16-000130",
                    "HXM16-000131"], ["L2406B"]),
        ],
    },
    "desadv_d01b_ssd.edi": {
        "format": "desadv",
        "number": "KS-ASN-000417",
        "despatch_datetime": "2024-03-15T00:00:00",
        "order_references": ["4500012345"],
        "supplier": {"gln": KEYSTONE, "name": "Keystone Storage Inc"},
        "ship_to": {"gln": NORTHWIND_DOCK},
        "sscc": ["395060000000004014"],
        "lines": [
            line("1", SSD, "SSD-1TB-KS", "6", "PCE", "1",
                series("KS1T24031", 500997, 501002, 6)),
        ],
    },
    "x12_856_pc_parts.x12": {
        "format": "x12-856",
        "number": "KS-SHP-240318-07",
        "despatch_datetime": "2024-03-18T10:00:00",
        "order_references": ["4500012346"],
        "supplier": {"gln": KEYSTONE, "name": "Keystone Storage Inc"},
        "ship_to": {"gln": NORTHWIND_DOCK},
        "sscc": [
            "395060000000004021", "395060000000004038",
            "395060000000004045", "395060000000004052"],
        "lines": [
            line("5", SSD, "SSD-1TB-KS", "3", "EA", "1",
                series("KS1T24032000", 101, 103, 3)),
            line("7", SSD, "SSD-1TB-KS", "3", "EA", "1",
                series("KS1T24032000", 104, 106, 3)),
            line("9", PSU, "PSU-650-KS", "10", "EA", "2", (), ["PSU2403B"]),
        ],
    },
    "x12_856_custom_separators.x12": {
        "format": "x12-856",
        "number": "AST-ASN-2215",
        "despatch_datetime": "2024-03-19T08:00:00",
        "order_references": ["PO-2024-0822"],
        "supplier": {"gln": ASTERIA, "name": "Asteria Boards Ltd"},
        "ship_to": {"gln": NORTHWIND_DOCK},
        "sscc": ["395060000000002034"],
        "lines": [
            line("3", MB, "MB-B760-AST", "1", "EA", "10",
                ["AB760-2403X0007"]),
            line("4", MB, "MB-B760-AST", "1", "EA", "10",
                ["AB760-2403X0011"]),
            line("5", CASE, "CASE-MID-AST", "2", "EA", "30",
                ["ACM-0000731", "ACM-0000732"]),
        ],
    },
    "ubl_despatch_advice.xml": {
        "format": "ubl",
        "number": "AST-DA-2024-0311",
        "despatch_datetime": "2024-03-20T15:30:00+01:00",
        "order_references": ["PO-2024-0822"],
        "supplier": {"gln": ASTERIA, "name": "Asteria Boards Ltd"},
        "ship_to": {"gln": NORTHWIND_DOCK},
        "sscc": [
            "395060000000002010", "395060000000002027",
            "395060000000002041"],
        "lines": [
            line("1", MB, "MB-B760-AST", "6", "H87", "10",
                series("AB760-2403X", 101, 104, 4)
                + ["AB760-2403X0117", "AB760-2403X0118"]),
            line("2", CASE, "CASE-MID-AST", "6", "H87", "30",
                series("ACM-", 801, 804, 7) + ["ACM-0000911", "ACM-0000912"],
                ["CM2403-A", "CM2403-B"]),
        ],
    },
    "gs1_despatch_advice.xml": {
        "format": "gs1-xml",
        "number": "DA-HX-240325-02",
        "despatch_datetime": "2024-03-25T08:45:00+01:00",
        "order_references": ["PO-2024-0907"],
        "supplier": {"gln": HELIX, "name": "Helix Silicon GmbH"},
        "ship_to": {"gln": NORTHWIND_DOCK},
        "sscc": ["395060000000003055", "395060000000005011"],
        "lines": [
            line("1", CPU, "CPU-8C65-HX", "3", "H87", "10",
                ["HXC8-2407-0101", "HXC8-2407-0102", "HXC8-2407-0107"]),
            line("2", RAM, "RAM-D5-16-HX", "4", "H87", "20",
                series("HXM16-", 301, 303, 6) + ["HXM16-000377"],
                ["L2407C", "L2407D"]),
        ],
    },
    "asn_template.csv": {
        "format": "csv",
        "number": "AST-CSV-0042",
        "despatch_datetime": None,
        "order_references": ["PO-2024-0822"],
        "supplier": {"gln": None, "name": "Asteria Boards Ltd"},
        "ship_to": {"gln": None},
        "sscc": [],
        "lines": [
            line("1", MB, "MB-B760-AST", "2", None, None,
                ["AB760-2403X0201", "AB760-2403X0202"]),
            line("2", CASE, "CASE-MID-AST", "2", None, None,
                ["ACM-0001001", "ACM-0001002"], ["CM2403-C"]),
            line("3", None, "SCR-M3", "40", None, None, (), ["L-7781"]),
        ],
    },
    "ubl_peppol_partial_serials.xml": {
        "format": "ubl",
        "number": "AST-DA-2024-0415",
        "despatch_datetime": "2024-04-15T09:00:00+01:00",
        "order_references": ["PO-2024-0822"],
        "supplier": {"gln": ASTERIA, "name": "Asteria Boards Ltd"},
        "ship_to": {"gln": NORTHWIND_DOCK},
        "sscc": [],
        "lines": [
            # 6 delivered, serials announced for 3: the rest are expected
            # without serial
            line("1", MB, "MB-B760-AST", "6", "H87", "10",
                series("AB760-2404X", 301, 303, 4)),
        ],
    },
}


# --- the samples -------------------------------------------------------------

def test_every_sample_is_tested():
    files = {path.name for path in DATA.iterdir() if path.name != "README.md"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_parses_to_expected_dict(name):
    notice = parse(sample(name))
    assert notice.as_dict() == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_format_is_detected_and_can_be_forced(name):
    data = sample(name)
    assert detect_format(data) == EXPECTED[name]["format"]
    assert parse(data, EXPECTED[name]["format"]) == parse(data)


def test_notice_is_frozen_and_typed():
    notice = parse(sample("desadv_d96a_pc_parts.edi"))
    assert isinstance(notice, AdvanceShipNotice)
    assert notice.despatch_datetime == datetime.datetime(2024, 3, 12, 14, 30)
    assert notice.order_references == ("PO-2024-0815",)
    first = notice.lines[0]
    assert isinstance(first, AsnLine)
    assert first.quantity == Decimal(6)
    assert isinstance(first.serials, tuple)
    with pytest.raises(AttributeError):
        first.quantity = Decimal(7)
    with pytest.raises(AttributeError):
        notice.number = "X"


def test_time_zone_is_kept():
    notice = parse(sample("ubl_despatch_advice.xml"))
    assert notice.despatch_datetime.utcoffset() == datetime.timedelta(hours=1)


def test_bom_and_leading_white_space_are_ignored():
    for name in EXPECTED:
        data = b"\xef\xbb\xbf\r\n " + sample(name)
        assert parse(data).as_dict() == EXPECTED[name]


# --- EDIFACT -----------------------------------------------------------------

D96A = "desadv_d96a_pc_parts.edi"
D01B = "desadv_d01b_ssd.edi"


@pytest.mark.parametrize("fraction", [0.1, 0.33, 0.5, 0.77, 0.95])
def test_edifact_truncated_mid_segment(fraction):
    data = sample(D96A).rstrip(b"\n")
    cut = int(len(data) * fraction)
    while data[cut - 1:cut] in (b"'", b"\n"):
        cut -= 1
    refused(data[:cut], "truncated")


def test_edifact_truncated_between_segments():
    data = sample(D96A)
    cut = data.index(b"CPS+3+1'")
    refused(data[:cut], "truncated")


def test_edifact_truncated_after_separator():
    # pydifact silently drops a last segment that ends in a separator
    data = sample(D01B).rstrip(b"\n")
    refused(data[:-len(b"KS0000417'")], "truncated")


def test_edifact_release_character_is_removed():
    data = edit(D96A, "Helix Silicon GmbH", "Helix?+Silicon?: GmbH??")
    assert parse(data).supplier_name == "Helix+Silicon: GmbH?"


def test_edifact_release_in_serial_is_removed():
    data = edit(D96A, "+HXC8-2406-0012'", "+HXC8?+2406-0012'")
    assert parse(data).lines[0].serials[-1] == "HXC8+2406-0012"


@pytest.mark.parametrize("old, new", [
    ("Helix Silicon GmbH", "Helix ? Silicon GmbH"),
    ("Helix Silicon GmbH", "Helix Silicon GmbH?X"),
    ("UNZ+1+HX240312001'", "UNZ+1+HX240312001'?"),
])
def test_edifact_wrong_release_character(old, new):
    refused(edit(D96A, old, new), "release character")


def test_edifact_escaped_terminator_is_reported():
    # A "?'" swallows the next segment: the counts no longer match
    refused(edit(D96A, "PCI+17'\nGIN+BN+HXC8", "PCI+17?'\nGIN+BN+HXC8"),
        "segment")


def test_edifact_una_separators_are_honoured():
    data = sample(D96A).decode("latin-1")
    data = data.replace("?", "\x00").replace("'", "!").replace("+", "|")
    data = data.replace(":", "^").replace("\x00", "#")
    data = data.replace("UNA^|.# !", "UNA^|.# !")
    assert data.startswith("UNA^|.# !")
    notice = parse(data.encode("latin-1"))
    assert notice.as_dict() == EXPECTED[D96A]


@pytest.mark.parametrize("old, new, phrase", [
    ("GIN+BX+L2406A'", "GIN+ZZ+L2406A'", "unknown GIN qualifier 'ZZ'"),
    ("9506000140117:EN'", "9506000140117:XX'", "unknown item type"),
    ("DTM+11:202403121430:203'", "DTM+11:202403121430:303'",
        "format code '303'"),
])
def test_edifact_unknown_qualifier(old, new, phrase):
    refused(edit(D96A, old, new), phrase)


@pytest.mark.parametrize("old, new, phrase", [
    ("UNT+49+1'", "UNT+48+1'", "UNT count '48'"),
    ("UNT+49+1'", "UNT+49+2'", "UNT reference '2'"),
    ("UNZ+1+HX240312001'", "UNZ+2+HX240312001'", "UNZ count '2'"),
    ("UNZ+1+HX240312001'", "UNZ+1+HX999'", "UNZ reference"),
    ("CNT+2:3'", "CNT+2:4'", "CNT+2"),
])
def test_edifact_control_counts(old, new, phrase):
    refused(edit(D96A, old, new), phrase)


@pytest.mark.parametrize("old, new, phrase", [
    ("DESADV:D:96A", "ORDERS:D:96A", "not DESADV"),
    ("DESADV:D:96A", "DESADV:D:97A", "not supported"),
    ("BGM+351+", "BGM+220+", "not 351"),
    ("UNOC:3", "UNOX:3", "syntax identifier"),
    ("NAD+SU+9506000300009", "NAD+SU+9506000300008", "check digit"),
    ("GIN+BJ+395060000000003017", "GIN+BJ+395060000000003018",
        "check digit"),
    ("9506000140117:EN", "9506000140118:EN", "check digit"),
    ("GIN+BN+HXM16-000101:HXM16-000108'",
        "GIN+BN+HXM16-000108:HXM16-000101'", "reversed"),
    ("GIN+BN+HXM16-000101:HXM16-000108'", "GIN+BN+HXM16-000101:HXM16-999999'",
        "more than 100000"),
    ("GIN+BN+HXM16-000101:HXM16-000108'", "GIN+BN+HXM16-000101:HXZ16-000108'",
        "differ before their trailing digits"),
    ("GIN+BX+L2406A'", "GIN+BX+L2406A:L2406C'", "batch number cannot be"),
    ("QTY+12:6:PCE'", "QTY+12:5:PCE'", "quantity 5 but 6 serial numbers"),
    ("QTY+12:6:PCE'", "QTY+12:6.5:PCE'", "not a whole number"),
    ("QTY+12:6:PCE'", "QTY+12:six:PCE'", "not a non-negative number"),
    ("HXC8-2406-0009", "HXC8-2406-0003", "duplicate serial 'HXC8-2406-0003'"),
    ("HXM16-000131'", "HXM16-000108'", "duplicate serial 'HXM16-000108'"),
    ("HXC8-2406-0012'", "HXC8-2406-0012-EXTRA-LONG'", "longer than 20"),
    ("HXC8-2406-0012'", "HXC8 2406 0012'", "CSET 82"),
    ("LIN+2++9506000140124:EN'", "LIN+1++9506000140124:EN'", "used twice"),
    ("GIN+BJ+395060000000003017'", "GIN+BN+SN123'", "package level"),
])
def test_edifact_content_refused(old, new, phrase):
    refused(edit(D96A, old, new), phrase)


def test_edifact_quantity_mismatch_names_the_line():
    message = refused(edit(D96A, "QTY+12:8:PCE'", "QTY+12:7:PCE'"),
        "quantity")
    assert "segment 31 (LIN), line '2'" in message  # UNB is segment 1


def test_edifact_gin_with_six_ranges():
    refused(edit(D96A, "+HXC8-2406-0012'", "+A1+A2+A3+A4+A5'"),
        "at most 5")


def test_edifact_two_messages_are_refused():
    data = sample(D96A).decode("latin-1")
    start, end = data.index("UNH"), data.index("UNZ")
    data = data[:end] + data[start:end] + "UNZ+2+HX240312001'\n"
    refused(data.encode("latin-1"), "one DESADV per file")


def test_edifact_charset_from_unb():
    latin = edit(D96A, "Helix Silicon GmbH", "Hélix Silicon GmbH".encode(
        "latin-1"))
    assert parse(latin).supplier_name == "Hélix Silicon GmbH"
    ascii_only = latin.replace(b"UNOC:3", b"UNOA:3")
    refused(ascii_only, "not valid UNOA")
    utf8 = latin.replace(b"UNOC:3", b"UNOW:3")
    refused(utf8, "not valid UNOW")
    good_utf8 = edit(D01B, "Keystone Storage Inc", "Keystone Störage Inc")
    assert parse(good_utf8).supplier_name == "Keystone Störage Inc"


def test_edifact_ranges_with_syntax_version_4_repetition():
    data = edit(D96A, "UNA:+.? '", "UNA:+.?*'").replace(b"UNOC:3", b"UNOC:4")
    data = data.replace(b"Helix Silicon GmbH", b"Helix?*Silicon")
    assert parse(data).supplier_name == "Helix*Silicon"


def test_edifact_sscc_range_is_expanded():
    data = edit(D96A, "GIN+BJ+395060000000003017'",
        "GIN+BJ+395060000000003017:395060000000003055'")
    assert parse(data).sscc[:5] == (
        "395060000000003017", "395060000000003024", "395060000000003031",
        "395060000000003048", "395060000000003055")


# --- X12 ---------------------------------------------------------------------

X12 = "x12_856_pc_parts.x12"


def with_separators(element: str, component: str, terminator: str) -> bytes:
    text = sample(X12).decode()
    text = text.replace("*", "\x00").replace(">~", "\x01").replace("~", "\x02")
    text = text.replace("\x00", element)
    text = text.replace("\x01", component + terminator)
    return text.replace("\x02", terminator).encode()


@pytest.mark.parametrize("element, component, terminator", [
    ("|", "^", "\n"),
    ("^", ":", "~"),
    ("\x1d", "\x1f", "\x1c"),
    ("!", "\\", "'"),
])
def test_x12_custom_separators(element, component, terminator):
    notice = parse(with_separators(element, component, terminator))
    assert notice.as_dict() == EXPECTED[X12]


def test_x12_crlf_after_terminator_and_lf_terminator_with_cr():
    crlf = sample(X12).replace(b"\n", b"\r\n")
    assert parse(crlf).as_dict() == EXPECTED[X12]
    custom = sample("x12_856_custom_separators.x12").replace(b"\n", b"\r\n")
    assert parse(custom).as_dict() == EXPECTED["x12_856_custom_separators.x12"]


def test_x12_without_line_breaks():
    data = sample(X12).replace(b"~\n", b"~")
    assert parse(data).as_dict() == EXPECTED[X12]


@pytest.mark.parametrize("old, new, phrase", [
    ("SE*38*0001~", "SE*37*0001~", "SE01 count '37'"),
    ("SE*38*0001~", "SE*38*0002~", "SE02 control number"),
    ("CTT*9*16~", "CTT*8*16~", "CTT01 count '8'"),
    ("CTT*9*16~", "CTT*9*17~", "CTT02 hash total"),
    ("GE*1*417~", "GE*2*417~", "GE01 count '2'"),
    ("GE*1*417~", "GE*1*418~", "GE02 control number"),
    ("IEA*1*000000417~", "IEA*2*000000417~", "IEA01 count '2'"),
    ("IEA*1*000000417~", "IEA*1*000000418~", "IEA02 control number"),
])
def test_x12_mismatched_control_counts(old, new, phrase):
    refused(edit(X12, old, new), phrase)


@pytest.mark.parametrize("old, new, phrase", [
    ("LIN*2*EN*9506000140148", "LIN*2*QQ*9506000140148",
        "unknown product/service id qualifier 'QQ'"),
    ("HL*3*2*T~", "HL*3*2*Z~", "unknown HL level code 'Z'"),
    ("HL*4*3*P~", "HL*4*33*P~", "unknown parent"),
    ("REF*SE*KS1T24032000106~", "REF*SE*KS1T24032000101~",
        "duplicate serial 'KS1T24032000101'"),
    ("MAN*GM*00395060000000004038~", "MAN*GM*00395060000000004039~",
        "check digit"),
    ("MAN*GM*395060000000004021~", "MAN*GM*0395060000000004021~",
        "must be 18 digits"),
    ("ST*856*0001~", "ST*810*0001~", "not an 856"),
    ("DTM*011*20240318*1000~", "DTM*011*20240231*1000~", "invalid date"),
    ("N1*SU*Keystone Storage Inc*UL*9506000400006~",
        "N1*SU*Keystone Storage Inc*UL*950600040000~", "must be 13 digits"),
])
def test_x12_content_refused(old, new, phrase):
    refused(edit(X12, old, new), phrase)


@pytest.mark.parametrize("old, new, phrase", [
    ("*240318*1015*U*", "*240318*10150*U*", "not fixed width"),
    ("*P*>~", "*P*~~", "must differ"),
])
def test_x12_bad_isa(old, new, phrase):
    refused(edit(X12, old, new), phrase)


def test_x12_quantity_mismatch_names_the_item():
    data = edit(X12, "SN1**3*EA~\nREF*SE*KS1T24032000101",
        "SN1**2*EA~\nREF*SE*KS1T24032000101")
    data = data.replace(b"CTT*9*16~", b"CTT*9*15~")
    message = refused(data, "quantity 2 but 3 serial numbers")
    assert "segment 19 (HL), line '5'" in message


def test_x12_truncated():
    data = sample(X12)
    refused(data[:data.index(b"HL*6")], "truncated")
    refused(data[:data.index(b"HL*6") - 3], "truncated")
    refused(data[:60], "truncated ISA")


# --- UBL and GS1 XML ---------------------------------------------------------

UBL = "ubl_despatch_advice.xml"
GS1 = "gs1_despatch_advice.xml"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE DespatchAdvice [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<DespatchAdvice
 xmlns="urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>&lol9;</cbc:ID>
</DespatchAdvice>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE DespatchAdvice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<DespatchAdvice
 xmlns="urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>&secret;</cbc:ID>
</DespatchAdvice>
"""


def test_ubl_not_well_formed():
    refused(edit(UBL, "</cac:Shipment>", "</cac:Shipmen>"), "not well-formed")
    refused(sample(UBL)[:-40], "not well-formed")


@pytest.mark.parametrize("format", [None, "ubl", "gs1-xml"])
@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_xml_with_doctype_is_refused_before_parsing(document, format):
    message = refused(document, "DOCTYPE", format)
    assert "root:" not in message


def test_doctype_later_in_the_file_and_in_gs1_xml_is_refused():
    data = edit(GS1, "<despatchAdvice>",
        '<!DOCTYPE x SYSTEM "http://example.com/x.dtd"><despatchAdvice>')
    refused(data, "DOCTYPE", "gs1-xml")


def test_hardened_parser_never_resolves_entities():
    # Second line of defence: even without the DOCTYPE check, the lxml
    # parser used by the XML formats neither reads the file nor expands.
    from lxml import etree
    root = etree.fromstring(EXTERNAL_ENTITY, parser=_XML_PARSER)
    assert "root:" not in "".join(root.itertext())
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(BILLION_LAUGHS, parser=_XML_PARSER)


@pytest.mark.parametrize("old, new, phrase", [
    ('schemeID="0160">09506000140100', 'schemeID="0088">09506000140100',
        "unknown schemeID '0088'"),
    ("<cbc:LineID>10</cbc:LineID>", "", "OrderLineReference/cbc:LineID"),
    ('<cbc:DeliveredQuantity unitCode="H87">6</cbc:DeliveredQuantity>\n'
        "    <cac:OrderLineReference>\n      <cbc:LineID>10",
        '<cbc:DeliveredQuantity unitCode="H87">5</cbc:DeliveredQuantity>\n'
        "    <cac:OrderLineReference>\n      <cbc:LineID>10",
        "quantity 5 but 6 serial numbers"),
    ("<cbc:SerialID>AB760-2403X0118</cbc:SerialID>",
        "<cbc:SerialID>AB760-2403X0101</cbc:SerialID>",
        "duplicate serial 'AB760-2403X0101'"),
    ("<cbc:SerialID>AB760-2403X0118</cbc:SerialID>",
        "<cbc:SerialID>AB760-2403X0118</cbc:SerialID>"
        "<cbc:SerialID>AB760-2403X0119</cbc:SerialID>",
        "2 cbc:SerialID in one cac:ItemInstance"),
    ('<cbc:ID schemeID="SSCC">395060000000002010</cbc:ID>',
        '<cbc:ID schemeID="SSCC">395060000000002011</cbc:ID>', "check digit"),
    ('encoding="UTF-8"', 'encoding="ISO-8859-1"', "only UTF-8"),
])
def test_ubl_content_refused(old, new, phrase):
    refused(edit(UBL, old, new), phrase)


def test_ubl_error_names_the_element_path():
    message = refused(edit(UBL, "<cbc:SerialID>ACM-0000912</cbc:SerialID>",
        "<cbc:SerialID>ACM 912</cbc:SerialID>"), "CSET 82")
    assert "/DespatchAdvice/cac:DespatchLine[2]" in message


@pytest.mark.parametrize("old, new, phrase", [
    ("<serialNumber>HXM16-000377</serialNumber>",
        "<serialNumberRange/>", "serialNumberRange is not supported"),
    ("<despatchedQuantity measurementUnitCode=\"H87\">3<",
        "<despatchedQuantity measurementUnitCode=\"H87\">2<",
        "quantity 2 but 3 serial numbers"),
    ("<gtin>09506000140117</gtin>", "<gtin>09506000140118</gtin>",
        "check digit"),
    ("<despatchDateTime>2024-03-25T08:45:00+01:00",
        "<despatchDateTime>2024-03-25", "not an xsd:dateTime"),
])
def test_gs1_xml_content_refused(old, new, phrase):
    refused(edit(GS1, old, new), phrase)


def test_gs1_xml_two_despatch_advices_are_refused():
    data = sample(GS1).decode()
    start = data.index("  <despatchAdvice>")
    end = data.index("</despatchAdvice>") + len("</despatchAdvice>\n")
    data = data[:end] + data[start:end] + data[end:]
    refused(data.encode(), "2 despatchAdvice")


def test_unknown_xml_root_is_refused():
    refused(b"<?xml version='1.0'?><Invoice xmlns='urn:x'/>",
        "unrecognised XML")
    refused(b"<Invoice xmlns='urn:x'/>", "is not", "ubl")


# --- CSV ---------------------------------------------------------------------

CSV = "asn_template.csv"


def test_csv_without_template_header():
    data = edit(CSV, "supplier,asn_number", "vendor,asn_number")
    refused(data, "unrecognised ASN format")
    refused(data, "row 1 must be the header", "csv")


def test_csv_semicolon_and_quotes():
    text = sample(CSV).decode().replace(",", ";")
    text = text.replace("Asteria Boards Ltd", '"Asteria Boards; Ltd"')
    notice = parse(text.encode())
    assert notice.supplier_name == "Asteria Boards; Ltd"
    assert notice.lines == parse(sample(CSV)).lines


def test_csv_supplier_gln():
    data = sample(CSV).replace(b"Asteria Boards Ltd", ASTERIA.encode())
    assert parse(data).supplier_gln == ASTERIA


@pytest.mark.parametrize("old, new, phrase", [
    ("AB760-2403X0202", "AB760-2403X0201", "duplicate serial"),
    ("ACM-0001002,CM2403-C,1", "ACM-0001002,CM2403-C,3", "quantity 1, not"),
    (",L-7781,40", ",L-7781,", "quantity is required"),
    ("AST-CSV-0042,PO-2024-0822,,SCR", "AST-CSV-0043,PO-2024-0822,,SCR",
        "one ASN per file"),
    (",,SCR-M3,", ",,,", "neither gtin nor supplier_code"),
    ("ACM-0001002,CM2403-C,1", "ACM-0001002,CM2403-C", "7 cells"),
])
def test_csv_refused(old, new, phrase):
    refused(edit(CSV, old, new), phrase)


# --- any format --------------------------------------------------------------

# A line may announce serials for some of its units only (issue 16, item
# 15): the quantity stays the supplier's, the other units are expected
# without serial.  More serials than units stays an error.
PARTIAL_SERIALS = [
    (D96A, [("QTY+12:6:PCE'", "QTY+12:9:PCE'")], "1", "9", 6),
    (D01B, [("QTY+12:6:PCE'", "QTY+12:10:PCE'")], "1", "10", 6),
    (X12, [("SN1**3*EA~\nREF*SE*KS1T24032000101",
            "SN1**5*EA~\nREF*SE*KS1T24032000101"),
        ("CTT*9*16~", "CTT*9*18~")], "5", "5", 3),
    (UBL, [('<cbc:DeliveredQuantity unitCode="H87">6</cbc:DeliveredQuantity>'
            "\n    <cac:OrderLineReference>\n      <cbc:LineID>10",
            '<cbc:DeliveredQuantity unitCode="H87">8</cbc:DeliveredQuantity>'
            "\n    <cac:OrderLineReference>\n      <cbc:LineID>10")],
        "1", "8", 6),
    (GS1, [('<despatchedQuantity measurementUnitCode="H87">3<',
            '<despatchedQuantity measurementUnitCode="H87">7<')], "1", "7", 3),
    (CSV, [("\nAsteria Boards Ltd,AST-CSV-0042,PO-2024-0822,,SCR-M3,,"
            "L-7781,40",
            "\nAsteria Boards Ltd,AST-CSV-0042,PO-2024-0822,9506000140100,"
            "MB-B760-AST,,,3")], "1", "5", 2),
]


@pytest.mark.parametrize("name, edits, number, quantity, serials",
    PARTIAL_SERIALS, ids=[p[0] for p in PARTIAL_SERIALS])
def test_serials_for_some_units_only(name, edits, number, quantity, serials):
    data = sample(name)
    for old, new in edits:
        assert old.encode() in data, old
        data = data.replace(old.encode(), new.encode(), 1)
    line, = [l for l in parse(data).lines if l.line == number]
    assert format_quantity(line.quantity) == quantity
    assert len(line.serials) == serials
    assert line.unserialized == int(quantity) - serials


def test_peppol_despatch_advice_with_serials_for_half_the_units():
    line, = parse(sample("ubl_peppol_partial_serials.xml")).lines
    assert (line.quantity, len(line.serials), line.unserialized) == (
        6, 3, 3)


def test_more_serials_than_units_is_refused_in_every_format():
    refused(edit(D01B, "QTY+12:6:PCE'", "QTY+12:5:PCE'"),
        "more serials than units")
    refused(edit("ubl_peppol_partial_serials.xml",
            'unitCode="H87">6<', 'unitCode="H87">2<'),
        "quantity 2 but 3 serial numbers")


# Identifiers get sane lengths and printable characters whatever the
# format (issue 16, item 12): a 100 KB ASN number and one with ANSI escape
# codes were stored.
ASN_NUMBERS = {
    D96A: "DA-HX-240312-01", D01B: "KS-ASN-000417",
    X12: "KS-SHP-240318-07",
    "x12_856_custom_separators.x12": "AST-ASN-2215",
    UBL: "AST-DA-2024-0311", GS1: "DA-HX-240325-02", CSV: "AST-CSV-0042",
}
ORDER_NUMBERS = {
    D96A: "PO-2024-0815", D01B: "4500012345", X12: "4500012346",
    "x12_856_custom_separators.x12": "PO-2024-0822", UBL: "PO-2024-0822",
    GS1: "PO-2024-0907", CSV: "PO-2024-0822",
}
XML_SAMPLES = {UBL, GS1}


def replaced(name: str, old: str, new: str) -> bytes:
    data = sample(name)
    assert old.encode() in data, old
    return data.replace(old.encode(), new.encode("latin-1" if name == D96A
            else "utf-8"))


@pytest.mark.parametrize("name", sorted(ASN_NUMBERS))
def test_asn_number_of_100_kb_is_refused(name):
    refused(replaced(name, ASN_NUMBERS[name], "A" * 100_000),
        "more than 35")


@pytest.mark.parametrize("name", sorted(ASN_NUMBERS))
def test_asn_number_with_escape_codes_is_refused(name):
    # XML 1.0 cannot carry ESC at all: a bidi override is the XML trap
    bad = "AB\u202eCD" if name in XML_SAMPLES else "\x1b[31mAB\x1b[0m"
    if name == D96A:
        bad = "\x1b[31mAB\x1b[0m"
    message = refused(replaced(name, ASN_NUMBERS[name], bad), "unprintable")
    assert "\x1b" not in message and "\u202e" not in message


@pytest.mark.parametrize("name", sorted(ORDER_NUMBERS))
def test_order_reference_too_long_or_unprintable_is_refused(name):
    refused(replaced(name, ORDER_NUMBERS[name], "P" * 36), "more than 35")
    bad = "PO\u202e1" if name in XML_SAMPLES else "PO\x071"
    refused(replaced(name, ORDER_NUMBERS[name], bad), "unprintable")


@pytest.mark.parametrize("name, old", [
    (D96A, "RAM-D5-16-HX"), (X12, "PSU-650-KS"), (UBL, "MB-B760-AST"),
    (GS1, "CPU-8C65-HX"), (CSV, "SCR-M3")])
def test_supplier_code_too_long_is_refused(name, old):
    refused(replaced(name, old, "C" * 36), "supplier item code")


@pytest.mark.parametrize("name, old", [
    (D96A, "L2406A"), (X12, "PSU2403B"), (UBL, "CM2403-A"),
    (GS1, "L2407C"), (CSV, "L-7781")])
def test_lot_too_long_or_unprintable_is_refused(name, old):
    refused(replaced(name, old, "L" * 36), "lot")
    bad = "L\u202e1" if name in XML_SAMPLES else "L\x1b1"
    refused(replaced(name, old, bad), "unprintable")


@pytest.mark.parametrize("name, old", [
    (D96A, "Helix Silicon GmbH"), (X12, "Keystone Storage Inc"),
    (UBL, "Asteria Boards Ltd"), (GS1, "Helix Silicon GmbH"),
    (CSV, "Asteria Boards Ltd")])
def test_supplier_name_too_long_or_unprintable_is_refused(name, old):
    refused(replaced(name, old, "N" * 176), "more than 175")
    bad = "N\u202eX" if name in XML_SAMPLES else "N\x1bX"
    refused(replaced(name, old, bad), "unprintable")


@pytest.mark.parametrize("name, bad", [
    (X12, b"Keystone Storage \xff Inc"),
    (UBL, "Asteria Boards Lt\u00e9".encode("latin-1")),
    (GS1, b"Helix Silicon \xc3\x28GmbH"),
    (CSV, b"Asteria Boards \xe9Ltd"),
])
def test_non_utf8_bytes_are_refused(name, bad):
    data = sample(name)
    supplier = {X12: b"Keystone Storage Inc", UBL: b"Asteria Boards Ltd",
        GS1: b"Helix Silicon GmbH", CSV: b"Asteria Boards Ltd"}[name]
    refused(data.replace(supplier, bad, 1), "UTF-8")


def test_over_50_mb_is_refused_before_parsing():
    data = b"UNA:+.? '" + b"X" * MAX_SIZE
    message = refused(data, "50 MB")
    assert message.startswith(f"the file is {len(data)} bytes")
    with pytest.raises(AsnError, match="50 MB"):
        detect_format(data)


@pytest.mark.parametrize("data", [b"", b"   \r\n\t", b"\xef\xbb\xbf\n"])
def test_empty_file(data):
    refused(data, "empty")


def test_random_bytes():
    refused(bytes(range(256)) * 4, "unrecognised ASN format")


def test_unknown_format_name():
    refused(sample(CSV), "unknown ASN format 'xml'", "xml")
    assert set(FORMATS) == {"desadv", "x12-856", "ubl", "gs1-xml", "csv"}


def test_wrong_format_forced():
    refused(sample(UBL), "must start with UNB", "desadv")
    refused(sample(D96A), "must start with ISA", "x12-856")


def test_non_bytes_is_a_type_error():
    with pytest.raises(TypeError):
        parse("UNA:+.? '")


@pytest.mark.parametrize("first, last, expected", [
    ("SN-0098", "SN-0102", ["SN-0098", "SN-0099", "SN-0100", "SN-0101",
        "SN-0102"]),
    ("998", "1002", ["998", "999", "1000", "1001", "1002"]),
    ("A9", "A11", ["A9", "A10", "A11"]),
    ("x7", "x7", ["x7"]),
    ("AB12-0009", "AB12-0010", ["AB12-0009", "AB12-0010"]),
])
def test_expand_range(first, last, expected):
    assert expand_range(first, last, "here") == expected


@pytest.mark.parametrize("first, last, phrase", [
    ("SN-0102", "SN-0098", "reversed"),
    ("SN-0098", "SN-00102", "same width"),
    ("SN-A", "SN-B", "end in digits"),
    ("A-1", "B-2", "differ"),
    ("0", "100000", "more than 100000"),
])
def test_expand_range_refused(first, last, phrase):
    with pytest.raises(AsnError, match=phrase):
        expand_range(first, last, "here")


# --- property tests ----------------------------------------------------------

SAMPLES = [sample(name) for name in sorted(EXPECTED)]
PREFIXES = [
    b"", b"UNA:+.? '", b"UNA:+.? 'UNB+UNOC:3+", b"UNB+UNOW:4+",
    b"ISA*00*          *00*          *ZZ*A              *ZZ*B              "
    b"*240318*1015*U*00401*000000417*0*P*>~",
    b"<?xml version='1.0'?>", b"<DespatchAdvice xmlns='"
    b"urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2'>",
    b"supplier,asn_number,po,gtin,supplier_code,serial,lot,quantity\n",
]


def _parse_or_refuse(data: bytes) -> None:
    try:
        notice = parse(data)
    except AsnError as error:
        assert str(error) and "\n" not in str(error)
    else:
        assert notice.format in FORMATS
        notice.as_dict()


@_SETTINGS
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_raise_only_asn_error(data):
    _parse_or_refuse(data)


@_SETTINGS
@given(st.sampled_from(PREFIXES), st.binary(max_size=2000))
def test_format_prefixes_with_junk_raise_only_asn_error(prefix, data):
    _parse_or_refuse(prefix + data)


@_SETTINGS
@given(st.sampled_from(SAMPLES), st.data())
def test_mutated_samples_raise_only_asn_error(data, draw):
    data = bytearray(data)
    for _ in range(draw.draw(st.integers(1, 4))):
        position = draw.draw(st.integers(0, len(data)))
        kind = draw.draw(st.sampled_from(["delete", "insert", "cut"]))
        if kind == "delete":
            del data[position:position + draw.draw(st.integers(1, 30))]
        elif kind == "insert":
            data[position:position] = draw.draw(st.binary(
                min_size=1, max_size=8) | st.sampled_from([
                    b"'", b"?", b"+", b":", b"*", b"~", b"<", b"&", b"\n",
                    b"\xff", b"0", b"A"]))
        else:
            data = data[:position]
    _parse_or_refuse(bytes(data))


@_SETTINGS
@given(st.sampled_from(PREFIXES), st.text(max_size=1500))
def test_arbitrary_text_raises_only_asn_error(prefix, text):
    _parse_or_refuse(prefix + text.encode("utf-8", "surrogatepass"))


def test_no_wall_clock_limits_in_these_tests():
    "Speed belongs to the benchmarks: a loaded machine must not fail tests"
    source = Path(__file__).read_text()
    clock = "perf_" + "counter"
    assert clock not in source
    limits = re.findall("dead" + r"line=(\w+)", source)
    assert set(limits) <= {"None"}, limits


# --- round trip (issue 16, item 22) -----------------------------------------
# A random normalized ASN, written out by the test writers (the project
# only reads ASNs) and parsed back, equals itself.  What a format cannot
# carry is left out of the notices drawn for it (see asn_writers).

from serial_mes.gs1 import gtin_check_digit  # noqa: E402

from .asn_writers import WRITERS  # noqa: E402

_PLAIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# characters each format must escape or quote, beside the plain ones
_SPECIAL = {
    "csv": ",;\"'-./ ", "ubl": "&<>\"'-./ ", "gs1-xml": "&<>\"'-./ ",
    "desadv": "?+:'-./ ", "x12-856": "-./ ",
}
_SERIAL_SPECIAL = {
    "csv": ",;\"-./", "ubl": "&<>\"-./", "gs1-xml": "&<>\"-./",
    "desadv": "?+:'-./", "x12-856": "-./",
}


def _digits_with_check(length):
    return st.text("0123456789", min_size=length - 1,
        max_size=length - 1).map(lambda d: d + gtin_check_digit(d))


def _text(format, max_size=35):
    return st.text(_PLAIN + _SPECIAL[format], min_size=1,
        max_size=max_size).filter(lambda t: t == t.strip())


@st.composite
def _notices(draw, format):
    full = format != "csv"
    serial_text = st.text(_PLAIN + _SERIAL_SPECIAL[format], min_size=1,
        max_size=20)
    count = draw(st.integers(1, 4))
    gtins = draw(st.lists(_digits_with_check(14), min_size=count,
            max_size=count, unique=True))
    codes = draw(st.lists(_text(format), min_size=count, max_size=count,
            unique=True))
    lines = []
    for index in range(count):
        serials = draw(st.lists(serial_text, max_size=4, unique=True))
        if serials:
            quantity = Decimal(len(serials) + draw(st.integers(0, 3)))
        else:
            quantity = draw(st.decimals(0, 999, places=2,
                    allow_nan=False, allow_infinity=False))
        has_gtin = draw(st.booleans())
        lines.append(AsnLine(
            line=(str(10 + index) if format == "x12-856"
                else draw(_text(format, 6)) if full else str(index + 1)),
            gtin=gtins[index] if has_gtin else None,
            supplier_code=(draw(st.none() | st.just(codes[index]))
                if has_gtin else codes[index]),
            quantity=quantity,
            unit=draw(st.none() | st.sampled_from(["H87", "EA", "PCE"]))
            if full else None,
            order_line=draw(_text(format, 6)) if format == "ubl" else (
                draw(st.none() | _text(format, 6)) if full else None),
            serials=tuple(serials),
            lots=tuple(draw(st.lists(_text(format, 20), max_size=2,
                        unique=True)))))
    if full and len({line.line for line in lines}) < count:
        lines = [AsnLine(**dict(vars(line), line=str(index + 1)))
            for index, line in enumerate(lines)]
    gln = draw(st.none() | _digits_with_check(13))
    name = draw(st.none() | _text(format, 60).filter(
            lambda t: not t.isdigit()))
    if not full and gln:
        name = None
    moment = None
    if full and draw(st.booleans()):
        moment = draw(st.datetimes(
                datetime.datetime(2000, 1, 1),
                datetime.datetime(2099, 12, 31))).replace(microsecond=0)
        if format == "x12-856":
            moment = moment.replace(second=0)
        if format in ("ubl", "gs1-xml"):
            offset = draw(st.none() | st.integers(-12 * 4, 14 * 4))
            if offset is not None:
                moment = moment.replace(tzinfo=datetime.timezone(
                        datetime.timedelta(minutes=15 * offset)))
    return AdvanceShipNotice(
        format=format,
        number=draw(_text(format)),
        despatch_datetime=moment,
        order_references=tuple(draw(st.lists(_text(format), max_size=count,
                    unique=True))),
        supplier_gln=gln,
        supplier_name=name,
        ship_to_gln=draw(st.none() | _digits_with_check(13)) if full
        else None,
        sscc=tuple(draw(st.lists(_digits_with_check(18), max_size=3,
                    unique=True))) if full else (),
        lines=tuple(lines))


@pytest.mark.parametrize("format", sorted(WRITERS))
@settings(deadline=None, database=None, max_examples=80)
@given(data=st.data())
def test_written_notice_parses_back_to_itself(format, data):
    notice = data.draw(_notices(format))
    document = WRITERS[format](notice)
    assert detect_format(document) == format
    assert parse(document) == notice


@pytest.mark.parametrize("name", sorted(
        n for n in EXPECTED if EXPECTED[n]["format"] in WRITERS))
def test_writers_reproduce_the_samples(name):
    "The writers' documents say what the hand-written samples say"
    notice = parse(sample(name))
    if notice.format == "csv":
        assert parse(WRITERS["csv"](notice)) == notice
    else:
        assert parse(WRITERS[notice.format](notice)).as_dict() == (
            EXPECTED[name])
