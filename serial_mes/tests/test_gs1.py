# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Tests of serial_mes.gs1 (pure pytest, no database)"

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serial_mes.gs1 import (
    CSET82, GS, MAX_INPUT_LENGTH, Barcode, BarcodeError, element_string,
    gtin_check_digit, is_cset82, normalize_gtin, parse_barcode)

# Two-digit years depend on the reference date: fix it.  Hypothesis keeps
# no example database, so the tests leave nothing behind.
_SETTINGS = settings(deadline=None, database=None)
TODAY = datetime.date(2025, 6, 1)
GTIN = "09506000134352"
SSCC = "106141412345678908"


def parse(text, **kwargs):
    kwargs.setdefault("today", TODAY)
    return parse_barcode(text, **kwargs)


# --- accepted input ---------------------------------------------------------

@pytest.mark.parametrize("text, kind, ais", [
    pytest.param(
        f"]C101{GTIN}10ABC{GS}21XYZ", "gs1",
        [("01", GTIN), ("10", "ABC"), ("21", "XYZ")], id="C1-with-GS"),
    pytest.param(
        f"]d201{GTIN}17261200{GS}10L1{GS}21abc", "gs1",
        [("01", GTIN), ("17", "261200"), ("10", "L1"), ("21", "abc")],
        id="d2"),
    pytest.param(
        f"]Q301{GTIN}21X{GS}", "gs1", [("01", GTIN), ("21", "X")],
        id="Q3-trailing-GS"),
    pytest.param(
        f"]e001{GTIN}1726123110A", "gs1",
        [("01", GTIN), ("17", "261231"), ("10", "A")], id="e0"),
    pytest.param(
        f"]J1{GS}01{GTIN}{GS}21X", "gs1", [("01", GTIN), ("21", "X")],
        id="J1-leading-GS-and-superfluous-GS"),
    pytest.param(
        f"01{GTIN}21X", "gs1", [("01", GTIN), ("21", "X")], id="raw"),
    pytest.param(
        f"{GS}01{GTIN}21X\r\n", "gs1", [("01", GTIN), ("21", "X")],
        id="raw-leading-GS-CRLF"),
    pytest.param(
        f"17261231{GS}01{GTIN}", "gs1", [("17", "261231"), ("01", GTIN)],
        id="raw-key-not-first"),
    pytest.param(
        f"  (01) {GTIN} (21) ABC  ", "gs1", [("01", GTIN), ("21", "ABC")],
        id="bracketed-with-spaces"),
    pytest.param(
        f"(01){GTIN}(21)AB(C)", "gs1", [("01", GTIN), ("21", "AB(C)")],
        id="bracketed-parenthesis-in-value"),
    pytest.param(
        f"(01){GTIN}(21)AB\\(10)C", "gs1", [("01", GTIN), ("21", "AB(10)C")],
        id="bracketed-escaped-AI-in-value"),
    pytest.param(
        f"https://example.com/my/stem/01/{GTIN}/10/ABC/21/XYZ"
        "?17=261231&linkType=gs1:pip", "digital_link",
        [("01", GTIN), ("10", "ABC"), ("21", "XYZ"), ("17", "261231")],
        id="DL-stem-query-linkType"),
    pytest.param(
        f"]Q1https://id.gs1.org/01/{GTIN}/21/X", "digital_link",
        [("01", GTIN), ("21", "X")], id="Q1-DL"),
    pytest.param(
        f"]d1HTTP://ID.GS1.ORG/01/{GTIN}/21/X", "digital_link",
        [("01", GTIN), ("21", "X")], id="d1-DL-upper-case-scheme-host"),
    pytest.param(
        f"https://id.gs1.org/01/{GTIN[1:]}/21/X", "digital_link",
        [("01", GTIN), ("21", "X")], id="DL-GTIN-13-normalised"),
    pytest.param(
        f"https://id.gs1.org/00/{SSCC}?02=00614141123452&37=25",
        "digital_link",
        [("00", SSCC), ("02", "00614141123452"), ("37", "25")],
        id="DL-SSCC"),
    pytest.param(
        "https://id.gs1.org/8004/9506000XYZ/7040/1ABC", "digital_link",
        [("8004", "9506000XYZ"), ("7040", "1ABC")], id="DL-GIAI"),
    pytest.param(
        f"https://id.gs1.org/01/{GTIN}/21/A/8004/9506000XYZ", "digital_link",
        [("8004", "9506000XYZ")], id="DL-rightmost-primary-key"),
    pytest.param(
        "]E09506000134352", "gs1", [("01", GTIN)], id="EAN-13"),
    pytest.param(
        "]E495012346", "gs1", [("01", "00000095012346")], id="EAN-8"),
    pytest.param(
        f"]C100{SSCC}02006141411234523725", "gs1",
        [("00", SSCC), ("02", "00614141123452"), ("37", "25")],
        id="logistic-unit"),
    pytest.param(
        f"]C101{GTIN}21A{GS}21A", "gs1", [("01", GTIN), ("21", "A")],
        id="same-value-repeated-collapsed"),
])
def test_accepted(text, kind, ais):
    barcode = parse(text)
    assert barcode.kind == kind
    assert barcode.ais == tuple(ais)


