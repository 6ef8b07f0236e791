# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Tests of serial_mes_rfid.epc (pure pytest + hypothesis, no database)"

import dataclasses
import doctest
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serial_mes_rfid import epc as epc_module
from serial_mes_rfid.epc import (
    CSET82, MAX_INPUT_LENGTH, SCHEMES, Epc, EpcError, decode, encode_sgtin)

# Independent implementations used as oracles (test-only dependencies).
try:
    import epcpy
    from epcpy.epc_schemes import GIAI, SGTIN, SSCC
except ImportError:     # pragma: no cover
    epcpy = None
try:
    import pyepc
except ImportError:     # pragma: no cover
    pyepc = None
needs_epcpy = pytest.mark.skipif(epcpy is None, reason="epcpy not installed")
needs_pyepc = pytest.mark.skipif(pyepc is None, reason="pyepc not installed")

# Hypothesis keeps no example database, so the tests leave nothing behind.
_SETTINGS = settings(deadline=None, database=None)


# --- vectors ---------------------------------------------------------------
# (name, hex as written by Epc.hex, tag URI, pure-identity URI, GTIN/SSCC/GIAI,
# serial).  Sources, by name prefix:
#   tds-       GS1 EPC Tag Data Standard, annex E (E.1/E.2 worked SGTIN-96
#              example; the summary examples for the others).  The TDS prints
#              SGTIN-198 with 50 and GIAI-202 with 51 hex digits (see
#              test_tds_printed_lengths); here the 13-word form (52).  The
#              TDS SGTIN-198 example names item reference 812345 in places,
#              but its hex holds 712345 (GTIN 70614141123451): epcpy and
#              pyepc both decode it so, and so does this module.
#   pyepc-doc- pyepc 0.5.0 docstrings (SGTIN encode/decode, SSCC encode).
#   epctagcoder- the README of jlcout/epctagcoder (Java): SSCC-96 hex <->
#              tag URI.
#   standards- /work/shared/STANDARDS.md section 2 (the SSCC extension-digit
#              trap: (00)340123450000000017 <-> urn:epc:id:sscc:4012345.
#              3000000001) and the SGTIN of the GS1 EPC/Digital Link
#              translator README (urn:epc:id:sgtin:4012345.011111.987);
#              pure identity, so filter 0.
#   others     boundary vectors (partitions 0 and 6, largest integers, 20/18/
#              24 characters, every %-escape, dots and colons in serials)
#              computed here.
# Every vector is cross-checked in test_oracle_* below: decoded by epcpy
# 0.1.8 (all schemes) and pyepc 0.5.0 (SGTIN, SSCC: decoded and encoded), and
# encoded by epcpy from the pure-identity URI, except where EPCPY_DEFECTS
# says epcpy is wrong.  All agree with the TDS hex values above.
VECTORS = [
    ('tds-sgtin-96',
     '3074257BF7194E4000001A85',
     'urn:epc:tag:sgtin-96:3.0614141.812345.6789',
     'urn:epc:id:sgtin:0614141.812345.6789',
     '80614141123458', '6789'),
    ('pyepc-doc-sgtin-96',
     '3034257BF7194E4000003039',
     'urn:epc:tag:sgtin-96:1.0614141.812345.12345',
     'urn:epc:id:sgtin:0614141.812345.12345',
     '80614141123458', '12345'),
    ('sgtin-96-p0-max-serial',      # same GTIN, 12-digit company prefix
     '3060393243F1663FFFFFFFFF',
     'urn:epc:tag:sgtin-96:3.061414112345.8.274877906943',
     'urn:epc:id:sgtin:061414112345.8.274877906943',
     '80614141123458', '274877906943'),
    ('sgtin-96-p6-serial-0',
     '30F83BF99EFD100000000000',
     'urn:epc:tag:sgtin-96:7.061414.8123456.0',
     'urn:epc:id:sgtin:061414.8123456.0',
     '80614141234567', '0'),
    ('standards-sgtin-96',
     '3014F4E4E40AD9C0000003DB',
     'urn:epc:tag:sgtin-96:0.4012345.011111.987',
     'urn:epc:id:sgtin:4012345.011111.987',
     '04012345111118', '987'),
    ('tds-sgtin-198',
     '3674257BF6B7A659B2C2BF100000000000000000000000000000',
     'urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb',
     'urn:epc:id:sgtin:0614141.712345.32a%2Fb',
     '70614141123451', '32a/b'),
    ('pyepc-doc-sgtin-198',         # a numeric serial may use SGTIN-198
     '36D4257BF7194E58B266D1A80000000000000000000000000000',
     'urn:epc:tag:sgtin-198:6.0614141.812345.12345',
     'urn:epc:id:sgtin:0614141.812345.12345',
     '80614141123458', '12345'),
    ('sgtin-198-20-chars-escapes',
     '3648249B0CC3CB11254CBDE3E7E853A852A95AC5AB9D3B7B7C00',
     "urn:epc:tag:sgtin-198:2.0614141123.812."
     "%22%25%26%2F%3C%3E%3F!'()*+,-.:;=_",
     "urn:epc:id:sgtin:0614141123.812.%22%25%26%2F%3C%3E%3F!'()*+,-.:;=_",
     '80614141123120', '"%&/<>?!\'()*+,-.:;=_'),
    ('sgtin-198-leading-zero',
     '3634257BF7194E58366EE1C80000000000000000000000000000',
     'urn:epc:tag:sgtin-198:1.0614141.812345.06789',
     'urn:epc:id:sgtin:0614141.812345.06789',
     '80614141123458', '06789'),
    ('sgtin-198-dots-colon',
     '360C3A91AE07EEE0AE84EA1AEF40000000000000000000000000',
     'urn:epc:tag:sgtin-198:0.061414112.8123.A.B:C.z',
     'urn:epc:id:sgtin:061414112.8123.A.B:C.z',
     '80614141121232', 'A.B:C.z'),
    ('tds-sscc-96',
     '3174257BF4499602D2000000',
     'urn:epc:tag:sscc-96:3.0614141.1234567890',
     'urn:epc:id:sscc:0614141.1234567890',
     '106141412345678908', None),
    ('pyepc-doc-sscc-96',
     '3114257BF4499602D2000000',
     'urn:epc:tag:sscc-96:0.0614141.1234567890',
     'urn:epc:id:sscc:0614141.1234567890',
     '106141412345678908', None),
    ('epctagcoder-sscc-96',
     '31AC16465751CCD0C2000000',
     'urn:epc:tag:sscc-96:5.023356789.30200002',
     'urn:epc:id:sscc:023356789.30200002',
     '302335678902000022', None),
    ('standards-sscc-96',
     '3114F4E4E4B2D05E01000000',
     'urn:epc:tag:sscc-96:0.4012345.3000000001',
     'urn:epc:id:sscc:4012345.3000000001',
     '340123450000000017', None),
    ('sscc-96-p0',
     '31C0393243F165869F000000',
     'urn:epc:tag:sscc-96:6.061414112345.99999',
     'urn:epc:id:sscc:061414112345.99999',
     '906141411234599993', None),
    ('sscc-96-p6',
     '31583BF9974876E7FF000000',
     'urn:epc:tag:sscc-96:2.061414.99999999999',
     'urn:epc:id:sscc:061414.99999999999',
     '906141499999999999', None),
    ('tds-giai-96',
     '3474257BF40000000000162E',
     'urn:epc:tag:giai-96:3.0614141.5678',
     'urn:epc:id:giai:0614141.5678',
     '06141415678', None),
    ('giai-96-p6-max',              # 2**62 - 1
     '34383BF9BFFFFFFFFFFFFFFF',
     'urn:epc:tag:giai-96:1.061414.4611686018427387903',
     'urn:epc:id:giai:061414.4611686018427387903',
     '0614144611686018427387903', None),
    ('giai-96-p0-zero',
     '3400393243F1640000000000',
     'urn:epc:tag:giai-96:0.061414112345.0',
     'urn:epc:id:giai:061414112345.0',
     '0614141123450', None),
    ('giai-96-p0-max',              # 2**42 - 1
     '3400393243F167FFFFFFFFFF',
     'urn:epc:tag:giai-96:0.061414112345.4398046511103',
     'urn:epc:id:giai:061414112345.4398046511103',
     '0614141123454398046511103', None),
    ('tds-giai-202',
     '3874257BF59B2C2BF10000000000000000000000000000000000',
     'urn:epc:tag:giai-202:3.0614141.32a%2Fb',
     'urn:epc:id:giai:0614141.32a%2Fb',
     '061414132a/b', None),
    ('giai-202-p6-24-chars',        # fills all 202 bits
     '38383BF9A0C287122C68F224CA97326CE9F428D2A752AD6AF600',
     'urn:epc:tag:giai-202:1.061414.ABCDEFGHIJKLMNOPQRSTUVWX',
     'urn:epc:id:giai:061414.ABCDEFGHIJKLMNOPQRSTUVWX',
     '061414ABCDEFGHIJKLMNOPQRSTUVWX', None),
    ('giai-202-p0-18-chars',
     '3800393243F166D395B7D7214EA14AA56B1DBDC38B1F80000000',
     "urn:epc:tag:giai-202:0.061414112345.Z9-_.!'()*+,;=abcx",
     "urn:epc:id:giai:061414112345.Z9-_.!'()*+,;=abcx",
     "061414112345Z9-_.!'()*+,;=abcx", None),
    ('giai-202-escapes',
     '3894257BF70AFC4F31BEC8FF2800000000000000000000000000',
     'urn:epc:tag:giai-202:4.0614141.a%2Fb%3Cc%3Ed%3Fe',
     'urn:epc:id:giai:0614141.a%2Fb%3Cc%3Ed%3Fe',
     '0614141a/b<c>d?e', None),
    ('giai-202-leading-zero',       # not giai-96: leading zero
     '3814257BF58356CDDC0000000000000000000000000000000000',
     'urn:epc:tag:giai-202:0.0614141.05678',
     'urn:epc:id:giai:0614141.05678',
     '061414105678', None),
    ('giai-202-colon',
     '3814257BF70BAC40000000000000000000000000000000000000',
     'urn:epc:tag:giai-202:0.0614141.a:b',
     'urn:epc:id:giai:0614141.a:b',
     '0614141a:b', None),
]
VECTOR_PARAMS = [pytest.param(*vector, id=vector[0]) for vector in VECTORS]
VECTOR_FIELDS = "name, hex_value, tag_uri, pure_uri, key, serial"
VALID_HEXES = [vector[1] for vector in VECTORS]
VALID_URIS = [uri for vector in VECTORS for uri in vector[2:4]]

