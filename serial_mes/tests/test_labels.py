# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Tests of serial_mes.labels (pure pytest, no database): the PDF is parsed
back with pypdf; the GS1-128 symbol is decoded from its bars; with
zxing-cpp and pypdfium2 installed, the rendered page is scanned too."""
import io
import re

import pytest

from serial_mes.gs1 import GS, parse_barcode
from serial_mes.labels import (
    FNC1, MIN_X_DOTS, _modules, _symbol, gs1_128_data, labels_pdf)

pypdf = pytest.importorskip('pypdf',
    reason="pypdf is not installed (pip install -r requirements-test.txt)")

MM = 72 / 25.4
ITEMS = [
    {'gtin': '09506000140100', 'serial': 'AB760-2403X0101',
        'product': 'Motherboard ATX B760'},
    {'gtin': '9506000140155', 'serial': 'ACM-0000801',
        'product': 'Case midi tower'},
    {'gtin': '09506000140117', 'serial': '12345',
        'product': 'CPU 8-core 65 W'},
    ]


def _reader(data):
    assert data.startswith(b'%PDF-')
    return pypdf.PdfReader(io.BytesIO(data))


def _text(page):
    return ' '.join(page.extract_text().split())


def test_one_page_per_label():
    reader = _reader(labels_pdf(ITEMS))
    assert len(reader.pages) == len(ITEMS)
    for page, item, gtin in zip(reader.pages, ITEMS, [
                '09506000140100', '09506000140155', '09506000140117']):
        box = page.mediabox
        assert float(box.width) == pytest.approx(60 * MM, abs=0.01)
        assert float(box.height) == pytest.approx(30 * MM, abs=0.01)
        text = _text(page)
        hri = '(01)%s(21)%s' % (gtin, item['serial'])
        assert hri in text
        assert item['product'] in text
        # the HRI reads back as the same element string
        barcode = parse_barcode(hri)
        assert (barcode.gtin, barcode.serial) == (gtin, item['serial'])


def test_page_size():
    reader = _reader(labels_pdf(ITEMS[:1], width_mm=100, height_mm=50))
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(100 * MM, abs=0.01)
    assert float(box.height) == pytest.approx(50 * MM, abs=0.01)


def test_any_iterable_and_reproducible():
    first = labels_pdf(iter(ITEMS))
    assert labels_pdf(tuple(ITEMS)) == first


def test_serial_of_16_letters_fits_default_label():
    "At 300 dpi the 60 mm label holds 16 letters with 2-dot modules"
    serial = 'ABCDEFGHIJKLMNOP'
    reader = _reader(labels_pdf([{'gtin': '09506000140100',
                    'serial': serial, 'product': 'Part'}]))
    assert '(21)%s' % serial in _text(reader.pages[0])


def test_longest_serial_on_wider_label():
    serial = 'ABCDEFGHIJKLMNOPQRST'  # 20 characters, all in code set B
    item = {'gtin': '09506000140100', 'serial': serial, 'product': 'Part'}
    with pytest.raises(ValueError, match=r'at least 67.1 mm wide'):
        labels_pdf([item])
    reader = _reader(labels_pdf([item], width_mm=70))
    assert '(21)%s' % serial in _text(reader.pages[0])
    # or on the 60 mm label for a 600 dpi printer
    labels_pdf([item], dpi=600)


def test_long_product_name_shortened():
    name = 'Motherboard ' * 15
    reader = _reader(labels_pdf([dict(ITEMS[0], product=name)]))
    text = _text(reader.pages[0])
    assert text.startswith('Motherboard Motherboard')
    assert '\u2026' in text
    assert '(01)09506000140100(21)AB760-2403X0101' in text


# --- the GS1-128 symbol -----------------------------------------------------

# ISO/IEC 15417 bar and space widths of the special codewords
START_C, FNC1_VALUE, CODE_B, CODE_C, STOP = 105, 102, 100, 99, 106
WIDTHS = {START_C: '211232', FNC1_VALUE: '411131', STOP: '2331112'}


def _codewords(data):
    symbol = _symbol(data, 0.25, 10)
    symbol.validate()
    return symbol.encode(), symbol


def _decode(values):
    """The transmitted data of Code 128 codewords as a scanner reports it:
    symbology identifier ]C1 when FNC1 comes first, FNC1 elsewhere as GS"""
    assert values[-1] == STOP
    check = values[-2]
    body = values[:-2]
    assert check == (body[0] + sum(i * v for i, v in enumerate(body)
            if i)) % 103, "wrong check character"
    start, rest = body[0], body[1:]
    code = {103: 'A', 104: 'B', 105: 'C'}[start]
    out, prefix = [], ']C0'
    for position, value in enumerate(rest):
        if value == FNC1_VALUE:
            if position == 0:
                prefix = ']C1'
            else:
                out.append(GS)
        elif code == 'C' and value < 100:
            out.append('%02d' % value)
        elif value == CODE_C:
            code = 'C'
        elif value == CODE_B and code != 'B':
            code = 'B'
        elif code == 'B' and value < 96:
            out.append(chr(32 + value))
        else:
            raise AssertionError("unexpected codeword %s in code %s" % (
                    value, code))
    return prefix + ''.join(out)


def _bar_widths(symbol):
    "widths of the bars and spaces drawn, from reportlab's pattern letters"
    return ''.join(str('abcd'.index(c.lower()) + 1)
        for c in symbol.decompose())


@pytest.mark.parametrize('serial', [
        'AB760-2403X0101', '12345', '1234', 'A1234567', 'abc/xyz',
        'ABCDEFGHIJKLMNOPQRST', '0', "!\"%&'()*+,-./:;<=>?_"])
def test_symbol_is_gs1_128(serial):
    data = gs1_128_data('09506000140100', serial)
    assert data == FNC1 + '0109506000140100' + '21' + serial
    values, symbol = _codewords(data)
    # Start C then FNC1: the GS1-128 start pattern
    assert values[:2] == [START_C, FNC1_VALUE]
    widths = _bar_widths(symbol)
    assert widths.startswith(WIDTHS[START_C] + WIDTHS[FNC1_VALUE])
    assert widths.endswith(WIDTHS[STOP])
    # 11 modules per codeword, 13 for Stop
    assert sum(map(int, widths)) == 11 * (len(values) - 1) + 13
    assert _modules(data) == sum(map(int, widths)) + 20
    # no FNC1 other than the first: (21) is last and needs no separator
    assert _decode(values) == ']C1010950600014010021' + serial
    barcode = parse_barcode(_decode(values))
    assert (barcode.gtin, barcode.serial) == ('09506000140100', serial)


@pytest.mark.parametrize('dpi, width_mm', [(300, 70), (600, 60),
        (203, 100)])
def test_rendered_label_scans(dpi, width_mm):
    """The pages, rendered at the printer's resolution and at twice it,
    scan as GS1-128 (symbology identifier ]C1) with zxing-cpp"""
    zxingcpp = pytest.importorskip('zxingcpp')
    pdfium = pytest.importorskip('pypdfium2')
    items = ITEMS + [{'gtin': '09506000140100',
            'serial': 'ABCDEFGHIJKLMNOPQRST', 'product': 'P'}]
    document = pdfium.PdfDocument(labels_pdf(items, width_mm=width_mm,
            dpi=dpi))
    try:
        for scale in [dpi / 72, 2 * dpi / 72]:
            scanned = []
            for page in document:
                barcodes = zxingcpp.read_barcodes(
                    page.render(scale=scale).to_pil())
                assert len(barcodes) == 1, (scale, barcodes)
                barcode, = barcodes
                assert barcode.symbology_identifier == ']C1'
                assert barcode.content_type == zxingcpp.ContentType.GS1
                scanned.append(barcode.text)
            assert scanned == [
                '(01)09506000140100(21)AB760-2403X0101',
                '(01)09506000140155(21)ACM-0000801',
                '(01)09506000140117(21)12345',
                '(01)09506000140100(21)ABCDEFGHIJKLMNOPQRST',
                ]
    finally:
        document.close()


# --- bad input --------------------------------------------------------------

@pytest.mark.parametrize('item, message', [
        (dict(ITEMS[0], gtin='09506000140101'), r'label 2: .*check digit'),
        (dict(ITEMS[0], gtin='950600014010'), r'label 2: .*check digit'),
        (dict(ITEMS[0], gtin='123'), r'label 2: GTIN .*8, 12, 13 or 14'),
        (dict(ITEMS[0], gtin=9506000140100), r'label 2: .*as text'),
        (dict(ITEMS[0], gtin=None), r'label 2: GTIN'),
        (dict(ITEMS[0], serial='A' * 21), r'label 2: .*21 characters.* 20'),
        (dict(ITEMS[0], serial='AB 12'), r"label 2: .*CSET 82.*' '"),
        (dict(ITEMS[0], serial='AB#12'), r"label 2: .*CSET 82.*'#'"),
        (dict(ITEMS[0], serial='Aé1'), r'label 2: .*CSET 82'),
        (dict(ITEMS[0], serial='A' + GS + 'B'), r'label 2: .*CSET 82'),
        (dict(ITEMS[0], serial=''), r'label 2: the serial number is missing'),
        (dict(ITEMS[0], serial=12), r'label 2: the serial number is missing'),
        (dict(ITEMS[0], product=' '), r'label 2: the product name'),
        ({'gtin': '09506000140100', 'serial': 'X1'}, r'label 2: the product'),
        (dict(ITEMS[0], product='a\nb\x07'), r'label 2: .*control'),
        ('09506000140100', r'label 2: expected a dict'),
        ])
def test_bad_item_refused(item, message):
    with pytest.raises(ValueError, match=message):
        labels_pdf([ITEMS[1], item])


@pytest.mark.parametrize('items, message', [
        ([], r'no item'),
        ({'gtin': '09506000140100'}, r'list of items'),
        ('09506000140100', r'list of items'),
        (None, r'list of items'),
        ])
def test_bad_items_refused(items, message):
    with pytest.raises(ValueError, match=message):
        labels_pdf(items)


@pytest.mark.parametrize('size, message', [
        ({'width_mm': 0}, r'width must be .* from 20 to 300'),
        ({'width_mm': '60'}, r'width must be'),
        ({'width_mm': True}, r'width must be'),
        ({'height_mm': 1000}, r'height must be'),
        ({'width_mm': 40}, r'label 1: .*needs a label at least 55.9 mm wide'
            r' \(width_mm\), not 40 mm: its GS1-128 symbol has 330 modules'),
        ({'height_mm': 12}, r'height 12 mm leaves .* for the bars'),
        ({'dpi': 72}, r'resolution .* from 150 to 1200'),
        ({'dpi': 300.0}, r'resolution'),
        ])
def test_bad_size_refused(size, message):
    with pytest.raises(ValueError, match=message):
        labels_pdf(ITEMS, **size)


@pytest.mark.parametrize('dpi', [203, 300, 600])
def test_narrowest_label_for_a_serial(dpi):
    "The error gives a width that works"
    item = {'gtin': '09506000140100', 'serial': 'ABCDEFGHIJKLMNOPQRST',
        'product': 'P'}
    modules = _modules(gs1_128_data(item['gtin'], item['serial']))
    bars = modules * MIN_X_DOTS * 25.4 / dpi
    with pytest.raises(ValueError, match=r'at least ([\d.]+) mm wide') as info:
        labels_pdf([item], width_mm=30, dpi=dpi)
    message = str(info.value)
    assert message.startswith('label 1: (01)09506000140100(21)ABCDEFGHIJKLM'
        'NOPQRST needs a label at least ')
    assert '%d modules' % modules in message
    need = float(re.search(r'at least ([\d.]+) mm', message)[1])
    assert need >= bars  # at 600 dpi the text is wider than the bars
    labels_pdf([item], width_mm=need, dpi=dpi)
    with pytest.raises(ValueError, match=r'at least %.1f mm wide' % need):
        labels_pdf([item], width_mm=need - 0.1, dpi=dpi)