def test_text_is_input_without_surrounding_white_space():
    barcode = parse(f" ]C101{GTIN}21X\r\n")
    assert barcode.text == f"]C101{GTIN}21X"


@pytest.mark.parametrize("serial", [
    "0000000001", "abcDEF", "0000000001aBc", "A-1/2.3", "!\"%&'()*+,",
])
def test_serial_kept_exactly(serial):
    assert parse(f"]C101{GTIN}21{serial}").serial == serial
    assert parse(f"(01){GTIN}(21){serial}").serial == serial


def test_missing_separator_gives_lot_without_serial():
    # Per the standard: without GS, (10) runs to the end of the data.
    barcode = parse(f"]C101{GTIN}10ABC21XYZ")
    assert barcode.lot == "ABC21XYZ"
    assert barcode.serial is None
    assert "21" not in dict(barcode.ais)


def test_missing_separator_overrun_is_refused():
    with pytest.raises(BarcodeError, match=r"AI \(10\).*too long.*GS"):
        parse(f"]C101{GTIN}10ABC12345678901234567821XYZ")


@pytest.mark.parametrize("value, expected", [
    ("261231", datetime.date(2026, 12, 31)),
    ("261200", datetime.date(2026, 12, 31)),
    ("280200", datetime.date(2028, 2, 29)),
    ("270200", datetime.date(2027, 2, 28)),
    ("991231", datetime.date(1999, 12, 31)),
    ("740101", datetime.date(2074, 1, 1)),
    ("760101", datetime.date(1976, 1, 1)),
])
def test_expiry(value, expected):
    assert parse(f"]C101{GTIN}17{value}").expiry == expected


def test_century_window_follows_today():
    text = f"]C101{GTIN}17000229"
    assert parse(text).expiry == datetime.date(2000, 2, 29)
    with pytest.raises(BarcodeError, match=r"day 29 does not exist in 2100"):
        parse(text, today=datetime.date(2060, 1, 1))


def test_percent_encoded_serial_is_decoded():
    barcode = parse(f"https://id.gs1.org/01/{GTIN}/21/A%2FB%25C?17=261231")
    assert barcode.serial == "A/B%C"
    assert barcode.digital_link == (
        f"https://id.gs1.org/01/{GTIN}/21/A%2FB%25C?17=261231")


def test_plus_in_query_is_a_plus():
    assert parse(
        f"https://id.gs1.org/01/{GTIN}/21/X?240=A+B").value("240") == "A+B"


def test_canonical_digital_link():
    barcode = parse(f"(01){GTIN}(10)ABC(21)XYZ(17)261231")
    expected = f"https://id.gs1.org/01/{GTIN}/10/ABC/21/XYZ?17=261231"
    assert barcode.digital_link == expected
    again = parse(expected)
    assert again.kind == "digital_link"
    assert again.digital_link == expected
    assert dict(again.ais) == dict(barcode.ais)


@pytest.mark.parametrize("text, link", [
    (f"]C100{SSCC}", f"https://id.gs1.org/00/{SSCC}"),
    (f"]C117261231{GS}21S{GS}10L{GS}01{GTIN}",
        f"https://id.gs1.org/01/{GTIN}/10/L/21/S?17=261231"),
    (f"(01){GTIN}(21)S(250)X(11)250101",
        f"https://id.gs1.org/01/{GTIN}/21/S?11=250101&250=X"),
    ("(8004)9506000XYZ", "https://id.gs1.org/8004/9506000XYZ"),
    ("(414)9506000134352(254)A1",
        "https://id.gs1.org/414/9506000134352/254/A1"),
    (f"(01){GTIN}(21)A/B", f"https://id.gs1.org/01/{GTIN}/21/A%2FB"),
])
def test_digital_link_output(text, link):
    assert parse(text).digital_link == link


def test_no_digital_link_without_primary_key():
    assert parse("]C14109506000134352").digital_link is None


def test_as_dict():
    assert parse(f"]C101{GTIN}10L{GS}21S{GS}17261200").as_dict() == {
        "kind": "gs1",
        "ais": {"01": GTIN, "10": "L", "21": "S", "17": "261200"},
        "gtin": GTIN,
        "serial": "S",
        "lot": "L",
        "expiry": "2026-12-31",
        "digital_link": f"https://id.gs1.org/01/{GTIN}/10/L/21/S?17=261200",
    }