# epcpy 0.1.8 is wrong on these (found while building the vectors):
EPCPY_DEFECTS = {
    # verify_gs3a3_component() splits on %\d\d only, then int()s the rest:
    # ValueError for %2F/%3C/%3E/%3F right after %22/%25/%26 (or first).
    'sgtin-198-20-chars-escapes': {"decode", "key", "encode"},
    # GIAI() takes the asset reference up to the first ":", so "a:b" is
    # encoded as "a" (data loss) and its GIAI key is "0614141a"; the pure
    # identity URI its decoder gives is right.
    'giai-202-colon': {"encode", "key"},
}


def _family(scheme):
    return scheme.split("-")[0]


# --- the vectors -----------------------------------------------------------

@pytest.mark.parametrize(VECTOR_FIELDS, VECTOR_PARAMS)
def test_vector_decodes_from_hex(name, hex_value, tag_uri, pure_uri, key,
        serial):
    epc = decode(hex_value)
    scheme = tag_uri.split(":")[3]
    filter_value = int(tag_uri.split(":")[4][0])
    assert (epc.scheme, epc.filter) == (scheme, filter_value)
    assert epc.hex == hex_value
    assert epc.tag_uri == tag_uri
    assert epc.pure_identity_uri == pure_uri
    assert epc.serial == serial
    assert (epc.gtin, epc.sscc, epc.giai) == tuple(
        key if _family(scheme) == family else None
        for family in ("sgtin", "sscc", "giai"))
    company_prefix = pure_uri.split(":")[4].split(".")[0]
    assert epc.company_prefix == company_prefix
    if _family(scheme) == "giai":
        assert epc.reference == key[len(company_prefix):]
    else:
        assert epc.reference == key[0] + key[1 + len(company_prefix):-1]


@pytest.mark.parametrize(VECTOR_FIELDS, VECTOR_PARAMS)
def test_vector_round_trips(name, hex_value, tag_uri, pure_uri, key, serial):
    epc = decode(hex_value)
    assert decode(tag_uri) == epc
    assert decode(epc.tag_uri) == epc
    # A pure identity has no filter and no size: filter 0, smallest scheme.
    pure = decode(pure_uri)
    assert pure.filter == 0
    assert pure.pure_identity_uri == pure_uri
    assert (pure.gtin, pure.sscc, pure.giai, pure.serial) == (
        epc.gtin, epc.sscc, epc.giai, epc.serial)
    assert decode(pure.hex) == pure
    assert decode(pure.tag_uri) == pure
    if epc.filter == 0 and pure.scheme == epc.scheme:
        assert pure == epc


@pytest.mark.parametrize(VECTOR_FIELDS, VECTOR_PARAMS)
def test_vector_hex_spellings(name, hex_value, tag_uri, pure_uri, key,
        serial):
    epc = decode(hex_value)
    for spelling in (hex_value.lower(), "0x" + hex_value, "0X" + hex_value,
            f" \t{hex_value}\r\n", f"  0x{hex_value.lower()}  "):
        assert decode(spelling) == epc
    assert decode(f"\n {tag_uri} \t") == epc


@pytest.mark.parametrize("short, full", [
    # As printed in the TDS: SGTIN-198 in 50, GIAI-202 in 51 hex digits.
    ("3674257BF6B7A659B2C2BF1000000000000000000000000000",
     "3674257BF6B7A659B2C2BF100000000000000000000000000000"),
    ("3874257BF59B2C2BF1000000000000000000000000000000000",
     "3874257BF59B2C2BF10000000000000000000000000000000000"),
    # 51 digits for SGTIN-198 too: only the significant bits count.
    ("3674257BF6B7A659B2C2BF10000000000000000000000000000",
     "3674257BF6B7A659B2C2BF100000000000000000000000000000"),
])
def test_tds_printed_lengths(short, full):
    assert decode(short) == decode(full)
    assert decode(short).hex == full


