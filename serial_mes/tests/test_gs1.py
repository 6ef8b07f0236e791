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
    assert parse("]C102006141411234523725").digital_link is None


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
        f"https://id.gs1.org/01/{GTIN}/21/A#B", r"contains '#'",
        id="DL-fragment"),
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
    ("https://example.com/8004/1234#5", r"contains '#'"),
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