def test_as_dict_keeps_none_values():
    assert parse(f"]C100{SSCC}").as_dict() == {
        "kind": "gs1", "ais": {"00": SSCC}, "gtin": None, "serial": None,
        "lot": None, "expiry": None,
        "digital_link": f"https://id.gs1.org/00/{SSCC}",
    }


# --- refused input ----------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    pytest.param(
        "]C10109506000134353",
        r"AI \(01\): check digit 3 is wrong, expected 2 in '09506000134353'",
        id="GTIN-check-digit"),
    pytest.param(
        "]C100106141412345678907", r"AI \(00\): check digit 7 is wrong",
        id="SSCC-check-digit"),
    pytest.param(
        "(8003)09506000134353ABC", r"AI \(8003\): check digit 3 is wrong",
        id="GRAI-check-digit"),
    pytest.param(
        "(414)9506000134353", r"AI \(414\): check digit 3 is wrong",
        id="GLN-check-digit"),
    pytest.param(
        "(8006)095060001343530102", r"AI \(8006\): check digit 3 is wrong",
        id="ITIP-check-digit"),
    pytest.param(
        "(253)9506000134353ABC", r"AI \(253\): check digit 3 is wrong",
        id="GDTI-check-digit"),
    pytest.param(
        "(8017)106141412345678907", r"AI \(8017\): check digit 7 is wrong",
        id="GSRN-check-digit"),
    pytest.param(
        "]E09506000134353", r"GTIN: check digit 3 is wrong", id="EAN-13"),
    pytest.param(
        f"]C101{GTIN}21AB C", r"AI \(21\): character ' ' is not allowed",
        id="space-in-serial"),
    pytest.param(
        f"]C101{GTIN}21AB#C", r"AI \(21\): character '#' is not allowed",
        id="hash-in-serial"),
    pytest.param(
        f"]C101{GTIN}21ABé", r"AI \(21\): character 'é' is not allowed",
        id="non-ASCII-in-serial"),
    pytest.param(
        f"]C101{GTIN}10A\tB", r"AI \(10\): character '\\t' is not allowed",
        id="tab-in-lot"),
    pytest.param(
        "]C101095060001343٥2", r"AI \(01\): character '٥' is not allowed",
        id="non-ASCII-digit-in-GTIN"),
    pytest.param(
        f"]C101{GTIN}21{'S' * 21}", r"AI \(21\).*too long.*at most 20",
        id="serial-too-long"),
    pytest.param(
        "]C1010950600013435", r"AI \(01\).*too short", id="GTIN-too-short"),
    pytest.param(
        f"]C101{GTIN}0512", r"unknown AI", id="unknown-AI"),
    pytest.param(
        f"(01){GTIN}(05)12", r"unknown AI \(05\)", id="unknown-AI-bracketed"),
    pytest.param(
        "]C121XYZ", r"AI \(21\) requires AI \(01\), \(03\) or \(8006\)",
        id="serial-without-GTIN"),
    pytest.param("]C110LOT", r"AI \(10\) requires", id="lot-without-GTIN"),
    pytest.param(
        f"]C101{GTIN}250X", r"AI \(250\) requires AI \(21\)",
        id="250-without-serial"),
    pytest.param(
        "]C10200614141123452", r"AI \(02\) requires AI \(37\)",
        id="02-without-37"),
    pytest.param("]C13725", r"AI \(37\) requires", id="37-alone"),
    pytest.param(
        f"]C101{GTIN}0200614141123452" + "3725",
        r"AI \(01\) cannot be combined with AI \(02\)", id="01-with-02"),
    pytest.param(
        f"]C101{GTIN}3725", r"AI \(01\) cannot be combined with AI \(37\)",
        id="01-with-37"),
    pytest.param(
        f"]C101{GTIN}21S{GS}235T",
        r"AI \(21\) cannot be combined with AI \(235\)", id="21-with-235"),
    pytest.param(
        f"]C101{GTIN}3100000100" + "3101000010",
        r"AI \(3101\) cannot be combined with AI \(3100\)",
        id="two-decimal-positions"),
    pytest.param(
        f"]C101{GTIN}21A{GS}21B",
        r"AI \(21\) is repeated with different values 'A' and 'B'",
        id="repeated-AI"),
    pytest.param(
        f"]C101{GTIN}17260230", r"AI \(17\): day 30 does not exist in 2026-02",
        id="February-30"),
    pytest.param(
        f"]C101{GTIN}17270229", r"AI \(17\): day 29 does not exist in 2027-02",
        id="February-29-not-leap"),
    pytest.param(
        f"]C101{GTIN}17261301", r"AI \(17\): month 13 is invalid",
        id="month-13"),
    pytest.param(
        f"]C101{GTIN}11260001", r"AI \(11\): month 00 is invalid",
        id="month-00"),
    pytest.param(
        f"(01){GTIN}(7006)260200", r"AI \(7006\): day 00 is not allowed",
        id="day-00-where-not-allowed"),
    pytest.param(
        f"(01){GTIN}(8008)26010125", r"AI \(8008\): hour 25 is invalid",
        id="hour-25"),
    pytest.param(
        f"]C101{GTIN}{GS}{GS}21X", r"two GS in a row", id="empty-field"),
    pytest.param(
        f"]C1{GS}{GS}01{GTIN}", r"two GS in a row", id="two-leading-GS"),
    pytest.param(f"]C101{GTIN}10{GS}21X", r"AI \(10\): empty value",
        id="empty-value"),
    pytest.param(
        f"https://id.gs1.org/01/{GTIN}/21/X/10/ABC",
        r"key qualifiers of \(01\) out of order", id="DL-qualifier-order"),
    pytest.param(
        f"https://id.gs1.org/01/{GTIN}/235/T/21/X",
        r"out of order or not allowed together", id="DL-235-with-21"),
    pytest.param(
        f"https://id.gs1.org/01/{GTIN}/250/X",
        r"AI \(250\) is not a key qualifier of \(01\)",
        id="DL-non-qualifier-in-path"),
    pytest.param(
        f"https://id.gs1.org/01/{GTIN}?21=X",
        r"AI \(21\) is a key qualifier of \(01\) and belongs in the "
        r"Digital Link path", id="DL-qualifier-in-query"),
    pytest.param(
        f"https://id.gs1.org/01/{GTIN}/21/A%2", r"malformed percent-encoding",
        id="DL-bad-percent"),
    pytest.param(
        f"https://id.gs1.org/01/{GTIN}/21/A%C3", r"not UTF-8",
        id="DL-percent-not-UTF-8"),
    pytest.param(
        f"https://id.gs1.org/01/{GTIN}/21/A%20B",
        r"AI \(21\): character ' ' is not allowed", id="DL-encoded-space"),
    pytest.param(
        f"https://id.gs1.org/01/{GTIN}/21/A B", r"space or a control",
        id="DL-raw-space"),
    pytest.param(
        "https://id.gs1.org/01/09506000134353",
        r"AI \(01\): check digit 3 is wrong", id="DL-check-digit"),
    pytest.param(
        f"https://id.gs1.org/01/{GTIN}/", r"does not end in /AI/value",
        id="DL-trailing-slash"),
    pytest.param(
        f"https://id.gs1.org/01/{GTIN}/21/", r"AI \(21\): empty value",
        id="DL-empty-serial"),
    pytest.param(
        f"https://id.gs1.org/01/{GTIN}?99999=1&17=261231",
        r"unknown AI \(99999\)", id="DL-unknown-query-AI"),
    pytest.param(
        f"https://id.gs1.org/01/{GTIN}?17=261231&17=270101",
        r"AI \(17\) is repeated", id="DL-repeated-query-AI"),
    pytest.param(
        "https:///01/09506000134352", r"has no domain", id="DL-no-domain"),
    pytest.param(
        "x" * (MAX_INPUT_LENGTH + 1), r"too long: 4097 characters",
        id="oversized"),
    pytest.param("", r"empty", id="empty"),
    pytest.param(" \r\n", r"empty", id="white-space-only"),
    pytest.param("]C1", r"no data after the symbology identifier",
        id="identifier-only"),
])
def test_refused(text, message):
    with pytest.raises(BarcodeError, match=message):
        parse(text)