def test_pyepc_hex_of_20_character_serial():
    # pyepc 0.5.0 prints the 198 bits as 50 hex digits and writes the final
    # 2 bits right-aligned ('...B7B73' instead of '...B7B7C'): read back,
    # the 20th character '_' (0x5F) becomes 0x5C, which is not CSET 82.
    with pytest.raises(EpcError, match=re.escape(
            "Expected CSET 82 characters in the sgtin-198 serial, got 0x5C "
            "at character 20")):
        decode("3648249B0CC3CB11254CBDE3E7E853A852A95AC5AB9D3B7B73")
    assert decode("3648249B0CC3CB11254CBDE3E7E853A852A95AC5AB9D3B7B7C").hex \
        == "3648249B0CC3CB11254CBDE3E7E853A852A95AC5AB9D3B7B7C00"


def test_twenty_vectors_per_standard():
    assert len(VECTORS) >= 20
    assert {vector[2].split(":")[3] for vector in VECTORS} == set(SCHEMES)
    assert len({vector[1] for vector in VECTORS}) == len(VECTORS)


# --- oracles: independent implementations agree -----------------------------

def _epcpy_hex(epc):
    family = _family(epc.scheme)
    filter_value = str(epc.filter)
    if family == "sgtin":
        return SGTIN(epc.pure_identity_uri).hex(
            binary_coding_scheme=SGTIN.BinaryCodingScheme(epc.scheme),
            filter_value=epcpy.epc_schemes.sgtin.SGTINFilterValue(
                filter_value))
    if family == "sscc":
        return SSCC(epc.pure_identity_uri).hex(
            filter_value=epcpy.epc_schemes.sscc.SSCCFilterValue(filter_value))
    return GIAI(epc.pure_identity_uri).hex(
        binary_coding_scheme=GIAI.BinaryCodingScheme(epc.scheme),
        filter_value=epcpy.epc_schemes.giai.GIAIFilterValue(filter_value))


@needs_epcpy
@pytest.mark.parametrize(VECTOR_FIELDS, VECTOR_PARAMS)
def test_oracle_epcpy(name, hex_value, tag_uri, pure_uri, key, serial):
    epc = decode(hex_value)
    defects = EPCPY_DEFECTS.get(name, set())
    if "decode" not in defects:
        decoded = epcpy.hex_to_tag_encodable(hex_value)
        assert decoded.epc_uri == pure_uri
    if "key" not in defects:
        assert epcpy.hex_to_tag_encodable(hex_value).gs1_key() == key
    if "encode" not in defects:
        # epcpy pads 198/202 bits to whole words, like Epc.hex.
        assert _epcpy_hex(epc) == hex_value


@needs_pyepc
@pytest.mark.parametrize(VECTOR_FIELDS, [
    param for param in VECTOR_PARAMS if "giai" not in param.values[2]])
def test_oracle_pyepc(name, hex_value, tag_uri, pure_uri, key, serial):
    epc = decode(hex_value)
    decoded = pyepc.decode(hex_value)
    assert decoded.company_prefix == epc.company_prefix
    if serial is None:
        assert decoded.extn_and_serial_ref == epc.reference
        assert decoded.sscc == key
        encoded = pyepc.SSCC(epc.company_prefix, epc.reference[0],
            epc.reference[1:]).encode(
            pyepc.SSCC.BinarySchemes.SSCC_96,
            pyepc.SSCC.FilterValues(str(epc.filter)))
    else:
        # pyepc does not %-escape: compare the plain serial.
        assert (decoded.item_ref_and_indicator, decoded.serial_number) == (
            epc.reference, serial)
        encoded = pyepc.SGTIN(epc.company_prefix, epc.reference[0],
            epc.reference[1:], serial).encode(
            pyepc.SGTIN.BinarySchemes(epc.scheme),
            pyepc.SGTIN.FilterValues(str(epc.filter)))
    # pyepc writes 198 bits as 50 hex digits, the last one holding the
    # final 2 bits right-aligned: compare the significant bits.
    if epc.scheme == "sgtin-198":
        assert len(encoded) == 50
        value = int(encoded[:-1], 16) << 2 | int(encoded[-1], 16)
    else:
        value = int(encoded, 16)
    bits = epc_module._LAYOUTS[epc.scheme].bits
    assert value == int(hex_value, 16) >> (4 * len(hex_value) - bits)


# --- output ----------------------------------------------------------------

@pytest.mark.parametrize("value, keys", [
    ("3074257BF7194E4000001A85", {"gtin", "serial"}),
    ("3174257BF4499602D2000000", {"sscc"}),
    ("3474257BF40000000000162E", {"giai"}),
])
def test_as_dict(value, keys):
    epc = decode(value)
    result = epc.as_dict()
    assert set(result) == {"scheme", "filter", "tag_uri", "pure_identity_uri",
        "company_prefix", "hex"} | keys
    assert json.loads(json.dumps(result)) == result
    assert result["hex"] == epc.hex and result["tag_uri"] == epc.tag_uri


def test_as_dict_sgtin():
    assert decode("3674257BF6B7A659B2C2BF1000000000000000000000000000"
        ).as_dict() == {
        "scheme": "sgtin-198",
        "filter": 3,
        "tag_uri": "urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb",
        "pure_identity_uri": "urn:epc:id:sgtin:0614141.712345.32a%2Fb",
        "company_prefix": "0614141",
        "hex": "3674257BF6B7A659B2C2BF100000000000000000000000000000",
        "gtin": "70614141123451",
        "serial": "32a/b",
    }


def test_epc_is_frozen():
    epc = decode("3074257BF7194E4000001A85")
    with pytest.raises(dataclasses.FrozenInstanceError):
        epc.filter = 1
    assert epc == Epc("sgtin-96", 3, "0614141", "812345", "6789")
    assert hash(epc) == hash(Epc("sgtin-96", 3, "0614141", "812345", "6789"))


@pytest.mark.parametrize("uri, scheme", [
    ("urn:epc:id:sgtin:0614141.812345.6789", "sgtin-96"),
    ("urn:epc:id:sgtin:0614141.812345.0", "sgtin-96"),
    ("urn:epc:id:sgtin:0614141.812345.274877906943", "sgtin-96"),
    ("urn:epc:id:sgtin:0614141.812345.274877906944", "sgtin-198"),
    ("urn:epc:id:sgtin:0614141.812345.06789", "sgtin-198"),
    ("urn:epc:id:sgtin:0614141.812345.00", "sgtin-198"),
    ("urn:epc:id:sgtin:0614141.812345.6789A", "sgtin-198"),
    ("urn:epc:id:sscc:0614141.1234567890", "sscc-96"),
    ("urn:epc:id:giai:0614141.5678", "giai-96"),
    ("urn:epc:id:giai:0614141.0", "giai-96"),
    ("urn:epc:id:giai:0614141.288230376151711743", "giai-96"),   # 2**58-1
    ("urn:epc:id:giai:0614141.288230376151711744", "giai-202"),  # 2**58
    ("urn:epc:id:giai:0614141.05678", "giai-202"),
    ("urn:epc:id:giai:0614141.32a%2Fb", "giai-202"),
])
def test_pure_identity_scheme_choice(uri, scheme):
    epc = decode(uri)
    assert (epc.scheme, epc.filter) == (scheme, 0)
    assert epc.pure_identity_uri == uri


# --- encode_sgtin ----------------------------------------------------------

@pytest.mark.parametrize("kwargs, tag_uri", [
    ({"gtin": "80614141123458", "serial": "6789", "filter": 3},
     "urn:epc:tag:sgtin-96:3.0614141.812345.6789"),
    ({"gtin": "80614141123458", "serial": "6789"},
     "urn:epc:tag:sgtin-96:1.0614141.812345.6789"),
    ({"gtin": " 80614141123458\n", "serial": "6789"},
     "urn:epc:tag:sgtin-96:1.0614141.812345.6789"),
    ({"gtin": "80614141123458", "serial": "6789",
      "scheme": "sgtin-198"},
     "urn:epc:tag:sgtin-198:1.0614141.812345.6789"),
    ({"gtin": "80614141123458", "serial": "06789"},
     "urn:epc:tag:sgtin-198:1.0614141.812345.06789"),
    ({"gtin": "80614141123458", "serial": "274877906944"},
     "urn:epc:tag:sgtin-198:1.0614141.812345.274877906944"),
    ({"gtin": "70614141123451", "serial": "32a/b", "filter": 3},
     "urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb"),
    ({"gtin": "80614141123458", "serial": "6789",
      "company_prefix_length": 12},
     "urn:epc:tag:sgtin-96:1.061414112345.8.6789"),
    ({"gtin": "80614141123458", "serial": "6789",
      "company_prefix_length": 6},
     "urn:epc:tag:sgtin-96:1.061414.8112345.6789"),
    # GTIN-13, -12 and -8 are zero-padded to 14 digits.
    ({"gtin": "4012345111118", "serial": "987", "filter": 0},
     "urn:epc:tag:sgtin-96:0.4012345.011111.987"),
    ({"gtin": "614141123452", "serial": "1", "company_prefix_length": 7},
     "urn:epc:tag:sgtin-96:1.0614141.012345.1"),
    ({"gtin": "96385074", "serial": "1", "company_prefix_length": 8},
     "urn:epc:tag:sgtin-96:1.00000963.08507.1"),
])
def test_encode_sgtin(kwargs, tag_uri):
    epc = encode_sgtin(**kwargs)
    assert epc.tag_uri == tag_uri
    assert decode(epc.hex) == epc
    assert epc.gtin == kwargs["gtin"].strip().zfill(14)


def test_encode_sgtin_tds_example():
    epc = encode_sgtin("80614141123458", "6789", 7, "sgtin-96", 3)
    assert epc.hex == "3074257BF7194E4000001A85"
    assert epc.pure_identity_uri == "urn:epc:id:sgtin:0614141.812345.6789"
    epc = encode_sgtin("70614141123451", "32a/b", filter=3)
    assert epc.hex == "3674257BF6B7A659B2C2BF100000000000000000000000000000"


# --- refused input ---------------------------------------------------------