def test_oversized_input_is_refused_at_once():
    text = "]C1" + "9" * 10_000_000
    with pytest.raises(BarcodeError, match=r"too long"):
        parse(text, plain=True)


@pytest.mark.parametrize("value", [None, b"]C101", 123])
def test_non_text_is_refused(value):
    with pytest.raises(BarcodeError, match=r"must be text"):
        parse(value)


# --- GS1 or plain -----------------------------------------------------------

@pytest.mark.parametrize("text, plain_text", [
    ("]d1hello", "hello"),
    ("]Q1ABC-123", "ABC-123"),
    ("]C0ABC", "ABC"),
    ("hello world", "hello world"),
    ("12345678", "12345678"),
    ("4006381333931", "4006381333931"),
    ("9512345", "9512345"),
    ("https://example.com/2024/01/15/article",
        "https://example.com/2024/01/15/article"),
    ("(1) first", "(1) first"),
    ("https://id.gs1.org/01/ABC", "https://id.gs1.org/01/ABC"),
])
def test_not_gs1_is_plain_only_on_request(text, plain_text):
    with pytest.raises(BarcodeError, match=r"not GS1 data"):
        parse(text)
    barcode = parse(text, plain=True)
    assert barcode == Barcode("plain", (), plain_text)
    assert barcode.as_dict() == {
        "kind": "plain", "ais": {}, "gtin": None, "serial": None,
        "lot": None, "expiry": None, "digital_link": None,
        "text": plain_text}