def craft(*fields, padded=None):
    """Hex from (value, bits) pairs, zero-padded to `padded` bits (default:
    whole 16-bit words): builds invalid EPCs bit by bit."""
    value, length = 0, 0
    for field, bits in zip(fields[::2], fields[1::2]):
        value, length = (value << bits) | field, length + bits
    padded = padded or -(-length // 16) * 16
    return f"{value << (padded - length):0{padded // 4}X}"


def chars(text):
    "The 7-bit string field value of text and its bit count"
    value = 0
    for char in text:
        value = (value << 7) | ord(char)
    return value, 7 * len(text)


CP = (614141, 24)           # company prefix 0614141, partition 5
SGTIN198 = (0x36, 8, 3, 3, 5, 3) + CP + (712345, 20)
GIAI202 = (0x38, 8, 3, 3, 5, 3) + CP
HEADERS = ("30 (sgtin-96), 36 (sgtin-198), 31 (sscc-96), 34 (giai-96) or "
    "38 (giai-202)")
CSET = "CSET 82 characters with \" % & / < > ? %-escaped in the URI"


@pytest.mark.parametrize("value, message", [
    # unknown header, wrong length, non-hex
    ("3274257BF7194E4000001A85",
     f"Expected EPC header {HEADERS}, got '32'"),
    ("E2801160600002054D5A6F2A",
     f"Expected EPC header {HEADERS}, got 'E2'"),
    ("3", f"Expected EPC header {HEADERS}, got '3'"),
    ("3074257BF7194E4000001A",
     "Expected 24 hex digits for sgtin-96, got 22"),
    ("3074257BF7194E4000001A8500",
     "Expected 24 hex digits for sgtin-96, got 26"),
    ("3174257BF4499602D200000000000000",
     "Expected 24 hex digits for sscc-96, got 32"),
    ("3674257BF6B7A659B2C2BF10000000000000000000000000",
     "Expected 50, 51 or 52 hex digits for sgtin-198, got 48"),
    ("3674257BF6B7A659B2C2BF10000000000000000000000000000000",
     "Expected 50, 51 or 52 hex digits for sgtin-198, got 54"),
    ("3874257BF59B2C2BF100000000000000000000000000000000",
     "Expected 51 or 52 hex digits for giai-202, got 50"),
    ("3074257BF7194E4000001AZZ",
     "Expected EPC hex digits, a urn:epc:tag: URI or a urn:epc:id: URI, "
     "got '3074257BF7194E4000001AZZ'"),
    ("", "Expected EPC hex digits, a urn:epc:tag: URI or a urn:epc:id: URI, "
     "got ''"),
    ("  \t ", "Expected EPC hex digits, a urn:epc:tag: URI or a urn:epc:id: "
     "URI, got '  \\t '"),
    ("0x", "got '0x'"),
    ("3074 257BF7194E4000001A85", "got '3074 257BF7194E4000001A85'"),
    ("3074_257BF7194E4000001A85", "got '3074_257BF7194E4000001A85'"),
    ("-3074257BF7194E4000001A85", "got '-3074257BF7194E4000001A85'"),
    ("\uff13\uff10\uff17\uff14257BF7194E4000001A85", "got '"),
    ("\x1d3074257BF7194E4000001A85", "got '\\x1d3074257BF7194E4000001A85'"),
    ("URN:EPC:ID:SGTIN:0614141.812345.6789",
     "got 'URN:EPC:ID:SGTIN:0614141.812345.6789'"),
    ("3" * (MAX_INPUT_LENGTH + 1),
     f"Expected at most {MAX_INPUT_LENGTH} characters, "
     f"got {MAX_INPUT_LENGTH + 1}"),
    # partition 7
    ("307C257BF7194E4000001A85", "Expected partition 0-6 in sgtin-96, got 7"),
    (craft(0x31, 8, 0, 3, 7, 3, 0, 82), "Expected partition 0-6 in sscc-96, "
     "got 7"),
    (craft(0x34, 8, 0, 3, 7, 3, 0, 82), "Expected partition 0-6 in giai-96, "
     "got 7"),
    (craft(0x38, 8, 0, 3, 7, 3, 0, 188), "Expected partition 0-6 in "
     "giai-202, got 7"),
    # integers with more digits than the partition allows
    (craft(0x30, 8, 3, 3, 5, 3, 10 ** 7, 24, 1, 20, 1, 38),
     "Expected a sgtin-96 company prefix of 7 digits, got 10000000"),
    (craft(0x30, 8, 3, 3, 5, 3, 614141, 24, 10 ** 6, 20, 1, 38),
     "Expected a sgtin-96 indicator digit and item reference of 6 digits, "
     "got 1000000"),
    (craft(0x30, 8, 3, 3, 0, 3, 614141, 40, 10, 4, 1, 38),
     "Expected a sgtin-96 indicator digit and item reference of 1 digit, "
     "got 10"),
    (craft(0x31, 8, 3, 3, 5, 3, 614141, 24, 10 ** 10, 34, 0, 24),
     "Expected a sscc-96 extension digit and serial reference of 10 digits, "
     "got 10000000000"),
    (craft(0x34, 8, 3, 3, 6, 3, 10 ** 6, 20, 1, 62),
     "Expected a giai-96 company prefix of 6 digits, got 1000000"),
    # reserved and padding bits
    ("3174257BF4499602D2000001",
     "Expected 24 zero reserved bits at the end of sscc-96, got non-zero "
     "bits"),
    ("3174257BF4499602D2800000",
     "Expected 24 zero reserved bits at the end of sscc-96, got non-zero "
     "bits"),
    ("3674257BF6B7A659B2C2BF100000000000000000000000000001",
     "Expected zero padding after the 198 bits of sgtin-198, got non-zero "
     "bits"),
    ("3674257BF6B7A659B2C2BF1000000000000000000000000001",
     "Expected zero padding after the 198 bits of sgtin-198, got non-zero "
     "bits"),
    ("3874257BF59B2C2BF10000000000000000000000000000000001",
     "Expected zero padding after the 202 bits of giai-202, got non-zero "
     "bits"),
    (craft(*SGTIN198, *chars("32a\0b"), padded=208),
     "Expected only zero bits after the end of the sgtin-198 serial, got "
     "non-zero bits after character 3"),
    (craft(*SGTIN198, *chars("32a"), 1, 119, padded=208),
     "Expected only zero bits after the end of the sgtin-198 serial, got "
     "non-zero bits after character 3"),
    (craft(0x38, 8, 3, 3, 0, 3, 614141, 40, *chars("A" * 21), 1, 1),
     "Expected only zero bits after the end of the giai-202 asset "
     "reference, got non-zero bits"),
    # characters outside CSET 82, empty or too long strings
    (craft(*SGTIN198, *chars("a\x01"), padded=208),
     "Expected CSET 82 characters in the sgtin-198 serial, got 0x01 at "
     "character 2"),
    (craft(*SGTIN198, *chars("#"), padded=208),
     "Expected CSET 82 characters in the sgtin-198 serial, got 0x23 at "
     "character 1"),
    (craft(*SGTIN198, *chars("a b"), padded=208),
     "Expected CSET 82 characters in the sgtin-198 serial, got 0x20 at "
     "character 2"),
    (craft(*SGTIN198, *chars("\x7f"), padded=208),
     "Expected CSET 82 characters in the sgtin-198 serial, got 0x7F at "
     "character 1"),
    (craft(*GIAI202, *chars("~"), padded=208),
     "Expected CSET 82 characters in the giai-202 asset reference, got 0x7E "
     "at character 1"),
    (craft(*SGTIN198, 0, 140, padded=208),
     "Expected a sgtin-198 serial of 1 to 20 characters, got 0"),
    (craft(*GIAI202, 0, 164, padded=208),
     "Expected a giai-202 asset reference of 1 to 23 characters, got 0"),
    (craft(0x38, 8, 3, 3, 0, 3, 614141, 40, *chars("A" * 19), 0, 15),
     "Expected a giai-202 asset reference of 1 to 18 characters, got 19"),
    # filter out of range
    ("urn:epc:tag:sgtin-96:8.0614141.812345.6789",
     "Expected filter 0-7 in 'urn:epc:tag:sgtin-96:8.0614141.812345.6789', "
     "got '8'"),
    ("urn:epc:tag:sscc-96:03.0614141.1234567890", "got '03'"),
    ("urn:epc:tag:giai-96:.0614141.5678", "got ''"),
    ("urn:epc:tag:giai-96:-1.0614141.5678", "got '-1'"),
    ("urn:epc:tag:giai-96:\u0663.0614141.5678", "got '\u0663'"),
    # serials: range, leading zeros, characters (tag URIs)
    ("urn:epc:tag:sgtin-96:3.0614141.812345.274877906944",
     "Expected a sgtin-96 serial below 2**38 = 274877906944 (use sgtin-198), "
     "got '274877906944'"),
    ("urn:epc:tag:sgtin-96:3.0614141.812345.99999999999999999999999",
     "Expected a sgtin-96 serial below 2**38"),
    ("urn:epc:tag:sgtin-96:3.0614141.812345.06789",
     "Expected a sgtin-96 serial without leading zeros (use sgtin-198), got "
     "'06789'"),
    ("urn:epc:tag:sgtin-96:3.0614141.812345.00",
     "Expected a sgtin-96 serial without leading zeros"),
    ("urn:epc:tag:sgtin-96:3.0614141.812345.67A",
     "Expected a sgtin-96 serial of decimal digits (use sgtin-198), got "
     "'67A'"),
    ("urn:epc:tag:sgtin-96:3.0614141.812345.\u0661\u0662",
     "Expected CSET 82 characters"),
    ("urn:epc:tag:sgtin-198:3.0614141.812345.abcdefghijabcdefghijk",
     "Expected a sgtin-198 serial of 1 to 20 characters, got 21"),
    ("urn:epc:tag:sgtin-198:3.0614141.812345.",
     "Expected a sgtin-198 serial of 1 to 20 characters, got 0"),
    ("urn:epc:tag:giai-96:3.0614141.05678",
     "Expected a giai-96 asset reference without leading zeros (use "
     "giai-202), got '05678'"),
    ("urn:epc:tag:giai-96:3.0614141.288230376151711744",
     "Expected a giai-96 asset reference below 2**58 = 288230376151711744 "
     "(use giai-202), got '288230376151711744'"),
    ("urn:epc:tag:giai-202:3.0614141.abcdefghijklmnopqrstuvwx",
     "Expected a giai-202 asset reference of 1 to 23 characters, got 24"),
    # %-escapes and characters in URIs
    ("urn:epc:id:sgtin:0614141.812345.a/b",
     f"Expected {CSET} serial, got '/' at position 2"),
    ("urn:epc:id:sgtin:0614141.812345.a%2fb",
     "Expected a %-escape %22, %25, %26, %2F, %3C, %3E or %3F in the URI "
     "serial, got '%2f'"),
    ("urn:epc:id:sgtin:0614141.812345.%41",
     "Expected a %-escape %22, %25, %26, %2F, %3C, %3E or %3F in the URI "
     "serial, got '%41'"),
    ("urn:epc:id:sgtin:0614141.812345.a%2", "got '%2'"),
    ("urn:epc:id:sgtin:0614141.812345.a%", "got '%'"),
    ("urn:epc:id:sgtin:0614141.812345.a#b",
     f"Expected {CSET} serial, got '#' at position 2"),
    ("urn:epc:id:sgtin:0614141.812345.a b",
     f"Expected {CSET} serial, got ' ' at position 2"),
    ("urn:epc:id:sgtin:0614141.812345.\u00e9",
     f"Expected {CSET} serial, got '\u00e9' at position 1"),
    ("urn:epc:id:giai:0614141.a?b",
     f"Expected {CSET} asset reference, got '?' at position 2"),
    ("urn:epc:tag:giai-202:0.0614141.a<b",
     f"Expected {CSET} asset reference, got '<' at position 2"),
    # URI structure and the partition table
    ("urn:epc:tag:sgln-96:3.0614141.12345.5678",
     "Expected tag URI scheme sgtin-96, sgtin-198, sscc-96, giai-96 or "
     "giai-202, got 'sgln-96'"),
    ("urn:epc:tag:sgtin:3.0614141.812345.6789", "got 'sgtin'"),
    ("urn:epc:id:sgln:0614141.12345.5678",
     "Expected pure-identity URI scheme sgtin, sscc or giai, got 'sgln'"),
    ("urn:epc:id:sgtin-96:0614141.812345.6789", "got 'sgtin-96'"),
    ("urn:epc:id:sgtin:0614141.812345",
     "Expected 3 dot-separated fields after the scheme in "
     "'urn:epc:id:sgtin:0614141.812345', got 2"),
    ("urn:epc:tag:sgtin-96:3.0614141.812345",
     "Expected 4 dot-separated fields after the scheme"),
    ("urn:epc:id:sscc:0614141.1234567890.1",
     "Expected 2 dot-separated fields after the scheme"),
    ("urn:epc:id:sscc:", "Expected 2 dot-separated fields after the scheme"),
    ("urn:epc:id:sgtin:61414.8123456.1",
     "Expected a company prefix of 6 to 12 digits, got '61414'"),
    ("urn:epc:id:sgtin:0614141123456.1.1",
     "Expected a company prefix of 6 to 12 digits, got '0614141123456'"),
    ("urn:epc:id:giai:06141A1.1",
     "Expected a company prefix of 6 to 12 digits, got '06141A1'"),
    ("urn:epc:id:sgtin:\u0660614141.812345.1",
     "Expected a company prefix of 6 to 12 digits"),
    ("urn:epc:id:sgtin:0614141.81234.6789",
     "Expected a sgtin-96 indicator digit and item reference of 6 digits "
     "(13 minus the 7-digit company prefix), got '81234'"),
    ("urn:epc:id:sgtin:0614141.81234A.6789",
     "Expected a sgtin-96 indicator digit and item reference of 6 digits"),
    ("urn:epc:id:sscc:0614141.123456789",
     "Expected a sscc-96 extension digit and serial reference of 10 digits "
     "(17 minus the 7-digit company prefix), got '123456789'"),
    ("urn:epc:id:giai:0614141.",
     "Expected a giai-202 asset reference of 1 to 23 characters, got 0"),
    ("urn:epc:id:giai:0614141.abcdefghijklmnopqrstuvwx",
     "Expected a giai-202 asset reference of 1 to 23 characters, got 24"),
    ("urn:epc:id:sgtin:0614141.812345.abcdefghijabcdefghijk",
     "Expected a sgtin-198 serial of 1 to 20 characters, got 21"),
])
def test_decode_refuses(value, message):
    with pytest.raises(EpcError, match=re.escape(message)) as info:
        decode(value)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("Expected")


@pytest.mark.parametrize("value, message", [
    (None, "Expected a str, got NoneType"),
    (b"3074257BF7194E4000001A85", "Expected a str, got bytes"),
    (0x3074257BF7194E4000001A85, "Expected a str, got int"),
])
def test_decode_refuses_non_text(value, message):
    with pytest.raises(EpcError, match=re.escape(message)):
        decode(value)


GTIN = "80614141123458"


@pytest.mark.parametrize("kwargs, message", [
    ({"gtin": "80614141123459"},
     "Expected GTIN check digit 8, got 9 in '80614141123459'"),
    ({"gtin": "4012345111119"}, "Expected GTIN check digit 8, got 9"),
    ({"gtin": "8061414112345"},
     "Expected GTIN check digit 7, got 5 in '8061414112345'"),
    ({"gtin": "96385075"}, "Expected GTIN check digit 4, got 5"),
    ({"gtin": "80614141123"},
     "Expected a GTIN of 8, 12, 13 or 14 digits, got '80614141123'"),
    ({"gtin": "806141411234580"},
     "Expected a GTIN of 8, 12, 13 or 14 digits"),
    ({"gtin": "8061414112345A"}, "Expected a GTIN of 8, 12, 13 or 14 digits"),
    ({"gtin": "\u0668" + GTIN[1:]},
     "Expected a GTIN of 8, 12, 13 or 14 digits"),
    ({"gtin": 80614141123458}, "Expected the GTIN as a str, got "
     "80614141123458"),
    ({"gtin": "8" * (MAX_INPUT_LENGTH + 1)}, "Expected the GTIN as a str"),
    ({"company_prefix_length": 5},
     "Expected a company prefix length of 6 to 12 digits, got 5"),
    ({"company_prefix_length": 13},
     "Expected a company prefix length of 6 to 12 digits, got 13"),
    ({"company_prefix_length": "7"},
     "Expected a company prefix length of 6 to 12 digits, got '7'"),
    ({"company_prefix_length": True},
     "Expected a company prefix length of 6 to 12 digits, got True"),
    ({"serial": "06789", "scheme": "sgtin-96"},
     "Expected a sgtin-96 serial without leading zeros (use sgtin-198), got "
     "'06789'"),
    ({"serial": "274877906944", "scheme": "sgtin-96"},
     "Expected a sgtin-96 serial below 2**38 = 274877906944 (use sgtin-198), "
     "got '274877906944'"),
    ({"serial": "AB", "scheme": "sgtin-96"},
     "Expected a sgtin-96 serial of decimal digits (use sgtin-198), got "
     "'AB'"),
    ({"serial": "-1", "scheme": "sgtin-96"},
     "Expected a sgtin-96 serial of decimal digits"),
    ({"serial": "1_000", "scheme": "sgtin-96"},
     "Expected a sgtin-96 serial of decimal digits"),
    ({"serial": " 12", "scheme": "sgtin-96"},
     "Expected a sgtin-96 serial of decimal digits"),
    ({"serial": "abcdefghijabcdefghijk"},
     "Expected a sgtin-198 serial of 1 to 20 characters, got 21"),
    ({"serial": ""}, "Expected a sgtin-198 serial of 1 to 20 characters, "
     "got 0"),
    ({"serial": "a b"},
     "Expected a sgtin-198 serial of CSET 82 characters, got ' '"),
    ({"serial": "a#b"},
     "Expected a sgtin-198 serial of CSET 82 characters, got '#'"),
    ({"serial": "caf\u00e9"},
     "Expected a sgtin-198 serial of CSET 82 characters, got '\u00e9'"),
    ({"serial": "\u0661\u0662"},
     "Expected a sgtin-198 serial of CSET 82 characters, got '\u0661'"),
    ({"serial": 6789}, "Expected the serial as a str of at most 512 "
     "characters, got 6789"),
    ({"serial": "1" * (MAX_INPUT_LENGTH + 1)},
     "Expected the serial as a str of at most 512 characters"),
    ({"scheme": "sgtin-64"},
     "Expected scheme sgtin-96 or sgtin-198, got 'sgtin-64'"),
    ({"scheme": "SGTIN-96"},
     "Expected scheme sgtin-96 or sgtin-198, got 'SGTIN-96'"),
    ({"scheme": "sscc-96"},
     "Expected scheme sgtin-96 or sgtin-198, got 'sscc-96'"),
    ({"filter": 8}, "Expected filter 0-7, got 8"),
    ({"filter": -1}, "Expected filter 0-7, got -1"),
    ({"filter": "1"}, "Expected filter 0-7, got '1'"),
    ({"filter": True}, "Expected filter 0-7, got True"),
    ({"filter": 1.0}, "Expected filter 0-7, got 1.0"),
])
def test_encode_sgtin_refuses(kwargs, message):
    arguments = {"gtin": GTIN, "serial": "6789", **kwargs}
    with pytest.raises(EpcError, match=re.escape(message)) as info:
        encode_sgtin(**arguments)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("fields, message", [
    (("sgln-96", 0, "0614141", "12345"),
     "Expected scheme sgtin-96, sgtin-198, sscc-96, giai-96 or giai-202, "
     "got 'sgln-96'"),
    ((None, 0, "0614141", "12345"), "Expected scheme"),
    (("sscc-96", 0, "0614141", "1234567890", "1"),
     "Expected no serial for sscc-96, got '1'"),
    (("giai-96", 0, "0614141", "1", "1"),
     "Expected no serial for giai-96, got '1'"),
    (("sgtin-96", 0, "0614141", "812345"),
     "Expected a sgtin-96 serial as a str, got None"),
    (("sgtin-96", 0, "0614141", "812345", 6789),
     "Expected a sgtin-96 serial as a str, got 6789"),
    (("sgtin-96", 0, 614141, "812345", "1"),
     "Expected a company prefix of 6 to 12 digits, got 614141"),
    (("sgtin-96", 0, "061414112345", "81", "1"),
     "Expected a sgtin-96 indicator digit and item reference of 1 digit, "
     "got '81'"),
    (("sgtin-96", 0, "0614141", "81234", "1"),
     "Expected a sgtin-96 indicator digit and item reference of 6 digits, "
     "got '81234'"),
    (("sgtin-96", 0, "0614141", 812345, "1"),
     "Expected a sgtin-96 indicator digit and item reference as a str, got "
     "812345"),
    (("sscc-96", 9, "0614141", "1234567890"), "Expected filter 0-7, got 9"),
    (("giai-96", 0, "0614141", ""),
     "Expected a giai-96 asset reference of decimal digits (use giai-202), "
     "got ''"),
    (("giai-202", 0, "0614141", "a" * 24),
     "Expected a giai-202 asset reference of 1 to 23 characters, got 24"),
])
def test_epc_refuses(fields, message):
    with pytest.raises(EpcError, match=re.escape(message)):
        Epc(*fields)


def test_error_is_a_value_error():
    assert issubclass(EpcError, ValueError)
    with pytest.raises(ValueError):
        decode("nonsense")


# --- data tables and documentation -----------------------------------------

def test_partition_tables_fill_the_layouts():
    layouts = epc_module._LAYOUTS
    assert tuple(layouts) == SCHEMES
    for layout in layouts.values():
        assert len(layout.partitions) == 7
        assert epc_module._BY_HEADER[layout.header] is layout
        for index, partition in enumerate(layout.partitions):
            assert partition.company_prefix_digits == 12 - index
            assert 10 ** partition.company_prefix_digits <= 2 ** (
                partition.company_prefix_bits)
            assert (epc_module.HEADER_BITS + epc_module.FILTER_BITS
                + epc_module.PARTITION_BITS + partition.company_prefix_bits
                + partition.reference_bits + layout.serial_bits
                + layout.reserved_bits) == layout.bits
            if layout.reference == epc_module.DIGITS:
                assert 10 ** partition.reference_size <= 2 ** (
                    partition.reference_bits)
                assert partition.company_prefix_digits + (
                    partition.reference_size) == epc_module._KEY_DIGITS[
                    layout.family]
            elif layout.reference == epc_module.STRING:
                # GIAI: company prefix + asset reference <= 30 characters.
                assert 7 * partition.reference_size <= (
                    partition.reference_bits)
                assert partition.company_prefix_digits + (
                    partition.reference_size) == 30
            else:       # integer: at most K digits
                assert len(str(2 ** partition.reference_bits - 1)) <= (
                    partition.reference_size)
    assert len(CSET82) == 82


def test_module_doctests():
    result = doctest.testmod(epc_module)
    assert result.attempted >= 6
    assert result.failed == 0


# --- properties ------------------------------------------------------------

def _gtin_of(body):
    return body + epc_module._with_check_digit(body)[-1]


gtins = st.text("0123456789", min_size=13, max_size=13).map(_gtin_of)
filters = st.integers(0, 7)
prefix_lengths = st.integers(6, 12)
integer_serials = st.integers(0, 2 ** 38 - 1).map(str)
string_serials = st.text(sorted(CSET82), min_size=1, max_size=20)


def _check_encoded(epc, gtin, serial, filter_value):
    assert epc.gtin == gtin and epc.serial == serial
    assert epc.filter == filter_value
    assert decode(epc.hex) == epc
    assert decode(epc.hex.lower()) == epc
    assert decode(epc.tag_uri) == epc
    pure = decode(epc.pure_identity_uri)
    assert (pure.filter, pure.gtin, pure.serial) == (0, gtin, serial)
    assert pure.company_prefix == epc.company_prefix


@_SETTINGS
@given(gtins, prefix_lengths, integer_serials, filters)
def test_encode_decode_sgtin_96(gtin, prefix_length, serial, filter_value):
    epc = encode_sgtin(gtin, serial, prefix_length, filter=filter_value)
    assert epc.scheme == "sgtin-96" and len(epc.hex) == 24
    assert epc == encode_sgtin(gtin, serial, prefix_length, "sgtin-96",
        filter_value)
    _check_encoded(epc, gtin, serial, filter_value)
    assert decode(epc.pure_identity_uri).scheme == "sgtin-96"


@_SETTINGS
@given(gtins, prefix_lengths, string_serials, filters)
def test_encode_decode_sgtin_198(gtin, prefix_length, serial, filter_value):
    epc = encode_sgtin(gtin, serial, prefix_length, "sgtin-198", filter_value)
    assert epc.scheme == "sgtin-198" and len(epc.hex) == 52
    _check_encoded(epc, gtin, serial, filter_value)
    assert decode(epc.hex[:50]) == epc      # 50-digit print, if it fits
    if not epc_module._is_integer(serial, 38):
        assert encode_sgtin(gtin, serial, prefix_length,
            filter=filter_value) == epc


@st.composite
def epcs(draw):
    "Any valid Epc of the five schemes"
    scheme = draw(st.sampled_from(SCHEMES))
    layout = epc_module._LAYOUTS[scheme]
    index = draw(st.integers(0, 6))
    partition = layout.partitions[index]
    company_prefix = draw(st.text("0123456789",
        min_size=partition.company_prefix_digits,
        max_size=partition.company_prefix_digits))
    if layout.reference == epc_module.DIGITS:
        reference = str(draw(st.integers(0, 10 ** partition.reference_size
            - 1))).zfill(partition.reference_size)
    elif layout.reference == epc_module.INTEGER:
        reference = str(draw(st.integers(0, 2 ** partition.reference_bits
            - 1)))
    else:
        reference = draw(st.text(sorted(CSET82), min_size=1,
            max_size=partition.reference_size))
    serial = None
    if layout.serial == epc_module.INTEGER:
        serial = draw(integer_serials)
    elif layout.serial == epc_module.STRING:
        serial = draw(string_serials)
    return Epc(scheme, draw(filters), company_prefix, reference, serial)


@_SETTINGS
@given(epcs())
def test_round_trip_all_schemes(epc):
    assert decode(epc.hex) == epc
    assert decode(epc.tag_uri) == epc
    assert decode(" 0x" + epc.hex.lower() + "\n") == epc
    pure = decode(epc.pure_identity_uri)
    assert pure.pure_identity_uri == epc.pure_identity_uri
    assert pure.filter == 0
    assert _family(pure.scheme) == _family(epc.scheme)
    assert len(epc.hex) in (24, 52)
    assert json.loads(json.dumps(epc.as_dict())) == epc.as_dict()


# epcpy is right except for its defects (EPCPY_DEFECTS, and: GIAI() checks
# the 30-character limit on the %-escaped asset reference, refusing valid
# GIAIs): keep their triggers out of the strings it gets.
_EPCPY_SAFE = CSET82 - set("/<>?")
_EPCPY_SAFE_GIAI = _EPCPY_SAFE - set(':"%&')


def _keep(text, alphabet, default):
    return "".join(char for char in text if char in alphabet) or default


@needs_epcpy
@_SETTINGS
@given(epcs())
def test_oracle_epcpy_agrees(epc):
    if epc.scheme == "giai-202":
        epc = dataclasses.replace(epc,
            reference=_keep(epc.reference, _EPCPY_SAFE_GIAI, "A"))
    elif epc.scheme == "sgtin-198":
        epc = dataclasses.replace(epc,
            serial=_keep(epc.serial, _EPCPY_SAFE, "A"))
    decoded = epcpy.hex_to_tag_encodable(epc.hex)
    assert decoded.epc_uri == epc.pure_identity_uri
    assert decoded.gs1_key() == (epc.gtin or epc.sscc or epc.giai)
    assert _epcpy_hex(epc) == epc.hex


def _only_epc_error(value):
    "decode(value) returns an Epc that round-trips, or raises EpcError"
    try:
        epc = decode(value)
    except EpcError as error:
        message = str(error)
        assert message.startswith("Expected") and "\n" not in message
        return None
    assert isinstance(epc, Epc)
    assert decode(epc.hex) == epc and decode(epc.tag_uri) == epc
    return epc


@_SETTINGS
@given(st.text(max_size=MAX_INPUT_LENGTH + 10))
def test_decode_text_raises_only_epc_error(value):
    _only_epc_error(value)


@_SETTINGS
@given(st.binary(max_size=30).map(bytes.hex))
def test_decode_random_hex_raises_only_epc_error(value):
    epc = _only_epc_error(value)
    if epc is not None:     # accepted hex is canonical up to padding
        assert epc.hex.startswith(value.upper())
        assert set(epc.hex[len(value):]) <= {"0"}


_HEX_ONLY = re.compile(r"[0-9A-Fa-f]+")


@st.composite
def near_valid_hex(draw):
    "A valid EPC hex with bits flipped, digits changed, cut or extended"
    text = draw(st.sampled_from(VALID_HEXES))
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["flip", "digit", "cut", "grow"]))
        if how == "flip" and _HEX_ONLY.fullmatch(text):
            value = int(text, 16) ^ (1 << draw(st.integers(0,
                4 * len(text) - 1)))
            text = f"{value:0{len(text)}X}"
        elif how == "digit" and text:
            at = draw(st.integers(0, len(text) - 1))
            text = text[:at] + draw(st.sampled_from(
                "0123456789ABCDEFabcdefG -x")) + text[at + 1:]
        elif how == "cut":
            text = text[:draw(st.integers(0, len(text)))]
        else:
            text += draw(st.text("0123456789ABCDEF", max_size=4))
    return text


@_SETTINGS
@given(near_valid_hex())
def test_decode_near_valid_hex_raises_only_epc_error(value):
    epc = _only_epc_error(value)
    if epc is not None and _HEX_ONLY.fullmatch(value):
        assert epc.hex.startswith(value.upper())


@st.composite
def near_valid_uri(draw):
    "A valid URI with characters replaced, deleted or inserted"
    text = draw(st.sampled_from(VALID_URIS))
    alphabet = st.sampled_from("0123456789.:%2F-aZ/ #\u00e9\x00")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["replace", "delete", "insert"]))
        if how == "insert":
            text = text[:at] + draw(alphabet) + text[at:]
        elif how == "delete":
            text = text[:at] + text[at + 1:]
        else:
            text = text[:at] + draw(alphabet) + text[at + 1:]
    return text


@_SETTINGS
@given(near_valid_uri())
def test_decode_near_valid_uri_raises_only_epc_error(value):
    epc = _only_epc_error(value)
    if epc is not None:     # an accepted URI is written back unchanged
        assert value.strip() in (epc.tag_uri, epc.pure_identity_uri)


@_SETTINGS
@given(st.one_of(st.text(max_size=30), st.integers(), st.none()),
    st.one_of(st.text(max_size=30), st.integers(), st.none()),
    st.one_of(st.integers(-2, 14), st.text(max_size=3)),
    st.one_of(st.none(), st.sampled_from(SCHEMES), st.text(max_size=10)),
    st.one_of(st.integers(-2, 9), st.text(max_size=2), st.booleans()))
def test_encode_sgtin_raises_only_epc_error(gtin, serial, prefix_length,
        scheme, filter_value):
    try:
        epc = encode_sgtin(gtin, serial, prefix_length, scheme, filter_value)
    except EpcError:
        return
    assert decode(epc.hex) == epc