@pytest.mark.parametrize("text, message", [
    ("]C10109506000134353", r"check digit"),
    ("]d2hello", r"unknown AI"),
    ("]Q321XYZ", r"requires"),
    ("(01)09506000134353", r"check digit"),
    ("(21)ABC", r"requires"),
    ("(12) Monkeys", r"AI \(12\)"),
    ("0109506000134353", r"check digit"),
    (f"00{SSCC[:-1]}7", r"check digit"),
    (f"01{GTIN}21A B", r"not allowed"),
    (f"abc{GS}def", r"unknown AI"),
    ("https://id.gs1.org/01/09506000134353", r"check digit"),
    (f"]Q1https://id.gs1.org/01/{GTIN}/21/X/10/L", r"out of order"),
    ("https://id.gs1.org/01/0950600013435X", r"not allowed"),
    ("https://example.com/01/09506000134353#x", r"check digit"),
    ("]E01234", r"EAN/UPC"),
])
def test_broken_gs1_is_refused_even_when_plain(text, message):
    with pytest.raises(BarcodeError, match=message):
        parse(text, plain=True)


# --- helpers ----------------------------------------------------------------

@pytest.mark.parametrize("digits, check", [
    ("950600013435", "2"),
    ("0950600013435", "2"),
    ("10614141234567890", "8"),
    ("9501234", "6"),
    ("0", "0"),
])
def test_gtin_check_digit(digits, check):
    assert gtin_check_digit(digits) == check


@pytest.mark.parametrize("digits", ["", "12a4", "１２", None])
def test_gtin_check_digit_refuses_non_digits(digits):
    with pytest.raises(BarcodeError, match=r"not a string of digits"):
        gtin_check_digit(digits)


@pytest.mark.parametrize("value, expected", [
    ("95012346", "00000095012346"),
    ("614141123452", "00614141123452"),
    ("9506000134352", GTIN),
    (GTIN, GTIN),
    (f" {GTIN}\n", GTIN),
])
def test_normalize_gtin(value, expected):
    assert normalize_gtin(value) == expected


@pytest.mark.parametrize("value, message", [
    ("9506000134353", r"check digit 3 is wrong, expected 2"),
    ("950600013435", r"check digit"),
    ("123", r"8, 12, 13 or 14 digits"),
    ("095060001343521", r"8, 12, 13 or 14 digits"),
    ("95O6000134352", r"8, 12, 13 or 14 digits"),
    (9506000134352, r"must be given as text"),
])
def test_normalize_gtin_refuses(value, message):
    with pytest.raises(BarcodeError, match=message):
        normalize_gtin(value)


@pytest.mark.parametrize("value, expected", [
    ("ABCabc0123", True),
    ("!\"%&'()*+,-./:;<=>?_", True),
    ("A B", False),
    ("A#", False),
    ("A$", False),
    ("A@", False),
    ("A~", False),
    ("é", False),
    ("A\x1d", False),
    ("", False),
    (None, False),
])
def test_is_cset82(value, expected):
    assert is_cset82(value) is expected


def test_cset82_has_82_characters():
    assert len(CSET82) == 82


def test_element_string():
    pairs = [("01", GTIN), ("10", "ABC"), ("21", "XYZ"), ("17", "261231")]
    text = element_string(pairs)
    assert text == f"(01){GTIN}(10)ABC(21)XYZ(17)261231"
    assert element_string(dict(pairs)) == text
    assert parse(text).ais == tuple(pairs)


def test_element_string_escapes_what_reads_as_an_ai():
    text = element_string([("01", GTIN), ("21", "A(10)B(C)")])
    assert text == f"(01){GTIN}(21)A\\(10)B(C)"
    assert parse(text).serial == "A(10)B(C)"


@pytest.mark.parametrize("pairs, message", [
    ([("01", "09506000134353")], r"check digit"),
    ([("01", GTIN), ("21", "A B")], r"not allowed"),
    ([("05", "1")], r"unknown AI"),
    ([("01", GTIN), ("17", "261301")], r"month 13"),
    ([], r"no AI"),
])
def test_element_string_refuses_invalid_elements(pairs, message):
    with pytest.raises(BarcodeError, match=message):
        element_string(pairs)


# --- properties -------------------------------------------------------------

def _gtins():
    return st.text("0123456789", min_size=13, max_size=13).map(
        lambda digits: digits + gtin_check_digit(digits))


_SERIALS = st.text(sorted(CSET82), min_size=1, max_size=20)


def _parses_or_refuses(text):
    for plain in (False, True):
        try:
            barcode = parse(text, plain=plain)
        except BarcodeError as error:
            assert "\n" not in str(error)
            continue
        assert isinstance(barcode, Barcode)
        assert barcode.kind in ("gs1", "digital_link", "plain")
        barcode.as_dict()


@settings(_SETTINGS, max_examples=300)
@given(st.text(max_size=300))
def test_any_text_parses_or_is_refused(text):
    _parses_or_refuses(text)


@settings(_SETTINGS, max_examples=300)
@given(st.binary(max_size=300).map(lambda data: data.decode("latin-1")))
def test_any_bytes_parse_or_are_refused(text):
    _parses_or_refuses(text)


_AI_CODES = st.sampled_from([
    "00", "01", "02", "10", "11", "17", "21", "22", "235", "240", "250",
    "253", "254", "3103", "37", "400", "414", "7006", "7007", "8003", "8004",
    "8006", "8008", "8010", "8020", "90", "99"])
_NEAR_VALUES = st.one_of(
    _gtins(), _SERIALS, st.text("0123456789", max_size=20),
    st.sampled_from([GTIN, SSCC, "261231", "260200", "261301", "0", ""]),
    st.text(sorted(CSET82) + [" ", "#", "é", GS, "%", "/", "(", "\\"],
        max_size=25))
_ELEMENTS = st.lists(st.tuples(_AI_CODES, _NEAR_VALUES), min_size=1,
    max_size=6)


@st.composite
def _near_valid_barcodes(draw):
    elements = draw(_ELEMENTS)
    form = draw(st.sampled_from(
        ["]C1", "]d2", "]Q3", "]e0", "", GS, "]d1", "(", "dl", "]Q1dl"]))
    if form == "(":
        return "".join(f"({ai}){value}" for ai, value in elements)
    if form.endswith("dl"):
        path = "/".join(f"{ai}/{value}" for ai, value in elements[:3])
        query = "&".join(f"{ai}={value}" for ai, value in elements[3:])
        stem = draw(st.sampled_from(["https://id.gs1.org", "http://x.y/a"]))
        return f"{form[:-2]}{stem}/{path}?{query}"
    separator = draw(st.sampled_from([GS, "", GS + GS]))
    return form + separator.join(ai + value for ai, value in elements)


@settings(_SETTINGS, max_examples=500)
@given(_near_valid_barcodes())
def test_near_valid_barcodes_parse_or_are_refused(text):
    _parses_or_refuses(text)


@settings(_SETTINGS, max_examples=300)
@given(_gtins(), _SERIALS)
def test_gtin_and_serial_round_trip(gtin, serial):
    text = element_string([("01", gtin), ("21", serial)])
    barcode = parse(text)
    assert (barcode.gtin, barcode.serial) == (gtin, serial)
    assert parse(barcode.digital_link).ais == barcode.ais
    scanned = parse(f"]C101{gtin}21{serial}")
    assert scanned.ais == barcode.ais


# --- issue 16, items 16 and 17 ----------------------------------------------

@pytest.mark.parametrize("uri, ais", [
    (f"https://id.gs1.org/01/{GTIN}/21/A#B", [("01", GTIN), ("21", "A")]),
    (f"https://id.gs1.org/01/{GTIN}/21/A?17=261231#section",
        [("01", GTIN), ("21", "A"), ("17", "261231")]),
    (f"https://id.gs1.org/01/{GTIN}#", [("01", GTIN)]),
    (f"]Q1https://example.com/01/{GTIN}/10/L#21=X",
        [("01", GTIN), ("10", "L")]),
])
def test_digital_link_fragment_is_ignored(uri, ais):
    "RFC 3986: the fragment is not part of the identifier"
    assert list(parse(uri).ais) == ais


@pytest.mark.parametrize("uri, ais", [
    # the 235 path has no lot qualifier: (10) in the query is data
    (f"https://id.gs1.org/01/{GTIN}/235/TPX1?10=ABC",
        [("01", GTIN), ("235", "TPX1"), ("10", "ABC")]),
    (f"https://id.gs1.org/01/{GTIN}/235/TPX1?17=261231&10=ABC",
        [("01", GTIN), ("235", "TPX1"), ("17", "261231"), ("10", "ABC")]),
    # (414) with (254) cannot also take (7040) in its path
    ("https://id.gs1.org/414/9506000134352/254/A1?7040=1A2B",
        [("414", "9506000134352"), ("254", "A1"), ("7040", "1A2B")]),
])
def test_query_ai_outside_the_qualifier_path_used_is_accepted(uri, ais):
    assert list(parse(uri).ais) == ais


@pytest.mark.parametrize("uri, ai", [
    (f"https://id.gs1.org/01/{GTIN}?10=L", "10"),
    (f"https://id.gs1.org/01/{GTIN}?235=T", "235"),
    (f"https://id.gs1.org/01/{GTIN}/21/S?10=L", "10"),
    (f"https://id.gs1.org/01/{GTIN}/10/L?22=V", "22"),
    (f"https://id.gs1.org/01/{GTIN}/22/V?21=S", "21"),
    ("https://id.gs1.org/414/9506000134352?254=A1", "254"),
    ("https://id.gs1.org/8004/9506000XYZ?7040=1A2B", "7040"),
])
def test_query_ai_that_fits_the_path_is_refused(uri, ai):
    with pytest.raises(BarcodeError,
            match=rf"AI \({ai}\) is a key qualifier .* belongs in"):
        parse(uri)


def test_count_of_contained_items_needs_the_sscc():
    "GS1 General Specifications: (02) and (37) go with (00)"
    with pytest.raises(BarcodeError, match=r"AI \(37\) requires AI \(00\)"):
        parse("]C102006141411234523725")
    with pytest.raises(BarcodeError, match=r"AI \(37\) requires AI \(00\)"):
        parse("(02)00614141123452(37)25")
    assert parse(f"]C100{SSCC}02006141411234523725").value("37") == "25"


# The mandatory (req=) and invalid (ex=) AI pairings, one row per AI or AI
# range as the GS1 Barcode Syntax Dictionary writes them (release
# 2026-01-27; the GS1 General Specifications' pairing tables): written out
# here independently of serial_mes.gs1, whose compact table must implement
# every row.
PAIRINGS = """
01          ex=02,03,255,37
02          req=37 ex=01,03
03          ex=01,02,37
10          req=01,02,03,8006,8026
11          req=01,02,03,8006,8026
12          req=8020
13          req=01,02,03,8006,8026
15          req=01,02,03,8006,8026
16          req=01,02,03,8006,8026
17          req=01,02,03,255,8006,8026
20          req=01,02,8006,8026
21          req=01,03,8006 ex=235
22          req=01
235         req=01
240         req=01,02,8006,8026
241         req=01,02,8006,8026
242         req=01,02,8006,8026
243         req=01
250         req=01,8006 req=21
251         req=01,8006
254         req=414
255         ex=01,02,415,8006,8020,8026
30          req=01,02
3100-3105   req=01,02 ex=310n
3110-3115   req=01,02 ex=311n
3120-3125   req=01,02 ex=312n
3130-3135   req=01,02 ex=313n
3140-3145   req=01,02 ex=314n
3150-3155   req=01,02 ex=315n
3160-3165   req=01,02 ex=316n
3200-3205   req=01,02 ex=320n
3210-3215   req=01,02 ex=321n
3220-3225   req=01,02 ex=322n
3230-3235   req=01,02 ex=323n
3240-3245   req=01,02 ex=324n
3250-3255   req=01,02 ex=325n
3260-3265   req=01,02 ex=326n
3270-3275   req=01,02 ex=327n
3280-3285   req=01,02 ex=328n
3290-3295   req=01,02 ex=329n
3300-3305   req=00,01 ex=330n
3310-3315   req=00,01 ex=331n
3320-3325   req=00,01 ex=332n
3330-3335   req=00,01 ex=333n
3340-3345   req=00,01 ex=334n
3350-3355   req=00,01 ex=335n
3360-3365   req=00,01 ex=336n
3370-3375   req=01 ex=337n
3400-3405   req=00,01 ex=340n
3410-3415   req=00,01 ex=341n
3420-3425   req=00,01 ex=342n
3430-3435   req=00,01 ex=343n
3440-3445   req=00,01 ex=344n
3450-3455   req=00,01 ex=345n
3460-3465   req=00,01 ex=346n
3470-3475   req=00,01 ex=347n
3480-3485   req=00,01 ex=348n
3490-3495   req=00,01 ex=349n
3500-3505   req=01,02 ex=350n
3510-3515   req=01,02 ex=351n
3520-3525   req=01,02 ex=352n
3530-3535   req=00,01 ex=353n
3540-3545   req=00,01 ex=354n
3550-3555   req=00,01 ex=355n
3560-3565   req=01,02 ex=356n
3570-3575   req=01,02 ex=357n
3600-3605   req=01,02 ex=360n
3610-3615   req=01,02 ex=361n
3620-3625   req=00,01 ex=362n
3630-3635   req=00,01 ex=363n
3640-3645   req=01,02 ex=364n
3650-3655   req=01,02 ex=365n
3660-3665   req=01,02 ex=366n
3670-3675   req=00,01 ex=367n
3680-3685   req=00,01 ex=368n
3690-3695   req=00,01 ex=369n
37          req=00 req=02,8026
3900-3909   req=255,8020 ex=390n,391n,394n,8111
3910-3919   req=8020 ex=391n
3920-3929   req=01 req=30,31nn,32nn,35nn,36nn ex=392n,393n
3930-3939   req=30,31nn,32nn,35nn,36nn ex=393n
3940-3943   req=255 ex=394n,8111
3950-3955   req=30,31nn,32nn,35nn,36nn ex=392n,393n,395n,8005
403         req=00
415         req=8020
420         ex=421
421         ex=4307
422         req=01,02,8006,8026 ex=426
423         req=01,02 ex=426
424         req=01,02 ex=426
425         req=01,02 ex=426
426         req=01,02
427         req=01,02 req=422
4300-4302   req=00
4303        req=4302
4304-4312   req=00
4313        req=4312
4314-4326   req=00
4330        req=00 ex=4331
4331        req=00 ex=4330
4332        req=00 ex=4333
4333        req=00 ex=4332
7001        req=01,02,8006,8026
7002-7003   req=01,02
7004        req=01 req=10
7005-7011   req=01,02
7020        req=01,8006 req=416
7021        req=01,8006
7022        req=7021
7030-7039   req=01,02
7041        req=00
710-716     req=01
7230-7239   req=01,8004
7240        req=01,8006
7241        req=8017,8018
7242        req=8017,8018
7250        req=8018 ex=7251
7251        req=8018
7252        req=8018
7253-7255   req=8017,8018 ex=7256,7259
7256        req=8017,8018
7257        req=8018
7258        req=8018+7259
7259        req=8018 ex=7253,7254,7255,7256
8001        req=01
8005        req=01,02
8006        ex=01,37
8007        req=415
8008        req=01,02
8009        req=00,01
8011        req=8010
8012        req=01,8006
8014        req=01
8017        ex=8018
8018        ex=8017
8019        req=8017,8018
8020        req=415
8026        req=37 ex=02,8006
8030        req=00,01+21,253,255,8003,8004,8006+21,8010+8011,8017,8018
8111        req=255
8200        req=01
"""


def _pairing_rows():
    rows = {}
    for text in PAIRINGS.strip().splitlines():
        codes, *keyvals = text.split()
        first, _, last = codes.partition("-")
        requires, excludes = [], []
        for keyval in keyvals:
            name, _, values = keyval.partition("=")
            if name == "req":
                requires.append([alt.split("+") for alt in values.split(",")])
            else:
                excludes.extend(values.split(","))
        for number in range(int(first), int(last or first) + 1):
            rows[str(number).zfill(len(first))] = (requires, excludes)
    return rows


PAIRING_ROWS = _pairing_rows()


def _fits(pattern, ai):
    return len(pattern) == len(ai) and all(
        p in ("n", a) for p, a in zip(pattern, ai))


def _concrete(pattern, other_than=None):
    "The first AI of the table (or else any digits) that fits pattern"
    for ai in PAIRING_ROWS:
        if _fits(pattern, ai) and ai != other_than:
            return ai
    return pattern.replace("n", "0")


def _excluded(ais, tolerated=()):
    "Whether two of ais exclude each other (except the pair tolerated)"
    return any(_fits(pattern, other) for ai in ais for pattern in
        PAIRING_ROWS.get(ai, ((), ()))[1] for other in ais
        if other != ai and {ai, other} != set(tolerated))


def _satisfied(group, ais):
    return any(all(any(_fits(p, ai) for ai in ais) for p in alternative)
        for alternative in group)


def _valid_set(*start):
    """start, then what they need (and what those need), none excluded but
    the start AIs from each other"""
    ais = list(start)
    pending = True
    while pending:
        pending = False
        for member in list(ais):
            for group in PAIRING_ROWS.get(member, ((), ()))[0]:
                if _satisfied(group, ais):
                    continue
                for alternative in group:
                    more = [_concrete(p) for p in alternative]
                    if not _excluded(ais + more, start):
                        ais += [a for a in more if a not in ais]
                        pending = True
                        break
                else:
                    raise AssertionError(f"no valid set for {start}")
    return ais


@pytest.mark.parametrize("ai", sorted(PAIRING_ROWS))
def test_every_pairing_row(ai):
    """With what it needs, the AI is valid; without any one requirement it
    is refused, and so is each AI it excludes beside it"""
    from serial_mes.gs1 import _check_associations
    requires, excludes = PAIRING_ROWS[ai]
    ais = _valid_set(ai)
    _check_associations(ais)
    for group in requires:
        for alternative in group:
            for pattern in alternative:
                less = [a for a in ais if a == ai or not _fits(pattern, a)]
                if _satisfied(group, less):
                    continue
                with pytest.raises(BarcodeError, match=r"requires AI"):
                    _check_associations(less)
    for pattern in excludes:
        other = _concrete(pattern, other_than=ai)
        pair = rf"\({ai}\) cannot be combined with AI \({other}\)|" \
            rf"\({other}\) cannot be combined with AI \({ai}\)"
        try:
            both = _valid_set(ai, other)
        except AssertionError:
            # other's own needs clash with ai's (as (37) with (01) for
            # (02)): ai, checked first, must refuse other all the same
            both = ais + [other]
        with pytest.raises(BarcodeError, match=pair):
            _check_associations(both)
